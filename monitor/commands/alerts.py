"""History, subscriptions and alert delivery: ``history``, ``subscribe``, ``unsubscribe``,
``subscriptions``, ``notify-test``, ``detect`` and ``deliver``.

Notify URLs are Apprise URLs and may hold passwords: every command prints them redacted.
"""
from __future__ import annotations

import json
import sqlite3
import sys

import click

from extract.places import REGIONS

from ..cli import db_option


def _open(db_path):
    from ..schema import open_db
    try:
        return open_db(db_path)
    except sqlite3.Error as exc:
        raise click.ClickException(f"database {db_path}: {exc}") from None
    except OSError as exc:  # its folder cannot be made: a path under a file, no permission
        why = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else exc
        raise click.ClickException(f"database {db_path}: {why}") from None


def _grades(judgements: dict) -> str:
    from ..message import grade_words
    return ", ".join(f"{area.replace('_', ' ')} {grade_words(j['grade'])}"
                     for area, j in judgements.items() if area != "overall")


@click.command("history")
@click.argument("urn")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
def history_command(urn, db_path, as_json):
    """Show a provider's full history: its reports, judgements and events, oldest first."""
    from ..history import provider_history
    from ..message import enforcement_words, grade_words
    db = _open(db_path)
    try:
        found = provider_history(db, urn)
    except sqlite3.Error as exc:
        raise click.ClickException(f"database {db_path}: {exc}") from None
    if found is None:
        raise click.ClickException(f"URN {urn.strip()}: no provider or report with this URN in "
                                   f"{db_path}")
    if as_json:
        click.echo(json.dumps(found, indent=2, sort_keys=True, default=str))
        return
    p = found["provider"]
    region = REGIONS.get(p.get("region") or "", p.get("region"))  # the crawler stores the code
    where = ", ".join(v for v in (p.get("provider_type"), p.get("local_authority"), region)
                      if v)
    click.echo(f"{p['urn']}  {p.get('name') or '(name not known)'}" + (f" — {where}" if where
                                                                       else ""))
    if p.get("owner"):
        click.echo(f"Registered provider: {p['owner']}")
    if p.get("page_url"):
        click.echo(p["page_url"])
    click.echo("")
    click.echo(f"Reports ({len(found['reports'])}):")
    for r in found["reports"]:
        line = (f"  {r['inspection_date'] or '?':10}  {(r['inspection_kind'] or '-'):12} "
                f"{grade_words(r['overall']) if r['overall'] else '-':32}")
        extra = _grades(r["judgements"])
        if extra:
            line += f"  {extra}"
        if r["enforcement"]:
            line += "  enforcement: " + ", ".join(enforcement_words(t) for t in r["enforcement"])
        if r["needs_review"]:
            line += "  [needs review]"
        click.echo(line.rstrip())
    click.echo("")
    click.echo(f"Events ({len(found['events'])}):")
    for e in found["events"]:
        change = (f"{grade_words(e['old_grade'])} → {grade_words(e['new_grade'])}"
                  if e["old_grade"] else grade_words(e["new_grade"]))
        flags = [w for w, on in (("serious", e["serious"]), ("not alerted", e["baseline"])) if on]
        click.echo(f"  {e['detected_at'][:10]}  {e['kind']:11} {e['area']}: {change}"
                   + (f"  ({', '.join(flags)})" if flags else "") + f"  report {e['report_id']}")


@click.command("subscribe")
@click.option("--notify", "notify_url", required=True, envvar="OFSTED_WATCH_NOTIFY",
              help="Apprise URL to send alerts to (mailto://, json://, slack://, ...). "
                   "May also come from $OFSTED_WATCH_NOTIFY, to keep a password off the "
                   "command line.")
@click.option("--urn", "urns", multiple=True, help="Follow this provider (repeatable).")
@click.option("--local-authority", help="Follow every provider in this local authority.")
@click.option("--region", help="Follow every provider in this Ofsted region.")
@click.option("--owner", help="Follow every setting of this registered provider (company).")
@click.option("--provider-type", help="Only this type: 'childrens-home' or \"Children's home\".")
@click.option("--all", "follow_all", is_flag=True, help="Follow every provider.")
@click.option("--events", multiple=True,
              help="Event kinds to receive, comma-separated: downgrade, declined, enforcement, "
                   "inadequate, upgrade, or all. [default: all but upgrade]")
@click.option("--digest", type=click.Choice(["immediate", "daily", "weekly"]),
              default="immediate", show_default=True,
              help="Send each alert at once, or one digest a day / a week.")
