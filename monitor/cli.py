"""``ofsted-watch``: one click group; each command lives in the module named for its job."""
from __future__ import annotations

import click

from . import config


#: Every command's exit codes (docs/alerts.md has the same table).
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNDELIVERED, EXIT_BUSY, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_CODES = (
    (EXIT_OK, "done"),
    (EXIT_ERROR, "failed; one line says why (bad input, no such database, a failed crawl)"),
    (EXIT_USAGE, "usage: an unknown option or a missing argument"),
    (EXIT_UNDELIVERED, "run/deliver: alerts not delivered (see `ofsted-watch subscriptions`)"),
    (EXIT_BUSY, "run/crawl: another run, serve or crawl holds this database"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)
#: Environment variables the commands read (each command's --help names its own).
ENVIRONMENT = (
    ("OFSTED_WATCH_DB", "database file (--db)"),
    ("OFSTED_WATCH_BASE_URL", "site to crawl (--base-url)"),
    ("OFSTED_WATCH_PDF_DIR", "where PDFs are kept (--pdf-dir)"),
    ("OFSTED_WATCH_NOTIFY", "subscribe --notify / notify-test URL"),
    ("OFSTED_WATCH_CRAWL_TIMEOUT", "run/serve --crawl-timeout"),
    ("OFSTED_WATCH_SCHEDULE", "serve --schedule"),
    ("OFSTED_WATCH_TIMEZONE", "serve --timezone"),
    ("OFSTED_WATCH_SEND_WORKERS", "messages sent at once (4)"),
    ("OFSTED_WATCH_SEND_DEADLINE", "seconds one send may take (30)"),
    ("OFSTED_WATCH_LOCK_PATIENCE", "seconds the outbox waits for a busy database (300)"),
    ("OFSTED_WATCH_PUBLIC_URL", "the public site's address (web; links in emails)"),
    ("OFSTED_WATCH_MAIL_URL", "Apprise email URL for public subscribers (--mail-url)"),
    ("OFSTED_WATCH_SECRET", "signs sign-up, manage and unsubscribe links (web needs it)"),
)


def _epilog() -> str:
    codes = "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES)
    env = "\n".join(f"  {name:<27} {text}" for name, text in ENVIRONMENT)
    return f"\b\nExit codes:\n{codes}\n\n\b\nEnvironment:\n{env}"


class Main(click.Group):
    """The group: Ctrl-C is "interrupted" and exit 130; an SQLite error that reaches here is one
    line naming the database, never a traceback."""

    def invoke(self, ctx):
        import sqlite3
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except sqlite3.Error as exc:
            from .commands.common import why
            where = ctx.meta.get("ofsted_watch.db")
            raise click.ClickException(
                f"database {where}: {why(exc)}" if where else f"database: {why(exc)}") from None


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=_epilog())
@click.version_option(package_name="ofsted-watch")
def main():
    """Watch Ofsted inspection reports and alert people when a rating drops."""


def _remember_db(ctx, _param, value):
    ctx.meta["ofsted_watch.db"] = value       # for one-line database errors (Main.invoke)
    return value


# options several commands share: declared once
db_option = click.option(
    "--db", "db_path", default=config.DB_PATH, show_default=True, envvar="OFSTED_WATCH_DB",
    type=click.Path(dir_okay=False), callback=_remember_db,
    help="SQLite database file ($OFSTED_WATCH_DB).")
base_url_option = click.option(
    "--base-url", default=config.BASE_URL, show_default=True, envvar="OFSTED_WATCH_BASE_URL",
    help="Site to crawl, or a replica of it ($OFSTED_WATCH_BASE_URL).")
pdf_dir_option = click.option(
    "--pdf-dir", default=config.PDF_DIR, show_default=True, envvar="OFSTED_WATCH_PDF_DIR",
    type=click.Path(file_okay=False),
    help="Where report PDFs are kept, by sha256 ($OFSTED_WATCH_PDF_DIR).")


def _register():
    """Every module in ``monitor/commands`` lists its commands in ``COMMANDS``: adding a job is
    adding a module there."""
    import importlib
    import pkgutil

    from . import commands
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
