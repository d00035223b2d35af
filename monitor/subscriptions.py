"""Subscriptions: who wants which events, delivered where (an Apprise URL, never printed).

Filters (stored as JSON in ``subscriptions.filters``) combine with AND; several URNs combine with
OR. ``all`` follows every provider. Places, owners and provider types are compared folded
("Staffordshire" matches "Staffordshire County Council"; "childrens-home" matches "Children's
home"; "Harmony Childcare Ltd" matches "HARMONY CHILDCARE LIMITED").

A subscription receives only events detected at or after the moment it was made, and never a
baseline event: the backlog already known when it subscribed is not news to it.
"""
from __future__ import annotations

import json
import re

from extract.places import region_code

from . import history, notify
from .detect import DEFAULT_KINDS, KINDS

DIGESTS = ("daily", "weekly")


class SubscriptionError(ValueError):
    """A subscription that cannot be made; the message says what to change."""


def _fold(text: str | None) -> str:
    text = (text or "").lower().replace("\u2019", "'").replace("'", "").replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


_PLACE_NOISE = re.compile(
    r"\b(?:city and county council|county borough council|metropolitan borough council|"
    r"borough council|county council|city council|district council|council|"
    r"london borough of|royal borough of|city of|local authority)\b")


def fold_place(text: str | None) -> str:
    return " ".join(_PLACE_NOISE.sub(" ", _fold(text)).split())


def fold_owner(text: str | None) -> str:
    folded = _fold(text)
    folded = re.sub(r"\blimited\b", "ltd", folded)
    folded = re.sub(r"\bpublic limited company\b", "plc", folded)
    return folded


def fold_region(text: str | None) -> str:
    """A region by name or ONS code (the crawler stores the code) → its code, else folded."""
    return region_code(text or "") or fold_place(text)


def fold_type(text: str | None) -> str:
    return "-".join(_fold(text).replace(" s ", "s ").split())


def parse_kinds(events) -> list[str]:
    """``"downgrade,enforcement"`` or a list → validated kinds; None → the default kinds."""
    if events is None:
        return list(DEFAULT_KINDS)
    if isinstance(events, str):
        events = events.split(",")
    kinds = []
    for item in events:
        for kind in str(item).split(","):
            kind = kind.strip().lower()
            if not kind:
                continue
            if kind == "all":
                kinds.extend(KINDS)
                continue
            if kind not in KINDS:
                raise SubscriptionError(
                    f"unknown event kind {kind!r}: choose from {', '.join(KINDS)} (or all)")
            kinds.append(kind)
    if not kinds:
        raise SubscriptionError(f"--events is empty: choose from {', '.join(KINDS)}")
    return sorted(set(kinds), key=KINDS.index)


def add(db, notify_url: str, *, urns=(), local_authority=None, region=None, owner=None,
        provider_type=None, all=False, events=None, digest=None, name=None,
        now: str | None = None) -> int:
    """Store a subscription; return its id. Raises SubscriptionError for a bad one."""
    try:
        notify.check_url(notify_url)
    except notify.NotifyError as exc:
        raise SubscriptionError(str(exc)) from None
    urns = sorted({u.strip().upper() for u in urns or () if u and u.strip()})
    filters = {key: value.strip() for key, value in (
        ("local_authority", local_authority), ("region", region), ("owner", owner),
        ("provider_type", provider_type)) if value and value.strip()}
    if urns:
        filters["urns"] = urns
    if "region" in filters and not region_code(filters["region"]):
        raise SubscriptionError(f"unknown region {filters['region']!r}: use a name such as "
                                f"'South East' or a code E12000001..E12000009")
    if all and filters:
        raise SubscriptionError("--all follows every provider: drop the other filters")
    if all:
        filters = {"all": True}
    if not filters:
        raise SubscriptionError("choose what to follow: --urn, --local-authority, --region, "
                                "--owner, --provider-type, or --all")
    if digest is not None and digest not in DIGESTS:
        raise SubscriptionError(f"unknown digest {digest!r}: choose daily or weekly")
    kinds = parse_kinds(events)
    with db.atomic():
        row = db["subscriptions"].insert({
            "name": name, "notify_url": notify_url, "filters": json.dumps(filters, sort_keys=True),
            "events": ",".join(kinds), "digest": digest, "created_at": now or history.utcnow(),
            "active": 1})
    return row.last_pk


