"""The email itself: subject, words, escaping, the written plain-text part, digests, and what
each web subscriber's copy carries — sent through Apprise to a real SMTP server (aiosmtpd)."""
from __future__ import annotations

import json
import re

import pytest
from conftest import store_report
from email_samples import PUBLIC_URL, URN, alert, digest, story_groups
from servers import MailSink

from monitor import mail_render, message, outbox, signups
from monitor.notify import Sender
from monitor.schema import open_db

NASTY = "<script>alert('x')</script> & \"Care\" <b>Ltd</b>"


@pytest.mark.parametrize("earlier, later, words", [
    ("2021-09-14", "2022-08-30", "in 11 months"),
    ("2021-09-14", "2021-10-13", "within a month"),
    ("2021-09-14", "2021-10-14", "in 1 month"),
    ("2020-01-10", "2023-04-10", "in 3 years 3 months"),
    ("2020-01-10", "2022-01-10", "in 2 years"),
])
def test_how_fast(earlier, later, words):
    assert mail_render.span_words(mail_render.months_between(earlier, later)) == words


def test_the_subject_says_how_far_and_how_fast(tmp_path):
    msg = alert(tmp_path / "w.db")
    assert msg.title == ("Outstanding to inadequate in 11 months: children's home 2650001 "
                         "(Hollybank Childcare Ltd, Staffordshire)")
    text = msg.email_text
    for line in ("Overall: outstanding → inadequate",
                 "How well children are helped and protected: outstanding → inadequate",
                 "Enforcement: compliance notice", "Owner: Hollybank Childcare Ltd",
                 "Local authority: Staffordshire",
                 "Inspected: 30 August 2022 (previous graded inspection 14 September 2021)",
                 f"This children's home's history: {PUBLIC_URL}/provider/{URN}",
                 "Read the report (PDF): https://files.ofsted.gov.uk/v1/file/91000102",
                 f"Change what you get: {PUBLIC_URL}/manage/EXAMPLE-TOKEN",
                 f"Unsubscribe: {PUBLIC_URL}/unsubscribe/EXAMPLE", "Why you got this: "):
        assert line in text, line
    html = msg.html
    # grade words written out, colour a second cue: the class and an inlined style beside them
    assert re.search(r'<span class="grade grade-inadequate" style="[^"]*#b0261c[^"]*">'
                     r'inadequate</span>', html)
    assert "<style>" in html and "@media (max-width: 480px)" in html   # narrow screens
    assert f'href="{PUBLIC_URL}/provider/{URN}"' in html
    assert "Enforcement named in this report:</strong> compliance notice" in html
    assert not any(p in html + text for p in mail_render.PLACEHOLDERS.values())


def test_enforcement_is_always_shown(tmp_path):
    groups = story_groups(tmp_path / "w.db")
    other = next(g for g in groups if g.urn == "2650004")
    msg = mail_render.alert(other, public_url=PUBLIC_URL)
    assert msg.title.startswith("Good to requires improvement to be good in 7 months: ")
    assert "Enforcement: none named in this report" in msg.email_text
    assert "none named in this report" in msg.html
    assert "Effectiveness of leaders and managers: good (no change)" in msg.email_text


def test_text_from_a_report_is_escaped_and_bad_links_dropped(tmp_path):
    db_path = tmp_path / "w.db"
    groups = story_groups(db_path, owner=NASTY)
    db = open_db(db_path)
    db.execute("update providers set page_url = 'javascript:alert(1)' where urn = ?", [URN])
    db.conn.commit()
    group = message.load_groups(db, [e["id"] for g in groups if g.urn == URN
                                     for e in g.events])[0]
    db.conn.close()
    msg = mail_render.alert(group, public_url=PUBLIC_URL)
    assert "<script>" not in msg.html and "<b>Ltd" not in msg.html
    assert "&lt;script&gt;alert(" in msg.html and "&lt;b&gt;Ltd&lt;/b&gt;" in msg.html
    assert "javascript:" not in msg.html and "javascript:" not in msg.email_text
    assert NASTY in msg.email_text          # plain text is text: shown as it is
    personal = signups.Personal(why=f"about every provider run by {NASTY}",
                                manage="https://x.example/manage/t", unsubscribe="https://x/u")
    mine = mail_render.personalise(msg, personal)
    assert "<script>" not in mine.html and NASTY in mine.email_text


