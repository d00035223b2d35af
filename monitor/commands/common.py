"""What the commands share: opening the database (read-only where a command only reads), the
``--json``/``--csv`` output of lists, and one-line errors.

Read-only commands (``subscriptions``, ``history``, ``providers``, ``events``, ``detect
--dry-run``) never create a database or its folder: a missing one is one line and exit 1, and
they open the file with SQLite's ``mode=ro`` so nothing is written to it.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from pathlib import Path

import click


def why(exc: BaseException) -> str:
    """An OSError or SQLite error as a person reads it."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    text = str(exc)
    if "database is locked" in text:
        return "database is locked: another process is writing to it; try again when it ends"
    if "readonly database" in text or "read-only" in text:
        return "the database is read-only here (file or folder permissions): this command " \
               "needs to write to it"
    if "file is not a database" in text:
        return "not an ofsted-watch database (not an SQLite file)"
    return text


def database_error(db_path, exc: BaseException) -> click.ClickException:
    return click.ClickException(f"database {db_path}: {why(exc)}")


def missing(db_path) -> click.ClickException:
    return click.ClickException(
        f"database {db_path}: no such file (nothing has been crawled into it yet: run "
        f"`ofsted-watch run` or `ofsted-watch crawl`, or point --db / $OFSTED_WATCH_DB at it)")


def open_write(db_path, *, existing: bool = False):
    """Open (creating and migrating) the database for a command that writes. ``existing``: for
    commands with nothing to do in a new database (detect, deliver, unsubscribe) a missing one
    is one line and exit 1, and nothing is created (a mistyped --db makes no file or folder)."""
    above = next((parent for parent in Path(db_path).parents if parent.exists()), None)
    if existing and (above is None or above.is_dir()):   # under a file: open_db says so below
        open_read(db_path).conn.close()
    from ..schema import open_db
    try:
        return open_db(db_path)
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from None
    except OSError as exc:  # its folder cannot be made: a path under a file, no permission
        raise database_error(db_path, exc) from None


def open_read(db_path):
    """Open an existing database read-only (``mode=ro``); one line and exit 1 when it is
    missing or not a database. Nothing is created: no file, no folder."""
    import sqlite_utils
    path = Path(db_path)
    try:
        exists = path.is_file()
    except OSError:
        exists = False
    if not exists:
        if path.is_dir():
            raise click.ClickException(f"database {db_path}: is a directory, not a database")
        raise missing(db_path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from None
    db = sqlite_utils.Database(conn)
    if not db["reports"].exists():
        conn.close()
        raise click.ClickException(f"database {db_path}: not an ofsted-watch database (no "
                                   f"reports table)")
    return db


def emit(rows: list[dict], *, as_json: bool, as_csv: bool, columns: list[str]) -> bool:
    """Print ``rows`` as JSON or CSV when asked; False when the caller prints text itself."""
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True, default=str))
        return True
    if as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})
        click.echo(out.getvalue(), nl=False)
        return True
    return False


def _cell(value):
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value    # text from the site never runs as a spreadsheet formula
    return value


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 page', '2 pages'."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


class OneLineUsageError(click.BadParameter):
    """A bad option value: exit 2 (usage), shown as the one ``Error:`` line (no usage block)."""

    def show(self, file=None):
        click.echo(f"Error: {self.format_message()}", err=True)


def bad_value(option: str, message: str) -> click.BadParameter:
    return OneLineUsageError(message, param_hint=option)


def check_settings(overrides) -> None:
    """``-s NAME=VALUE``: NAME must be a Scrapy or crawler setting and VALUE of its type
    (a number for a number, true/false for a flag); one line otherwise, before anything runs."""
    import difflib

    from scrapy.settings import default_settings

    from crawler import settings as ours
    known = {name: getattr(module, name) for module in (default_settings, ours)
             for name in dir(module) if name.isupper() and not name.startswith("_")}
    for pair in overrides or ():
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise bad_value("-s/--set", f"{pair!r} is not NAME=VALUE")
        if name not in known:
            close = difflib.get_close_matches(name.upper(), list(known), n=1)
            raise bad_value("-s/--set", f"{name}: not a Scrapy setting"
                            + (f"; did you mean {close[0]}?" if close else ""))
        default, text = known[name], value.strip()
        try:
            if isinstance(default, bool):
                if text not in ("0", "1", "true", "false", "True", "False"):
                    raise ValueError
            elif isinstance(default, int):
                int(text)
            elif isinstance(default, float):
                float(text)
        except ValueError:
            kind = ("true or false" if isinstance(default, bool) else "a whole number"
                    if isinstance(default, int) else "a number")
            raise bad_value("-s/--set", f"{name}={value}: {name} takes {kind}") from None


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def verbose_logging(verbose) -> None:
    """``-v``: log each step to stderr (INFO; ``-vv`` DEBUG where a command counts them)."""
    import logging
    level = logging.WARNING if not verbose else logging.INFO if verbose == 1 or verbose is True \
        else logging.DEBUG
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)


json_option = click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
csv_option = click.option("--csv", "as_csv", is_flag=True, help="Print as CSV (a header row, "
                          "one row each).")
