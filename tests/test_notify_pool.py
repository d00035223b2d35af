"""notify.Sender: email through Apprise's own code with one TLS context and one SMTP connection
per worker; the server's refusal codes; an overall deadline per send. Real servers on 127.0.0.1:
aiosmtpd (plain and STARTTLS) and HTTP receivers."""
import datetime
import ipaddress
import ssl
import time

import pytest
from apprise.plugins.email import NotifyEmail

from monitor import notify
from monitor.message import Message
from servers import MailSink, TrickleSink

MESSAGE = Message(title="Downgraded to inadequate: children's home SC123456",
                  text="Overall: good → inadequate",
                  html="<p>Overall: good → <b>inadequate</b></p>",
                  markdown="Overall: good → **inadequate**", data={"urn": "SC123456"})


def upstream_send(url, msg=MESSAGE):
    """Apprise's email plugin exactly as it is, outside any Sender."""
    plugin = notify.plugin_for(url)
    body, body_format = notify.body_for(plugin, msg)
    return plugin.notify(title=msg.title, body=body, body_format=body_format)


def by_recipient(sink):
    return {tuple(rcpt): MailSink.fingerprint(msg) for msg, (_, rcpt)
            in zip(sink.messages, sink.envelopes)}


def test_pooled_email_is_the_message_apprise_sends_one_per_recipient(mail_sink):
    urls = [mail_sink.url("a@example.org,b@example.net"), mail_sink.url("c@example.org")]
    with notify.Sender() as sender:
        for url in urls:
            assert sender.send(url, MESSAGE) == (True, None)
        assert sender.smtp_connections == 1           # one connection for the whole batch
    assert mail_sink.wait_for(3)
    pooled = by_recipient(mail_sink)
    assert set(pooled) == {("a@example.org",), ("b@example.net",), ("c@example.org",)}

    with MailSink() as before:                         # the same URLs, Apprise unmodified
        for url in urls:
            assert upstream_send(url.replace(str(mail_sink.port), str(before.port)))
        assert before.wait_for(3)
        assert by_recipient(before) == pooled          # From, Subject, text and HTML parts
    parts = MailSink.parts(mail_sink.messages[0])
    assert set(parts) == {"text/plain", "text/html"} and "good → inadequate" in parts["text/plain"]


def test_apprise_is_untouched_outside_a_sender(mail_sink):
    url = mail_sink.url()
    with notify.Sender() as sender:
        assert sender.send(url, MESSAGE).ok
    plugin = notify.plugin_for(url)
    assert "send" not in vars(plugin) and type(plugin).send is NotifyEmail.send
    from apprise.plugins.email import base
    assert base.AppriseSMTPController.__module__ == "apprise.plugins.email.smtp"


def _tls_context(tmp_path):
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_starttls_builds_one_tls_context_and_one_connection_per_batch(tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller
    sink = MailSink()
    sink._controller = Controller(sink, hostname="127.0.0.1", port=sink.port,
                                  tls_context=_tls_context(tmp_path))
    sink._controller.start()
    made = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context",
                        lambda *a, **k: made.append(1) or real(*a, **k))
    try:
        urls = [sink.url(f"r{i}@example.org").replace("mode=insecure", "mode=starttls")
                + "&verify=no" for i in range(5)]
        with notify.Sender() as sender:
            for url in urls:
                assert sender.send(url, MESSAGE).ok
            assert sender.smtp_connections == 1
        assert len(made) == 1                       # one TLS context for the five
        for url in urls:                            # Apprise alone: one per message
            assert upstream_send(url)
        assert len(made) == 6
        assert sink.wait_for(10)
        assert len({MailSink.fingerprint(m) for m in sink.messages}) == 1
    finally:
        sink.stop()


def test_a_pooled_connection_the_server_closed_is_replaced(mail_sink):
    with notify.Sender() as sender:
        assert sender.send(mail_sink.url("a@example.org"), MESSAGE).ok
        mail_sink.stop()
        mail_sink.start()                           # same port: the old connection is dead
        assert sender.send(mail_sink.url("b@example.org"), MESSAGE).ok
        assert sender.smtp_connections == 2
    assert mail_sink.wait_for(2)


def test_refusals_keep_the_servers_code_and_only_the_domain(mail_sink):
    mail_sink.refuse = {"gone@example.org": "550 5.1.1 <gone@example.org>: mailbox unavailable",
                        "busy@example.net": "451 4.3.2 try again later"}
    with notify.Sender() as sender:
        gone = sender.send(mail_sink.url("gone@example.org"), MESSAGE)
        busy = sender.send(mail_sink.url("busy@example.net"), MESSAGE)
    ok, error = gone                                  # still unpacks as (ok, error)
    assert not ok and gone.code == 550 and gone.permanent and not gone.timed_out
    assert "550 5.1.1" in error and "mailbox unavailable" in error
    assert "…@example.org" in error
    assert "gone@example.org" not in error
    assert not busy.ok and busy.code == 451 and not busy.permanent
    assert "451 4.3.2 try again later" in busy.error and "busy@" not in busy.error
    assert mail_sink.messages == []


def test_a_trickling_webhook_is_cut_at_the_deadline():
    deadline = 1.0
    with TrickleSink(interval=0.4, total=30) as slow, notify.Sender(deadline=deadline) as sender:
        start = time.monotonic()
        outcome = sender.send(slow.url("hook"), MESSAGE)
        took = time.monotonic() - start
        assert slow.posts == 1                     # it was reached, and answered too slowly
    assert not outcome.ok and outcome.timed_out and not outcome.permanent
    assert "deadline" in outcome.error
    assert deadline <= took < 2.5 * deadline       # not the 4 s read timeout x every byte


