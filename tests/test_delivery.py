"""Delivery through Apprise to real receivers on 127.0.0.1: an SMTP server (aiosmtpd) reached
with mailto://, and a JSON webhook reached with json://. Outbox: retry, exactly once, digests."""
import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from monitor import detect, notify, outbox, subscriptions
from monitor.cli import main
from monitor.schema import open_db
from servers import MailSink

T0 = "2025-01-01T09:00:00+00:00"
T1 = "2025-02-01T09:00:00+00:00"


def later(now: str, seconds: int) -> str:
    return (datetime.fromisoformat(now) + timedelta(seconds=seconds)).isoformat()


def harmony_downgrade(put_report, put_provider, urn="SC123456"):
    put_provider(urn)
    put_report(f"{urn}-a", urn, inspection_date="2022-05-10", overall="good",
               judgements={"help_and_protection": "good", "leaders_and_managers": "good"})
    put_report(f"{urn}-b", urn, inspection_date="2024-06-11", overall="inadequate",
               publication_date="2024-07-02",
               judgements={"help_and_protection": "inadequate",
                           "leaders_and_managers": "requires_improvement"},
               enforcement=["compliance_notice"])


def statuses(db):
    return sorted(r[0] for r in db.execute("select status from deliveries"))


def test_email_and_webhook_receive_one_message_per_report(db, put_report, put_provider,
                                                          mail_sink, webhook_sink):
    harmony_downgrade(put_report, put_provider)
    subscriptions.add(db, mail_sink.url("family@example.org"), urns=["SC123456"], now=T0)
    subscriptions.add(db, webhook_sink.url("alerts"), local_authority="Staffordshire", now=T0)
    detect.detect(db, now=T1)
    # 4 events x 2 subscriptions, and the family's URN subscription (``published`` by default)
    # also hears that the report was published: still one message each
    assert outbox.enqueue(db, now=T1) == 9
    assert outbox.deliver_due(db, now=T1) == {"sent": 9, "retrying": 0, "failed": 0}
    assert mail_sink.wait_for(1) and webhook_sink.wait_for(1)
    assert len(mail_sink.messages) == 1 and len(webhook_sink.posts) == 1

    title = ("Downgraded to inadequate: children's home SC123456 "
             "(Harmony Childcare Ltd, Staffordshire)")
    mail = mail_sink.messages[0]
    assert mail["Subject"] == title
    assert mail_sink.envelopes[0][1] == ["family@example.org"]
    parts = MailSink.parts(mail)
    assert set(parts) == {"text/plain", "text/html"}
    for body in parts.values():
        assert "good → inadequate" in body
        assert "good → requires improvement to be good" in body
        assert "compliance notice" in body
        assert "11 June 2024" in body and "2 July 2024" in body and "10 May 2022" in body
        assert "https://files.ofsted.gov.uk/v1/file/SC123456-b" in body
        assert "https://reports.ofsted.gov.uk/provider/44/SC123456" in body
    assert '<a href="https://files.ofsted.gov.uk/v1/file/SC123456-b">' in parts["text/html"]

    post = webhook_sink.posts[0]
    assert post["title"] == title
    data = json.loads(post["message"])          # a JSON webhook receives the event as data
    assert {"area": "overall", "label": "Overall", "old": "good", "new": "inadequate"} \
        in data["areas"]
    assert data["urn"] == "SC123456" and data["enforcement"] == ["compliance_notice"]
    assert data["url"] == "https://files.ofsted.gov.uk/v1/file/SC123456-b"

    # running again sends nothing more: the same event never reaches a subscription twice
    assert outbox.enqueue(db, now=T1) == 0
    assert outbox.deliver_due(db, now=later(T1, 3600))["sent"] == 0
    assert len(mail_sink.messages) == 1 and len(webhook_sink.posts) == 1