def test_a_digest_names_its_period_and_groups_by_provider(tmp_path):
    msg = digest(tmp_path / "w.db")
    assert msg.title == ("Daily digest, 2 to 3 December 2026: 2 reports about 2 providers, "
                         "1 serious")
    text = msg.email_text
    assert ("found between 08:00 on 2 December 2026 and 08:00 on 3 December 2026 (UK time)"
            in text)
    # serious first, each provider once with its reports under it
    assert text.index("==== Children's home 2650001") < text.index("==== Children's home "
                                                                   "2650004")
    assert text.count("==== Children's home 2650001") == 1
    assert msg.data["period"]["name"] == "Daily digest, 2 to 3 December 2026"
    assert len(msg.data["reports"]) == 2
    weekly = mail_render.period_words("weekly", "2026-11-30T08:00:00+00:00",
                                      "2026-12-07T08:00:00+00:00")[0]
    assert weekly == "Weekly digest, 30 November to 7 December 2026"


def test_the_plain_text_part_is_the_written_one(tmp_path, mail_sink):
    """Through Apprise's email plugin (the pooled send): an EmailMessage's text/plain part is
    its own text, with every link; an operator's message is exactly as before (Apprise's
    conversion of the HTML)."""
    msg = alert(tmp_path / "w.db")
    url = signups.send_url(mail_sink.url().split("&to=")[0], "family@example.org",
                           f"{PUBLIC_URL}/unsubscribe/T0KEN")
    plain = message.render(story_groups(tmp_path / "o.db")[0])
    with Sender() as sender:
        assert sender.send(url, msg).ok
        assert sender.send(mail_sink.url("desk@example.org"), plain).ok
    assert mail_sink.wait_for(2)
    mine, theirs = mail_sink.to("family@example.org")[0], mail_sink.to("desk@example.org")[0]
    parts = MailSink.parts(mine)
    def same(a, b):
        return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
    assert same(parts["text/plain"], msg.email_text)
    assert same(parts["text/html"], msg.html)
    assert mine["Subject"] == msg.title
    assert mine["List-Unsubscribe"] == f"<{PUBLIC_URL}/unsubscribe/T0KEN>"
    assert mine["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    from apprise import NotifyFormat
    from apprise.conversion import convert_between
    assert same(MailSink.parts(theirs)["text/plain"],
                convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, plain.html))
    assert theirs["List-Unsubscribe"] is None


def _web_subscriber(db, email: str, nonce: str, filters=None) -> int:
    return db["subscriptions"].insert({
        "name": "web sign-up", "source": "web", "email": email, "notify_url": None,
        "filters": json.dumps(filters or {"urns": [URN]}), "events": "downgrade,enforcement",
        "digest": None, "created_at": "2026-12-01T00:00:00+00:00", "active": 1,
        "confirmed_at": "2026-12-01T00:00:00+00:00", "token_nonce": nonce}).last_pk


