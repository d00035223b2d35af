"""``ofsted-watch extract FILE...``: report PDFs → one JSON object per file (JSON Lines)."""
from __future__ import annotations

import json

import click


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--pretty", is_flag=True, help="Indent each object (for reading; not JSON Lines).")
@click.option("--urn", default=None,
              help="URN to use when the report prints none (local-authority reports).")
@click.pass_context
def extract(ctx, files, pretty, urn):
    """Read Ofsted report PDFs and print their judgements as JSON Lines.

    Every file is read even when some are bad; each bad file gets one line on stderr
    ("ofsted-watch extract: FILE: problem") and the exit status is 2. Each file is read in a
    sandboxed worker (OFSTED_WATCH_EXTRACT_MEMORY_MB, default 512; OFSTED_WATCH_EXTRACT_TIMEOUT,
    default 60 s); anything that is not a regular file (a FIFO) is refused unread.
    """
    from ..sandbox_extract import shared_pool
    from ..store import clean, clean_text

    pool = shared_pool()       # each file read in a sandboxed worker: memory and time limits
    reading = [pool.submit(path, urn) for path in files]
    bad = 0
    for path, future in zip(files, reading):
        outcome = future.result()
        if outcome.kind == "ok":
            click.echo(json.dumps(clean(outcome.report), ensure_ascii=False,
                                  indent=2 if pretty else None))
            continue
        bad += 1
        problem = clean_text(outcome.error)
        if outcome.kind == "internal":  # a bug, not bad input: still one line, no traceback
            problem = f"internal error reading this file ({problem})"
        click.echo(f"ofsted-watch extract: {path}: {problem}", err=True)
    ctx.exit(2 if bad else 0)


COMMANDS = [extract]
