"""Alerting at scale: one downgrade fanned out to many subscriptions, and detection over a large
history. Everything real and local: a SQLite file, Apprise, an aiosmtpd SMTP server and a webhook
receiver on 127.0.0.1, each in its own process (as a real server would be).

    python benchmarks/notify.py                       # 5,000 subscriptions, 100,000 reports
    python benchmarks/notify.py --subscriptions 500 --reports 10000   # quicker
    python benchmarks/notify.py --skip-detect         # delivery only

Fan-out: N subscriptions (each its own mailto:// address on the local SMTP server) follow one
children's home; one downgrade is detected; ``outbox.enqueue`` writes the N delivery rows and
``outbox.deliver_due`` sends them (claims and results committed in batches, a pool of
``SEND_WORKERS`` senders, one SMTP connection per worker through Apprise's own email code).
Baseline in the same run, to the same server: plain ``smtplib``, a new connection per message,
the same subject, text and HTML, no database — target: the outbox at ≥ 0.8× its rate.
The same fan-out to ``json://`` webhooks (Apprise's own json:// send, one keep-alive session per
worker), against a plain ``requests.post`` loop (a new connection per message) to the same
receiver, an HTTP/1.1 server that keeps connections alive as real ones do — target ≥ 0.8×; the
figures say how many connections the fan-out opened.

Deliveries are proven identical: every subscriber receives exactly one message; every message's
fingerprint (From, Subject, every text part; not To/Date/Message-ID/boundaries) is the same;
and for a sample of subscribers it equals what Apprise's own unmodified email send delivers
(a new connection and TLS context per message, as before) — for webhooks, the same JSON body.

Detection: N stored reports (4 per provider, random grades on the four-point scale, some
interim, monitoring visits with enforcement) are read into the history and examined once
(``detect(baseline=True)``, the first backfill); then 100 new reports arrive and ``detect`` runs
again (the steady-state cycle). Baseline in the same process: one full scan reading every
report's extraction JSON (``json.loads`` of each row) — what any detection must at least do once.
"""
from __future__ import annotations

import argparse
import json
import random
import smtplib
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path
               if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import store_provider, store_report  # noqa: E402
from extract.result import Report  # noqa: E402
from monitor import detect, message, notify, outbox, subscriptions  # noqa: E402
from monitor.schema import open_db  # noqa: E402

GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
NOW = "2025-02-01T00:00:00+00:00"


