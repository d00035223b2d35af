"""``ofsted-watch crawl``: one crawl of the site (or a replica), recorded in crawl_runs."""
from __future__ import annotations

import json
import sys

import click

from ..cli import base_url_option, db_option, pdf_dir_option


@click.command("crawl")
@base_url_option
@db_option
@pdf_dir_option
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
    from crawler.scope import BadScope

    from ..cli import EXIT_BUSY, EXIT_INTERRUPTED
    from ..crawl import BadCrawlOption, crawl as run_crawl, summary_line
    from ..store import CrawlBusy
    from .common import bad_value, check_settings
    check_settings(overrides)
    try:
        row = run_crawl(db_path, base_url=base_url, pdf_dir=pdf_dir, scope=scope, since=since,
                        backfill=backfill, extract=not no_extract, fast=fast,
                        overrides=overrides, verbose=verbose, run_id=run_id)
    except BadScope as exc:
        raise bad_value("--scope", str(exc)) from None
    except BadCrawlOption as exc:
        raise bad_value(exc.option, str(exc)) from None
    except CrawlBusy as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    except OSError as exc:
        why = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else exc
        raise click.ClickException(f"cannot crawl into {db_path} / {pdf_dir}: {why}")
    except Exception as exc:
        import sqlite3
        if isinstance(exc, sqlite3.Error):
            raise click.ClickException(f"{db_path}: cannot open database: {exc}")
        raise
    if as_json:
        click.echo(json.dumps(row))
    else:
        click.echo(summary_line(row))
    if row["status"] != "ok" and row.get("reason") == "shutdown":    # Ctrl-C: Scrapy stopped
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if row["status"] != "ok":
        click.echo(f"crawl failed: {row['reason']}", err=True)
        sys.exit(1)


COMMANDS = [crawl]
