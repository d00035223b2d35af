"""Find before you follow: ``providers`` (what the history holds, to find a URN) and ``events``
(what happened, across providers). Both read only, as text, ``--json`` or ``--csv``.

Filters are checked like a subscription's (an unknown council or owner is refused with the
closest names), so a search shows what a subscription with the same filters would follow.
Children's homes are anonymised: they are named by URN; no address is ever shown.
"""
from __future__ import annotations

import click

from ..cli import db_option
from ..detect import KINDS
from ..filters import PROVIDER_TYPES
from .common import csv_option, emit, json_option, open_read, plural

_TYPES = ", ".join(PROVIDER_TYPES)


def _filter_options(func):
    for option in reversed((
        click.option("--urn", "urns", multiple=True,
                     help="Only these URNs (repeatable, or comma-separated)."),
        click.option("--local-authority", help="A council: name, short form or DfE code."),
        click.option("--region", help="An Ofsted region (name or E12 code)."),
        click.option("--owner", help="A registered provider (company) named in the history."),
        click.option("--type", "provider_type", metavar="TYPE",
                     help=f"A provider type: {_TYPES}."),
    )):
        func = option(func)
    return func


def _match(db, urns, local_authority, region, owner, provider_type):
    from ..browse import BrowseError, build_filter
    from ..filters import FilterError
    try:
        return build_filter(db, urns=urns, local_authority=local_authority, region=region,
                            owner=owner, provider_type=provider_type)
    except (FilterError, BrowseError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command("providers")
@_filter_options
@click.option("--grade", help="Only providers whose latest graded report has this grade "
                              "(outstanding, good, requires improvement, inadequate, ...).")
@click.option("--search", metavar="TEXT",
              help="Only providers whose URN, name, owner or council contains TEXT.")
@db_option
@json_option
@csv_option
def providers_command(urns, local_authority, region, owner, provider_type, grade, search,
                      db_path, as_json, as_csv):
    """List the providers the history holds, with their latest graded inspection: find a URN
    to follow. Reads only."""
    from .. import browse
    db = open_read(db_path)
    match = _match(db, urns, local_authority, region, owner, provider_type)
    try:
        token = browse.grade(grade) if grade else None
    except browse.BrowseError as exc:
        raise click.ClickException(str(exc)) from None
    rows = browse.providers(db, match=match, grade_token=token, search=search)
    if emit(rows, as_json=as_json, as_csv=as_csv, columns=browse.PROVIDER_COLUMNS):
        return
    from ..message import grade_words
    click.echo(f"{plural(len(rows), 'provider')}.")
    for r in rows:
        latest = (f"{grade_words(r['latest_grade'])} ({r['latest_inspection']})"
                  if r["latest_grade"] else "no graded report")
        where = ", ".join(v for v in (r["provider_type"], r["local_authority"]) if v)
        owner_text = f"; {r['owner']}" if r["owner"] else ""
        click.echo(f"  {r['urn']:10} {r['name']} — {where}{owner_text}; {latest}")


@click.command("events")
@click.option("--since", metavar="YYYY-MM-DD", help="Only events recorded on or after this day.")
@click.option("--kind", "kinds", multiple=True,
              help=f"Only these kinds (comma-separated): {', '.join(KINDS)}.")
@click.option("--news", is_flag=True,
              help="Only news: leave out what was recorded as the baseline (never alerted).")
@_filter_options
@db_option
@json_option
@csv_option
def events_command(since, kinds, news, urns, local_authority, region, owner, provider_type,
                   db_path, as_json, as_csv):
    """List events across providers, newest first (downgrades, enforcement, ...). Reads only."""
    from .. import browse
    from ..subscriptions import SubscriptionError, parse_kinds
    try:
        day = browse.parse_day(since)
        wanted = parse_kinds(list(kinds)) if kinds else None
    except (browse.BrowseError, SubscriptionError) as exc:
        raise click.ClickException(str(exc)) from None
    db = open_read(db_path)
    match = _match(db, urns, local_authority, region, owner, provider_type)
    rows = browse.events(db, match=match, since=day, kinds=wanted, news_only=news)
    if emit(rows, as_json=as_json, as_csv=as_csv, columns=browse.EVENT_COLUMNS):
        return
    from ..message import grade_words
    click.echo(f"{plural(len(rows), 'event')}.")
    for e in rows:
        change = (f"{grade_words(e['old_grade'])} → {grade_words(e['new_grade'])}"
                  if e["old_grade"] else grade_words(e["new_grade"]) if e["new_grade"] else "")
        flags = [w for w, on in (("serious", e["serious"]), ("not alerted", not e["alerted"]))
                 if on]
        click.echo(f"  {(e['detected_at'] or '')[:10]}  {e['urn']:10} {e['kind']:11} "
                   f"{e['area']}: {change}".rstrip()
                   + (f"  ({', '.join(flags)})" if flags else "") + f"  — {e['name']}")


COMMANDS = [providers_command, events_command]
