"""Security headers on every response, the site's pages, its errors and ``/data`` alike.

No script runs on the site's own pages, so the policy allows none; ``/data`` (Datasette) gets
its own scripts and inline styles from its own origin, nothing from elsewhere. Nothing may frame
any page.
"""
from __future__ import annotations

PAGE_CSP = ("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DATA_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

COMMON = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "interest-cohort=(), geolocation=(), camera=(), microphone=()",
    "cross-origin-opener-policy": "same-origin",
}


def headers_for(path: str, data_prefix: str = "/data") -> dict[str, str]:
    """The headers for a path; under ``data_prefix`` (Datasette) its own scripts may run."""
    is_data = path == data_prefix or path.startswith(data_prefix.rstrip("/") + "/")
    csp = DATA_CSP if is_data else PAGE_CSP
    return {**COMMON, "content-security-policy": csp}


class SecurityHeaders:
    """ASGI middleware: set (or replace) the security headers of every HTTP response."""

    def __init__(self, app, data_prefix: str = "/data"):
        self.app, self.data_prefix = app, data_prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope.get("path", "/"), self.data_prefix)
        names = {k.encode() for k in extra}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in names]
                headers += [(k.encode(), v.encode()) for k, v in extra.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
