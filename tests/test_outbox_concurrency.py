"""Other writers at the same time: a second process holding a write transaction (a subscribe)
while deliver has sends on the wire, and two delivers at once. Deliver waits instead of
crashing with "database is locked", strands nothing, and every subscriber gets exactly one
message. Real processes, a real SQLite file, a real SMTP server on 127.0.0.1."""
import json
import os
import subprocess
import sys
import threading
from collections import Counter

from monitor import detect, outbox, subscriptions
from test_delivery import harmony_downgrade

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

HOLD_LOCK = """
import sys, time
from monitor.schema import open_db
from monitor import subscriptions
db = open_db(sys.argv[1])
with db.atomic():                       # a subscribe that keeps its write transaction open
    subscriptions.add(db, sys.argv[2], all=True)
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
print("done", flush=True)
"""

DELIVER = """
import json, sys
from monitor.schema import open_db
from monitor import outbox
counts = outbox.deliver_due(open_db(sys.argv[1]))
print(json.dumps({"rows": dict(counts), "messages": counts.messages}))
"""


def test_a_writer_holding_the_database_makes_deliver_wait_not_crash(
        db_path, db, put_report, put_provider, mail_sink, caplog):
    harmony_downgrade(put_report, put_provider)
    readers = [f"reader{i}@example.org" for i in range(12)]
    for address in readers:
        subscriptions.add(db, mail_sink.url(address), all=True)
    detect.detect(db)
    outbox.enqueue(db)
    db.execute("PRAGMA busy_timeout = 300")   # shorter than the lock: deliver must try again
    mail_sink.hold.set()                      # sends reach the server, confirmations wait
    locker = {}

    def interfere():
        assert mail_sink.wait_for(1, timeout=30)
        locker["proc"] = proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(db_path), mail_sink.url("late@example.org"),
             "2"], stdout=subprocess.PIPE, text=True, env=ENV)
        locker["first"] = proc.stdout.readline().strip()
        mail_sink.hold.clear()                # the results come back while the lock is held

    helper = threading.Thread(target=interfere)
    helper.start()
    counts = outbox.deliver_due(db)
    helper.join()
    locker["proc"].wait(timeout=30)
    assert locker["first"] == "locked" and locker["proc"].returncode == 0
    assert counts.messages["sent"] == 12 and counts["sent"] == 48
    assert sorted(r[0] for _, r in mail_sink.envelopes) == sorted(readers)
    statuses = Counter(r[0] for r in db.execute("select status from deliveries"))
    assert statuses == {"sent": 48}           # nothing stranded 'sending', nothing 'unknown'
    assert db.execute("select count(*) from subscriptions").fetchone()[0] == 13
    assert any("database busy" in r.getMessage() for r in caplog.records)   # it did wait


def test_two_delivers_at_once_send_each_message_exactly_once(
        db_path, db, put_report, put_provider, mail_sink):
    harmony_downgrade(put_report, put_provider)
    readers = [f"reader{i}@example.org" for i in range(40)]
    for address in readers:
        subscriptions.add(db, mail_sink.url(address), all=True)
    detect.detect(db)
    outbox.enqueue(db)
    db.conn.close()
    mail_sink.hold.set()
    procs = [subprocess.Popen([sys.executable, "-c", DELIVER, str(db_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=ENV) for _ in range(2)]
    try:
        # both are sending at once: more messages on the wire than one deliver's workers
        assert mail_sink.wait_for(outbox.SEND_WORKERS + 1, timeout=60)
    finally:
        mail_sink.hold.clear()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        results.append(json.loads(out))
    assert sum(r["messages"]["sent"] for r in results) == 40
    assert all(r["messages"]["sent"] > 0 for r in results)      # both took part
    assert sorted(r[0] for _, r in mail_sink.envelopes) == sorted(readers)   # each once
    from monitor.schema import open_db
    db = open_db(db_path)
    assert Counter(r[0] for r in db.execute("select status from deliveries")) == {"sent": 160}
    db.conn.close()
