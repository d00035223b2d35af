"""The public site in a real browser (headless system Chromium through Selenium) against a real
uvicorn server, over the history the real service records from the sandbox replica: a person
who never saw the CLI finds a home, reads its history, follows its feed."""
from __future__ import annotations

import re
import urllib.request

import feedparser
import pytest
from web_browser import LiveServer, chrome, require_browser, sandbox_history

URN = "2650001"   # the sandbox story: outstanding in 2021, inadequate in 2022


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    require_browser()
    from monitor.web.app import create_app
    db_path = sandbox_history(tmp_path_factory.mktemp("browser"))
    with LiveServer(create_app(db_path)) as server:
        yield server


@pytest.fixture(scope="module")
def browser(live):
    driver = chrome()
    yield driver
    driver.quit()


def test_find_a_home_read_its_history_and_follow_its_feed(live, browser):
    from selenium.webdriver.common.by import By

    browser.get(live.url + "/")
    assert "Know when an Ofsted rating changes" in browser.find_element(By.TAG_NAME, "h1").text
    # the search box is found by its label, as a screen reader user would
    label = browser.find_element(By.CSS_SELECTOR, "label[for='q-home']")
    assert "URN" in label.text
    box = browser.find_element(By.ID, label.get_attribute("for"))
    box.send_keys(URN)
    box.submit()
    assert browser.current_url == f"{live.url}/provider/{URN}"
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Children's home {URN}"
    facts = browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "Staffordshire" in facts and "West Midlands" in facts
    assert "Hollybank Childcare Ltd" in facts
    current = browser.find_element(By.CSS_SELECTOR, "section.current").text
    assert "inadequate" in current and "compliance notice" in current
    inspections = browser.find_elements(By.CSS_SELECTOR, "ol.timeline > li")
    assert [i.find_element(By.TAG_NAME, "h3").text.split(" Full")[0] for i in inspections] == [
        "30 August 2022", "14 September 2021"]
    assert re.search(r"outstanding →\s*(to\s*)?inadequate", inspections[0].text)
    assert "DOWNGRADE" in inspections[0].text.upper()
    assert "outstanding" in inspections[1].text
    chart = browser.find_element(By.CSS_SELECTOR, "svg.chart")
    assert chart.is_displayed() and chart.size["width"] > 200
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart g > .mark")) == 2

    # its feed: discoverable in the head, a visible link, valid Atom naming this home
    head = browser.find_element(By.CSS_SELECTOR,
                                "link[rel='alternate'][type='application/atom+xml']")
    feed_url = head.get_attribute("href")
    visible = browser.find_element(By.LINK_TEXT, "Atom feed")
    assert visible.get_attribute("href") == feed_url
    visible.click()
    assert URN in browser.page_source
    with urllib.request.urlopen(feed_url, timeout=10) as response:
        feed = feedparser.parse(response.read())
    assert not feed.bozo and feed.entries
    assert any(URN in e.title and "inadequate" in e.title for e in feed.entries)

    # the local authority page, reached from the provider page
    browser.get(f"{live.url}/provider/{URN}")
    browser.find_element(By.CSS_SELECTOR, "dl.facts").find_element(
        By.LINK_TEXT, "Staffordshire").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Staffordshire"
    rows = browser.find_elements(By.CSS_SELECTOR, "table.providers tbody tr")
    assert len(rows) == 3
    story = next(r for r in rows if URN in r.text)
    assert "inadequate" in story.text and "declined" in story.text

    # the owner page, reached from the local authority page
    story.find_element(By.LINK_TEXT, "Hollybank Childcare Ltd").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Hollybank Childcare Ltd"
    owned = browser.find_element(By.CSS_SELECTOR, "table.providers").text
    assert "2650001" in owned and "2650004" in owned and "Derbyshire" in owned


def test_pages_fit_a_320_pixel_screen(live, browser):
    from selenium.webdriver.common.by import By

    driver = browser
    try:  # a desktop window is at least 500 px wide: emulate a 320 px phone screen
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 320, "height": 800, "deviceScaleFactor": 1, "mobile": True})
        for path in ("/", f"/provider/{URN}", "/local-authority/staffordshire", "/events"):
            driver.get(live.url + path)
            inner = driver.execute_script("return window.innerWidth")
            assert inner <= 360, f"window is {inner}px wide"
            wide = driver.execute_script("return document.documentElement.scrollWidth")
            assert wide <= inner, f"{path} scrolls sideways at {inner}px ({wide}px wide)"
            assert driver.find_element(By.TAG_NAME, "h1").is_displayed()
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
