"""Who is told what: ``subscribe``, ``unsubscribe``, ``subscriptions`` and ``notify-test``.

Notify URLs are Apprise URLs and may hold passwords: every command prints them redacted. Every
filter is checked against what is known before it is saved (``monitor.filters``).
"""
from __future__ import annotations

import json
import logging
import sys

import click

from ..cli import EXIT_ERROR, db_option
from ..detect import DEFAULT_KINDS, KINDS
from ..filters import PROVIDER_TYPES
from .common import json_option, open_read, open_write, verbose_logging

log = logging.getLogger("ofsted_watch.commands")

_TYPES = ", ".join(PROVIDER_TYPES)
_DEFAULT = ", ".join(DEFAULT_KINDS)
_URN_DEFAULT = (" (a subscription to URNs also gets `published`: every new report)"
                if "published" in KINDS else "")


@click.command("subscribe", epilog="Environment: OFSTED_WATCH_NOTIFY (--notify), "
                                   "OFSTED_WATCH_DB (--db).")
@click.option("--notify", "notify_url", required=True, envvar="OFSTED_WATCH_NOTIFY",
              help="Apprise URL to send alerts to (mailto://, json://, slack://, ...). "
                   "May also come from $OFSTED_WATCH_NOTIFY, to keep a password off the "
                   "command line.")
@click.option("--urn", "urns", multiple=True,
              help="Follow this provider: 123456, SC123456 or EY123456 (repeatable, or "
                   "comma-separated: --urn SC1,SC2).")
@click.option("--urn-file", type=click.Path(dir_okay=False),
              help="Follow every URN in this file: one a line, or a CSV with a URN column.")
@click.option("--local-authority",
              help="Follow every provider in this council: name, short form or DfE code "
                   "(Staffordshire, Staffs, 860).")
@click.option("--region", help="Follow every provider in this Ofsted region.")
@click.option("--owner", help="Follow every setting of this registered provider (company) "
                              "named in the history.")
@click.option("--new-owner", is_flag=True,
              help="Accept an --owner the history has not seen yet (a company with no report "
                   "so far).")
@click.option("--provider-type", metavar="TYPE",
              help=f"Only this type, by slug or label ('childrens-home' or \"Children's "
                   f"home\"): {_TYPES}.")
@click.option("--all", "follow_all", is_flag=True, help="Follow every provider.")
@click.option("--events", multiple=True,
              help=f"Event kinds to receive, comma-separated: {', '.join(KINDS)}, or all. "
                   f"[default: {_DEFAULT}{_URN_DEFAULT}]")
@click.option("--digest", type=click.Choice(["immediate", "daily", "weekly"]),
              default="immediate", show_default=True,
              help="Send each alert at once, or one digest a day / a week.")
@click.option("--name", help="A label for this subscription (shown in `subscriptions`).")
@db_option
@json_option
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
def subscribe_command(notify_url, urns, urn_file, local_authority, region, owner, new_owner,
                      provider_type, follow_all, events, digest, name, db_path, as_json,
                      verbose):
    """Subscribe an Apprise URL to alerts. Filters combine: all must match.

    Every filter is checked first: an unknown council, URN format, owner or type is refused
    with the closest names. Only reports first found from now on are sent, never the backlog
    already known. The same subscription (same filters, events, digest and destination) is not
    made twice.
    """
    from .. import notify, subscriptions
    from ..filters import FilterError, urns_from_file
    verbose_logging(verbose)
    wanted = list(urns)
    if urn_file:
        try:
            wanted += urns_from_file(urn_file)
        except FilterError as exc:
            raise click.ClickException(str(exc)) from None
        log.info("read %s URNs from %s", len(wanted) - len(urns), urn_file)
    db = open_write(db_path)
    warnings: list[str] = []
    try:
        sub_id = subscriptions.add(
            db, notify_url, urns=wanted, local_authority=local_authority, region=region,
            owner=owner, provider_type=provider_type, all=follow_all,
            events=list(events) if events else None, new_owner=new_owner,
            digest=None if digest == "immediate" else digest, name=name, warnings=warnings)
    except subscriptions.DuplicateSubscription as exc:
        raise click.ClickException(str(exc)) from None
    except subscriptions.SubscriptionError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    row = db["subscriptions"].get(sub_id)
    filters = json.loads(row["filters"])
    log.info("stored subscription %s", sub_id)
    if as_json:
        click.echo(json.dumps({"id": sub_id, "filters": filters,
                               "events": row["events"].split(","), "digest": row["digest"],
                               "notify": notify.redact(notify_url), "warnings": warnings},
                              indent=2, sort_keys=True))
        return
    click.echo(f"Subscription {sub_id}: {subscriptions.describe_filters(filters)}"
               f"; events {row['events'].replace(',', ', ')}; "
               f"{row['digest'] + ' digest' if row['digest'] else 'sent at once'}; "
               f"to {notify.redact(notify_url)}")