def test_smtp_down_then_up_is_delivered_exactly_once_later(db, put_report, put_provider):
    sink = MailSink()                                # not started: the server is down
    harmony_downgrade(put_report, put_provider)
    subscriptions.add(db, sink.url("newsroom@example.org"), all=True, now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    first = outbox.deliver_due(db, now=T1)
    assert first == {"sent": 0, "retrying": 4, "failed": 0}
    row = db.execute("select attempts, last_error, next_attempt_at from deliveries").fetchone()
    assert row[0] == 1 and row[1] and row[2] == later(T1, outbox.BACKOFF[0])
    with sink:
        # not due yet: backoff is respected
        assert outbox.deliver_due(db, now=later(T1, 10))["sent"] == 0
        assert outbox.deliver_due(db, now=later(T1, 61)) == {"sent": 4, "retrying": 0,
                                                             "failed": 0}
        assert sink.wait_for(1)
        assert outbox.deliver_due(db, now=later(T1, 7200))["sent"] == 0
    assert len(sink.messages) == 1
    assert statuses(db) == ["sent"] * 4


def test_failure_text_is_recorded_without_secrets(db, put_report, put_provider, webhook_sink,
                                                  mail_sink):
    harmony_downgrade(put_report, put_provider)
    webhook_sink.fail_with = 500
    hook_url = webhook_sink.url("alerts", token="T0kenSecretXYZ")
    mail_url = mail_sink.url("x@example.org", user="alerts", password="Pa55wordSecret")
    subscriptions.add(db, hook_url, all=True, now=T0)
    subscriptions.add(db, mail_url, all=True, now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    assert outbox.deliver_due(db, now=T1)["retrying"] == 8
    errors = [r[0] for r in db.execute("select last_error from deliveries")]
    assert all(errors)
    joined = " ".join(errors)
    assert "T0kenSecretXYZ" not in joined and "Pa55wordSecret" not in joined
    assert "500" in joined                                   # Apprise's own reason is kept
    assert "T0kenSecretXYZ" not in notify.redact(hook_url)
    assert "Pa55wordSecret" not in notify.redact(mail_url)


def test_gives_up_after_max_attempts(db, put_report, put_provider, webhook_sink):
    harmony_downgrade(put_report, put_provider)
    webhook_sink.fail_with = 503
    subscriptions.add(db, webhook_sink.url(), all=True, events="enforcement", now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    now = T1
    for _ in range(outbox.MAX_ATTEMPTS):
        counts = outbox.deliver_due(db, now=now)
        now = later(now, outbox.BACKOFF[-1])
    assert counts == {"sent": 0, "retrying": 0, "failed": 1}
    assert statuses(db) == ["failed"]


def test_crash_mid_send_is_never_resent_blindly(db_path, put_report, put_provider, db):
    """A real crash: a `deliver` process is killed while the SMTP server has the message but has
    not confirmed it. The delivery is then `unknown`, not sent a second time."""
    with MailSink() as sink:
        harmony_downgrade(put_report, put_provider)
        subscriptions.add(db, sink.url("family@example.org"), all=True)
        detect.detect(db)
        db.conn.close()
        sink.hold.set()
        proc = subprocess.Popen(
            [sys.executable, "-c", "from monitor.cli import main; main()", "deliver",
             "--db", str(db_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        try:
            assert sink.wait_for(1, timeout=60)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        sink.hold.clear()
        db = open_db(db_path)
        assert statuses(db) == ["sending"] * 4
        soon = datetime.now(timezone.utc) + timedelta(seconds=outbox.STALE_SENDING + 60)
        counts = outbox.deliver_due(db, now=soon.isoformat(timespec="seconds"))
        assert counts == {"sent": 0, "retrying": 0, "failed": 0, "unknown": 4}
        assert statuses(db) == ["unknown"] * 4
        assert len(sink.messages) == 1
        listed = CliRunner().invoke(main, ["subscriptions", "--db", str(db_path)])
        assert "4 unknown" in listed.output
        # an operator who checked the mailbox may choose to send it again
        assert outbox.resend_unknown(db, now=soon.isoformat()) == 4
        assert outbox.deliver_due(db, now=soon.isoformat())["sent"] == 4
        assert sink.wait_for(2) and len(sink.messages) == 2
        db.conn.close()


def test_daily_digest_is_one_message_for_the_period(db, put_report, put_provider, mail_sink):
    harmony_downgrade(put_report, put_provider, "SC300001")
    put_provider("SC300002", owner="Other Care Ltd")
    put_report("SC300002-a", "SC300002", inspection_date="2024-06-20", overall="inadequate",
               owner="Other Care Ltd")
    subscriptions.add(db, mail_sink.url("la@example.org"), local_authority="Staffordshire",
                      digest="daily", now=T0)
    subscriptions.add(db, mail_sink.url("weekly@example.org"), all=True, digest="weekly",
                      now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    assert outbox.deliver_due(db, now=T1)["sent"] == 0         # held for the digest
    assert outbox.send_digests(db, "daily", now=later(T1, 3600)) == 1
    assert mail_sink.wait_for(1)
    (digest,) = mail_sink.to("la@example.org")
    assert digest["Subject"] == "Ofsted daily digest: 2 reports with changes, 2 serious"
    text = MailSink.parts(digest)["text/plain"]
    assert "Downgraded to inadequate: children's home SC300001" in text
    assert "Rated inadequate: children's home SC300002 (Other Care Ltd, Staffordshire)" in text
    assert mail_sink.to("weekly@example.org") == []
    assert outbox.send_digests(db, "daily", now=later(T1, 90000)) == 0   # nothing new
    assert outbox.send_digests(db, "weekly", now=later(T1, 90000)) == 1
    assert mail_sink.wait_for(2) and len(mail_sink.messages) == 2


def test_failed_digest_is_retried_as_a_digest(db, put_report, put_provider):
    sink = MailSink()
    harmony_downgrade(put_report, put_provider)
    subscriptions.add(db, sink.url("la@example.org"), all=True, digest="daily", now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    assert outbox.send_digests(db, "daily", now=T1) == 0       # server down
    with sink:
        assert outbox.deliver_due(db, now=later(T1, 120))["sent"] == 4
        assert sink.wait_for(1)
    assert sink.messages[0]["Subject"].startswith("Ofsted daily digest: 1 report")


def test_notify_test_command(mail_sink):
    runner = CliRunner()
    ok = runner.invoke(main, ["notify-test", mail_sink.url("me@example.org")])
    assert ok.exit_code == 0, ok.output
    assert mail_sink.wait_for(1)
    assert mail_sink.messages[0]["Subject"] == "ofsted-watch test message"
    down = MailSink()
    bad = runner.invoke(main, ["notify-test", down.url("me@example.org", user="u",
                                                       password="Hidd3nPass")])
    assert bad.exit_code == 1
    assert "failed" in bad.output and "Hidd3nPass" not in bad.output
    assert "Traceback" not in bad.output
