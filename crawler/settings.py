"""Scrapy settings for the crawler. Polite by default; every knob can be set from the
environment (OFSTED_WATCH_*) or with ``ofsted-watch crawl -s NAME=VALUE``.

The crawler stores nothing itself: whoever runs it adds an item pipeline (the monitor adds
``monitor.pipeline.StorePipeline``; ``scrapy crawl reports -O items.jsonl`` just exports)."""
import os


def _env(name, default, cast=str):
    value = os.environ.get(f"OFSTED_WATCH_{name}")
    if value is None or value == "":
        return default
    if cast is bool:
        return value.strip().lower() not in ("0", "false", "no", "off")
    return cast(value)


BOT_NAME = "ofsted-watch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# ---- honest and polite ----------------------------------------------------------------------
#: Where the site's operators can reach whoever runs this crawler.
CONTACT_URL = _env("CONTACT_URL", "https://github.com/ofsted-watch/ofsted-watch")
USER_AGENT = _env("USER_AGENT", f"ofsted-watch/0.1 (+{CONTACT_URL})")  # honest, with a contact
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = _env("CONCURRENCY", 2, int)
CONCURRENT_REQUESTS_PER_DOMAIN = _env("CONCURRENCY", 2, int)
DOWNLOAD_DELAY = _env("DOWNLOAD_DELAY", 1.0, float)
AUTOTHROTTLE_ENABLED = _env("AUTOTHROTTLE", True, bool)
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = _env("DOWNLOAD_TIMEOUT", 60, float)
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.8",
}

# ---- retries with backoff; Retry-After honoured ---------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = _env("RETRY_TIMES", 4, int)
RETRY_HTTP_CODES = [403, 408, 429, 500, 502, 503, 504, 522, 524]   # the firewall's 403 bursts
RETRY_BACKOFF_BASE = _env("RETRY_BACKOFF_BASE", 2.0, float)       # 2, 4, 8, 16 s ...
RETRY_BACKOFF_MAX = 120.0
RETRY_AFTER_MAX = 600.0
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"       # a give-up is recorded as a crawl error, not a crash
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
}

# ---- HTTP cache for pages (PDFs opt out with dont_cache) ------------------------------------
HTTPCACHE_ENABLED = _env("HTTPCACHE", True, bool)
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"   # revalidates; never stale
HTTPCACHE_DIR = _env("HTTPCACHE_DIR", "httpcache")
HTTPCACHE_IGNORE_HTTP_CODES = [403, 404, 408, 429, 500, 502, 503, 504]

#: Items handled at once per response. Scrapy starts this many tasks for every response, and
#: ours yield at most a handful of items each (a provider, a report, a failure): 100, the
#: default, was a fifth of the reactor's time.
CONCURRENT_ITEMS = 8

# ---- hostile input ---------------------------------------------------------------------------
#: No real report comes near 50 MB; a bigger body (declared or received, compressed or not) is
#: refused mid-download and recorded as a failure of that file with the reason.
DOWNLOAD_MAXSIZE = int(_env("MAX_DOWNLOAD_MB", 50, float) * 1024 * 1024)
DOWNLOAD_WARNSIZE = min(20 * 1024 * 1024, DOWNLOAD_MAXSIZE)
#: Whoever stores the reports reads each PDF in a sandbox (the monitor: monitor/sandbox_extract.py):
#: this many worker processes, each limited to this much memory (MiB) and time (s) per file.
OFSTED_EXTRACT_WORKERS = _env("EXTRACT_WORKERS", 2, int)
OFSTED_EXTRACT_MEMORY_MB = _env("EXTRACT_MEMORY_MB", 512, int)
OFSTED_EXTRACT_TIMEOUT = _env("EXTRACT_TIMEOUT", 60.0, float)

# ---- ours -----------------------------------------------------------------------------------
EXTENSIONS = {"crawler.extensions.Progress": 200}

LOG_LEVEL = _env("LOG_LEVEL", "INFO")
MEMUSAGE_ENABLED = True
FEED_EXPORT_ENCODING = "utf-8"

#: politeness off: only ever used against a replica on loopback (``crawl --fast``)
FAST = {
    "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 8,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "RETRY_BACKOFF_BASE": 0.05, "RETRY_AFTER_MAX": 1.0,
}
