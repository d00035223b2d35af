"""The public journeys, in a real browser (headless system Chromium, Selenium) against the real
site on uvicorn, the sandbox replica of the reports site, the real cycle (crawl in a forked
child, detect, outbox) and a real SMTP server (aiosmtpd) that every email reaches through
Apprise:

1. A family opens ``/``, searches the home's URN, opens its page and signs up from its "Get
   alerts" box; confirms from the email; a downgrade of the home is published and the run
   delivers exactly one alert, with the footer and RFC 8058 unsubscribe headers; a one-click
   POST unsubscribes; the next run, with a new report of the same home, sends it nothing.
2. A council signs up from its local-authority page for a daily digest, and receives one digest
   that names the period it covers.
3. An address that never confirms gets its one confirmation email and nothing else, whatever is
   published.
"""
from __future__ import annotations

import re
import urllib.request
from datetime import date

import pytest
from conftest import forked_crawl
from servers import MailSink
from web_browser import LiveServer, chrome, require_browser

from monitor import outbox, sandbox, signups
from monitor.cycle import run_cycle
from monitor.schema import open_db

URN = sandbox.STORY_URN
FAMILY = "family@example.org"
COUNCIL = "commissioning@staffordshire.example.org"
STRANGER = "never-confirmed@example.net"
SECRET = "journey-test-secret-0123456789"


def cycle(db_path, site, tmp_path, backfill=False):
    result = run_cycle(str(db_path), base_url=site.base_url, pdf_dir=str(tmp_path / "pdfs"),
                       timeout=120, fast=True, crawl=forked_crawl, backfill=backfill)
    assert result.ok, result.summary
    return result


def links_in(message) -> list[str]:
    return re.findall(r"https?://\S+", MailSink.parts(message)["text/plain"])


