"""A response cache for the site's own pages, exact to the database.

Every page is a function of its URL and the data. The data changes when the service records a
crawl (a few times a day), and SQLite says when it has (``PRAGMA data_version``, see
``queries.Store.stamp``), so a page rendered once is served again until the next commit — never
stale. A response for one visitor (one that sets a cookie, or says ``no-store`` or ``private``:
the sign-up and manage pages) is never kept. Bounded in size (least recently used out first).
Each cached page carries an ``ETag`` (a hash of its body), so a feed reader polling with
``If-None-Match`` gets ``304 Not Modified``; and it is kept gzipped too (compressed once, sent to
clients that accept it: a local authority's page of 88 kB travels as 6 kB).
"""
from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict

#: Not cached here: Datasette, static files, and the forms (per visitor).
SKIP = ("/data", "/static", "/subscribe", "/confirm", "/manage", "/unsubscribe")
#: Bodies smaller than this are not worth compressing.
GZIP_MIN = 1024


def cacheable(headers) -> bool:
    """A response for one visitor only — it sets a cookie (a form's CSRF pair) or says
    ``no-store`` / ``private`` — is never kept."""
    for name, value in headers:
        name = name.lower()
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and (b"no-store" in value.lower()
                                         or b"private" in value.lower()):
            return False
    return True


class PageCache:
    def __init__(self, app, store, *, max_bytes: int = 64 * 1024 * 1024,
                 max_body: int = 2 * 1024 * 1024):
        self.app, self.store = app, store
        self.max_bytes, self.max_body = max_bytes, max_body
        self._entries: OrderedDict = OrderedDict()
        self._bytes = 0
        self._version = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _get(self, version, key):
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._bytes = 0
                self._version = version
                return None
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def _put(self, version, key, entry) -> None:
        size = len(entry["body"]) + len(entry.get("gz_body") or b"")
        with self._lock:
            if version != self._version or size > self.max_body:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old["body"]) + len(old.get("gz_body") or b"")
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped["body"]) + len(dropped.get("gz_body") or b"")

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") \
                or path.startswith(SKIP):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        version = self.store.stamp()
        key = (path, scope.get("query_string", b""), headers.get(b"host", b""))
        entry = self._get(version, key)
        if entry is None:
            self.misses += 1
            entry = await self._render(scope, receive, send, version, key)
            if entry is None:       # not cacheable: already sent as it came
                return
        else:
            self.hits += 1
        variant = "gz_" if entry.get("gz_body") is not None and \
            b"gzip" in (headers.get(b"accept-encoding") or b"") else ""
        body, etag = entry[variant + "body"], entry[variant + "etag"]
        if etag.encode() in (headers.get(b"if-none-match") or b""):
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(b"etag", etag.encode()), (b"vary", b"Accept-Encoding")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": entry[variant + "headers"]})
        await send({"type": "http.response.body",
                    "body": b"" if scope["method"] == "HEAD" else body})

    async def _render(self, scope, receive, send, version, key):
        """Run the page; keep a 200 response whole (then the caller sends it), pass any
        other straight through."""
        start: dict = {}
        chunks: list[bytes] = []
        passed = False

        async def capture(message):
            nonlocal passed
            if message["type"] == "http.response.start":
                start.update(message)
                if message["status"] != 200 or not cacheable(message.get("headers", [])):
                    passed = True
                    await send(message)
                return
            if passed:
                await send(message)
                return
            chunks.append(message.get("body", b""))

        await self.app(dict(scope, method="GET"), receive, capture)
        if passed or not start:
            return None
        body = b"".join(chunks)
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        common = [(k, v) for k, v in start.get("headers", [])
                  if k.lower() not in (b"etag", b"content-length", b"vary")]
        common.append((b"vary", b"Accept-Encoding"))
        entry = {"body": body, "etag": f'"{digest}"'}
        entry["headers"] = common + [(b"etag", entry["etag"].encode()),
                                     (b"content-length", str(len(body)).encode())]
        if len(body) >= GZIP_MIN and not any(k.lower() == b"content-encoding"
                                             for k, _ in common):
            entry["gz_body"] = gzip.compress(body, compresslevel=6, mtime=0)
            entry["gz_etag"] = f'"{digest}-gz"'
            entry["gz_headers"] = common + [
                (b"etag", entry["gz_etag"].encode()), (b"content-encoding", b"gzip"),
                (b"content-length", str(len(entry["gz_body"])).encode())]
        self._put(version, key, entry)
        return entry
