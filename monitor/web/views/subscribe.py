"""``/subscribe``: where email alerts will be offered (the sign-up form is the next step);
until then it points to the feeds, which need no sign-up."""
from __future__ import annotations

from starlette.requests import Request

from .. import words
from ..render import page


def subscribe(request: Request):
    params = request.query_params
    target, feed = None, "/latest.atom"
    store = request.app.state.store
    directory = store.directory()
    if params.get("urn"):
        urn = words.normalise_urn(params["urn"])
        if urn:
            target, feed = f"provider {urn}", f"/provider/{urn}.atom"
    elif params.get("local_authority"):
        group = directory.authorities.get(words.slugify(params["local_authority"]))
        if group:
            target, feed = group.name, f"/local-authority/{group.slug}.atom"
    elif params.get("owner"):
        group = directory.owners.get(words.slugify(params["owner"]))
        if group:
            target, feed = group.name, f"/owner/{group.slug}.atom"
    return page(request, "subscribe.html", {"title": "Get alerts", "target": target,
                                            "feed": feed})