def wait_for_heading(browser, text: str) -> None:
    """After a click that loads a page: wait until its h1 says ``text``."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(driver):
        # the old page's h1 can go stale between finding it and reading it: look again
        found = driver.find_elements(By.TAG_NAME, "h1")
        return bool(found) and found[0].text == text
    try:
        WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,)
                      ).until(ready)
    except TimeoutException:
        headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h1")]
        raise AssertionError(f"expected the heading {text!r}, got {headings}") from None


def sign_up(browser, email: str, digest: str = "immediate") -> None:
    from selenium.webdriver.common.by import By
    field = browser.find_element(By.ID, "email")
    field.send_keys(email)
    browser.find_element(By.ID, f"digest-{digest}").click()
    browser.find_element(By.CSS_SELECTOR, "form.signup button[type=submit]").click()
    wait_for_heading(browser, "Check your email")


def confirm(browser, message) -> None:
    from selenium.webdriver.common.by import By
    link = next(u for u in links_in(message) if "/confirm/" in u)
    browser.get(link)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Confirm your alerts"
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for_heading(browser, "Your alerts are on")


@pytest.fixture
def world(tmp_path):
    """The replica with its baseline recorded, the mailbox, the site, the browser."""
    require_browser()
    from crawler.replica import Replica
    from monitor.web.app import create_app
    site = Replica.from_file(sandbox.SITE_JSON)
    site.start()
    sink = MailSink().start()
    db_path = tmp_path / "watch.db"
    saved = dict(signups._configured)
    try:
        assert cycle(db_path, site, tmp_path).baseline
        app = create_app(db_path, datasette=False)
        server = LiveServer(app)
        config = signups.Settings(secret=SECRET, public_url=server.url,
                                  mail_url=sink.url().split("&to=")[0])
        app.state.signups = config
        signups.configure(**config.__dict__)     # what `run` reads (--mail-url and the env)
        with server:
            driver = chrome()
            try:
                yield {"site": site, "sink": sink, "db_path": db_path, "url": server.url,
                       "browser": driver}
            finally:
                driver.quit()
    finally:
        signups._configured.clear()
        signups._configured.update(saved)
        sink.stop()
        site.stop()


def test_subscribe_confirm_alert_unsubscribe_and_a_digest(world, tmp_path):
    from selenium.webdriver.common.by import By
    browser, sink, url = world["browser"], world["sink"], world["url"]

    # 1. the family: search the URN from the front page, open the home, sign up from its page
    browser.get(url + "/")
    box = browser.find_element(By.ID, "q-home")
    box.send_keys(URN)
    box.submit()
    assert browser.current_url == f"{url}/provider/{URN}"
    browser.find_element(By.CSS_SELECTOR, "aside.alerts a").click()
    assert browser.current_url == f"{url}/subscribe?urn={URN}"
    assert f"children's home {URN}" in browser.find_element(By.CSS_SELECTOR, ".lede").text
    assert browser.find_element(By.ID, "follow-urn").is_selected()
    assert browser.find_element(By.ID, "kind-published").is_selected()   # every new report
    sign_up(browser, FAMILY)
    assert sink.wait_for(1)
    (confirmation,) = sink.to(FAMILY)
    assert confirmation["Subject"] == "Confirm your ofsted-watch email alerts"
    assert confirmation["List-Unsubscribe"] is None        # not an alert

    # 3. (before anything is published) a stranger signs up and never confirms
    browser.get(f"{url}/subscribe?urn={URN}")
    sign_up(browser, STRANGER)
    assert sink.wait_for(2)

    # 2. the council: from its local authority's page, a daily digest
    browser.get(f"{url}/local-authority/staffordshire")
    browser.find_element(By.CSS_SELECTOR, "aside.alerts a").click()
    assert browser.find_element(By.ID, "follow-local_authority").is_selected()
    assert browser.find_element(By.ID, "local_authority").get_attribute("value") == \
        "Staffordshire"
    sign_up(browser, COUNCIL, digest="daily")
    assert sink.wait_for(3)

    confirm(browser, confirmation)
    confirm(browser, sink.to(COUNCIL)[0])
    db = open_db(world["db_path"])
    try:
        rows = {r["email"]: r for r in db["subscriptions"].rows_where("source = 'web'")}
        assert rows[FAMILY]["active"] == 1 and rows[COUNCIL]["active"] == 1
        assert rows[STRANGER]["active"] == 0 and rows[STRANGER]["confirmed_at"] is None
    finally:
        db.conn.close()

    # the story is published: outstanding → inadequate with a compliance notice
    for urn, report in sandbox.later_reports(published_on=date.today().isoformat()):
        world["site"].publish(urn, report)
    result = cycle(world["db_path"], world["site"], tmp_path)
    assert result.events and result.messages == 1, result.summary     # the family's alert
    assert sink.wait_for(4)
    (alert,) = [m for m in sink.to(FAMILY) if m is not confirmation]
    assert alert["Subject"] == ("Outstanding to inadequate in 11 months: children's home "
                                f"{URN} (Hollybank Childcare Ltd, Staffordshire)")
    text = MailSink.parts(alert)["text/plain"]
    assert "Overall: outstanding → inadequate" in text
    assert "Enforcement: compliance notice" in text
    assert f"{url}/provider/{URN}" in text
    assert "Why you got this: You asked for emails about children's home" in text
    assert re.search(r"Change what you get: http://\S+/manage/", text)
    html = MailSink.parts(alert)["text/html"]
    assert "Unsubscribe</a>" in html and "grade-inadequate" in html
    unsubscribe = alert["List-Unsubscribe"]
    assert re.fullmatch(rf"<{re.escape(url)}/unsubscribe/[\w.-]+>", unsubscribe)
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # the council's daily digest, sent when the digest job runs
    db = open_db(world["db_path"])
    try:
        assert outbox.send_digests(db, "daily") == 1
    finally:
        db.conn.close()
    assert sink.wait_for(5)
    (digest,) = [m for m in sink.to(COUNCIL) if "digest" in m["Subject"]]
    assert digest["Subject"].startswith("Daily digest, ")
    digest_text = MailSink.parts(digest)["text/plain"]
    assert "found between" in digest_text and "(UK time)" in digest_text
    assert f"Children's home {URN}" in digest_text
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # one-click unsubscribe, as a mail client does it (RFC 8058): a POST, no cookie, no form
    request = urllib.request.Request(unsubscribe.strip("<>"), data=b"List-Unsubscribe=One-Click",
                                     method="POST", headers={
                                         "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert "You have unsubscribed" in response.read().decode()

    # a new report of the same home is published: the next run sends the family nothing
    today = date.today().isoformat()
    report = dict(sandbox.later_reports(published_on=today)[0][1], file_id="91000199")
    world["site"].publish(URN, report)
    # (the same day as the home's last report: a walk of every provider page finds it)
    again = cycle(world["db_path"], world["site"], tmp_path, backfill=True)
    assert again.crawl["new_reports"] == 1 and again.messages == 0, again.summary
    db = open_db(world["db_path"])
    try:
        row = next(db["subscriptions"].rows_where("email = ?", [FAMILY]))
        assert row["active"] == 0
    finally:
        db.conn.close()
    assert len(sink.to(FAMILY)) == 2

    # whatever was published, the unconfirmed address got its confirmation and nothing else
    assert [m["Subject"] for m in sink.to(STRANGER)] == \
        ["Confirm your ofsted-watch email alerts"]
    assert len(sink.messages) == 5
