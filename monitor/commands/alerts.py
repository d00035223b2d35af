"""The cycle's last two steps by hand: ``detect`` (record events) and ``deliver`` (send what is
due). ``run`` and ``serve`` do both; ``history``, ``subscribe`` and the rest live in the modules
named for their job (history.py, subscribe.py, browse.py).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import sys

import click

from ..cli import EXIT_UNDELIVERED, db_option
from ..sql import dicts_in
from .common import (
    database_error,
    json_option,
    open_read,
    open_write,
    plural,
    verbose_logging,
)
from .mail_options import mail_options

log = logging.getLogger("ofsted_watch.commands")


def _dry_copy(db_path):
    """The database copied into memory (SQLite's backup), migrated there: detection can run on
    it and show what it would record while the file is only read."""
    from ..schema import Database, migrations
    source = open_read(db_path)
    memory = sqlite3.connect(":memory:")
    try:
        source.conn.backup(memory)
    finally:
        source.conn.close()
    copy = Database(memory)
    if migrations.pending(copy):
        migrations.apply(copy)
    return copy


@click.command("detect")
@db_option
@click.option("--baseline", is_flag=True,
              help="Record what is found as the starting point: stored, never alerted.")
@click.option("--dry-run", is_flag=True,
              help="Show what would be recorded; change nothing (the database is only read).")
@json_option
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
def detect_command(db_path, baseline, dry_run, as_json, verbose):
    """Read stored reports into the history and record new events (no sending)."""
    from .. import detect
    verbose_logging(verbose)
    db = _dry_copy(db_path) if dry_run else open_write(db_path, existing=True)
    log.info("detecting%s in %s", " (dry run, in memory)" if dry_run else "", db_path)
    try:
        ids = detect.detect(db, baseline=baseline)
        # a first run over a large history records a million events: read them in chunks
        rows = sorted(dicts_in(db, "select id, urn, report_id, kind, area, old_grade, "
                                   "new_grade, serious, baseline from events "
                                   "where id in ({marks})", ids), key=lambda e: e["id"])
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from None
    log.info("%s", plural(len(rows), "new event"))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(("Dry run: " if dry_run else "") + detection_words(rows)
               + (" Nothing was changed." if dry_run else ""))
    # each new event on a line; the baseline (nobody is alerted about it) only as its count
    for e in rows:
        if e["baseline"]:
            continue
        change = f"{e['old_grade']} → {e['new_grade']}" if e["old_grade"] else e["new_grade"]
        click.echo(f"  {e['urn']}  {e['kind']}  {e['area']}: {change}")


def detection_words(rows: list[dict]) -> str:
    """What detection found, in the words ``run`` uses (``monitor.cycle.summarise``): news, and
    what was recorded as the baseline (nobody is alerted about it)."""
    news = [e for e in rows if not e["baseline"]]
    past = len(rows) - len(news)
    if news:
        kinds: dict[str, int] = {}
        for e in news:
            kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
        text = (f"Detected {plural(len(news), 'new event')} ("
                + ", ".join(f"{k} ×{n}" for k, n in sorted(kinds.items())) + ").")
        if past:
            text += (f" {plural(past, 'past event')} recorded as the baseline: nobody is "
                     f"alerted about them.")
        return text
    if past:
        return (f"Recorded {plural(past, 'past event')} from reports published before watching "
                f"began: nobody is alerted about them.")
    return "No new events."


def undelivered(db) -> list[dict]:
    """Per subscription, the alerts that could not be delivered: how many, where to (redacted),
    the last error (scrubbed) and when the next try is (None: given up or needs an operator)."""
    from .. import notify
    out = []
    for sub_id, url, n, failed, unknown, next_try, error in db.execute(
            "select s.id, s.notify_url, count(*), sum(d.status = 'failed'), "
            "sum(d.status = 'unknown'), min(case when d.status = 'retry' then "
            "d.next_attempt_at end), max(d.last_error) from deliveries d "
            "join subscriptions s on s.id = d.subscription_id "
            "where d.status in ('retry', 'failed', 'unknown') "
            "or (d.status = 'pending' and d.last_error is not null) "
            "group by s.id order by s.id"):
        shown = notify.redact(url) if url else "a web subscriber's email"   # (issue 11)
        out.append({"subscription": sub_id, "notify": notify.hide_addresses(shown),
                    "alerts": n, "failed": failed or 0, "unknown": unknown or 0,
                    "next_try": next_try,
                    "last_error": notify.scrub(error, url) if error else None})
    return out


def describe_undelivered(items: list[dict]) -> list[str]:
    lines = []
    for item in items:
        when = (f"next try {item['next_try']}" if item["next_try"] else
                "given up" if item["failed"] else "interrupted: see `deliver --resend-unknown`")
        lines.append(f"{plural(item['alerts'], 'alert')} to subscription {item['subscription']} "
                     f"({item['notify']}) not delivered: {item['last_error'] or 'no reason'}; "
                     f"{when}")
    return lines


@click.command("deliver")
@db_option
@click.option("--digest", "period", type=click.Choice(["daily", "weekly"]),
              help="Also send this period's digests now.")
@click.option("--resend-unknown", is_flag=True,
              help="Send again the alerts whose first send was interrupted (they may arrive "
                   "twice: check the recipient first).")
@json_option
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
@mail_options
def deliver_command(db_path, period, resend_unknown, as_json, verbose):
    """Queue alerts for new events and send everything due (retries included).

    Exits 3 when some alerts could not be delivered (they are retried later)."""
    from .. import outbox
    verbose_logging(verbose)
    db = open_write(db_path, existing=True)
    resent = outbox.resend_unknown(db) if resend_unknown else 0
    if resend_unknown and not as_json:
        click.echo(f"{plural(resent, 'interrupted alert')} queued again.")
    log.info("queueing alerts for new events")
    queued = outbox.enqueue(db)
    log.info("sending what is due")
    counts = outbox.deliver_due(db)
    digests = outbox.send_digests(db, period) if period else 0
    problems = {k: counts.get(k, 0) for k in ("retrying", "failed", "unknown")}
    stuck = undelivered(db) if any(problems.values()) else []
    if as_json:
        click.echo(json.dumps({"queued": queued, "delivery": dict(counts), "digests": digests,
                               "resent": resent, "undelivered": stuck}, indent=2,
                              sort_keys=True))
    else:
        parts = [f"{n} {k}" for k, n in counts.items()]
        click.echo(f"Queued {queued}; " + ", ".join(parts)
                   + (f"; {plural(digests, period + ' digest')} sent" if period else "") + ".")
        if counts.get("unknown"):
            click.echo(f"{plural(counts['unknown'], 'alert')} were interrupted mid-send and are "
                       f"not resent automatically: see `ofsted-watch subscriptions`, then "
                       f"`ofsted-watch deliver --resend-unknown` if they did not arrive.",
                       err=True)
        for line in describe_undelivered(stuck):
            click.echo(line, err=True)
    if any(problems.values()):
        sys.exit(EXIT_UNDELIVERED)


COMMANDS = [detect_command, deliver_command]
