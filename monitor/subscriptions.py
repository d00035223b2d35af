"""Subscriptions: who wants which events, delivered where (an Apprise URL, never printed).

Filters (stored as JSON in ``subscriptions.filters``) combine with AND; several URNs combine with
OR. ``all`` follows every provider. Every filter is checked when it is made
(``monitor.filters``): a local authority must be an English council, a URN one of Ofsted's
formats, an owner one the history names (or the caller says it is new), a provider type one of
the registry's; the stored value is the canonical one (``Staffs`` is stored as
``Staffordshire``, ``sc 123456`` as ``SC123456``). Matching folds both sides the same way
("Harmony Childcare Ltd" matches "HARMONY CHILDCARE LIMITED"; a retired council such as Cumbria
matches the councils that took over its area).

An identical subscription (same filters, event kinds, digest and destination) is never made
twice: ``DuplicateSubscription`` names the one that exists.

A subscription receives only events detected at or after the moment it was made, and never a
baseline event: the backlog already known when it subscribed is not news to it.
"""
from __future__ import annotations

import json
from functools import lru_cache

from extract.places import REGIONS, region_code, region_for

from . import filters as checks
from . import history, notify
from .detect import DEFAULT_KINDS, KINDS

DIGESTS = ("daily", "weekly")


class SubscriptionError(ValueError):
    """A subscription that cannot be made; the message says what to change."""


class DuplicateSubscription(SubscriptionError):
    """The same subscription exists already (``existing`` is its id)."""

    def __init__(self, existing: int):
        super().__init__(f"subscription {existing} already sends the same alerts to the same "
                         f"destination: nothing added (see `ofsted-watch subscriptions`)")
        self.existing = existing


def fold_place(text: str | None) -> str:
    return checks.place_key(text)


def fold_owner(text: str | None) -> str:
    return checks.owner_key(text)


@lru_cache(maxsize=1024)
def fold_region(text: str | None) -> str:
    """A region by name or ONS code (the crawler stores the code) → its code, else folded."""
    return region_code(text or "") or checks.fold(text)


def fold_type(text: str | None) -> str:
    return checks.type_key(text)


def default_kinds(filters: dict) -> list[str]:
    """What a subscription receives unless it chooses: the default kinds, and for one that
    follows single providers by URN, every new report of them (``published``) too."""
    kinds = list(DEFAULT_KINDS)
    if filters.get("urns") and "published" in KINDS and "published" not in kinds:
        kinds.append("published")
    return sorted(set(kinds), key=KINDS.index)


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


def check_filters(db, *, urns=(), local_authority=None, region=None, owner=None,
                  provider_type=None, all=False, new_owner=False,
                  warnings: list | None = None) -> dict:
    """The filters as they will be stored (canonical values); SubscriptionError for one that
    would match nothing. ``warnings`` collects what is accepted but worth saying."""
    try:
        found_urns = checks.urns(urns)
        stored: dict = {}
        if local_authority and local_authority.strip():
            stored["local_authority"] = checks.local_authority(local_authority)
        if region and region.strip():
            code = region_code(region)
            if not code:
                raise SubscriptionError(f"unknown region {region.strip()!r}: use a name such as "
                                        f"'South East' or a code E12000001..E12000009")
            stored["region"] = code
        if owner and owner.strip():
            stored["owner"] = checks.owner(db, owner, new=new_owner)
        if provider_type and provider_type.strip():
            stored["provider_type"] = checks.provider_type(provider_type)
    except checks.FilterError as exc:
        raise SubscriptionError(str(exc)) from None
    if found_urns:
        stored["urns"] = sorted(found_urns)
        unseen = checks.unknown_urns(db, stored["urns"])
        if unseen and warnings is not None:
            warnings.append(
                f"URN{'s' if len(unseen) > 1 else ''} {', '.join(unseen)}: not in the history "
                f"yet; followed from its first report found")
    if all and stored:
        raise SubscriptionError("--all follows every provider: drop the other filters")
    if all:
        stored = {"all": True}
    if not stored:
        raise SubscriptionError("choose what to follow: --urn, --urn-file, --local-authority, "
                                "--region, --owner, --provider-type, or --all")
    return stored


def add(db, notify_url: str, *, urns=(), local_authority=None, region=None, owner=None,
        provider_type=None, all=False, events=None, digest=None, name=None,
        new_owner: bool = False, warnings: list | None = None,
        now: str | None = None) -> int:
    """Store a subscription; return its id. Raises SubscriptionError for a bad one, and
    DuplicateSubscription when the same one is active already."""
    try:
        notify.check_url(notify_url)
    except notify.NotifyError as exc:
        raise SubscriptionError(str(exc)) from None
    if isinstance(urns, str):
        urns = [urns]
    filters = check_filters(db, urns=urns, local_authority=local_authority, region=region,
                            owner=owner, provider_type=provider_type, all=all,
                            new_owner=new_owner, warnings=warnings)
    if digest is not None and digest not in DIGESTS:
        raise SubscriptionError(f"unknown digest {digest!r}: choose daily or weekly")
    kinds = parse_kinds(events) if events is not None else default_kinds(filters)
    row = {"name": name, "notify_url": notify_url, "filters": json.dumps(filters, sort_keys=True),
           "events": ",".join(kinds), "digest": digest}
    with db.atomic():
        same = db.execute(
            "select id from subscriptions where active = 1 and notify_url = ? and filters = ? "
            "and events = ? and coalesce(digest, '') = ? order by id limit 1",
            [row["notify_url"], row["filters"], row["events"], digest or ""]).fetchone()
        if same:
            raise DuplicateSubscription(same[0])
        inserted = db["subscriptions"].insert({**row, "created_at": now or history.utcnow(),
                                               "active": 1})
    return inserted.last_pk