@click.option("--name", help="A label for this subscription (shown in `subscriptions`).")
@db_option
def subscribe_command(notify_url, urns, local_authority, region, owner, provider_type,
                      follow_all, events, digest, name, db_path):
    """Subscribe an Apprise URL to alerts. Filters combine: all must match.

    Only events detected from now on are sent, never the backlog already known.
    """
    from .. import notify, subscriptions
    db = _open(db_path)
    try:
        sub_id = subscriptions.add(
            db, notify_url, urns=urns, local_authority=local_authority, region=region,
            owner=owner, provider_type=provider_type, all=follow_all,
            events=list(events) if events else None,
            digest=None if digest == "immediate" else digest, name=name)
    except subscriptions.SubscriptionError as exc:
        raise click.ClickException(str(exc)) from None
    row = db["subscriptions"].get(sub_id)
    follows = subscriptions.describe_filters(json.loads(row["filters"]))
    click.echo(f"Subscription {sub_id}: {follows}"
               f"; events {row['events'].replace(',', ', ')}; "
               f"{row['digest'] + ' digest' if row['digest'] else 'sent at once'}; "
               f"to {notify.redact(notify_url)}")


@click.command("unsubscribe")
@click.argument("subscription_id", type=int)
@db_option
def unsubscribe_command(subscription_id, db_path):
    """Stop a subscription (by the id `subscriptions` shows); unsent alerts are cancelled."""
    from .. import subscriptions
    db = _open(db_path)
    if not subscriptions.remove(db, subscription_id):
        raise click.ClickException(f"subscription {subscription_id}: no active subscription "
                                   f"with this id")
    click.echo(f"Subscription {subscription_id} stopped.")


@click.command("subscriptions")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--inactive", is_flag=True, help="Include stopped subscriptions.")
def subscriptions_command(db_path, as_json, inactive):
    """List subscriptions (notify URLs with passwords hidden) and their deliveries."""
    from .. import subscriptions
    db = _open(db_path)
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


@click.command("notify-test")
@click.argument("url", envvar="OFSTED_WATCH_NOTIFY")
def notify_test_command(url):
    """Send a test message to an Apprise URL; exit 1 (with Apprise's reason) if it fails."""
    from .. import notify
    ok, error = notify.send_test(url)
    if not ok:
        click.echo(f"notify-test {notify.redact(url)}: failed: {error}", err=True)
        sys.exit(1)
    click.echo(f"Test message sent to {notify.redact(url)}")


@click.command("detect")
@db_option
@click.option("--baseline", is_flag=True,
              help="Record what is found as the starting point: stored, never alerted.")
@click.option("--json", "as_json", is_flag=True, help="Print the new events as JSON.")
def detect_command(db_path, baseline, as_json):
    """Read stored reports into the history and record new events (no sending)."""
    from .. import detect
    db = _open(db_path)
    ids = detect.detect(db, baseline=baseline)
    rows = [dict(r) for r in db.query(
        f"select id, urn, report_id, kind, area, old_grade, new_grade, serious, baseline "
        f"from events where id in ({','.join('?' * len(ids))}) order by id", ids)] if ids else []
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{len(rows)} new event{'s' if len(rows) != 1 else ''}"
               + (" (baseline: nobody will be alerted)" if baseline and rows else "") + ".")
    for e in rows:
        change = f"{e['old_grade']} → {e['new_grade']}" if e["old_grade"] else e["new_grade"]
        click.echo(f"  {e['urn']}  {e['kind']}  {e['area']}: {change}")


@click.command("deliver")
@db_option
@click.option("--digest", "period", type=click.Choice(["daily", "weekly"]),
              help="Also send this period's digests now.")
@click.option("--resend-unknown", is_flag=True,
              help="Send again the alerts whose first send was interrupted (they may arrive "
                   "twice: check the recipient first).")
def deliver_command(db_path, period, resend_unknown):
    """Queue alerts for new events and send everything due (retries included)."""
    from .. import outbox
    db = _open(db_path)
    if resend_unknown:
        click.echo(f"{outbox.resend_unknown(db)} interrupted alert(s) queued again.")
    queued = outbox.enqueue(db)
    counts = outbox.deliver_due(db)
    digests = outbox.send_digests(db, period) if period else 0
    parts = [f"{n} {k}" for k, n in counts.items()]
    click.echo(f"Queued {queued}; " + ", ".join(parts)
               + (f"; {digests} {period} digest(s) sent" if period else "") + ".")
    if counts.get("unknown"):
        click.echo(f"{counts['unknown']} alert(s) were interrupted mid-send and are not resent "
                   f"automatically: see `ofsted-watch subscriptions`, then "
                   f"`ofsted-watch deliver --resend-unknown` if they did not arrive.", err=True)


COMMANDS = [history_command, subscribe_command, unsubscribe_command, subscriptions_command,
            notify_test_command, detect_command, deliver_command]