@click.command("unsubscribe")
@click.argument("subscription_id", type=int)
@db_option
@json_option
def unsubscribe_command(subscription_id, db_path, as_json):
    """Stop a subscription (by the id `subscriptions` shows); unsent alerts are cancelled."""
    from .. import subscriptions
    db = open_read(db_path)                   # missing database: one line, nothing created
    db.conn.close()
    db = open_write(db_path)
    if not subscriptions.remove(db, subscription_id):
        raise click.ClickException(f"subscription {subscription_id}: no active subscription "
                                   f"with this id")
    if as_json:
        click.echo(json.dumps({"id": subscription_id, "stopped": True}))
        return
    click.echo(f"Subscription {subscription_id} stopped.")


@click.command("subscriptions")
@db_option
@json_option
@click.option("--inactive", is_flag=True, help="Include stopped subscriptions.")
def subscriptions_command(db_path, as_json, inactive):
    """List subscriptions (notify URLs with passwords hidden), their deliveries, the last
    delivery error and when the next try is. Reads only."""
    from .. import subscriptions
    db = open_read(db_path)
    items = subscriptions.listing(db, include_inactive=inactive)
    if as_json:
        click.echo(json.dumps(items, indent=2, sort_keys=True))
        return
    if not items:
        click.echo("No subscriptions.")
        return
    for s in items:
        state = "" if s["active"] else " [stopped]"
        deliveries = ", ".join(f"{n} {k}" for k, n in sorted(s["deliveries"].items())) or "none"
        click.echo(f"{s['id']}{state}  {s['name'] or ''}".rstrip())
        click.echo(f"    follows:    {subscriptions.describe_filters(s['filters'])}")
        click.echo(f"    events:     {', '.join(s['events'])}; "
                   f"{s['digest'] + ' digest' if s['digest'] else 'sent at once'}")
        click.echo(f"    notify:     {s['notify']}")
        click.echo(f"    since:      {s['created_at']}")
        click.echo(f"    deliveries: {deliveries}")
        if s["last_error"]:
            click.echo(f"    last error: {s['last_error']}")
        if s["next_try"]:
            click.echo(f"    next try:   {s['next_try']}")


@click.command("notify-test")
@click.argument("url", envvar="OFSTED_WATCH_NOTIFY")
@json_option
def notify_test_command(url, as_json):
    """Send a test message to an Apprise URL; exit 1 (with Apprise's reason) if it fails.

    The URL may come from $OFSTED_WATCH_NOTIFY."""
    from .. import notify
    ok, error = notify.send_test(url)
    if as_json:
        click.echo(json.dumps({"ok": ok, "notify": notify.redact(url), "error": error}))
        if not ok:
            sys.exit(EXIT_ERROR)
        return
    if not ok:
        click.echo(f"notify-test {notify.redact(url)}: failed: {error}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"Test message sent to {notify.redact(url)}")


COMMANDS = [subscribe_command, unsubscribe_command, subscriptions_command, notify_test_command]