class ServerProcess:
    """``tests/servers.py smtp|http`` in its own process; ``records()`` reads its log."""

    def __init__(self, kind: str, workdir: Path):
        self.log = workdir / f"{kind}-received.jsonl"
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "servers.py"), kind,
                                      "--log", str(self.log)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def records(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def wait_for(self, count: int, timeout: float = 120) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            records = self.records()
            if len(records) >= count or time.monotonic() > deadline:
                return records
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _setup(db, urls: list[str]) -> message.Message:
    """A home with a good report, ``urls`` subscribed, then the downgrade: its message."""
    store_provider(db, "SC123456")
    store_report(db, "1", "SC123456", inspection_date="2022-05-10", overall="good")
    detect.detect(db, baseline=True, now="2025-01-01T00:00:00+00:00")
    with db.atomic():
        for url in urls:
            subscriptions.add(db, url, urns=["SC123456"], events="downgrade",
                              now="2025-01-02T00:00:00+00:00")
    store_report(db, "2", "SC123456", inspection_date="2025-01-10", overall="inadequate")
    return list(detect.detect(db, now=NOW))


def _message(db, events) -> message.Message:
    """The message as the outbox renders it: the events queued for the subscribers (after
    ``enqueue``: the event rows it carries say when they were queued)."""
    queued = [row[0] for row in db.execute("select distinct event_id from deliveries")]
    return message.render(message.load_groups(db, sorted(set(events) & set(queued)))[0])


def _upstream_send(url: str, msg: message.Message) -> bool:
    """What delivery did before: Apprise's own plugin, unmodified (no pool, no adapter)."""
    plugin = notify.plugin_for(url)
    body, body_format = notify.body_for(plugin, msg)
    return plugin.notify(title=msg.title, body=body, body_format=body_format)


def fanout(workdir: Path, n: int, sample: int) -> dict:
    server = ServerProcess("smtp", workdir)
    try:
        db = open_db(workdir / "fanout-mail.db")
        url = "mailto://127.0.0.1:{port}?smtp=127.0.0.1&mode=insecure&from=alerts@example.org" \
              "&to={to}"
        addresses = [f"reader{i}@example.org" for i in range(n)]
        events = _setup(db, [url.format(port=server.port, to=a) for a in addresses])
        start = time.perf_counter()
        queued = outbox.enqueue(db, now=NOW)
        enqueue_s = time.perf_counter() - start
        msg = _message(db, events)
        start = time.perf_counter()
        counts = outbox.deliver_due(db, now=NOW)
        deliver_s = time.perf_counter() - start
        ours = server.wait_for(n)
        db.conn.close()

        # baseline: plain smtplib, one connection per message, same server, same content
        start = time.perf_counter()
        for i in range(n):
            mail = EmailMessage()
            mail["Subject"], mail["From"], mail["To"] = msg.title, "alerts@example.org", \
                f"baseline{i}@example.org"
            mail.set_content(msg.text)
            mail.add_alternative(msg.html, subtype="html")
            with smtplib.SMTP("127.0.0.1", server.port) as smtp:
                smtp.send_message(mail)
        raw_s = time.perf_counter() - start
        server.wait_for(2 * n)

        # before: Apprise's own email send (new connection + TLS context each), on a sample
        picks = addresses[:: max(1, n // sample)][:sample]
        start = time.perf_counter()
        for address in picks:
            assert _upstream_send(url.format(port=server.port, to=address), msg)
        upstream_s = time.perf_counter() - start
        records = server.wait_for(2 * n + len(picks))
    finally:
        server.stop()
    ours, before = records[:len(ours)], records[2 * n:]
    per_rcpt = Counter(r for rec in ours for r in rec["rcpt"])
    proof = {
        "each_subscriber_exactly_once": sorted(per_rcpt) == sorted(addresses)
        and set(per_rcpt.values()) == {1},
        "one_content_for_all": len({rec["fingerprint"] for rec in ours}) == 1,
        "same_as_apprise_unmodified": {rec["rcpt"][0]: rec["fingerprint"] for rec in before}
        == {rec["rcpt"][0]: rec["fingerprint"] for rec in ours if rec["rcpt"][0] in picks},
        "sample": len(picks)}
    assert counts["sent"] == n and all(v for k, v in proof.items() if k != "sample"), \
        (counts, proof)
    return {"subscriptions": n, "queued": queued, "enqueue_s": round(enqueue_s, 3),
            "deliver_s": round(deliver_s, 2), "deliveries_per_s": round(n / deliver_s, 1),
            "smtplib_per_s": round(n / raw_s, 1),
            "speed_vs_smtplib": round(raw_s / deliver_s, 2),
            "apprise_unmodified_per_s_one_thread": round(len(picks) / upstream_s, 1),
            "workers": outbox.SEND_WORKERS, "received": len(ours), "proof": proof}


def fanout_webhook(workdir: Path, n: int, sample: int) -> dict:
    """The same fan-out to json:// webhooks (one receiver, a path per subscriber)."""
    import requests
    server = ServerProcess("http", workdir)
    try:
        db = open_db(workdir / "fanout-json.db")
        paths = [f"reader{i}" for i in range(n)]
        events = _setup(db, [f"json://127.0.0.1:{server.port}/{p}" for p in paths])
        outbox.enqueue(db, now=NOW)
        msg = _message(db, events)
        start = time.perf_counter()
        counts = outbox.deliver_due(db, now=NOW)
        deliver_s = time.perf_counter() - start
        ours = server.wait_for(n)
        connections = max(rec.get("connections", 0) for rec in ours)
        db.conn.close()

        # baseline: requests.post, a new connection per message, the same JSON body
        body = ours[0]["post"]
        start = time.perf_counter()
        for i in range(n):
            requests.post(f"http://127.0.0.1:{server.port}/baseline{i}", json=body,
                          timeout=10).raise_for_status()
        raw_s = time.perf_counter() - start
        server.wait_for(2 * n)
        picks = paths[:: max(1, n // sample)][:sample]
        for path in picks:
            assert _upstream_send(f"json://127.0.0.1:{server.port}/{path}", msg)
        records = server.wait_for(2 * n + len(picks))
    finally:
        server.stop()
    ours, before = records[:len(ours)], records[2 * n:]
    per_path = Counter(rec["path"] for rec in ours)
    proof = {
        "each_subscriber_exactly_once": sorted(per_path) == sorted(f"/{p}" for p in paths)
        and set(per_path.values()) == {1},
        "one_content_for_all": len({json.dumps(rec["post"], sort_keys=True)
                                    for rec in ours}) == 1,
        "same_as_apprise_unmodified": {r["path"]: r["post"] for r in before}
        == {r["path"]: r["post"] for r in ours if r["path"][1:] in picks},
        "sample": len(picks)}
    assert counts["sent"] == n and all(v for k, v in proof.items() if k != "sample"), \
        (counts, proof)
    return {"subscriptions": n, "deliver_s": round(deliver_s, 2),
            "deliveries_per_s": round(n / deliver_s, 1), "requests_per_s": round(n / raw_s, 1),
            "speed_vs_requests": round(raw_s / deliver_s, 2), "workers": outbox.SEND_WORKERS,
            "connections": connections, "received": len(ours), "proof": proof}


def history_rows(n: int, seed: int = 7):
    rng = random.Random(seed)
    per = 4
    for p in range(n // per):
        urn = f"SC{p:06d}"
        year = 2012
        for k in range(per):
            year += rng.randint(1, 3)
            kind = rng.choices(["full", "interim", "monitoring"], [6, 2, 1])[0]
            overall = {"full": rng.choice(GRADES),
                       "interim": rng.choice(["improved_effectiveness",
                                              "sustained_effectiveness",
                                              "declined_effectiveness"]),
                       "monitoring": None}[kind]
            judgements = ({"help_and_protection": rng.choice(GRADES),
                           "leaders_and_managers": rng.choice(GRADES)} if kind == "full" else {})
            enforcement = ["compliance_notice"] if kind == "monitoring" else []
            report = Report(file=f"{urn}-{k}.pdf", sha256="-", report_type="childrens-home",
                            inspection_kind=kind, urn=urn, inspection_date=f"{year}-03-01",
                            overall=overall, judgements=judgements, enforcement=enforcement,
                            extractor_version="bench")
            yield {"file_id": f"{urn}-{k}", "urn": urn, "inspection_date": f"{year}-03-01",
                   "publication_date": f"{year}-04-01", "report_type": "childrens-home",
                   "inspection_kind": kind, "overall": overall,
                   "extraction": json.dumps(report.to_dict()), "needs_review": 0}


def detection(workdir: Path, n: int) -> dict:
    db = open_db(workdir / "history.db")
    db["reports"].insert_all(history_rows(n), pk="file_id", batch_size=2000)
    start = time.perf_counter()
    for (text,) in db.execute("select extraction from reports"):
        json.loads(text)
    scan_s = time.perf_counter() - start

    start = time.perf_counter()
    baseline_events = len(detect.detect(db, baseline=True, now="2025-01-01T00:00:00+00:00"))
    first_s = time.perf_counter() - start

    new = []
    for p in range(0, (n // 4), max(1, (n // 4) // 100))[:100]:
        urn = f"SC{p:06d}"
        report = Report(file=f"{urn}-new.pdf", sha256="-", report_type="childrens-home",
                        inspection_kind="full", urn=urn, inspection_date="2030-01-01",
                        overall="inadequate", extractor_version="bench")
        new.append({"file_id": f"{urn}-new", "urn": urn, "inspection_date": "2030-01-01",
                    "publication_date": "2030-02-01", "report_type": "childrens-home",
                    "inspection_kind": "full", "overall": "inadequate",
                    "extraction": json.dumps(report.to_dict()), "needs_review": 0})
    db["reports"].insert_all(new, pk="file_id")
    start = time.perf_counter()
    cycle_events = len(detect.detect(db, now="2025-02-01T00:00:00+00:00"))
    cycle_s = time.perf_counter() - start
    start = time.perf_counter()
    idle = len(detect.detect(db, now="2025-02-02T00:00:00+00:00"))
    idle_s = time.perf_counter() - start
    db.conn.close()
    return {"reports": n, "full_scan_s": round(scan_s, 2),
            "first_detect_s": round(first_s, 2), "baseline_events": baseline_events,
            "ratio_first_vs_scan": round(first_s / scan_s, 1),
            "new_reports": len(new), "cycle_detect_s": round(cycle_s, 3),
            "cycle_events": cycle_events, "idle_detect_s": round(idle_s, 4), "idle_events": idle}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=5000)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=100,
                        help="subscribers also sent Apprise's unmodified way, to compare")
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--skip-webhook", action="store_true")
    parser.add_argument("--skip-detect", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ofsted-watch-bench-") as tmp:
        if not args.skip_fanout:
            print(json.dumps({"fanout": fanout(Path(tmp), args.subscriptions, args.sample)}),
                  flush=True)
        if not args.skip_webhook:
            print(json.dumps({"fanout_webhook": fanout_webhook(Path(tmp), args.subscriptions,
                                                               args.sample)}), flush=True)
        if not args.skip_detect:
            print(json.dumps({"detection": detection(Path(tmp), args.reports)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
