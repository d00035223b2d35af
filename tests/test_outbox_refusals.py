"""A refused send is a failed attempt with the server's reason, never 'unknown': an SMTP 4xx is
retried with backoff, a 5xx believed after a few tries. Summaries count messages and
subscribers. Real SMTP server (aiosmtpd) and webhook receiver on 127.0.0.1."""
from monitor import detect, outbox, subscriptions
from test_delivery import T0, T1, harmony_downgrade, later


def rows_of(db, address):
    return [dict(r) for r in db.query(
        "select d.status, d.attempts, d.last_error from deliveries d join subscriptions s "
        "on s.id = d.subscription_id where s.notify_url like ?", [f"%to={address}"])]


def test_refusals_are_retried_with_the_servers_reason_and_5xx_given_up(
        db, put_report, put_provider, mail_sink):
    mail_sink.refuse = {"gone@example.org": "550 5.1.1 <gone@example.org>: no such mailbox",
                        "busy@example.net": "451 4.3.2 greylisted, try again later"}
    harmony_downgrade(put_report, put_provider)
    for address in ("gone@example.org", "busy@example.net", "fine@example.org"):
        subscriptions.add(db, mail_sink.url(address), all=True, now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)

    counts = outbox.deliver_due(db, now=T1)
    assert counts == {"sent": 4, "retrying": 8, "failed": 0}            # delivery rows
    assert counts.messages == {"sent": 1, "retrying": 2, "failed": 0, "deferred": 0,
                              "cancelled": 0}
    gone, busy = rows_of(db, "gone@example.org"), rows_of(db, "busy@example.net")
    for row in gone:
        assert row["status"] == "retry" and row["attempts"] == 1
        assert "SMTP 550 5.1.1" in row["last_error"] and "no such mailbox" in row["last_error"]
        assert "…@example.org" in row["last_error"] and "gone@" not in row["last_error"]
    assert all("SMTP 451 4.3.2" in r["last_error"] and "busy@" not in r["last_error"]
               for r in busy)

    now = T1
    for attempt in (2, 3):                       # a 5xx is believed after PERMANENT_ATTEMPTS
        now = later(now, outbox.BACKOFF[attempt - 2])
        outbox.deliver_due(db, now=now)
    assert outbox.PERMANENT_ATTEMPTS == 3
    assert {(r["status"], r["attempts"]) for r in rows_of(db, "gone@example.org")} == \
        {("failed", 3)}
    assert all("550" in r["last_error"] for r in rows_of(db, "gone@example.org"))
    assert {(r["status"], r["attempts"]) for r in rows_of(db, "busy@example.net")} == \
        {("retry", 3)}                           # a 4xx keeps being retried with backoff

    mail_sink.refuse.clear()                     # greylisting over
    counts = outbox.deliver_due(db, now=later(now, outbox.BACKOFF[2]))
    assert counts.messages["sent"] == 1 and counts.subscribers["sent"] == 1
    assert [rcpt for _, rcpt in mail_sink.envelopes] == [["fine@example.org"],
                                                         ["busy@example.net"]]
    statuses = {r[0] for r in db.execute("select status from deliveries")}
    assert statuses == {"sent", "failed"}        # nothing 'unknown', nothing left 'sending'


def test_a_server_that_is_down_is_a_retry_not_unknown(db, put_report, put_provider):
    from servers import MailSink
    down = MailSink()
    harmony_downgrade(put_report, put_provider)
    subscriptions.add(db, down.url("family@example.org"), all=True, now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    counts = outbox.deliver_due(db, now=T1)
    assert counts == {"sent": 0, "retrying": 4, "failed": 0}
    (error,) = {r[0] for r in db.execute("select last_error from deliveries")}
    assert "could not connect" in error and "Connection refused" in error


def test_summaries_count_messages_and_subscribers(db, put_report, put_provider, mail_sink,
                                                  webhook_sink):
    harmony_downgrade(put_report, put_provider)
    put_provider("SC654321")
    put_report("SC654321-a", "SC654321", inspection_date="2024-06-20", overall="inadequate")
    subscriptions.add(db, mail_sink.url("family@example.org"), urns=["SC123456"], now=T0)
    subscriptions.add(db, webhook_sink.url("la"), local_authority="Staffordshire", now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    counts = outbox.deliver_due(db, now=T1)
    # rows: every event of a report to each subscription that wants it (4 + 4 + 1 here)
    assert counts["sent"] == db.execute("select count(*) from deliveries").fetchone()[0] > 3
    assert counts.messages["sent"] == 3              # one per report per subscriber
    assert counts.subscribers["sent"] == 2
    assert counts.describe().startswith("3 messages sent (2 subscribers)")
    assert len(mail_sink.messages) == 1 and webhook_sink.wait_for(2)
