"""``ofsted-watch``: one click group; each command lives in the module named for its job."""
from __future__ import annotations

import click

from . import config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ofsted-watch")
def main():
    """Watch Ofsted inspection reports and alert people when a rating drops."""


# options several commands share: declared once
db_option = click.option(
    "--db", "db_path", default=config.DB_PATH, show_default=True, envvar="OFSTED_WATCH_DB",
    type=click.Path(dir_okay=False), help="SQLite database file ($OFSTED_WATCH_DB).")
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