def test_an_smtp_server_that_never_confirms_is_cut_at_the_deadline(mail_sink):
    deadline = 1.0
    mail_sink.hold.set()
    with notify.Sender(deadline=deadline) as sender:
        start = time.monotonic()
        outcome = sender.send(mail_sink.url(), MESSAGE)
        took = time.monotonic() - start
        mail_sink.hold.clear()
        assert sender.send(mail_sink.url("next@example.org"), MESSAGE).ok   # fresh connection
    assert not outcome.ok and outcome.timed_out and "deadline" in outcome.error
    assert took < 2.5 * deadline


def test_unusable_url_is_permanent():
    outcome = notify.Sender().send("nonsense://x", MESSAGE)
    assert not outcome.ok and outcome.permanent and outcome.error.startswith("notify URL")


@pytest.mark.parametrize("text,shown", [
    ("SMTP 550 <jane.doe+x@mail.example.co.uk> unknown", "SMTP 550 <…@mail.example.co.uk> unknown"),
    ("no address here", "no address here")])
def test_addresses_are_reduced_to_their_domain(text, shown):
    assert notify.hide_addresses(text) == shown


def test_destinations_name_servers_never_secrets():
    assert notify.destination("mailtos://me:Pa55@example.org?smtp=SMTP.Example.org&"
                              "to=a@b.org") == "mailtos://smtp.example.org"
    assert notify.destination("json://hook:T0ken@127.0.0.1:8080/x") == "json://127.0.0.1:8080"
    telegram = notify.destination("tgram://123456789:SecretBotToken/987")
    assert telegram.startswith("tgram://#") and "SecretBotToken" not in telegram
    assert telegram == notify.destination("tgram://123456789:SecretBotToken/555")


def test_an_http_refusal_keeps_its_status_and_is_retried(webhook_sink):
    webhook_sink.fail_with = 404
    outcome = notify.Sender().send(webhook_sink.url("hook"), MESSAGE)
    assert not outcome.ok and outcome.code == 404 and "404" in outcome.error
    assert not outcome.permanent          # only an SMTP 5xx is believed permanent


def test_webhooks_to_one_host_share_a_connection_and_never_a_cookie(webhook_sink):
    """A batch to many webhooks on one host reuses the sending thread's connection (Apprise's
    own json:// send, with its requests calls going through a keep-alive session), carries
    exactly Apprise's body, and never hands one subscriber's cookie to the next."""
    webhook_sink.set_cookie = "session=subscriber-one; Path=/"
    with notify.Sender() as sender:
        for n in range(5):
            assert sender.send(webhook_sink.url(f"reader{n}"), MESSAGE) == (True, None)
    assert webhook_sink.wait_for(5)
    assert webhook_sink.connections == 1
    assert webhook_sink.cookies == [None] * 5
    plugin = notify.plugin_for(webhook_sink.url("reader0"))
    body, body_format = notify.body_for(plugin, MESSAGE)
    assert plugin.notify(title=MESSAGE.title, body=body, body_format=body_format)  # upstream's
    assert webhook_sink.wait_for(6)
    assert webhook_sink.posts[5] == webhook_sink.posts[0]
    assert webhook_sink.connections == 2                    # outside a Sender: its own


def test_a_kept_connection_that_starts_to_trickle_is_cut_at_the_deadline():
    """The deadline also covers a connection reused from the batch's pool (no new socket for
    the audit hook to see): the second send, on the kept connection, is cut."""
    deadline = 1.0
    with TrickleSink(interval=0.4, total=30, prompt=1) as slow, \
            notify.Sender(deadline=deadline) as sender:
        assert sender.send(slow.url("first"), MESSAGE).ok
        start = time.monotonic()
        outcome = sender.send(slow.url("second"), MESSAGE)
        took = time.monotonic() - start
        assert slow.posts == 2
    assert not outcome.ok and outcome.timed_out
    assert deadline <= took < 2.5 * deadline


@pytest.mark.parametrize("url", [
    "mailto://user:secret@mail.example.org:587?to=a@example.org&from=alerts@example.org",
    "json://hook:token@127.0.0.1:8080/path/x?-X-Extra=1",
    "jsons://example.org/hooks/abc#frag",
    "form://example.org:8000/",
    "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
    "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
    "ntfy://ntfy.sh/topic",
])
def test_a_plugin_is_made_exactly_as_apprise_makes_it(url):
    """``plugin_for`` parses known schemes with the plugin class and hands Apprise the fields:
    the plugin is the one Apprise makes from the URL itself (same class, same URL back)."""
    import apprise
    ours, theirs = notify.plugin_for(url), apprise.Apprise.instantiate(url, asset=notify.ASSET)
    assert type(ours) is type(theirs)
    assert ours.url(privacy=False) == theirs.url(privacy=False)


def test_a_url_apprise_refuses_never_logs_its_password(caplog):
    """Apprise logs a refused plugin's fields as they are when given fields: ``plugin_for``
    holds those records back, and Apprise's own refusal of the URL (masked) is what is logged."""
    import logging
    caplog.set_level(logging.DEBUG, logger="apprise")
    with pytest.raises(notify.NotifyError):
        notify.plugin_for("mailto://someone:s3cretpw@b.c")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Could not load" in logged and "s3cretpw" not in logged
