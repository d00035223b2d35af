"""A faithful local replica of reports.ofsted.gov.uk, for tests, benchmarks and the offline demo.

    from crawler.replica import Replica
    site = Replica.from_file("site.json")      # or Replica.from_file({...}) with a dict
    base_url = site.start()                    # threaded HTTP server on 127.0.0.1, port 0
    site.publish("1234567", {"file_id": "90001", "title": "Full inspection",
                             "inspection_date": "2026-10-01", "publication_date": "2026-11-20",
                             "pdf": "/abs/or/relative/report.pdf"})
    site.requests                              # [(method, path?query), ...] served so far
    site.user_agents                           # every User-Agent seen
    site.robots_txt = "User-agent: *\nDisallow: /provider/2/1234567\n"
    site.inject("/v1/file/90001", "500")       # next GET of that path answers 500, then normal
    site.stop()

or by hand: ``python -m crawler.replica DATA.json [--port N]``.

Data description (JSON, paths relative to the JSON file)::

    {"providers": [
        {"urn": "1234567", "name": "Children's home", "category": "Children's home",
         "provider_type": "Children's home", "local_authority": "Kent", "status": "Open",
         "address": null, "rating": "Good",                       # optional
         "category_code": "2", "level_1_types": "3", "level_2_types": "11",   # optional
         "reports": [{"file_id": "50123456", "title": "Full inspection",
                      "inspection_date": "2024-10-08", "publication_date": "2024-11-01",
                      "pdf": "reports/childrens-home.pdf"}]}]}

``category`` is the label the results page shows; the provider-page category code and the search
type codes come from ``CATEGORIES`` unless given. A report listed twice in ``reports`` (same
``file_id``) is shown twice on the provider page, as the live site sometimes does.

What it serves (SITE.md): ``/search`` with the real results-page markup and the parameters SITE.md
lists (``q``, ``level_1_types``, ``level_2_types`` in its three spellings, ``local_authority[]``,
``region[]``, ``status[]``, ``rating[]``, ``latest_report_date_start/end`` as DD-MM-YYYY,
``sort``/``order``, ``start``/``rows`` with rows capped at 100); ``/provider/{code}/{urn}`` with
the timeline (404 for unknown URNs or a wrong code); ``/v1/file/{id}`` PDFs (404 for unknown ids);
403 for every HEAD; ``/robots.txt``. Pages carry an ETag and answer 304 to If-None-Match.

Faults, per path (query ignored), consumed one per request in order: an HTTP status as text
("404", "500", "403", "429", "429:3" = 429 with Retry-After: 3), "timeout" (answer only after
``timeout_seconds``), "html" (an HTML page instead of the PDF), "truncated" (half the body, then
the connection drops), "oversize:N" / "oversize-stream:N" (an N-byte body, with or
without a Content-Length), "blank" (200 with a page that has none of the expected markup, as
a maintenance page or a redesign would). ``inject(path, ..., forever=True)`` keeps the last fault for good.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from extract import places, types
from . import pages

__all__ = ["Replica", "CATEGORIES"]

#: category label → (provider-page category code, level_1_types, level_2_types), from the
#: registry in extract/types.py (which marks which codes are known and which are guesses)
CATEGORIES = {c.label.lower(): (c.page_code, c.level_1, c.level_2 or "0")
              for c in types.CATEGORIES.values()}
STATUS_CODES = {"1": "open", "2": "closed", "4": "proposed"}
RATING_CODES = {"1": "outstanding", "2": "good", "5": "requires improvement", "4": "inadequate"}
MAX_ROWS = 100
DEFAULT_ROWS = 10


def _norm_key(key: str) -> str:
    """level_2_types, level_2_types[] and level_2_types[0] are the same parameter."""
    return key.split("[", 1)[0]


def _dmy(value: str) -> str | None:
    try:
        return datetime.strptime(value.strip(), "%d-%m-%Y").date().isoformat()
    except ValueError:
        return None


class Replica:
    def __init__(self, data: dict, root: Path | None = None, *, timeout_seconds: float = 3.0):
        self.root = Path(root or ".")
        self.timeout_seconds = timeout_seconds
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._providers: dict[str, dict] = {}
        self._order: list[str] = []
        self._files: dict[str, Path] = {}
        self._faults: dict[str, list[str]] = {}
        self._forever: dict[str, str] = {}
        self._pdf_cache: dict[Path, bytes] = {}
        self._server: ThreadingHTTPServer | None = None
        #: served at /robots.txt; change it to test that a crawler obeys it
        self.robots_txt = pages.ROBOTS_TXT
        #: every User-Agent seen
        self.user_agents: set[str] = set()
        for provider in data.get("providers", []):
            self.add_provider(provider)

    # ---- data ------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, source: str | Path | dict, **kwargs) -> "Replica":
        if isinstance(source, dict):
            return cls(source, **kwargs)
        path = Path(source)
        return cls(json.loads(path.read_text(encoding="utf-8")), root=path.parent, **kwargs)

    def add_provider(self, provider: dict) -> None:
        p = dict(provider)
        p["urn"] = str(p["urn"])
        known = CATEGORIES.get((p.get("category") or "").lower(), ("2", "4", "0"))
        p.setdefault("category_code", known[0])
        p.setdefault("level_1_types", known[1])
        p.setdefault("level_2_types", known[2])
        reports = p.pop("reports", []) or []
        p["reports"] = []
        with self._lock:
            if p["urn"] in self._providers:
                raise ValueError(f"provider {p['urn']} already exists")
            self._providers[p["urn"]] = p
            self._order.append(p["urn"])
            for report in reports:
                self.publish(p["urn"], report, _allow_repeat=True)

    def publish(self, urn: str, report: dict, *, _allow_repeat: bool = False) -> None:
        """Add a report to a provider (it becomes the provider's latest if its date is)."""
        r = dict(report)
        r["file_id"] = str(r["file_id"])
        with self._lock:
            provider = self._providers[str(urn)]
            if r["file_id"] in self._files and not _allow_repeat:
                raise ValueError(f"file id {r['file_id']} already published")
            pdf = r.get("pdf")
            if pdf:
                path = Path(pdf)
                self._files[r["file_id"]] = path if path.is_absolute() else self.root / path
            provider["reports"].append(r)
            dates = [x["publication_date"] for x in provider["reports"]
                     if x.get("publication_date")]
            provider["latest_report_date"] = max(dates) if dates else None

    def providers(self) -> list[dict]:
        with self._lock:
            return [self._providers[u] for u in self._order]

    # ---- faults ----------------------------------------------------------------------------
    def inject(self, path: str, *faults: str, forever: bool = False) -> None:
        with self._lock:
            self._faults.setdefault(path, []).extend(str(f) for f in faults)
            if forever and faults:
                self._forever[path] = str(faults[-1])

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._forever.clear()

    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            queue = self._faults.get(path)
            if queue:
                return queue.pop(0)
            return self._forever.get(path)

    # ---- search ----------------------------------------------------------------------------
    def search(self, query: list[tuple[str, str]]) -> tuple[list[dict], int, int, int]:
        params: dict[str, list[str]] = {}
        for key, value in query:
            params.setdefault(_norm_key(key), []).append(value)

        def one(name, default=""):
            return (params.get(name) or [default])[0]

        def many(name):
            return [v for v in params.get(name, []) if v not in ("", "0")]

        q = one("q").strip().lower()
        level_1 = [v for v in [one("level_1_types")] if v not in ("", "0")]
        level_2 = many("level_2_types")
        las = {places.normalise(places.la_name(c) or c) for c in many("local_authority")}
        region_codes = set(many("region"))
        statuses = {STATUS_CODES.get(v, v) for v in many("status")}
        ratings = {RATING_CODES.get(v, v) for v in many("rating")}
        since = _dmy(one("latest_report_date_start")) if one("latest_report_date_start") else None
        until = _dmy(one("latest_report_date_end")) if one("latest_report_date_end") else None
        with self._lock:
            found = []
            for urn in self._order:
                p = self._providers[urn]
                if q and q != urn.lower() and q not in p["name"].lower():
                    continue
                if level_1 and p["level_1_types"] not in level_1:
                    continue
                if level_2 and p["level_2_types"] not in level_2:
                    continue
                if las and places.normalise(p.get("local_authority") or "") not in las:
                    continue
                if region_codes and places.region_for(p.get("local_authority")) not in region_codes:
                    continue
                if statuses and (p.get("status") or "").lower() not in statuses:
                    continue
                if ratings and (p.get("rating") or "").lower() not in ratings:
                    continue
                latest = p.get("latest_report_date")
                if since and (not latest or latest < since):
                    continue
                if until and (not latest or latest > until):
                    continue
                found.append(p)
        sort = one("sort", "relevancy")
        if "/" in sort:
            sort, order = sort.split("/", 1)
        else:
            order = one("order", "asc" if sort == "az" else "desc")
        if sort == "date":
            found.sort(key=lambda p: (p.get("latest_report_date") or "", p["urn"]),
                       reverse=order != "asc")
        elif sort == "az":
            found.sort(key=lambda p: (p["name"].lower(), p["urn"]), reverse=order == "desc")
        try:
            start = max(0, int(one("start", "0") or 0))
        except ValueError:
            start = 0
        try:
            rows = int(one("rows", str(DEFAULT_ROWS)) or DEFAULT_ROWS)
        except ValueError:
            rows = DEFAULT_ROWS
        rows = max(1, min(rows, MAX_ROWS))
        return found[start:start + rows], len(found), start, rows

    # ---- HTTP ------------------------------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        replica = self

        class Handler(_Handler):
            site = replica

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        thread = threading.Thread(target=self._server.serve_forever, name="replica",
                                  daemon=True)
        thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def pdf_bytes(self, file_id: str) -> bytes | None:
        path = self._files.get(file_id)
        if path is None:
            return None
        with self._lock:
            if path not in self._pdf_cache:
                try:
                    self._pdf_cache[path] = path.read_bytes()
                except OSError:
                    return None
            return self._pdf_cache[path]


class _Handler(BaseHTTPRequestHandler):
    site: Replica
    server_version = "ofsted-replica/1"

    def log_message(self, *args):  # quiet
        pass

    def do_HEAD(self):  # the firewall answers 403 to every HEAD [scrapers]
        with self.site._lock:
            self.site.requests.append(("HEAD", self.path))
        self._send(403, pages.FORBIDDEN.encode(), "text/html; charset=UTF-8", head=True)

    def do_GET(self):
        site = self.site
        with site._lock:
            site.requests.append(("GET", self.path))
            site.user_agents.add(self.headers.get("User-Agent", ""))
        url = urlsplit(self.path)
        path = url.path
        fault = site._take_fault(path)
        if fault == "timeout":
            time.sleep(site.timeout_seconds)
            fault = None
        if fault and fault.split(":")[0].isdigit():
            status, _, retry_after = fault.partition(":")
            headers = {"Retry-After": retry_after} if retry_after else {}
            body = pages.NOT_FOUND if status == "404" else f"<h1>Error {status}</h1>"
            return self._send(int(status), body.encode(), "text/html; charset=UTF-8", headers)
        if fault == "blank":
            return self._send(200, pages.MAINTENANCE.encode(), "text/html; charset=UTF-8")
        if path == "/robots.txt":
            return self._send(200, site.robots_txt.encode(), "text/plain")
        if path == "/search":
            query = parse_qsl(url.query, keep_blank_values=True)
            found, total, start, rows = site.search(query)
            body = pages.results_page(found, total, query=query, start=start, rows=rows)
            return self._page(body)
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "provider":
            with site._lock:
                provider = site._providers.get(parts[2])
                body = (pages.provider_page(provider, self._origin())
                        if provider and provider["category_code"] == parts[1] else None)
            if body is None:
                return self._send(404, pages.NOT_FOUND.encode(), "text/html; charset=UTF-8")
            return self._page(body)
        if len(parts) == 3 and parts[:2] == ["v1", "file"]:
            data = site.pdf_bytes(parts[2])
            if data is None:
                return self._send(404, pages.NOT_FOUND.encode(), "text/html; charset=UTF-8")
            if fault == "html":
                return self._send(200, pages.NOT_FOUND.encode(), "text/html; charset=UTF-8")
            if fault and fault.startswith(("oversize:", "oversize-stream:")):
                return self._oversize(fault)
            if fault == "truncated":
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            return self._send(200, data, "application/pdf")
        return self._send(404, pages.NOT_FOUND.encode(), "text/html; charset=UTF-8")

    def _oversize(self, fault: str):
        """A "PDF" of N bytes (``oversize:N``, Content-Length declared; ``oversize-stream:N``,
        no length: the size shows only as it arrives). Written in 1 MiB pieces."""
        kind, _, size = fault.partition(":")
        size = int(size)
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        if kind == "oversize":
            self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        piece = b"%PDF-1.4\n" + b"0" * (2**20 - 9)
        try:
            for start in range(0, size, len(piece)):
                self.wfile.write(piece[: size - start])
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _origin(self) -> str:
        host = self.headers.get("Host") or "%s:%s" % self.server.server_address[:2]
        return f"http://{host}"

    def _page(self, body: str):
        data = body.encode("utf-8")
        etag = '"%s"' % hashlib.sha1(data).hexdigest()
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", None, headers)
        return self._send(200, data, "text/html; charset=UTF-8", headers)

    def _send(self, status, data: bytes, content_type, headers=None, head=False):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head and status != 304:
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
