"""``--mail-url`` and ``--public-url`` for every command that sends email to public subscribers
(``run``, ``serve``, ``deliver``, ``demo``; ``web`` sends their confirmation emails). Each is
read from the environment too (``OFSTED_WATCH_MAIL_URL``, ``OFSTED_WATCH_PUBLIC_URL``) and sets
the process's public email settings (``monitor.signups.configure``); the signing secret comes
only from the environment (``OFSTED_WATCH_SECRET``), never from a command line others can read.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import click


def _mail_url(ctx, param, value):
    from .. import signups
    if not value:
        return value
    try:
        signups.check_mail_url(value)
    except signups.SettingsError as exc:
        raise click.BadParameter(str(exc), ctx=ctx,
                                 param=param) from None
    signups.configure(mail_url=value)
    return value


def _public_url(ctx, param, value):
    from .. import signups
    if not value:
        return value
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise click.BadParameter(f"{value!r}: give the site's own address, like "
                                 f"https://ofsted-watch.example.org", ctx=ctx, param=param)
    signups.configure(public_url=value.strip().rstrip("/"))
    return value


mail_url_option = click.option(
    "--mail-url", envvar="OFSTED_WATCH_MAIL_URL", expose_value=False, callback=_mail_url,
    metavar="URL", help="Apprise email URL for public subscribers' emails "
                        "(mailtos://user:PASSWORD@smtp.example.org?from=alerts@example.org); "
                        "each email's recipient is filled in. [env: OFSTED_WATCH_MAIL_URL]")
public_url_option = click.option(
    "--public-url", envvar="OFSTED_WATCH_PUBLIC_URL", expose_value=False,
    callback=_public_url, metavar="URL",
    help="The public site's address, for the links in emails (manage, unsubscribe, provider "
         "pages). [env: OFSTED_WATCH_PUBLIC_URL]")


def mail_options(command):
    """Both options, for a command that sends public subscribers' emails."""
    return mail_url_option(public_url_option(command))
