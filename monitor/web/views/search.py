"""``/search?q=``: a URN (``sc 123456`` → ``SC123456``), a provider's name, a local authority
or an owner. A URN that is known goes straight to its page."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from .. import words
from ..render import page

MAX_QUERY = 200


def search(request: Request):
    q = (request.query_params.get("q") or "").strip()[:MAX_QUERY]
    store = request.app.state.store
    found = store.search(q) if q else {"urn": None, "providers": [], "authorities": [],
                                      "owners": []}
    if found["urn"]:
        return RedirectResponse(f"/provider/{found['urn']}", status_code=303)
    total = len(found["providers"]) + len(found["authorities"]) + len(found["owners"])
    return page(request, "search.html", {
        "title": f"Search: {q}" if q else "Search", "q": q, "found": found, "total": total,
        "looks_like_urn": words.normalise_urn(q)})
