"""``ofsted-watch``: one click group; each command lives in the module named for its job."""
from __future__ import annotations

import click

from . import config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ofsted-watch")
def main():
    """Watch Ofsted inspection reports and alert people when a rating drops."""


db_option = click.option(
    "--db", "db_path", default=config.DB_PATH, show_default=True, envvar="OFSTED_WATCH_DB",
    type=click.Path(dir_okay=False), help="SQLite database file.")


def _register():
    from .commands import alerts, crawl, extract, service
    for module in (extract, crawl, alerts, service):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
