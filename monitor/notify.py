"""Apprise, wrapped: check a notify URL, send one message, say exactly why a send failed.

Apprise URLs may carry passwords and tokens. Nothing here prints or logs a raw URL: ``redact``
uses Apprise's own privacy rendering (``URLBase.url(privacy=True)``), and every error text
captured from Apprise is scrubbed of the URL's secret parts — and of recipients' addresses, of
which only the domain is kept ("…@example.org") — before it is stored or shown.

Three things on top of plain ``plugin.notify()``, all inside a ``Sender`` (nothing here changes
Apprise for any other caller in the process):

* **Email at SMTP speed.** Apprise's email plugin opens a new SMTP connection and builds a new TLS
  context (loading the system CA bundle, ~45 ms of CPU) for every message, even on plain SMTP.
  A ``Sender`` runs the plugin's own ``send()`` — upstream's code, unchanged, so every message is
  built and addressed exactly as Apprise builds it, one per recipient — with one name resolved
  differently: its ``AppriseSMTPController`` becomes ``_PooledSMTP``, which keeps one SMTP
  connection per (server, login) per sending thread and one TLS context per verification mode
  for the Sender's life (a delivery batch). See ``_pooled_email_send`` and docs/alerts.md for
  what could go upstream.
* **Webhooks at HTTP speed.** Apprise's HTTP plugins call ``requests.post``: a new session and
  connection per message, the environment read each time. In a ``Sender`` the plugin's own
  ``send()`` runs with ``requests`` resolved to ``_PooledRequests``: one keep-alive session per
  sending thread for the batch, no cookies kept, the environment read once per host
  (``_HTTPSessions``).
* **The server's own words.** A refused email is reported with the SMTP reply code and text
  (``Outcome.code``; ``Outcome.permanent`` for a 5xx), which Apprise only logs at debug level.
* **A deadline per send** (connect + write + response, not just a socket timeout):
  ``_Watchdog`` shuts the send's sockets down when it is exceeded, so a destination that
  trickles a byte every few seconds holds a worker for at most ``deadline`` seconds, and the
  send is reported as failed (``Outcome.timed_out``).
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import re
import select
import smtplib
import socket
import ssl
import sys
import threading
import time
import types
from collections import OrderedDict
from urllib.parse import parse_qs, unquote, urlsplit

import apprise

from . import config

log = logging.getLogger("ofsted_watch.notify")

ASSET = apprise.AppriseAsset(app_id="ofsted-watch",
                             app_desc="Ofsted inspection report alerts",
                             app_url=config.CONTACT_URL)

#: The most one send may take, connect to last byte of the answer (seconds).
SEND_DEADLINE = float(os.environ.get("OFSTED_WATCH_SEND_DEADLINE", "30"))


class NotifyError(ValueError):
    """A notify URL Apprise cannot use; the message never contains the URL's secrets."""


def _scheme(url: str) -> str:
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*)://", url or "")
    return match.group(1).lower() if match else ""


def _parsed(url: str, scheme: str) -> dict | None:
    """The plugin's own parse of ``url`` (what ``apprise.plugins.url_to_dict`` returns for a
    known scheme), without the log lines url_to_dict formats whether or not they are logged —
    half the cost of making a plugin, paid once per subscriber in a fan-out. None when the
    scheme is not a plugin's or the parse fails: then Apprise parses the URL itself (and logs
    why it failed, privately)."""
    try:
        from apprise.manager_plugins import NotificationManager
        manager = NotificationManager()         # a shared singleton (Apprise's N_MGR)
        plugin_class = manager[scheme] if scheme in manager else None
        results = plugin_class.parse_url(url.replace("/#", "/%23")) if plugin_class else None
    except Exception:
        return None
    return results or None


def plugin_for(url: str):
    """The Apprise plugin for ``url``; NotifyError if Apprise cannot use it."""
    scheme = _scheme(url)
    if not scheme:
        raise NotifyError("notify URL is not a URL: expected scheme://... "
                          "(see https://github.com/caronc/apprise/wiki)")
    plugin, fields = None, _parsed(url, scheme)
    if fields:
        # Apprise logs a failure to make a plugin from fields with the fields as they are,
        # password and all: its records wait until the plugin is made, and are dropped if not
        _HELD.records = []
        try:
            plugin = apprise.Apprise.instantiate(fields, asset=ASSET, suppress_exceptions=True)
        finally:
            held, _HELD.records = _HELD.records, None
        if plugin is not None:
            for record in held:
                _apprise_log.handle(record)
    if plugin is None:     # Apprise's own parse of the URL, and its privacy-safe log lines
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
    private = unquote(redact(url))
    tokens = set(re.split(r"[/:@?&=#,\s]+", private))
    found = {part for part in re.split(r"[/:@?&=#,\s]+", url or "")
             if len(part) >= 3 and part not in tokens}
    found |= {unquote(part) for part in found}       # as a server would echo it back
    found.add(url)
    return {s for s in found if s}


_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@((?:[\w-]+\.)+[\w-]+)")


def hide_addresses(text: str) -> str:
    """Email addresses reduced to their domain ("…@example.org"): enough for an operator to see
    which provider refused, without putting a subscriber's address in a log."""
    return _ADDRESS.sub(lambda m: f"…@{m.group(1)}", text)


def scrub(text: str, url: str) -> str:
    for secret in sorted(secrets_of(url), key=len, reverse=True):
        text = text.replace(secret, "****")
    return hide_addresses(text)


#: Schemes whose URL "host" is a real server (elsewhere it may be a token: tgram://BOT_TOKEN/...).
HOST_SCHEMES = {"mailto", "mailtos", "json", "jsons", "form", "forms", "xml", "xmls", "ntfy",
                "ntfys", "gotify", "gotifys", "matrix", "matrixs", "mqtt", "mqtts", "apprise",
                "apprises"}


def destination(url: str) -> str:
    """Where a notify URL's messages go, for sharing workers fairly between destinations:
    "scheme://host:port" (an email URL's SMTP server) for services addressed by host, else the
    scheme and a short hash of the rest — never a user, password, token, path or query."""
    import hashlib
    try:
        parts = urlsplit((url or "").strip())
        scheme = parts.scheme.lower()
        if scheme not in HOST_SCHEMES:
            digest = hashlib.sha256(parts.netloc.encode()).hexdigest()[:10]
            return f"{scheme or 'invalid'}://#{digest}"
        host = (parse_qs(parts.query).get("smtp") or [parts.hostname or ""])[0].lower()
        port = parts.port
    except ValueError:
        return "invalid://"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


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


class _Hold(logging.Filter):
    """Keeps back the apprise logger's records in a thread that is making a plugin from parsed
    fields (``plugin_for``), where ``_HELD.records`` is a list."""

    def filter(self, record):
        held = getattr(_HELD, "records", None)
        if held is None:
            return True
        held.append(record)
        return False


_HELD = threading.local()
_LOGS = _ThreadLogs()
_apprise_log = logging.getLogger("apprise")
_apprise_log.addFilter(_Hold())
_apprise_log.addHandler(_LOGS)
if _apprise_log.getEffectiveLevel() > logging.WARNING:
    _apprise_log.setLevel(logging.WARNING)


# ---- the outcome of one send -------------------------------------------------------------------

class Outcome(tuple):
    """What one send came to. Unpacks as ``(ok, error)`` like a pair; also carries

    ``code``      the server's reply code when it refused (SMTP 550, 451, ...), else None;
    ``permanent`` the refusal will not change by retrying (an SMTP 5xx);
    ``timed_out`` the send was cut at its deadline (nothing definite was heard back).
    """

    def __new__(cls, ok: bool, error: str | None = None, *, code: int | None = None,
                permanent: bool = False, timed_out: bool = False):
        self = super().__new__(cls, (ok, error))
        self.code, self.permanent, self.timed_out = code, permanent, timed_out
        return self

    ok = property(lambda self: self[0])
    error = property(lambda self: self[1])

    def __getnewargs_ex__(self):
        return (self[0], self[1]), {"code": self.code, "permanent": self.permanent,
                                    "timed_out": self.timed_out}


# ---- deadlines: one watchdog thread cuts the sockets of a send that overruns -------------------

class _Watch:
    __slots__ = ("deadline", "seconds", "thread", "sockets", "expired", "done", "seq")

    def __init__(self, seconds: float, seq: int):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.thread = threading.get_ident()
        self.sockets: list[tuple[int, int]] = []     # (fd, inode): survives an SSL wrap
        self.expired = False
        self.done = False
        self.seq = seq

    def add(self, sock) -> None:
        try:
            fd = sock.fileno()
            if fd >= 0:
                self.sockets.append((fd, os.fstat(fd).st_ino))
        except (OSError, ValueError):
            pass


class _Watchdog:
    """Overall deadlines for sends, whatever library makes the connection.

    A send runs inside ``watch(seconds)``. Sockets the sending thread connects meanwhile are
    noticed through Python's ``socket.connect`` audit event (PEP 578; the hook is inert for any
    thread not inside a watch), and sockets reused from a pool are added with ``add``. When the
    deadline passes, the watchdog shuts those sockets down (``shutdown(SHUT_RDWR)`` on a
    duplicate of the descriptor, after checking it is still the same socket), so whatever is
    blocked in them — smtplib, requests, anything — returns at once with an error, and any new
    connection the thread tries is refused."""

    def __init__(self):
        self._lock = threading.Condition()
        self._heap: list = []
        self._active: dict[int, _Watch] = {}
        self._seq = itertools.count()
        self._thread = None
        self._hooked = False

    def _audit(self, event, args):
        if event != "socket.connect":
            return
        watch = self._active.get(threading.get_ident())
        if watch is None:
            return
        if watch.expired:
            raise TimeoutError(f"send deadline of {watch.seconds:g} s passed")
        watch.add(args[0])

    def current(self) -> _Watch | None:
        return self._active.get(threading.get_ident())

    @contextlib.contextmanager
    def watch(self, seconds: float | None):
        if not seconds or seconds <= 0:
            yield None
            return
        with self._lock:
            if not self._hooked:
                sys.addaudithook(self._audit)
                self._hooked = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="send-deadlines",
                                                daemon=True)
                self._thread.start()
            watch = _Watch(seconds, next(self._seq))
            self._active[watch.thread] = watch
            heapq.heappush(self._heap, (watch.deadline, watch.seq, watch))
            self._lock.notify()
        try:
            yield watch
        finally:
            with self._lock:
                watch.done = True
                if self._active.get(watch.thread) is watch:
                    del self._active[watch.thread]

    def _run(self):
        while True:
            with self._lock:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._lock.wait(60)
                    continue
                due = self._heap[0][0] - time.monotonic()
                if due > 0:
                    self._lock.wait(due)
                    continue
                watch = heapq.heappop(self._heap)[2]
                if watch.done:
                    continue
                watch.expired = True
                targets = list(watch.sockets)
            for fd, inode in targets:
                _cut(fd, inode)


def _cut(fd: int, inode: int) -> None:
    """Shut down the socket behind ``fd`` if it is still the one we saw (same inode)."""
    try:
        dup = os.dup(fd)
    except OSError:
        return
    try:
        if os.fstat(dup).st_ino != inode:
            return
        sock = socket.socket(fileno=dup)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        finally:
            sock.detach()
    finally:
        os.close(dup)


_WATCHDOG = _Watchdog()


# ---- email: one TLS context and one SMTP connection per worker, through Apprise's own send() ---

_CURRENT = threading.local()    # .pool: the _SMTPPool of the Sender sending in this thread
_IDLE_CHECK = 30.0              # a pooled connection idle longer than this is checked (NOOP)


def _quiet(conn) -> bool:
    """An idle SMTP connection still open and silent? (No round trip: a closed or
    closing connection is readable — end of file, or the server's 421 goodbye.)"""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _note(code: int | None, text: str) -> None:
    """Remember why an SMTP step failed, for the Sender to report (per thread)."""
    notes = getattr(_CURRENT, "notes", None)
    if notes is not None:
        notes.append((code, text))


def _reply_text(raw) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return " ".join(str(raw).split())


class _SMTPPool:
    """One SMTP connection per (server, login) per sending thread, and one TLS context per
    verification mode, for a Sender's life. ``close()`` says QUIT to every connection."""

    def __init__(self):
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set = set()
        self._contexts: dict[bool, ssl.SSLContext] = {}
        self.connects = 0            # new connections made (for tests and benchmarks)

    def context(self, verify: bool) -> ssl.SSLContext:
        with self._lock:
            if verify not in self._contexts:
                context = ssl.create_default_context()   # exactly as Apprise makes it
                if not verify:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                self._contexts[verify] = context
            return self._contexts[verify]

    def _idle(self) -> dict:
        if not hasattr(self._local, "conns"):
            self._local.conns = {}
        return self._local.conns

    def checkout(self, key):
        entry = self._idle().pop(key, None)
        if entry is None:
            return None
        conn, since = entry
        if not _quiet(conn):        # closed by the server, or it said something (421 ...)
            self.discard(conn)
            return None
        if time.monotonic() - since > _IDLE_CHECK:
            try:
                if conn.noop()[0] != 250:
                    raise smtplib.SMTPException("NOOP refused")
            except (OSError, smtplib.SMTPException):
                self.discard(conn)
                return None
        return conn

    def checkin(self, key, conn) -> None:
        previous = self._idle().pop(key, None)
        if previous is not None:
            self.discard(previous[0])
        self._idle()[key] = (conn, time.monotonic())

    def opened(self, conn) -> None:
        with self._lock:
            self._open.add(conn)
            self.connects += 1

    def _forget(self, conn) -> None:
        with self._lock:
            self._open.discard(conn)

    def discard(self, conn, polite: bool = False) -> None:
        self._forget(conn)
        with contextlib.suppress(OSError, smtplib.SMTPException, RuntimeError):
            if polite and conn.sock is not None:
                conn.quit()
        with contextlib.suppress(OSError, smtplib.SMTPException, RuntimeError):
            conn.close()

    def close(self) -> None:
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            with contextlib.suppress(OSError, smtplib.SMTPException, RuntimeError):
                if conn.sock is not None:
                    conn.quit()
            with contextlib.suppress(OSError, smtplib.SMTPException, RuntimeError):
                conn.close()


def _upstream_controller():
    from apprise.plugins.email import smtp as upstream
    return upstream


class _PooledSMTP:
    """Stands in for Apprise's ``AppriseSMTPController`` (same constructor, ``with`` block and
    ``sendmail() -> bool``) inside a Sender: takes this thread's open connection to the same
    server and login if there is one, builds a connection exactly as Apprise does otherwise
    (with the pool's TLS context), and puts it back afterwards instead of saying QUIT. Every
    refusal is noted with the server's code and text. Outside a Sender (no pool in this thread)
    it is Apprise's own controller."""

    def __new__(cls, *args, **kwargs):
        if getattr(_CURRENT, "pool", None) is None:
            return _upstream_controller().AppriseSMTPController(*args, **kwargs)
        return super().__new__(cls)

    def __init__(self, host, port, secure_mode, user=None, password=None,
                 verify_certificate=True, socket_connect_timeout=15):
        self.pool: _SMTPPool = _CURRENT.pool
        self.host, self.port, self.secure_mode = host, port, secure_mode
        self.user, self.password = user, password
        self.verify_certificate = bool(verify_certificate)
        self.timeout = socket_connect_timeout
        self.key = (host, port, secure_mode, user, password, self.verify_certificate)
        self._conn = None
        self._broken = False

    def _connect(self):
        upstream = _upstream_controller()
        modes = upstream.SMTPSecureMode
        if self.secure_mode not in upstream.SMTP_SECURE_MODES:
            from apprise.exception import AppriseImproperlyConfigured
            raise AppriseImproperlyConfigured(f"Invalid SMTP secure mode: {self.secure_mode!r}")
        timeout = self.timeout
        watch = _WATCHDOG.current()
        if watch is not None:
            timeout = max(0.1, min(timeout, watch.deadline - time.monotonic()))
        conn = None
        try:
            if self.secure_mode == modes.SSL:
                conn = smtplib.SMTP_SSL(self.host, self.port, None, timeout=timeout,
                                        context=self.pool.context(self.verify_certificate))
            else:
                conn = smtplib.SMTP(self.host, self.port, None, timeout=timeout)
            self.pool.opened(conn)
            if self.secure_mode == modes.STARTTLS:
                conn.starttls(context=self.pool.context(self.verify_certificate))
            if self.user and self.password:
                conn.login(self.user, self.password)
            if conn.sock is not None:      # later sends on it: Apprise's own socket timeout
                conn.sock.settimeout(self.timeout)
        except smtplib.SMTPResponseException as exc:
            _note(exc.smtp_code, f"SMTP {exc.smtp_code} {_reply_text(exc.smtp_error)} "
                                 f"(connecting to {self.host})")
            if conn is not None:
                self.pool.discard(conn, polite=True)
            raise
        except (OSError, smtplib.SMTPException, RuntimeError) as exc:
            _note(None, f"could not connect to SMTP server {self.host}:{self.port}: "
                        f"{type(exc).__name__}: {exc}")
            if conn is not None:
                self.pool.discard(conn)
            raise
        return conn

    def __enter__(self):
        conn = self.pool.checkout(self.key)
        if conn is None:
            conn = self._connect()
        elif (watch := _WATCHDOG.current()) is not None:
            watch.add(conn.sock)       # a reused connection: cut it too if the send overruns
        self._conn = conn
        return self

    def sendmail(self, from_addr: str, to_addrs: list, message: str) -> bool:
        try:
            refused = self._conn.sendmail(from_addr, to_addrs, message)
        except smtplib.SMTPRecipientsRefused as exc:
            for addr, (code, reply) in exc.recipients.items():
                _note(code, f"SMTP {code} {_reply_text(reply)} (recipient {addr})")
            return False
        except smtplib.SMTPResponseException as exc:   # sender refused, data refused, 421 ...
            _note(exc.smtp_code, f"SMTP {exc.smtp_code} {_reply_text(exc.smtp_error)}")
            if exc.smtp_code == 421 or self._conn.sock is None:
                self._broken = True
            return False
        except (OSError, smtplib.SMTPException, RuntimeError) as exc:
            _note(None, f"SMTP connection to {self.host} failed while sending: "
                        f"{type(exc).__name__}: {exc}")
            self._broken = True
            return False
        if refused:
            for addr, (code, reply) in refused.items():
                _note(code, f"SMTP {code} {_reply_text(reply)} (recipient {addr})")
            return False
        return True

    def __exit__(self, exc_type, exc, tb):
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._broken or exc_type is not None or conn.sock is None:
            self.pool.discard(conn)
        else:
            self.pool.checkin(self.key, conn)


def _pooled_email_send():
    """Apprise's ``NotifyEmail.send`` — the same code object — with its module-level name
    ``AppriseSMTPController`` resolved to ``_PooledSMTP``. Nothing in Apprise is modified: only
    plugins a Sender made get this function as their ``send``. None if upstream's send no longer
    uses that name (then Apprise's own send is used, correct but slower)."""
    try:
        from apprise.plugins.email import NotifyEmail
    except ImportError:     # pragma: no cover - an Apprise without the email plugin
        return None, None
    upstream = NotifyEmail.send
    if "AppriseSMTPController" not in upstream.__code__.co_names:
        return NotifyEmail, None
    names = dict(upstream.__globals__)
    names["AppriseSMTPController"] = _PooledSMTP
    names["NotifyEmail"] = _own_text_part(names.get("NotifyEmail"))
    send = types.FunctionType(upstream.__code__, names, upstream.__name__,
                              upstream.__defaults__, upstream.__closure__)
    send.__kwdefaults__ = upstream.__kwdefaults__
    send.__doc__ = upstream.__doc__
    return NotifyEmail, send


def _own_text_part(upstream_class):
    """Hook (issue 11): an email's plain-text part written by the caller. Apprise makes an HTML
    email's text/plain part by converting the HTML, which drops every link; a message that
    carries its own ``email_text`` (``mail_render.EmailMessage``: the public subscribers'
    emails, with manage and unsubscribe links) gets that text instead. Stands in for the name
    ``NotifyEmail`` in the pooled send only: Apprise's own ``prepare_emails`` — the same code
    object — with its ``convert_between`` answering HTML → text from this thread's
    ``_CURRENT.text`` when one is set. Without a text, or with an Apprise whose code no longer
    fits, everything is exactly upstream's."""
    prepare = getattr(upstream_class, "prepare_emails", None)
    code = getattr(prepare, "__code__", None)
    if code is None or "convert_between" not in code.co_names:
        return upstream_class
    upstream_convert = prepare.__globals__["convert_between"]

    def convert_between(from_format, to_format, content):
        text = getattr(_CURRENT, "text", None)
        if text is not None and from_format == apprise.NotifyFormat.HTML \
                and to_format == apprise.NotifyFormat.TEXT:
            return text
        return upstream_convert(from_format, to_format, content)

    names = dict(prepare.__globals__)
    names["convert_between"] = convert_between
    own = types.FunctionType(code, names, prepare.__name__, prepare.__defaults__,
                             prepare.__closure__)
    own.__kwdefaults__ = prepare.__kwdefaults__
    return type("NotifyEmailOwnText", (), {"prepare_emails": staticmethod(own)})


_EMAIL_CLASS, _EMAIL_SEND = _pooled_email_send()


# ---- HTTP services: one keep-alive session per sending thread ---------------------------------

class _HTTPSessions:
    """For a Sender's life (a delivery batch), one ``requests.Session`` per sending thread, so a
    fan-out to many webhooks on one host reuses its connection instead of opening one per
    message, as ``requests.post`` does. A session never keeps a cookie (a subscriber's webhook
    must not see another's), and honours the environment's proxy settings as ``requests.post``
    does. ``close()`` ends every session."""

    def __init__(self):
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions: list = []
        self._env: dict = {}

    def session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            import http.cookiejar

            import requests
            session = requests.Session()
            session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            # what requests reads from the environment for every request (proxies, CA bundle,
            # .netrc) is read once per host for the batch instead: see environment()
            session.trust_env = False
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def environment(self, url: str, kwargs: dict) -> dict:
        """``kwargs`` with what ``requests.post`` would take from the environment for ``url``
        (``Session.merge_environment_settings`` and the .netrc lookup of ``prepare_request``,
        as requests does them with ``trust_env``), looked up once per host a batch."""
        from urllib.parse import urlsplit

        from requests.utils import get_environ_proxies, get_netrc_auth
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        found = self._env.get(key)
        if found is None:
            found = self._env[key] = (
                get_environ_proxies(url), get_netrc_auth(url),
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"))
        proxies, netrc, bundle = found
        kwargs = dict(kwargs)
        if not (kwargs.get("proxies") or {}).get("no_proxy"):
            kwargs["proxies"] = {**proxies, **(kwargs.get("proxies") or {})}
        else:           # the caller's own no_proxy: let requests decide, as it would
            kwargs["proxies"] = {**get_environ_proxies(url, kwargs["proxies"]["no_proxy"]),
                                 **kwargs["proxies"]}
        if bundle and kwargs.get("verify", True) in (True, None):
            kwargs["verify"] = bundle
        if netrc and not kwargs.get("auth"):
            kwargs["auth"] = netrc
        return kwargs

    @staticmethod
    def idle_sockets(session) -> list:
        """The sockets of the session's idle pooled connections (one of which the next request
        may reuse: the send's deadline must be able to cut it)."""
        found = []
        try:
            for adapter in session.adapters.values():
                pools = adapter.poolmanager.pools
                for key in list(pools.keys()):
                    pool = pools.get(key)
                    queue_ = getattr(pool, "pool", None)
                    for conn in list(getattr(queue_, "queue", ()) or ()):
                        sock = getattr(conn, "sock", None)
                        if sock is not None:
                            found.append(sock)
        except Exception:   # urllib3 internals moved: the audit hook still sees new sockets
            pass
        return found

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            with contextlib.suppress(Exception):
                session.close()
        self._local = threading.local()
        self._env = {}


class _PooledRequests:
    """Stands in for the module name ``requests`` in an HTTP plugin's own ``send`` (the same code
    object, see ``_pooled_http_send``): ``requests.post(...)`` and its kin go through the sending
    thread's session of the current Sender; everything else (exceptions, codes) is requests'
    own. Outside a Sender's send it is plain ``requests``."""

    def __getattr__(self, name):
        import requests
        return getattr(requests, name)

    def request(self, method, url, **kwargs):
        import requests
        pool = getattr(_CURRENT, "http", None)
        if pool is None:
            return requests.request(method, url, **kwargs)
        session = pool.session()
        watch = _WATCHDOG.current()
        if watch is not None:
            for sock in pool.idle_sockets(session):
                watch.add(sock)
        return session.request(method=method, url=url, **pool.environment(url, kwargs))

    # the same defaults as requests.api
    def get(self, url, params=None, **kwargs):
        return self.request("get", url, params=params, **kwargs)

    def options(self, url, **kwargs):
        return self.request("options", url, **kwargs)

    def head(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return self.request("head", url, **kwargs)

    def post(self, url, data=None, json=None, **kwargs):
        return self.request("post", url, data=data, json=json, **kwargs)

    def put(self, url, data=None, **kwargs):
        return self.request("put", url, data=data, **kwargs)

    def patch(self, url, data=None, **kwargs):
        return self.request("patch", url, data=data, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("delete", url, **kwargs)


_POOLED_REQUESTS = _PooledRequests()
_HTTP_SENDS: dict = {}


def _pooled_http_send(cls):
    """``cls.send`` — upstream's code object — with its module-level name ``requests`` resolved
    to ``_PooledRequests``; None when the send does not call requests that way."""
    if cls in _HTTP_SENDS:
        return _HTTP_SENDS[cls]
    upstream = cls.send
    send = None
    code = getattr(upstream, "__code__", None)
    if code is not None and "requests" in code.co_names:
        import requests
        if upstream.__globals__.get("requests") is requests:
            names = dict(upstream.__globals__)
            names["requests"] = _POOLED_REQUESTS
            send = types.FunctionType(code, names, upstream.__name__, upstream.__defaults__,
                                      upstream.__closure__)
            send.__kwdefaults__ = upstream.__kwdefaults__
            send.__doc__ = upstream.__doc__
    _HTTP_SENDS[cls] = send
    return send


def _adapt(plugin):
    """Give an email plugin the pooled send (only if its class uses Apprise's own), and an HTTP
    plugin (webhooks, Slack, Teams, ...) whose send calls ``requests`` the pooled session."""
    if (_EMAIL_SEND is not None and isinstance(plugin, _EMAIL_CLASS)
            and type(plugin).send is _EMAIL_CLASS.send):
        plugin.send = types.MethodType(_EMAIL_SEND, plugin)
        # Apprise spaces one URL's messages 5.5 s apart; here a URL is one subscriber and
        # the pool already sends one message at a time per connection to the server.
        plugin.request_rate_per_sec = 0
        return plugin
    send = _pooled_http_send(type(plugin))
    if send is not None:
        plugin.send = types.MethodType(send, plugin)
    return plugin


# ---- the Sender ----------------------------------------------------------------------------------

class Sender:
    """Sends messages through Apprise. Keeps recent plugins per notify URL, and for email one
    TLS context and one SMTP connection per sending thread (see the module's notes) until
    ``close()``; every send is bounded by ``deadline`` seconds. Safe to use from several
    threads at once; use it as a context manager (or call ``close()``) to say QUIT at the end
    of a batch."""

    PLUGINS_KEPT = 2048

    def __init__(self, *, deadline: float | None = None):
        self.deadline = SEND_DEADLINE if deadline is None else deadline
        self._cache: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()
        self._smtp = _SMTPPool()
        self._http = _HTTPSessions()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Say QUIT to every pooled SMTP connection and close the HTTP sessions (the Sender
        stays usable)."""
        self._smtp.close()
        self._http.close()

    @property
    def smtp_connections(self) -> int:
        """SMTP connections opened so far (a batch to one server opens one per worker)."""
        return self._smtp.connects

    def _get(self, url: str):
        with self._lock:
            plugin = self._cache.get(url)
            if plugin is not None:
                self._cache.move_to_end(url)
                return plugin
        plugin = _adapt(plugin_for(url))
        with self._lock:
            self._cache[url] = plugin
            while len(self._cache) > self.PLUGINS_KEPT:
                self._cache.popitem(last=False)
        return plugin

    def send(self, url: str, message) -> Outcome:
        """Send one ``message.Message``. Returns an ``Outcome``: ``ok, error = ...`` where the
        error is one scrubbed line with the server's reason (and code when it gave one)."""
        try:
            plugin = self._get(url)
        except NotifyError as exc:
            return Outcome(False, str(exc), permanent=True)
        body, body_format = body_for(plugin, message)
        crashed = None
        _CURRENT.pool, _CURRENT.http, _CURRENT.notes = self._smtp, self._http, []
        _CURRENT.text = getattr(message, "email_text", None)   # _own_text_part
        try:
            with _LOGS, _WATCHDOG.watch(self.deadline) as watch:
                try:
                    ok = bool(plugin.notify(title=message.title, body=body,
                                            body_format=body_format))
                except Exception as exc:  # a plugin bug must not lose the delivery
                    ok, crashed = False, f"{type(exc).__name__}: {exc}"
                logged = _LOGS.take()
            notes = _CURRENT.notes
        finally:
            _CURRENT.pool = _CURRENT.http = _CURRENT.notes = _CURRENT.text = None
        if ok:
            return Outcome(True)
        timed_out = bool(watch is not None and watch.expired)
        lines = []
        if timed_out:
            lines.append(f"no complete answer within {self.deadline:g} s (the send deadline); "
                         f"the connection was cut")
        lines += [text for _, text in notes]
        if not notes:
            lines += [line.strip() for line in logged if line.strip()]
        lines += [crashed] if crashed else []
        error = " / ".join(dict.fromkeys(lines[-4:])) if lines else \
            "Apprise reported failure with no detail"
        codes = [code for code, _ in notes if code]
        if not codes:       # an HTTP service: Apprise's warning ends "error=503."
            codes = [int(m) for line in logged for m in re.findall(r"error=(\d{3})\b", line)]
        code = codes[-1] if codes else None
        permanent = bool(notes) and bool(codes) and all(500 <= c < 600 for c in codes)
        return Outcome(False, scrub(error, url)[:500], code=code, permanent=permanent,
                       timed_out=timed_out)


def send_test(url: str) -> tuple[bool, str | None]:
    """``ofsted-watch notify-test``: one short message proving the URL works."""
    from .message import test_message
    with Sender() as sender:
        return sender.send(url, test_message())
