"""The public web site: an ASGI app (Starlette, Jinja2 templates) over the service's database.

    from monitor.web.app import create_app
    app = create_app("ofsted-watch.db", public_url="https://ofsted-watch.example.org")
    # uvicorn.run(app, host="127.0.0.1", port=8000)

Server-rendered, no script needed. Every list of reports or events is also offered as Atom, CSV
and JSON (same path with ``.atom``, ``.csv`` or ``.json``). ``/data`` is Datasette over the
public snapshot (``public.py``), never over the service's own database.
"""
from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..schema import open_db
from . import headers
from .cache import PageCache
from .queries import Store
from .render import environment, not_found, page
from .views import events, groups, home, manage, provider, search, subscribe

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def _http_error(request: Request, exc: HTTPException):
    if exc.status_code == 404:
        return not_found(request, "There is no page at this address. It may have moved, or the "
                                  "link may be wrong.")
    return page(request, "error.html", {
        "title": exc.detail or "Error", "heading": exc.detail or "Something went wrong",
        "message": "The request could not be answered.", "show_search": False},
        status=exc.status_code)


def _server_error(request: Request, exc: Exception):
    log.exception("page %s failed", request.url.path)
    response = page(request, "error.html", {
        "title": "Sorry, something went wrong", "heading": "Sorry, something went wrong",
        "message": "This page could not be shown because of a fault on our side. It has been "
                   "recorded; please try again later.", "show_search": True}, status=500)
    response.headers.update(headers.headers_for(request.url.path))
    return response


def create_app(db_path: str | Path, *, public_url: str | None = None,
               snapshot_path: str | Path | None = None, datasette: bool = True,
               snapshot_interval: float = 10.0, snapshot_background: bool = True,
               page_cache: bool = True, signups=None,
               debug: bool = False) -> Starlette:
    """The site over ``db_path`` (created and migrated if it does not exist yet).

    ``public_url`` is the site's own address for links that leave it (feeds); without it the
    address the request came to is used. ``snapshot_path`` is where the public snapshot for
    ``/data`` is written (default: beside the database, ``NAME.public.db``). ``page_cache``
    keeps rendered pages until the database changes (``cache.py``).
    """
    db_path = str(db_path)
    open_db(db_path).conn.close()  # make and migrate it once; pages only read
    store = Store(db_path)
    routes = [
        Route("/", home.home, name="home"),
        Route("/latest.{fmt:str}", home.latest_data),
        Route("/search", search.search, name="search"),
        Route("/provider/{urn}", provider.provider_page, name="provider"),
        Route("/local-authority", groups.local_authority_index),
        Route("/local-authority/{slug}", groups.local_authority_page, name="local_authority"),
        Route("/owner", groups.owner_index),
        Route("/owner/{slug}", groups.owner_page, name="owner"),
        Route("/events", events.events_page, name="events"),
        Route("/events.{fmt:str}", events.events_data),
        Route("/subscribe", subscribe.subscribe, name="subscribe"),
        # email sign-up, confirmation, manage and one-click unsubscribe (issue 11)
        Route("/subscribe", subscribe.subscribe_post, methods=["POST"]),
        Route("/confirm/{token}", subscribe.confirm_page),
        Route("/confirm/{token}", subscribe.confirm_post, methods=["POST"]),
        Route("/manage/{token}", manage.manage_page),
        Route("/manage/{token}", manage.manage_post, methods=["POST"]),
        Route("/unsubscribe/{token}", manage.unsubscribe_page),
        Route("/unsubscribe/{token}", manage.unsubscribe_post, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    keeper = None
    if datasette:
        from .data import DataApp
        from .public import SnapshotKeeper, default_path
        keeper = SnapshotKeeper(db_path, snapshot_path or default_path(db_path),
                                interval=snapshot_interval, background=snapshot_background)
        keeper.refresh(force=True)
        routes += [Route("/data", lambda request: RedirectResponse("/data/", 301)),
                   Mount("/data", app=DataApp(keeper))]
    app = Starlette(
        debug=debug, routes=routes,
        middleware=[Middleware(headers.SecurityHeaders)]
        + ([Middleware(PageCache, store=store)] if page_cache else []),
        exception_handlers={HTTPException: _http_error, 500: _server_error})
    app.state.store = store
    app.state.public_url = public_url.rstrip("/") if public_url else None
    app.state.templates = environment()
    app.state.snapshot = keeper
    # public email (monitor/signups.py): the secret, mail URL and public URL; the environment's
    # unless given
    from .. import signups as _signups
    app.state.db_path = db_path
    app.state.signups = signups if signups is not None else _signups.settings()
    if public_url and not app.state.signups.public_url:
        app.state.signups = _signups.Settings(**{**app.state.signups.__dict__,
                                                 "public_url": app.state.public_url})
    return app
