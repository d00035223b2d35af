"""Alerting at scale: one downgrade fanned out to many subscriptions, and detection over a large
history. Everything real and local: a SQLite file, Apprise, an aiosmtpd SMTP server on 127.0.0.1.

    python benchmarks/notify.py                       # 5,000 subscriptions, 100,000 reports
    python benchmarks/notify.py --subscriptions 500 --reports 10000   # quicker

Fan-out: 5,000 subscriptions (each its own mailto:// address on the local SMTP server) follow one
children's home; one downgrade is detected; ``outbox.enqueue`` writes the 5,000 delivery rows and
``outbox.deliver_due`` sends them (claim → send → record, one committed claim per message).
Baseline in the same process: the same number of messages sent with plain ``smtplib`` (a new
connection per message, as Apprise's email plugin makes), with no database at all — the ratio is
the price of the outbox's bookkeeping and Apprise.

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
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path
               if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import store_provider, store_report  # noqa: E402
from extract.result import Report  # noqa: E402
from monitor import detect, outbox, subscriptions  # noqa: E402
from monitor.schema import open_db  # noqa: E402
from servers import MailSink, WebhookSink  # noqa: E402

GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]


def fanout(workdir: Path, n: int) -> dict:
    db = open_db(workdir / "fanout-mail.db")
    with MailSink() as sink:
        store_provider(db, "SC123456")
        store_report(db, "1", "SC123456", inspection_date="2022-05-10", overall="good")
        detect.detect(db, baseline=True, now="2025-01-01T00:00:00+00:00")
        with db.atomic():
            for i in range(n):
                subscriptions.add(db, sink.url(f"reader{i}@example.org"), urns=["SC123456"],
                                  events="downgrade", now="2025-01-02T00:00:00+00:00")
        store_report(db, "2", "SC123456", inspection_date="2025-01-10", overall="inadequate")
        detect.detect(db, now="2025-02-01T00:00:00+00:00")
        start = time.perf_counter()
        queued = outbox.enqueue(db, now="2025-02-01T00:00:00+00:00")
        enqueue_s = time.perf_counter() - start
        start = time.perf_counter()
        counts = outbox.deliver_due(db, now="2025-02-01T00:00:00+00:00")
        deliver_s = time.perf_counter() - start
        sink.wait_for(n, timeout=60)
        received = len(sink.messages)

        # baseline: plain smtplib, one connection per message, same server, same count
        start = time.perf_counter()
        for i in range(n):
            msg = EmailMessage()
            msg["Subject"], msg["From"], msg["To"] = "baseline", "a@example.org", f"b{i}@x.org"
            msg.set_content("baseline message " * 20)
            with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
                smtp.send_message(msg)
        raw_s = time.perf_counter() - start
    db.conn.close()
    assert counts["sent"] == n and received == n, (counts, received)
    return {"subscriptions": n, "queued": queued, "enqueue_s": round(enqueue_s, 3),
            "deliver_s": round(deliver_s, 2), "deliveries_per_s": round(n / deliver_s, 1),
            "smtplib_per_s": round(n / raw_s, 1), "ratio_vs_smtplib": round(deliver_s / raw_s, 2),
            "received": received}


def fanout_webhook(workdir: Path, n: int) -> dict:
    """The same fan-out to json:// webhooks (one receiver on 127.0.0.1, a path per subscriber)."""
    db = open_db(workdir / "fanout-json.db")
    with WebhookSink() as sink:
        store_provider(db, "SC123456")
        store_report(db, "1", "SC123456", inspection_date="2022-05-10", overall="good")
        detect.detect(db, baseline=True, now="2025-01-01T00:00:00+00:00")
        with db.atomic():
            for i in range(n):
                subscriptions.add(db, sink.url(f"reader{i}"), urns=["SC123456"],
                                  events="downgrade", now="2025-01-02T00:00:00+00:00")
        store_report(db, "2", "SC123456", inspection_date="2025-01-10", overall="inadequate")
        detect.detect(db, now="2025-02-01T00:00:00+00:00")
        outbox.enqueue(db, now="2025-02-01T00:00:00+00:00")
        start = time.perf_counter()
        counts = outbox.deliver_due(db, now="2025-02-01T00:00:00+00:00")
        deliver_s = time.perf_counter() - start
        sink.wait_for(n, timeout=60)
        received = len(sink.posts)
    db.conn.close()
    assert counts["sent"] == n and received == n, (counts, received)
    return {"subscriptions": n, "deliver_s": round(deliver_s, 2),
            "deliveries_per_s": round(n / deliver_s, 1), "received": received}


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
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--skip-webhook", action="store_true")
    parser.add_argument("--skip-detect", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ofsted-watch-bench-") as tmp:
        if not args.skip_fanout:
            print(json.dumps({"fanout": fanout(Path(tmp), args.subscriptions)}), flush=True)
        if not args.skip_webhook:
            print(json.dumps({"fanout_webhook": fanout_webhook(Path(tmp), args.subscriptions)}),
                  flush=True)
        if not args.skip_detect:
            print(json.dumps({"detection": detection(Path(tmp), args.reports)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