def test_each_web_subscriber_gets_its_own_links_from_one_rendering(tmp_path, mail_sink):
    db_path = tmp_path / "w.db"
    story_groups(db_path)
    db = open_db(db_path)
    outbox.enqueue(db)             # the story is old news: fanned out before anyone subscribed
    people = [f"p{n}@example.org" for n in range(3)]
    ids = [_web_subscriber(db, address, f"nonce{n}") for n, address in enumerate(people)]
    db.conn.commit()
    store_report(db, "91000103", URN, inspection_date="2023-05-02", overall="inadequate",
                 judgements={"help_and_protection": "inadequate"},
                 enforcement=["suspension"], publication_date="2026-12-04",
                 owner="Hollybank Childcare Ltd")
    from monitor import detect
    assert detect.detect(db, now="2026-12-04T07:00:00+00:00")
    assert outbox.enqueue(db, now="2026-12-04T07:00:00+00:00") >= 3
    config = signups.Settings(secret="email-test-secret-0123456789", public_url=PUBLIC_URL,
                              mail_url=mail_sink.url().split("&to=")[0])
    signups.configure(**config.__dict__)
    try:
        counts = outbox.deliver_due(db, now="2026-12-04T07:00:01+00:00")
    finally:
        signups._configured.clear()
        db.conn.close()
    assert counts.messages["sent"] == 3
    assert mail_sink.wait_for(3)
    got = {address: mail_sink.to(address) for address in people}
    assert all(len(messages) == 1 for messages in got.values())
    headers = {m[0]["List-Unsubscribe"] for m in got.values()}
    assert len(headers) == 3                       # a token per subscriber
    for n, (sub_id, (msg,)) in enumerate(zip(ids, got.values())):
        token = msg["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
        assert signups.read_token(config, "unsubscribe", token) == (sub_id, f"nonce{n}")
    # otherwise the same email: one rendering, personal parts filled in
    texts = {re.sub(r"/(manage|unsubscribe)/\S+", "", MailSink.parts(m[0])["text/plain"])
             for m in got.values()}
    assert len(texts) == 1
    assert "Enforcement: suspension" in texts.pop()


def test_without_public_email_settings_a_web_subscriber_waits(tmp_path, monkeypatch):
    for name in ("OFSTED_WATCH_MAIL_URL", "OFSTED_WATCH_SECRET", "OFSTED_WATCH_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    db_path = tmp_path / "w.db"
    story_groups(db_path)
    db = open_db(db_path)
    outbox.enqueue(db)
    _web_subscriber(db, "family@example.org", "n1")
    db.conn.commit()
    store_report(db, "91000103", URN, inspection_date="2023-05-02", overall="inadequate",
                 judgements={"help_and_protection": "inadequate"},
                 enforcement=["suspension"], publication_date="2026-12-04",
                 owner="Hollybank Childcare Ltd")
    from monitor import detect
    detect.detect(db, now="2026-12-04T07:00:00+00:00")
    outbox.enqueue(db, now="2026-12-04T07:00:00+00:00")
    counts = outbox.deliver_due(db, now="2026-12-04T07:00:01+00:00")
    assert counts["retrying"] >= 1 and counts["failed"] == 0
    error = db.execute("select last_error from deliveries where status = 'retry'").fetchone()[0]
    db.conn.close()
    assert "OFSTED_WATCH_MAIL_URL" in error and "family@" not in error


def test_the_email_fits_a_mail_client_and_a_phone(tmp_path):
    """The alert's HTML in Chromium at a desktop mail client's width and phones': no sideways
    scrolling, the grade words and both buttons visible."""
    from web_browser import chrome, require_browser
    require_browser()
    from selenium.webdriver.common.by import By
    page = tmp_path / "alert.html"
    page.write_text(alert(tmp_path / "w.db").html)
    driver = chrome()
    try:
        for width in (600, 360, 320):
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500})
            driver.get(page.as_uri())
            inner = driver.execute_script("return window.innerWidth")
            wide = driver.execute_script("return document.documentElement.scrollWidth")
            assert inner == width and wide <= inner, f"{wide}px wide at {inner}px"
            grades = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "span.grade")]
            assert grades[:2] == ["outstanding", "inadequate"]
            buttons = driver.find_elements(By.CSS_SELECTOR, "a.button")
            assert [b.text for b in buttons] == ["Read the report (PDF)",
                                                 "See this children's home's history"]
            assert all(b.is_displayed() and b.size["width"] <= width for b in buttons)
    finally:
        driver.quit()


def test_no_address_in_a_log_line(tmp_path, mail_sink, caplog):
    """`serve` logs at INFO, where Apprise names each recipient: only the domain is kept."""
    import logging
    caplog.set_level(logging.INFO)
    with Sender() as sender:
        assert sender.send(mail_sink.url("secret.person@example.org"),
                           message.test_message()).ok
    apprise_lines = [r.getMessage() for r in caplog.records if r.name.startswith("apprise")]
    assert any("…@example.org" in line for line in apprise_lines), apprise_lines
    assert not any("secret.person" in line for line in apprise_lines)
