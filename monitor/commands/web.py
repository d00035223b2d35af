"""``web`` (the public site) and ``datasette`` (the public data on its own)."""
from __future__ import annotations

import socket
import sqlite3
from urllib.parse import urlsplit

import click

from ..cli import db_option
from .mail_options import mail_url_option

host_option = click.option("--host", default="127.0.0.1", show_default=True,
                           help="Address to listen on (0.0.0.0 for every interface).")
port_option = click.option("--port", default=8000, show_default=True,
                           type=click.IntRange(0, 65535), help="Port to listen on.")


def check_public_url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise click.ClickException(f"--public-url {value!r}: give the site's own address, like "
                                   f"https://ofsted-watch.example.org")
    return value.strip().rstrip("/")


def check_port_free(host: str, port: int) -> None:
    """One clear line now rather than a server that logs a bind error and stops."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: "
                                       f"{exc.strerror or exc}") from None


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def serve_app(app, host: str, port: int, echo_address: str) -> None:
    import uvicorn
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            server_header=False, proxy_headers=False)
    click.echo(echo_address)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then re-raises the Ctrl-C
        pass
    click.echo("Stopped.")


@click.command("web")
@db_option
@host_option
@port_option
@click.option("--public-url", envvar="OFSTED_WATCH_PUBLIC_URL",
              help="The site's own public address, used in links that leave it (feeds). "
                   "[env: OFSTED_WATCH_PUBLIC_URL; default: the address a request came to]")
@click.option("--no-data", is_flag=True, help="Do not serve the public data (Datasette) "
                                              "under /data.")
@mail_url_option
def web_command(db_path, host, port, public_url, no_data):
    """Serve the public web site: search, provider, local-authority and owner pages, events,
    Atom feeds, CSV/JSON, and the public data under /data."""
    from ..web.app import create_app
    public_url = check_public_url(public_url)
    check_port_free(host, port)
    try:
        app = create_app(db_path, public_url=public_url, datasette=not no_data)
    except (sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"database {db_path}: {_why(exc)}") from None
    from .. import signups  # sign-up, manage and unsubscribe links are signed (issue 11)
    try:
        signups.check_secret(app.state.signups.secret)
    except signups.SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if not app.state.signups.mail_url:
        click.echo("Note: no --mail-url (OFSTED_WATCH_MAIL_URL): email sign-up is not offered; "
                   "/subscribe points to the feeds.", err=True)
    if not app.state.store.directory().types:
        click.echo(f"Note: {db_path} has no providers yet; run `ofsted-watch run` to record the "
                   f"history the pages show.")
    shown = public_url or f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"
    serve_app(app, host, port, f"ofsted-watch web: serving {db_path} at {shown}/ "
                               f"(Ctrl-C to stop)")


def start_beside(db_path: str, host: str, port: int):
    """``serve --web``: the site in a thread beside the scheduler, on the same settings as
    ``web`` (the public URL and mail URL already read by their options); one line if it cannot
    start. Returns the running ``BackgroundSite``."""
    from .. import signups
    from ..web.server import BackgroundSite, SiteError
    settings = signups.settings()
    try:
        signups.check_secret(settings.secret)
    except signups.SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        site = BackgroundSite(db_path, host=host, port=port,
                              public_url=settings.public_url).start()
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    except (sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"database {db_path}: {_why(exc)}") from None
    click.echo(f"ofsted-watch serve: the web site is at {settings.public_url or site.url}/")
    return site


@click.command("datasette")
@db_option
@host_option
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--snapshot", type=click.Path(dir_okay=False),
              help="Where to write the public snapshot [default: beside the database, "
                   "NAME.public.db].")
def datasette_command(db_path, host, port, snapshot):
    """Serve only the public data (providers, reports, judgements, events) in Datasette.

    Datasette opens a public snapshot of the database, never the database itself:
    subscriptions and deliveries are not in the file it serves.
    """
    from pathlib import Path

    from ..web.data import standalone_app
    check_port_free(host, port)
    if not Path(db_path).exists():
        raise click.ClickException(f"database {db_path}: no such file")
    try:
        app, keeper = standalone_app(db_path, snapshot)
    except (sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"database {db_path}: {_why(exc)}") from None
    serve_app(app, host, port, f"ofsted-watch datasette: serving the public snapshot "
                               f"{keeper.out_path} at http://{host}:{port}/ (Ctrl-C to stop)")


COMMANDS = [web_command, datasette_command]
