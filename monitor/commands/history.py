"""``ofsted-watch history URN``: one provider's reports, judgements and events. Reads only.

The headline judgement is ``overall`` in the monitor whatever a framework calls it (the
extractor prints a children's home's as ``overall_experiences_and_progress``); ``--json`` says
which: each report's ``headline`` names the extractor's key and the report's own words.
"""
from __future__ import annotations

import json
import sqlite3

import click

from extract.places import REGIONS

from ..cli import db_option
from .common import database_error, json_option, open_read


def _grades(judgements: dict) -> str:
    from ..message import grade_words
    return ", ".join(f"{area.replace('_', ' ')} {grade_words(j['grade'])}"
                     for area, j in judgements.items() if area != "overall")


def headline(extraction: dict | None, overall: str | None, label: str | None) -> dict | None:
    """Which judgement the monitor's ``overall`` is: the extractor's key and the printed label."""
    if not overall:
        return None
    key = "overall"
    for area, grade in ((extraction or {}).get("judgements") or {}).items():
        if area.startswith("overall_") and grade == overall:
            key = area
            break
    labels = (extraction or {}).get("labels") or {}
    return {"monitor_key": "overall", "extract_key": key,
            "label": label or labels.get(key) or labels.get("overall")}


@click.command("history")
@click.argument("urn")
@db_option
@json_option
def history_command(urn, db_path, as_json):
    """Show a provider's full history: its reports, judgements and events, oldest first.

    The headline judgement is shown as `overall` (the extractor's own key for it, e.g.
    overall_experiences_and_progress, is in --json as each report's `headline`). Reads only."""
    from ..filters import FilterError, urn as normal_urn
    from ..history import load_extraction, provider_history
    from ..message import enforcement_words, grade_words
    try:
        wanted = normal_urn(urn)
    except FilterError as exc:
        raise click.ClickException(str(exc)) from None
    db = open_read(db_path)
    try:
        found = provider_history(db, wanted)
        extractions = {fid: load_extraction(text) for fid, text in db.execute(
            "select file_id, extraction from reports where urn = ?", [wanted])}
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from None
    if found is None:
        raise click.ClickException(f"URN {wanted}: no provider or report with this URN in "
                                   f"{db_path}")
    for report in found["reports"]:
        head = (report["judgements"] or {}).get("overall") or {}
        report["headline"] = headline(extractions.get(report["file_id"]), report["overall"],
                                      head.get("label"))
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
        if r.get("extract_error"):
            line += f"  [could not be read: {r['extract_error']}]"
        click.echo(line.rstrip())
    official = found.get("official") or []
    if official:  # imported by `mi import` (docs/statistics.md); the date is the last day
        click.echo("")
        click.echo(f"Official statistics ({len(official)} inspections, last day inspected):")
    for o in official:
        line = (f"  {o['inspection_date'] or '?':10}  {(o['event_type'] or '-'):12} "
                f"{grade_words(o['overall']) if o['overall'] else '-':32}")
        extra = _grades(o["judgements"])
        if extra:
            line += f"  {extra}"
        if o["report_id"]:
            line += f"  = report {o['report_id']}"
        click.echo(line.rstrip())
    click.echo("")
    click.echo(f"Events ({len(found['events'])}):")
    for e in found["events"]:
        change = (f"{grade_words(e['old_grade'])} → {grade_words(e['new_grade'])}"
                  if e["old_grade"] else grade_words(e["new_grade"]))
        flags = [w for w, on in (("serious", e["serious"]), ("not alerted", e["baseline"])) if on]
        click.echo(f"  {e['detected_at'][:10]}  {e['kind']:11} {e['area']}: {change}"
                   + (f"  ({', '.join(flags)})" if flags else "") + f"  report {e['report_id']}")


COMMANDS = [history_command]
