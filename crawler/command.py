"""``ofsted-watch crawl``: one crawl of the site (or a replica), recorded in crawl_runs."""
from __future__ import annotations

import ipaddress
import json
import logging
import sys
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from monitor import config

from . import store
from .scope import BadScope, parse_scope


def _parse_since(value: str | None) -> str | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            day = datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        if day > date.today():
            raise click.BadParameter(f"{value} is in the future", param_hint="--since")
        return day.isoformat()
    raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)", param_hint="--since")


def check_base_url(url: str) -> None:
    """BadParameter unless ``url`` is an http(s) URL with a host (and a valid port, if any)."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port                                  # ValueError: not a number, out of range
    except ValueError:
        ok = False
    if not ok:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--base-url")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_settings(*, db_path: str, pdf_dir: str, run_id: int, mode: str, scope: str,
                   since: str | None, extract: bool, fast: bool, overrides=(),
                   verbose: int = 0):
    from scrapy.settings import Settings

    from . import settings as defaults

    settings = Settings()
    settings.setmodule(defaults, priority="project")
    if fast:
        settings.update(defaults.FAST, priority="cmdline")
    settings.update({
        "OFSTED_DB": str(db_path), "OFSTED_PDF_DIR": str(pdf_dir), "OFSTED_RUN_ID": run_id,
        "OFSTED_MODE": mode, "OFSTED_SCOPE": scope, "OFSTED_SINCE": since,
        "OFSTED_EXTRACT": extract,
    }, priority="cmdline")
    if not Path(settings.get("HTTPCACHE_DIR")).is_absolute():
        settings.set("HTTPCACHE_DIR", str(Path(db_path).resolve().with_suffix(".httpcache")),
                     priority="cmdline")
    if not verbose:
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    elif verbose > 1:
        settings.set("LOG_LEVEL", "DEBUG", priority="cmdline")
    for name, value in parse_overrides(overrides):
        settings.set(name, value, priority="cmdline")
    return settings


def parse_overrides(overrides) -> list[tuple[str, str]]:
    """``-s NAME=VALUE`` pairs; BadParameter for one that is not."""
    pairs = []
    for pair in overrides:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-s/--set")
        pairs.append((name.strip(), value))
    return pairs


class _NoTraceback(logging.Filter):
    """Scrapy logs a robots.txt that cannot be fetched with a traceback: the reason will do."""

    def filter(self, record):
        record.exc_info = record.exc_text = None
        return True


#: Ofsted publishes social-care reports almost every working day: a wide scope over this many
#: days with nothing published means the crawl is not seeing the site
QUIET_DAYS_LIMIT = 14


def expects_results(scope_text: str, since: str | None) -> bool:
    """Whether an empty search means something is wrong rather than a quiet spell."""
    if not since:
        return True
    narrowed = any(part.startswith(("la:", "region:")) for part in scope_text.split(","))
    kind = scope_text.split(",")[0]
    days = (date.today() - date.fromisoformat(since)).days
    return not narrowed and kind != "la-childrens-services" and days >= QUIET_DAYS_LIMIT


def summary_line(row: dict) -> str:
    since = f" since {row['since']}" if row.get("since") else ""
    head = f"crawl {row['status']} (run {row['run_id']}, {row['mode']}{since}, {row['scope']})"
    figures = (f"{row['pages']} pages, {row['providers']} providers, {row['new_reports']} new "
               f"reports, {row['errors']} errors, {row['requests']} requests")
    tail = f" — {row['reason']}" if row.get("reason") else ""
    return f"{head}: {figures}{tail}"


@click.command("crawl")
@click.option("--base-url", default=config.BASE_URL, show_default=True,
              envvar="OFSTED_WATCH_BASE_URL", help="Site to crawl (or a replica of it).")
@click.option("--db", "db_path", default=config.DB_PATH, show_default=True,
              envvar="OFSTED_WATCH_DB", type=click.Path(dir_okay=False),
              help="SQLite database file.")
@click.option("--pdf-dir", default=config.PDF_DIR, show_default=True,
              envvar="OFSTED_WATCH_PDF_DIR", type=click.Path(file_okay=False),
              help="Where report PDFs are kept (by sha256).")
@click.option("--since", help="Only providers whose latest report was published on or after "
              "this date (default: last successful crawl minus 3 days).")
@click.option("--backfill", is_flag=True, help="Walk every provider in scope.")
@click.option("--scope", default="social-care", show_default=True,
              help="social-care, childrens-homes, la-childrens-services, schools, early-years "
                   "or all; narrow with ,la:NAME and ,region:NAME.")
@click.option("--no-extract", is_flag=True, help="Store PDFs without reading them.")
@click.option("--fast", is_flag=True,
              help="Politeness off (no delay, 8 at once); refused unless the site is on "
                   "loopback.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-v", "--verbose", count=True, help="Log more (-vv: debug).")
@click.option("--run-id", type=int, hidden=True)
def crawl(base_url, db_path, pdf_dir, since, backfill, scope, no_extract, fast, overrides,
          as_json, verbose, run_id):
    """Crawl reports.ofsted.gov.uk for newly published reports and store them.

    Incremental by default; ends with a one-line summary and exits non-zero when the run fails
    (markup changed, no results where there must be some, search unreachable)."""
    try:
        scope_text, scope_params = parse_scope(scope)
    except BadScope as exc:
        raise click.BadParameter(str(exc), param_hint="--scope")
    since = _parse_since(since)
    parse_overrides(overrides)
    check_base_url(base_url)
    if fast and not _is_loopback(base_url):
        raise click.BadParameter("--fast is only for a replica on loopback; the real site "
                                 "gets the polite settings", param_hint="--fast")
    try:
        db = store.open_db(db_path)
    except Exception as exc:
        raise click.ClickException(f"{db_path}: cannot open database: {exc}")
    try:
        Path(pdf_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"{pdf_dir}: cannot create PDF directory: {exc}")

    if backfill:
        mode, since = "backfill", None
    elif since:
        mode = "incremental"
    else:
        since = store.default_since(db, scope_text)
        mode = "incremental" if since else "full"
    store.close_interrupted(db, keep=run_id)
    if run_id:
        db["crawl_runs"].update(run_id, {"mode": mode, "scope": scope_text, "since": since})
    else:
        run_id = store.start_run(db, mode=mode, scope=scope_text, since=since)
    owed = list(store.pending(db))

    settings = build_settings(db_path=db_path, pdf_dir=pdf_dir, run_id=run_id, mode=mode,
                              scope=scope_text, since=since, extract=not no_extract, fast=fast,
                              overrides=overrides, verbose=verbose)
    from scrapy.crawler import CrawlerProcess

    from .spiders.reports import ReportsSpider

    lookups = store.open_db(db_path)
    process = CrawlerProcess(settings)
    if verbose < 2:
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_NoTraceback())
    process.crawl(ReportsSpider, base_url=base_url, since=since, backfill=backfill,
                  scope_params=scope_params,
                  expect_results=expects_results(scope_text, since),
                  known_latest=lambda urn: store.known_latest(lookups, urn),
                  have_file=lambda file_id: store.have_file(lookups, file_id), pending=owed)
    try:
        process.start()
    finally:
        lookups.close()
    row = store.run_summary(db, run_id)
    if row["status"] == "running":  # the crawler never reached its close: say so
        store.finish_run(db, run_id, status="failed", reason="crawl stopped before it finished")
        row = store.run_summary(db, run_id)
    db.close()
    if as_json:
        click.echo(json.dumps(row))
    else:
        click.echo(summary_line(row))
    if row["status"] != "ok":
        click.echo(f"crawl failed: {row['reason']}", err=True)
        sys.exit(1)
