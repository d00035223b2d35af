"""Defaults shared by every command; each can be overridden by an environment variable."""
import os

#: SQLite file holding the whole history.
DB_PATH = os.environ.get("OFSTED_WATCH_DB", "ofsted-watch.db")
#: Where downloaded report PDFs are kept (content-addressed by sha256).
PDF_DIR = os.environ.get("OFSTED_WATCH_PDF_DIR", "ofsted-watch-pdfs")
#: The site to crawl; point it at a replica for tests and the demo.
BASE_URL = os.environ.get("OFSTED_WATCH_BASE_URL", "https://reports.ofsted.gov.uk")
#: Honest User-Agent with a contact URL (the crawler's settings own them).
from crawler.settings import CONTACT_URL, USER_AGENT  # noqa: E402,F401

#: Hard limit for one crawl subprocess, in seconds (the crawler also stops itself earlier).
CRAWL_TIMEOUT = 3600
#: How late a scheduled job may still run after its time (a machine asleep, a long cycle).
MISFIRE_GRACE_SECONDS = 3600
