"""What every form on the site shares: a bounded body, and CSRF protection without script.

CSRF: a signed double-submit token. A page with a form gives the browser a random cookie
(``ow_csrf``: HttpOnly, SameSite=Lax) and puts in the form a token signed with the site's secret
that names the cookie's value; a POST is accepted only when the form's token is genuine, recent
(``CSRF_AGE``) and names the cookie the browser sent. Another site can make a browser send the
cookie, but cannot read it nor sign a token for it.

A form body larger than ``MAX_FORM`` bytes is refused (413) before it is read whole.
"""
from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request

COOKIE = "ow_csrf"
CSRF_AGE = 4 * 3600
MAX_FORM = 16 * 1024
MAX_FIELDS = 60


class FormTooLarge(Exception):
    pass


async def read_form(request: Request) -> dict[str, list[str]]:
    """The urlencoded form of a POST, at most ``MAX_FORM`` bytes (FormTooLarge beyond)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM:
        raise FormTooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise FormTooLarge()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind != "application/x-www-form-urlencoded":
        return {}
    try:
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True,
                        max_num_fields=MAX_FIELDS)
    except ValueError:       # more fields than any form here has
        raise FormTooLarge() from None


def first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="ofsted-watch-csrf")


def csrf_pair(request: Request, secret: str) -> tuple[str, str]:
    """(form token, cookie value) for a page with a form: the browser's cookie if it has a
    sound one, else a new one."""
    cookie = request.cookies.get(COOKIE) or ""
    if len(cookie) < 20 or len(cookie) > 64:
        cookie = secrets.token_urlsafe(24)
    return _serializer(secret).dumps(cookie), cookie


def csrf_ok(request: Request, secret: str, token: str) -> bool:
    cookie = request.cookies.get(COOKIE) or ""
    if not cookie or not token:
        return False
    try:
        named = _serializer(secret).loads(token, max_age=CSRF_AGE)
    except BadSignature:
        return False
    return isinstance(named, str) and secrets.compare_digest(named, cookie)


def set_csrf_cookie(response, request: Request, cookie: str) -> None:
    secure = request.url.scheme == "https" or \
        (request.app.state.public_url or "").startswith("https://")
    response.set_cookie(COOKIE, cookie, max_age=CSRF_AGE, httponly=True, samesite="lax",
                        secure=secure, path="/")
    response.headers["cache-control"] = "no-store"


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"
