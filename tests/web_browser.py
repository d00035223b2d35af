"""Helpers for the web site's browser tests: the sandbox history made by the real service, the
site on a real uvicorn server on 127.0.0.1, and headless system Chromium driven by Selenium."""
from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from servers import free_port

CHROMIUM = os.environ.get("OFSTED_WATCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("OFSTED_WATCH_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-extensions", "--disable-sync",
                "--metrics-recording-only", "--mute-audio"]


def have_browser() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def require_browser() -> None:
    """Skip (with the reason) when Chromium is absent on a developer's machine; in CI
    (``CI=true``) a missing browser is a failure, never a skip."""
    if have_browser():
        return
    why = f"needs system Chromium and chromedriver ({CHROMIUM}, {CHROMEDRIVER}): " \
          f"apt-get install chromium chromium-driver"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(why)
    pytest.skip(why)


def sandbox_history(folder: Path, *, story_as_news: bool = False) -> Path:
    """The demo's story recorded by the real service from the sandbox replica: every report,
    the downgrade included, crawled, read and compared in one cycle (the first run: its events
    are history). ``story_as_news``: as the demo tells it instead, a baseline first, then the
    downgrade published and found by a second cycle (twice as long). Returns the database."""
    from crawler.replica import Replica
    from monitor import sandbox
    from monitor.cycle import run_cycle

    db_path = folder / "ofsted-watch.db"
    site = Replica.from_file(sandbox.SITE_JSON)
    base_url = site.start()
    try:
        steps = ("baseline", "story") if story_as_news else ("story",)
        for step in steps:
            if step == "story":
                for urn, report in sandbox.later_reports(published_on=date.today().isoformat()):
                    site.publish(urn, report)
            result = run_cycle(str(db_path), base_url=base_url, pdf_dir=str(folder / "pdfs"),
                               timeout=180, fast=True)
            assert result.ok, result.summary
    finally:
        site.stop()
    shutil.rmtree(folder / "pdfs", ignore_errors=True)
    return db_path


class LiveServer:
    """The site on a real uvicorn server in a thread, on a free loopback port."""

    def __init__(self, app):
        import uvicorn
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                   log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(self.url + "/static/site.css", timeout=2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


def chrome(width: int = 1280, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver
