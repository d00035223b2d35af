"""Real servers on 127.0.0.1 for delivery tests: an SMTP server and a JSON webhook receiver.

    with MailSink() as mail:          # aiosmtpd; Apprise reaches it with mail.url("to@x.org")
        ...; mail.wait_for(1); mail.messages[0]["Subject"]
    with WebhookSink() as hook:       # http.server; Apprise reaches it with hook.url()
        ...; hook.posts[0]["title"]

Both can be stopped and started again on the same port (``stop()`` / ``start()``), to test a
receiver that is down and comes back. ``WebhookSink.fail_with = 500`` makes it refuse posts.

``MailSink.refuse`` answers RCPT with an SMTP refusal on demand (``{"bad@x.org": "550 5.1.1 no
such mailbox"}``, or ``{"*": "451 4.3.2 try later"}`` for everyone); ``TrickleSink`` is a webhook
that answers one byte every ``interval`` seconds (a slow destination). ``python tests/servers.py
smtp|http --log FILE`` runs a sink in its own process, one JSON line per message received.
"""
from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class MailSink:
    """An SMTP server (aiosmtpd) that keeps every message it receives, parsed."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._controller = None
        self._lock = threading.Lock()
        #: While set, each message is recorded but its "250 OK" is withheld (the sender waits):
        #: a sender killed meanwhile has delivered a message it never heard confirmed.
        self.hold = threading.Event()
        #: RCPT refusals on demand: {address or "*": "550 5.1.1 no such mailbox"}.
        self.refuse: dict[str, str] = {}
        #: Called with each message received (parsed) and its envelope recipients.
        self.on_message = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse.get(address) or self.refuse.get("*")
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(msg)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.on_message is not None:
            self.on_message(msg, list(envelope.rcpt_tos))
        while self.hold.is_set():
            await asyncio.sleep(0.05)
        return "250 OK"

    def start(self) -> "MailSink":
        from aiosmtpd.controller import Controller
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self.hold.clear()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, to: str = "reader@example.org", sender: str = "alerts@example.org",
            user: str | None = None, password: str | None = None) -> str:
        """An Apprise mailto:// URL for this server: plain SMTP on 127.0.0.1, no TLS."""
        auth = f"{user}:{password}@" if user else ""
        return (f"mailto://{auth}127.0.0.1:{self.port}?smtp=127.0.0.1&mode=insecure"
                f"&from={sender}&to={to}")

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        return _wait(lambda: len(self.messages) >= count, timeout)

    def to(self, address: str) -> list:
        return [m for m, (_, rcpt) in zip(self.messages, self.envelopes) if address in rcpt]

    @staticmethod
    def parts(msg) -> dict[str, str]:
        """{'text/plain': ..., 'text/html': ...} of a received message."""
        out = {}
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                out[part.get_content_type()] = part.get_content()
        return out

    @staticmethod
    def fingerprint(msg) -> str:
        """A hash of what a reader sees — From, Subject and every text part — leaving out what
        differs between two sends of the same message (To, Date, Message-ID, MIME boundaries)."""
        import hashlib
        seen = [str(msg["From"]), str(msg["Subject"])]
        seen += [f"{kind}\n{text}" for kind, text in sorted(MailSink.parts(msg).items())]
        return hashlib.sha256("\n\0".join(seen).encode()).hexdigest()


class WebhookSink:
    """An HTTP/1.1 server that records each JSON POST (Apprise's json:// sends one per message)
    and keeps connections alive, as real webhook receivers do; ``connections`` counts those
    opened."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.posts: list[dict] = []
        self.connections = 0
        self.set_cookie: str | None = None       # a Set-Cookie for every answer
        self.cookies: list[str | None] = []     # the Cookie header each POST came with
        self.fail_with: int | None = None
        self.current = threading.local()     # .path of the request being handled
        self._server = None
        self._thread = None

    def _handler(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"         # keep-alive: every answer has a length
            disable_nagle_algorithm = True        # headers and body go out at once

            def setup(self):
                super().setup()
                sink.connections += 1

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.current.path = self.path
                sink.cookies.append(self.headers.get("Cookie"))
                if sink.fail_with:
                    self.send_response(sink.fail_with)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    sink.posts.append(json.loads(body or b"{}"))
                except ValueError:
                    sink.posts.append({"raw": body.decode("utf-8", "replace")})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if sink.set_cookie:
                    self.send_header("Set-Cookie", sink.set_cookie)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler

    def start(self) -> "WebhookSink":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path: str = "", token: str | None = None) -> str:
        auth = f"hook:{token}@" if token else ""
        return f"json://{auth}127.0.0.1:{self.port}/{path}"

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        return _wait(lambda: len(self.posts) >= count, timeout)


class TrickleSink:
    """A webhook that accepts a POST and then answers one byte every ``interval`` seconds for
    ``total`` seconds: a destination slow enough to defeat any per-read socket timeout."""

    def __init__(self, interval: float = 2.0, total: float = 120.0, port: int | None = None,
                 prompt: int = 0):
        self.port = port or free_port()
        self.interval, self.total = interval, total
        self.prompt = prompt         # the first posts answered at once, the connection kept
        self.posts = 0
        self._server = None
        self._stop = threading.Event()

    def _handler(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.posts += 1
                answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
                if sink.posts <= sink.prompt:
                    self.wfile.write(answer)
                    self.wfile.flush()
                    return
                self.close_connection = True
                end = time.monotonic() + sink.total
                try:
                    for byte in answer:
                        if sink._stop.wait(sink.interval) or time.monotonic() > end:
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                except OSError:            # the sender gave up and closed: fine
                    return

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> "TrickleSink":
        self._stop.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path: str = "") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"


def _serve(argv=None) -> None:
    """A sink in its own process (benchmarks, soak): prints its port, then one JSON line per
    message to --log: SMTP {"rcpt": [...], "fingerprint": ...}; HTTP {"path", "body"}.
    Stops on SIGTERM or when stdin closes."""
    import argparse
    import signal
    import sys
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["smtp", "http"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)
    out = open(args.log, "a", buffering=1)
    lock = threading.Lock()

    def write(record: dict) -> None:
        with lock:
            out.write(json.dumps(record) + "\n")

    if args.kind == "smtp":
        sink = MailSink(args.port or None)
        sink.on_message = lambda msg, rcpt: write(
            {"rcpt": rcpt, "fingerprint": MailSink.fingerprint(msg)})
        sink.messages = _Discard()
        sink.envelopes = _Discard()
    else:
        sink = WebhookSink(args.port or None)
        sink.posts = _Posts(write)
        sink.posts.sink = sink
    sink.start()
    print(sink.port, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        sys.stdin.read()
    finally:
        sink.stop()
        out.close()


class _Discard(list):
    def append(self, item):          # a process sink keeps nothing in memory
        pass


class _Posts(list):
    def __init__(self, write):
        super().__init__()
        self.write = write

    sink = None

    def append(self, post):
        self.write({"path": getattr(self.sink.current, "path", None), "post": post,
                    "connections": self.sink.connections})


if __name__ == "__main__":
    _serve()
