"""``ofsted-watch extract FILE...``: report PDFs → one JSON object per file (JSON Lines)."""
from __future__ import annotations

import json

import click

from extract import BadReport, extract_file


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--pretty", is_flag=True, help="Indent each object (for reading; not JSON Lines).")
@click.option("--urn", default=None,
              help="URN to use when the report prints none (local-authority reports).")
@click.pass_context
def extract(ctx, files, pretty, urn):
    """Read Ofsted report PDFs and print their judgements as JSON Lines.

    Every file is read even when some are bad; each bad file gets one line on stderr
    ("ofsted-watch extract: FILE: problem") and the exit status is 2.
    """
    bad = 0
    for path in files:
        try:
            report = extract_file(path, urn=urn)
        except BadReport as exc:
            bad += 1
            click.echo(f"ofsted-watch extract: {path}: {exc}", err=True)
            continue
        except Exception as exc:  # a bug, not bad input: still one line, never a traceback
            bad += 1
            click.echo(f"ofsted-watch extract: {path}: internal error reading this file "
                       f"({type(exc).__name__}: {exc})", err=True)
            continue
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False,
                              indent=2 if pretty else None))
    ctx.exit(2 if bad else 0)


COMMANDS = [extract]
