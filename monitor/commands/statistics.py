"""``ofsted-watch mi``: Ofsted's official statistics — import them, check extractions against them."""
from __future__ import annotations

import json
import re
import sys

import click

from ..cli import db_option
from ..schema import open_db

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _safe(value) -> str:
    """Text from a file, a PDF or the site, shown on a terminal: no control characters."""
    return _CONTROL.sub(" ", "" if value is None else str(value))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _open(db_path):
    try:
        return open_db(db_path)
    except OSError as exc:
        raise click.ClickException(f"cannot open database {db_path}: {exc.strerror}") from None


@click.group("mi")
def mi():
    """Ofsted's official social-care statistics (management information): import the published
    files, check what the extractor read against them. See docs/statistics.md."""


@mi.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@db_option
def import_(files, db_path):
    """Import statistics files (CSV, ODS or XLSX; in-year or as-at-31-March, any year).

    Idempotent: a file imported twice, or files that overlap, change nothing the second time.
    Fills providers (type, local authority, region, owner, status, registration date, places)
    and the official inspection history. Never creates events: nobody is alerted. A file that
    cannot be read is named with its problem and nothing of it is imported; the other files are.
    """
    from ..statistics import import_files

    db = _open(db_path)
    done, failed = import_files(db, files)
    for result in done:
        click.echo(_safe(result.summary()))
    for _path, problem in failed:
        click.echo(f"error: {_safe(problem)}; nothing of it imported", err=True)
    if failed:
        click.echo(f"{len(done)} of {len(files)} files imported, {len(failed)} not", err=True)
        sys.exit(1)
    rows = sum(r.rows for r in done)
    click.echo(f"{len(done)} files, {rows} rows imported")


@mi.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@db_option
def check(as_json, db_path):
    """Compare every report read from a PDF with the official row of the same inspection.

    Prints agreement per report family and field, then each disagreement (URN, date, field,
    what the PDF says, what the statistics say, report link), and records them for the monitor
    (replacing the last check's)."""
    from ..statistics import run_check

    db = _open(db_path)
    if not db.execute("select count(*) from official_inspections").fetchone()[0]:
        raise click.ClickException("no official statistics imported yet: run "
                                   "'ofsted-watch mi import FILE...' first")
    result = run_check(db)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    unmatched = result.reports - result.matched
    click.echo(f"{_count(result.reports, 'report')} read from PDFs: {result.matched} "
               f"{'is an inspection' if result.matched == 1 else 'are inspections'} the "
               f"statistics hold, {unmatched} {'is' if unmatched == 1 else 'are'} not (other "
               "dates, URNs or years)")
    if not result.matched:
        return
    click.echo(f"{'family':<28} {'field':<36} {'agree':>6} {'disagree':>8}")
    for family, tally in sorted(result.families.items()):
        for name, counts in tally["fields"].items():
            click.echo(f"{_safe(family):<28} {_safe(name):<36} {counts['agree']:>6} "
                       f"{counts['disagree']:>8}")
    share = 100 * result.agreed / result.compared if result.compared else 100.0
    click.echo(f"agreement: {result.agreed} of {result.compared} fields ({share:.1f}%)")
    if result.disagreements:
        click.echo("disagreements (URN, last day, field, PDF says, statistics say, report):")
    for row in result.disagreements:
        click.echo("  ".join(_safe(v) for v in (
            row["urn"], row["inspection_date"], row["field"], row["pdf"] or "(none)",
            row["statistics"] or "(none)", row["url"] or row["report_id"])))


COMMANDS = [mi]
