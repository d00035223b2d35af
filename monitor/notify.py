"""Apprise, wrapped: check a notify URL, send one message, capture why a send failed.

Apprise URLs may carry passwords and tokens. Nothing here prints or logs a raw URL: ``redact``
uses Apprise's own privacy rendering (``URLBase.url(privacy=True)``), and every error text
captured from Apprise is scrubbed of the URL's secret parts before it is stored or shown.
"""
from __future__ import annotations

import logging
import re
import threading

import apprise

from . import config

log = logging.getLogger("ofsted_watch.notify")

ASSET = apprise.AppriseAsset(app_id="ofsted-watch",
                             app_desc="Ofsted inspection report alerts",
                             app_url=config.CONTACT_URL)


class NotifyError(ValueError):
    """A notify URL Apprise cannot use; the message never contains the URL's secrets."""


def _scheme(url: str) -> str:
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*)://", url or "")
    return match.group(1).lower() if match else ""


def plugin_for(url: str):
    """The Apprise plugin for ``url``; NotifyError if Apprise cannot use it."""
    scheme = _scheme(url)
    if not scheme:
        raise NotifyError("notify URL is not a URL: expected scheme://... "
                          "(see https://github.com/caronc/apprise/wiki)")
    plugin = apprise.Apprise.instantiate(url, asset=ASSET, suppress_exceptions=True)
    if plugin is None:
        raise NotifyError(f"notify URL {scheme}://… is not one Apprise can use: check its "
                          f"scheme and fields (see https://github.com/caronc/apprise/wiki)")
    return plugin


def check_url(url: str) -> None:
    plugin_for(url)


def redact(url: str) -> str:
    """The URL as Apprise prints it with privacy on (passwords and tokens masked)."""
    try:
        return plugin_for(url).url(privacy=True)
    except NotifyError:
        return f"{_scheme(url) or 'invalid'}://****"


def secrets_of(url: str) -> set[str]:
    """Parts of ``url`` that its privacy rendering hides: never let them reach a log."""
    private = redact(url)
    tokens = set(re.split(r"[/:@?&=#,\s]+", private))
    found = {part for part in re.split(r"[/:@?&=#,\s]+", url or "")
             if len(part) >= 3 and part not in tokens}
    found.add(url)
    return {s for s in found if s}


def scrub(text: str, url: str) -> str:
    for secret in sorted(secrets_of(url), key=len, reverse=True):
        text = text.replace(secret, "****")
    return text


#: Apprise services that carry data to a program: they receive the message's ``data`` as JSON.
DATA_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}


def body_for(plugin, message) -> tuple[str, str]:
    """(body, Apprise body format) in the form the channel shows best: HTML for services that
    show HTML (email; Apprise's email plugin adds the plain-text part itself), Markdown for
    Slack/Teams/Discord and the like, JSON for webhooks, plain text for the rest."""
    import json
    protocols = set()
    for name in ("protocol", "secure_protocol"):
        value = getattr(plugin, name, None)
        protocols.update(value if isinstance(value, (tuple, list, set)) else [value])
    if protocols & DATA_SCHEMES:
        return json.dumps(message.data, sort_keys=True, default=str), apprise.NotifyFormat.TEXT
    formats = plugin.notify_format
    formats = list(formats) if isinstance(formats, (tuple, list)) else [formats]
    if formats and formats[0] == apprise.NotifyFormat.HTML:    # the service's preferred form
        return message.html, apprise.NotifyFormat.HTML
    if apprise.NotifyFormat.MARKDOWN in formats:
        return message.markdown, apprise.NotifyFormat.MARKDOWN
    return message.text, apprise.NotifyFormat.TEXT


class _ThreadLogs(logging.Handler):
    """Apprise's warnings, kept per sending thread, so each failed send gets its own reason
    even when several sends run at once (``apprise.LogCapture`` captures every thread)."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.lines: dict[int, list[str]] = {}

    def emit(self, record):
        bucket = self.lines.get(threading.get_ident())
        if bucket is not None:
            try:
                bucket.append(record.getMessage())
            except Exception:  # a malformed log record must not break a send
                pass

    def __enter__(self):
        self.lines[threading.get_ident()] = []
        return self

    def __exit__(self, *exc):
        pass

    def take(self) -> list[str]:
        return self.lines.pop(threading.get_ident(), [])


_LOGS = _ThreadLogs()
_apprise_log = logging.getLogger("apprise")
_apprise_log.addHandler(_LOGS)
if _apprise_log.getEffectiveLevel() > logging.WARNING:
    _apprise_log.setLevel(logging.WARNING)


class Sender:
    """Sends messages, keeping one Apprise plugin per notify URL for the sender's lifetime.
    Safe to call from several threads at once."""

    def __init__(self):
        self._cache: dict[str, object] = {}
        self._lock = threading.Lock()

    def _get(self, url: str):
        with self._lock:
            if url not in self._cache:
                self._cache[url] = plugin_for(url)
            return self._cache[url]

    def send(self, url: str, message) -> tuple[bool, str | None]:
        """Send one ``message.Message``. Returns (ok, error); the error is one scrubbed line."""
        try:
            plugin = self._get(url)
        except NotifyError as exc:
            return False, str(exc)
        body, body_format = body_for(plugin, message)
        crashed = None
        with _LOGS:
            try:
                ok = bool(plugin.notify(title=message.title, body=body, body_format=body_format))
            except Exception as exc:  # a plugin bug must not lose the delivery
                ok, crashed = False, f"{type(exc).__name__}: {exc}"
            logged = _LOGS.take()
        if ok:
            return True, None
        lines = [line.strip() for line in logged if line.strip()]
        lines += [crashed] if crashed else []
        error = " / ".join(lines[-3:]) if lines else "Apprise reported failure with no detail"
        return False, scrub(error, url)[:500]


def send_test(url: str) -> tuple[bool, str | None]:
    """``ofsted-watch notify-test``: one short message proving the URL works."""
    from .message import test_message
    return Sender().send(url, test_message())
