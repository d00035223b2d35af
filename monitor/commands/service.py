"""``run`` (one cycle), ``serve`` (the scheduler) and ``demo`` (the whole thing in a sandbox)."""
from __future__ import annotations

import logging
import sqlite3
import sys

import click

from .. import config
from ..cli import base_url_option, db_option, pdf_dir_option
from .mail_options import mail_options

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

fast_option = click.option(
    "--fast", is_flag=True,
    help="Crawl without politeness delays: only for a replica on loopback (testing).")
timeout_option = click.option(
    "--crawl-timeout", default=config.CRAWL_TIMEOUT, show_default=True, type=click.FloatRange(min=1),
    envvar="OFSTED_WATCH_CRAWL_TIMEOUT", help="Seconds before a crawl subprocess is stopped.")


def _check_fast(fast: bool, base_url: str) -> None:
    from ..crawl import BadCrawlOption, check_fast
    try:
        check_fast(fast, base_url)
    except BadCrawlOption as exc:
        raise click.BadParameter(str(exc), param_hint=exc.option) from None


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=LOG_FORMAT,
                        stream=sys.stderr)


@click.command("run")
@db_option
@base_url_option
@pdf_dir_option
@timeout_option
@fast_option
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
@mail_options
def run_command(db_path, base_url, pdf_dir, crawl_timeout, fast, as_json, verbose):
    """Run one full cycle now: crawl, extract, detect, deliver; print a summary.

    Exits 1 if the crawl failed (the outbox is still retried and the failure recorded), 3 if
    alerts could not be delivered (how many, to whom, and the next try are printed), 4 if
    another `run` or `serve` holds the database (one cycle at a time: never a second crawl).
    """
    import json
    from pathlib import Path

    from ..cli import EXIT_BUSY, EXIT_ERROR, EXIT_UNDELIVERED
    from ..cycle import crawl_json, run_cycle
    from ..service import AlreadyRunning, hold_lock
    from .alerts import describe_undelivered, undelivered
    from .common import open_read
    _check_fast(fast, base_url)
    _logging(verbose)
    log = logging.getLogger("ofsted_watch.commands")
    try:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        lock = hold_lock(db_path, holder="ofsted-watch run")
    except AlreadyRunning as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    except OSError as exc:
        raise click.ClickException(f"database {db_path}: {_why(exc)}") from None
    try:
        log.info("cycle: crawl %s, then detect and deliver into %s", base_url, db_path)
        result = run_cycle(db_path, base_url=base_url, pdf_dir=pdf_dir, timeout=crawl_timeout,
                           fast=fast)
    except (sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"database {db_path}: {_why(exc)}") from None
    finally:
        lock.close()
    crawl = result.crawl
    log.info("crawl: %s (run %s; %s pages, %s providers, %s new reports)%s",
             crawl.get("status"), crawl.get("run_id"), crawl.get("pages"),
             crawl.get("providers"), crawl.get("new_reports"),
             f" — {crawl['reason']}" if crawl.get("reason") else "")
    log.info("detect: %s new events, %s recorded as the baseline", len(result.events),
             result.baseline_events)
    log.info("deliver: %s queued; %s", result.queued,
             ", ".join(f"{n} {k}" for k, n in result.delivery.items()) or "nothing due")
    stuck = []
    if any(result.delivery.get(k) for k in ("retrying", "failed", "unknown")):
        db = open_read(db_path)
        try:
            stuck = undelivered(db)
        finally:
            db.conn.close()
    if as_json:
        data = json.loads(crawl_json(result))
        data["undelivered"] = stuck
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        click.echo(result.summary)
        for line in describe_undelivered(stuck):
            click.echo(line, err=True)
    if not result.ok:
        sys.exit(EXIT_ERROR)
    if stuck:
        sys.exit(EXIT_UNDELIVERED)


@click.command("serve")
@db_option
@base_url_option
@pdf_dir_option
@timeout_option
@fast_option
@click.option("--schedule", default="mon-fri 07:00,13:00", show_default=True,
              envvar="OFSTED_WATCH_SCHEDULE",
              help="When to run the cycle: days and times ('mon-fri 07:00,13:00') or a "
                   "crontab line ('0 7,13 * * 1-5').")
@click.option("--timezone", default="Europe/London", show_default=True,
              envvar="OFSTED_WATCH_TIMEZONE", help="Time zone of the schedule.")
@click.option("--outbox-minutes", default=5, show_default=True, type=click.IntRange(min=1),
              help="How often unsent alerts are retried.")
@click.option("--misfire-grace-time", default=config.MISFIRE_GRACE_SECONDS, show_default=True,
              type=click.IntRange(min=1),
              help="Seconds a job may start late (after a suspend or a long crawl).")
@click.option("--run-now", is_flag=True, help="Also run one cycle straight away.")
@click.option("--web", is_flag=True, help="Also serve the public web site (as `ofsted-watch web`).")
@click.option("--web-host", default="127.0.0.1", show_default=True, help="The web site's address.")
@click.option("--web-port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The web site's port.")
@mail_options
def serve_command(db_path, base_url, pdf_dir, crawl_timeout, fast, schedule, timezone,
                  outbox_minutes, misfire_grace_time, run_now, web, web_host, web_port):
    """Run the scheduler: the cycle on a schedule, outbox retries, daily and weekly digests.

    One process, one cycle at a time; SIGTERM or Ctrl-C stops it cleanly.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from ..service import AlreadyRunning, ScheduleError, ServiceOptions, parse_schedule, serve
    _check_fast(fast, base_url)
    _logging(True)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.ClickException(f"--timezone {timezone!r}: not a known time zone") from None
    try:
        parse_schedule(schedule, timezone)
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from None
    options = ServiceOptions(db_path=db_path, base_url=base_url, pdf_dir=pdf_dir,
                             schedule=schedule, timezone=timezone, crawl_timeout=crawl_timeout,
                             outbox_minutes=outbox_minutes,
                             misfire_grace_time=misfire_grace_time, run_now=run_now,
                             fast=fast)
    from .web import start_beside
    site = start_beside(db_path, web_host, web_port) if web else None
    try:
        serve(options)
    except AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from None
    except (sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"database {db_path}: {_why(exc)}") from None
    finally:
        if site is not None:
            site.stop()


@click.command("demo")
@click.option("--keep", type=click.Path(file_okay=False), default=None,
              help="Keep the demo's database, PDFs and mailbox in this directory.")
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
def demo_command(keep, verbose):
    """See it work in a minute, offline: a sandbox site, a downgrade, the alert email.

    Starts a local copy of the reports site (synthetic reports), records a baseline, subscribes
    a local mailbox to one children's home, publishes a report that downgrades it, runs again and
    shows the email that arrives.
    """
    from ..demo import DemoError, run_demo
    _logging(verbose)
    try:
        ok = run_demo(keep=keep, echo=click.echo)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"demo: {_why(exc)}") from None
    if not ok:
        sys.exit(1)


COMMANDS = [run_command, serve_command, demo_command]
