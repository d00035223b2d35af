"""One slow subscriber cannot stall the others: every send has an overall deadline, a destination
holds at most its share of the workers, and a destination that overran is not tried again in the
same run. Real trickling webhooks and a real SMTP server on 127.0.0.1."""
import time

from monitor import detect, notify, outbox, subscriptions
from servers import TrickleSink
from test_delivery import T0, T1, harmony_downgrade

DEADLINE = 2.0


def _rows(db, url_like):
    return [dict(r) for r in db.query(
        "select d.status, d.attempts, d.last_error from deliveries d join subscriptions s "
        "on s.id = d.subscription_id where s.notify_url like ?", [url_like])]


def test_four_trickling_webhooks_delay_healthy_subscribers_by_one_deadline_at_most(
        db, put_report, put_provider, mail_sink, monkeypatch):
    monkeypatch.setattr(outbox, "SEND_WORKERS", 4)
    harmony_downgrade(put_report, put_provider)
    slow = [TrickleSink(interval=0.5, total=60).start() for _ in range(4)]
    try:
        for sink in slow:                       # subscribed first: they are sent first
            subscriptions.add(db, sink.url("hook"), all=True, now=T0)
        healthy = [f"reader{i}@example.org" for i in range(40)]
        for address in healthy:
            subscriptions.add(db, mail_sink.url(address), all=True, now=T0)
        arrivals = []
        mail_sink.on_message = lambda msg, rcpt: arrivals.append(time.monotonic())
        detect.detect(db, now=T1)
        outbox.enqueue(db, now=T1)
        start = time.monotonic()
        counts = outbox.deliver_due(db, now=T1, sender=notify.Sender(deadline=DEADLINE))
        took = time.monotonic() - start
    finally:
        for sink in slow:
            sink.stop()
    assert sorted(r[0] for _, (_, r) in zip(mail_sink.messages, mail_sink.envelopes)) == \
        sorted(healthy)
    # the four held every worker for one deadline at most; then the healthy went through
    assert max(arrivals) - start < 2 * DEADLINE
    assert took < 3 * DEADLINE
    assert counts.messages["sent"] == 40 and counts.messages["retrying"] == 4
    for row in _rows(db, "json://%"):
        assert row["status"] == "retry" and row["attempts"] == 1      # a failed attempt
        assert "deadline" in row["last_error"]                         # with its reason
    statuses = {r[0] for r in db.execute("select status from deliveries")}
    assert statuses == {"sent", "retry"}                               # never 'unknown'


def test_a_slow_destination_gets_its_share_and_the_rest_waits_for_the_next_run(
        db, put_report, put_provider, mail_sink, monkeypatch):
    monkeypatch.setattr(outbox, "SEND_WORKERS", 4)
    harmony_downgrade(put_report, put_provider)
    with TrickleSink(interval=0.5, total=60) as slow:
        for i in range(5):                      # five subscribers behind one slow host
            subscriptions.add(db, slow.url(f"hook{i}"), all=True, now=T0)
        for i in range(20):
            subscriptions.add(db, mail_sink.url(f"reader{i}@example.org"), all=True, now=T0)
        arrivals = []
        mail_sink.on_message = lambda msg, rcpt: arrivals.append(time.monotonic())
        detect.detect(db, now=T1)
        outbox.enqueue(db, now=T1)
        start = time.monotonic()
        counts = outbox.deliver_due(db, now=T1, sender=notify.Sender(deadline=DEADLINE))
        took = time.monotonic() - start
        # its share while the healthy were waiting (SEND_WORKERS - 1), one more after
        tried_messages = slow.posts
    assert tried_messages in (3, 4)
    assert len(mail_sink.messages) == 20
    assert min(arrivals) - start < DEADLINE     # a worker stayed free for the healthy ones
    assert took < 3 * DEADLINE
    rows = _rows(db, "json://%")
    tried = [r for r in rows if r["status"] == "retry"]
    waiting = [r for r in rows if r["status"] == "pending"]
    assert len(tried) == tried_messages * 4                      # 4 events per message
    assert len(waiting) == (5 - tried_messages) * 4
    assert all(r["attempts"] == 0 and "overran the send deadline" in r["last_error"]
               for r in waiting)
    assert counts.messages["deferred"] == 5 - tried_messages
    assert "deferred" in counts.describe()