def remove(db, subscription_id: int) -> bool:
    """Stop a subscription (kept, inactive, so its delivery history stays). False if unknown."""
    with db.atomic():
        cursor = db.execute("update subscriptions set active = 0 where id = ? and active = 1",
                            [subscription_id])
        db.execute("update deliveries set status = 'cancelled' where subscription_id = ? and "
                   "status in ('pending', 'retry', 'held')", [subscription_id])
    return cursor.rowcount > 0


def listing(db, *, include_inactive: bool = False) -> list[dict]:
    """Subscriptions as shown to a person: the notify URL with its secrets hidden; per
    subscription its delivery counts, the last delivery error (scrubbed) and the next retry."""
    where = None if include_inactive else "active = 1"
    out = []
    counts: dict = {}
    for sub_id, status, n in db.execute(
            "select subscription_id, status, count(*) from deliveries group by 1, 2"):
        counts.setdefault(sub_id, {})[status] = n
    problems = {sub_id: (error, next_try) for sub_id, error, next_try in db.execute(
        "select subscription_id, (select last_error from deliveries e where "
        "e.subscription_id = d.subscription_id and e.last_error is not null and "
        "e.status in ('retry', 'failed', 'pending', 'unknown') order by e.id desc limit 1), "
        "min(case when status in ('retry', 'pending') and last_error is not null "
        "then next_attempt_at end) "
        "from deliveries d where status in ('retry', 'failed', 'pending', 'unknown') "
        "group by subscription_id")}
    for row in db["subscriptions"].rows_where(where, order_by="id"):
        error, next_try = problems.get(row["id"], (None, None))
        out.append({"id": row["id"], "name": row["name"],
                    "notify": _destination_words(row),
                    "filters": json.loads(row["filters"] or "{}"),
                    "events": (row["events"] or "").split(","), "digest": row["digest"],
                    "created_at": row["created_at"], "active": bool(row["active"]),
                    "deliveries": counts.get(row["id"], {}),
                    "last_error": notify.scrub(error, row["notify_url"]) if error else None,
                    "next_try": next_try})
    return out


def _destination_words(row: dict) -> str:
    """Where a subscription's alerts go, for the operator: the Apprise URL redacted, or a web
    subscriber's address (personal data: shown to the operator, never logged or published)."""
    if row.get("source") == "web" and row.get("email"):
        state = (f"confirmed {row['confirmed_at']}" if row.get("confirmed_at")
                 else "not confirmed yet")
        return f"email to {row['email']} (web sign-up, {state})"
    return notify.redact(row["notify_url"])


def describe_filters(filters: dict) -> str:
    if filters.get("all"):
        return "every provider"
    parts = []
    if filters.get("urns"):
        parts.append("URN " + ", ".join(filters["urns"]))
    for key, label in (("local_authority", "local authority"), ("region", "region"),
                       ("owner", "owner"), ("provider_type", "type")):
        if filters.get(key):
            value = REGIONS.get(filters[key], filters[key]) if key == "region" else filters[key]
            parts.append(f"{label} {value}")
    return "; ".join(parts)


class Filter:
    """A subscription's (or a search's) filters, folded once, tested against many providers."""

    def __init__(self, filters: dict):
        self.all = bool(filters.get("all"))
        self.urns = {u.upper() for u in filters.get("urns") or ()}
        self.places = checks.place_keys(filters.get("local_authority"))
        self.region = fold_region(filters.get("region"))
        self.owner = fold_owner(filters.get("owner"))
        self.provider_type = fold_type(filters.get("provider_type"))

    def matches(self, provider: "ProviderFacts") -> bool:
        if self.all:
            return True
        if self.urns and provider.urn.upper() not in self.urns:
            return False
        if self.places and not self.places & provider.places:
            return False
        if self.region and self.region != provider.region:
            return False
        if self.owner and self.owner not in provider.owners:
            return False
        if self.provider_type and self.provider_type not in provider.types:
            return False
        return True


class Matcher(Filter):
    """A subscription: its filters, its event kinds, and when it began."""

    def __init__(self, row: dict):
        super().__init__(json.loads(row["filters"] or "{}"))
        self.id = row["id"]
        self.kinds = set((row["events"] or "").split(","))
        self.created_at = row["created_at"] or ""
        self.digest = row["digest"]

    def wants(self, event: dict, provider: "ProviderFacts") -> bool:
        if event["kind"] not in self.kinds:
            return False
        # it must have existed when the report was first found (and when the event was made)
        if min(event.get("first_seen") or "~", event["detected_at"] or "") < self.created_at:
            return False
        return self.matches(provider)


class ProviderFacts:
    """What filters test: the provider row's details, or where the crawler has none, the
    report's own (its local authority, owner and report type as read from the PDF)."""

    def __init__(self, urn: str, provider: dict | None, report: dict | None):
        provider = provider or {}
        report = report or {}
        self.urn = urn or ""
        place = provider.get("local_authority") or report.get("local_authority")
        self.places = {fold_place(place)} if place else set()
        self.region = fold_region(provider.get("region") or region_for(place))
        owner = provider.get("owner") or report.get("owner")
        self.owners = {fold_owner(owner)} if owner else set()
        kinds = [provider.get("provider_type"), provider.get("category")]
        if not any(kinds):
            kinds = [report.get("report_type")]
        self.types = checks.type_keys(*kinds)


def active_matchers(db) -> list[Matcher]:
    return [Matcher(row) for row in db["subscriptions"].rows_where("active = 1", order_by="id")]
