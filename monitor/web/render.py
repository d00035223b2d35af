"""Rendering shared by every page: the Jinja environment, format suffixes, error pages."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from . import words

TEMPLATES = Path(__file__).parent / "templates"
#: The data formats every list page offers besides HTML, by URL suffix.
FORMATS = ("atom", "csv", "json")


class Environment(jinja2.Environment):
    """Jinja with ``row.name`` read as a key first when ``row`` is a dict (every row here is):
    the default tries the attribute first and pays for an exception on every lookup."""

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def environment() -> jinja2.Environment:
    env = Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "svg", "xml"], default=True),
        trim_blocks=True, lstrip_blocks=True)
    env.filters.update({
        "grade": words.grade_words, "short_grade": words.short_grade,
        "grade_class": words.grade_class, "area": words.area_words,
        "enforcement": words.enforcement_words, "kind": words.kind_words,
        "change": words.change_words, "date": words.long_date, "region": words.region_name,
        "slug": words.slugify, "safe_url": safe_url,
    })
    env.globals.update({"type_label": words.type_label, "KINDS": words.KINDS,
                        "KIND_HELP": words.KIND_HELP})
    return env


def escape_text(value) -> str:
    """``value`` as HTML text, exactly as Jinja's autoescaping writes it (MarkupSafe: ``&``,
    ``<``, ``>``, ``"`` and ``'`` as ``&amp;``, ``&lt;``, ``&gt;``, ``&#34;``, ``&#39;``), for the
    one long table built in Python (``views/groups.py``): plain ``str.replace`` is three times
    quicker than ``markupsafe.escape``, which makes a ``Markup`` object of every cell."""
    return (str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def safe_url(url: str | None) -> str | None:
    """A link from the reports site is used only if it is plain http(s): never javascript:."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def split_format(value: str) -> tuple[str, str]:
    """``SC123456.atom`` → (``SC123456``, ``atom``); no known suffix → (value, ``html``)."""
    stem, dot, ext = value.rpartition(".")
    if dot and ext in FORMATS and stem:
        return stem, ext
    return value, "html"


def public_url(request: Request) -> str:
    configured = request.app.state.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def query_string(request: Request, **override) -> str:
    """The request's query with some parameters replaced (None removes one)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in override]
    for key, value in override.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            items += [(key, v) for v in value]
        else:
            items.append((key, value))
    return ("?" + urlencode(items)) if items else ""


def data_links(request: Request, path: str, *, keep_query: bool = True) -> dict:
    """Links to a page's data: {'atom': '/events.atom?kind=downgrade', 'csv': ..., 'json': ...}."""
    query = query_string(request, before=None) if keep_query else ""
    return {fmt: f"{path}.{fmt}{query}" for fmt in FORMATS}


def page(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.templates
    context = {"request": request, "path": request.url.path, "q": "", "feeds": {},
               "title": "", **context}
    return HTMLResponse(env.get_template(template).render(context), status_code=status)


def not_found(request: Request, message: str, *, q: str = "") -> HTMLResponse:
    return page(request, "error.html", {
        "title": "Page not found", "heading": "We could not find that page",
        "message": message, "q": q, "show_search": True}, status=404)


def atom_response(request: Request, groups: list[dict], title: str, path: str,
                  query: str = ""):
    """The Atom feed of a page at ``path`` (its own address is ``path.atom`` + ``query``)."""
    from starlette.responses import Response

    from . import feeds
    body = feeds.atom(request.app.state.templates, groups, title=title,
                      public_url=public_url(request),
                      self_path=f"{path}.atom{query}", page_path=f"{path}{query}")
    return Response(body, media_type="application/atom+xml; charset=utf-8")