def remove(db, subscription_id: int) -> bool:
    """Stop a subscription (kept, inactive, so its delivery history stays). False if unknown."""
    with db.atomic():
        cursor = db.execute("update subscriptions set active = 0 where id = ? and active = 1",
                            [subscription_id])
        db.execute("update deliveries set status = 'cancelled' where subscription_id = ? and "
                   "status in ('pending', 'retry', 'held')", [subscription_id])
    return cursor.rowcount > 0


def listing(db, *, include_inactive: bool = False) -> list[dict]:
    """Subscriptions as shown to a person: the notify URL with its secrets hidden."""
    where = None if include_inactive else "active = 1"
    out = []
    counts = {}
    for sub_id, status, n in db.execute(
            "select subscription_id, status, count(*) from deliveries group by 1, 2"):
        counts.setdefault(sub_id, {})[status] = n
    for row in db["subscriptions"].rows_where(where, order_by="id"):
        out.append({"id": row["id"], "name": row["name"],
                     "notify": notify.redact(row["notify_url"]),
                     "filters": json.loads(row["filters"] or "{}"),
                     "events": (row["events"] or "").split(","), "digest": row["digest"],
                     "created_at": row["created_at"], "active": bool(row["active"]),
                     "deliveries": counts.get(row["id"], {})})
    return out


def describe_filters(filters: dict) -> str:
    if filters.get("all"):
        return "every provider"
    parts = []
    if filters.get("urns"):
        parts.append("URN " + ", ".join(filters["urns"]))
    for key, label in (("local_authority", "local authority"), ("region", "region"),
                       ("owner", "owner"), ("provider_type", "type")):
        if filters.get(key):
            parts.append(f"{label} {filters[key]}")
    return "; ".join(parts)


class Matcher:
    """A subscription's filters, folded once, tested against many events' providers."""

    def __init__(self, row: dict):
        self.id = row["id"]
        filters = json.loads(row["filters"] or "{}")
        self.all = bool(filters.get("all"))
        self.urns = {u.upper() for u in filters.get("urns") or ()}
        self.local_authority = fold_place(filters.get("local_authority"))
        self.region = fold_region(filters.get("region"))
        self.owner = fold_owner(filters.get("owner"))
        self.provider_type = fold_type(filters.get("provider_type"))
        self.kinds = set((row["events"] or "").split(","))
        self.created_at = row["created_at"] or ""
        self.digest = row["digest"]

    def wants(self, event: dict, provider: "ProviderFacts") -> bool:
        if event["kind"] not in self.kinds:
            return False
        # it must have existed when the report was first found (and when the event was made)
        if min(event.get("first_seen") or "~", event["detected_at"] or "") < self.created_at:
            return False
        if self.all:
            return True
        if self.urns and provider.urn.upper() not in self.urns:
            return False
        if self.local_authority and self.local_authority not in provider.places:
            return False
        if self.region and self.region != provider.region:
            return False
        if self.owner and self.owner not in provider.owners:
            return False
        if self.provider_type and self.provider_type not in provider.types:
            return False
        return True


class ProviderFacts:
    """What filters test: the provider row's details, or where the crawler has none, the
    report's own (its local authority, owner and report type as read from the PDF)."""

    def __init__(self, urn: str, provider: dict | None, report: dict | None):
        provider = provider or {}
        report = report or {}
        self.urn = urn or ""
        place = provider.get("local_authority") or report.get("local_authority")
        self.places = {fold_place(place)} if place else set()
        self.region = fold_region(provider.get("region"))
        owner = provider.get("owner") or report.get("owner")
        self.owners = {fold_owner(owner)} if owner else set()
        kinds = [provider.get("provider_type"), provider.get("category")]
        if not any(kinds):
            kinds = [report.get("report_type")]
        self.types = {fold_type(v) for v in kinds if v}


def active_matchers(db) -> list[Matcher]:
    return [Matcher(row) for row in db["subscriptions"].rows_where("active = 1", order_by="id")]
