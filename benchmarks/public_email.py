"""Public email subscribers at scale: what the personal email costs beside an operator's.

    python benchmarks/public_email.py                 # 1,000 subscribers of each kind
    python benchmarks/public_email.py --subscribers 200

One downgrade (the sandbox story, stored through the project's write path) fanned out by the
real outbox, through Apprise, to an aiosmtpd server on 127.0.0.1 in its own process:

* **web subscribers** — N confirmed sign-ups (``source = 'web'``): each message is the public
  email (HTML + written text, rendered once with placeholders) with the subscriber's own signed
  manage and unsubscribe links filled in, sent with the operator's mail URL + the recipient +
  RFC 8058 headers;
* **baseline, same run, same server** — N operator subscriptions (``mailto://...?to=``), one
  shared ``message.render`` message, as before this issue.

Also, in-process: rendering the public alert once vs filling one subscriber's personal parts.
Every subscriber must receive exactly one message, and every web subscriber's unsubscribe
header must name its own subscription.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# this folder's extract.py must not stand in for the extract package
sys.path[:] = [entry for entry in sys.path
               if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from email_samples import URN, story_groups  # noqa: E402

from monitor import mail_render, message, outbox, signups  # noqa: E402
from monitor.schema import open_db  # noqa: E402

SECRET = "benchmark-secret-0123456789abcdef"
PUBLIC_URL = "https://ofsted-watch.example.org"


def sink(log: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "servers.py"), "smtp",
                             "--log", str(log)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def fan_out(folder: Path, n: int, port: int, web: bool) -> float:
    """Seconds for enqueue + deliver_due of one downgrade to ``n`` subscribers."""
    from conftest import store_report
    db_path = folder / ("web.db" if web else "cli.db")
    story_groups(db_path)
    db = open_db(db_path)
    outbox.enqueue(db)                     # the story is old news to these subscribers
    rows = []
    for i in range(n):
        address = f"s{i}@example.org"
        base = {"filters": json.dumps({"urns": [URN]}), "events": "downgrade,enforcement",
                "created_at": "2026-12-03T08:00:00+00:00", "active": 1}
        if web:
            rows.append({**base, "name": "web sign-up", "source": "web", "email": address,
                         "confirmed_at": base["created_at"], "token_nonce": f"n{i}"})
        else:
            rows.append({**base, "name": None, "notify_url":
                         f"mailto://127.0.0.1:{port}?smtp=127.0.0.1&mode=insecure"
                         f"&from=alerts@example.org&to={address}"})
    db["subscriptions"].insert_all(rows, alter=True)
    db.conn.commit()
    store_report(db, "91000103", URN, inspection_date="2023-05-02", overall="inadequate",
                 judgements={"help_and_protection": "inadequate"}, enforcement=["suspension"],
                 publication_date="2026-12-04", owner="Hollybank Childcare Ltd")
    from monitor import detect
    detect.detect(db, now="2026-12-04T07:00:00+00:00")
    start = time.perf_counter()
    outbox.enqueue(db, now="2026-12-04T07:00:00+00:00")
    counts = outbox.deliver_due(db, now="2026-12-04T07:00:01+00:00")
    seconds = time.perf_counter() - start
    db.conn.close()
    assert counts.messages["sent"] == n, counts.describe()
    return seconds


def render_costs(folder: Path, repeat: int = 200) -> dict:
    groups = story_groups(folder / "render.db")
    group = next(g for g in groups if g.urn == URN)
    config = signups.Settings(secret=SECRET, public_url=PUBLIC_URL)
    start = time.perf_counter()
    for _ in range(repeat):
        rendered = mail_render.alert(group, public_url=PUBLIC_URL)
    once = (time.perf_counter() - start) / repeat
    start = time.perf_counter()
    for i in range(repeat):
        row = {"id": i, "token_nonce": "abcdefgh"}
        mail_render.personalise(rendered, signups.Personal(
            "why", signups.link(config, "manage", row), signups.link(config, "unsubscribe", row)))
    fill = (time.perf_counter() - start) / repeat
    start = time.perf_counter()
    for _ in range(repeat):
        message.render(group)
    plain = (time.perf_counter() - start) / repeat
    return {"render_public_ms": round(once * 1000, 2), "personalise_ms": round(fill * 1000, 3),
            "operator_message_ms": round(plain * 1000, 3),
            "personalise_vs_render": round(fill / once, 3)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "smtp.jsonl"
        proc, port = sink(log)
        try:
            signups.configure(secret=SECRET, public_url=PUBLIC_URL,
                              mail_url=f"mailto://127.0.0.1:{port}?smtp=127.0.0.1"
                                       f"&mode=insecure&from=alerts@example.org")
            operator_s = fan_out(folder, args.subscribers, port, web=False)
            web_s = fan_out(folder, args.subscribers, port, web=True)
            time.sleep(1.0)
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)
        received = [json.loads(line) for line in log.read_text().splitlines()]
        per_address = {}
        for record in received:
            for rcpt in record["rcpt"]:
                per_address[rcpt] = per_address.get(rcpt, 0) + 1
        assert len(received) == 2 * args.subscribers, len(received)
        assert set(per_address.values()) == {2}          # once as operator, once as web
        result = {
            "subscribers": args.subscribers,
            "operator_per_s": round(args.subscribers / operator_s, 1),
            "web_per_s": round(args.subscribers / web_s, 1),
            "web_vs_operator": round(operator_s / web_s, 2),
            **render_costs(folder),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
