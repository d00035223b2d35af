"""Public email subscribers: sign-up from the web site, double opt-in, manage and leave by link.

The policy, carried out below:

* **Rows in ``subscriptions``.** A sign-up is a ``subscriptions`` row with ``source = 'web'`` and
  the address in ``email`` — never a notify URL typed on the web (that would let anyone make the
  server call any address). The outbox, the matchers, digests and the exactly-once machinery
  serve it like any other subscription. Its ``notify_url`` stays empty: the URL a message is
  sent with is made at send time from the operator's ``OFSTED_WATCH_MAIL_URL`` with the
  recipient filled in (``send_url``), so the operator's SMTP password is stored nowhere per
  subscriber.
* **Double opt-in.** A sign-up is stored inactive (``active = 0``) and one confirmation email is
  sent. Nothing else is ever sent to an address before its owner follows the link and presses
  *Confirm* (a POST: a mail scanner that fetches links confirms nothing). The link is signed,
  works once, and only for ``CONFIRM_HOURS``; unconfirmed sign-ups are deleted after that.
  A subscription confirmed at time T receives only events detected after T.
* **No enumeration.** Signing up an address that already has the same alerts sends it an email
  saying so (with its manage link) instead of a confirmation: the page shown is the same either
  way, and the same when the address was throttled.
* **Rate limits.** At most one confirmation email per address per ``ADDRESS_GAP`` seconds and
  ``ADDRESS_DAILY`` a day; at most ``CLIENT_HOURLY`` sign-ups an hour from one client address.
  ``signup_requests`` keeps keyed hashes (HMAC with the site's secret) of the address and the
  client, never the address itself.
* **Links.** ``itsdangerous`` tokens signed with the operator's secret, one salt per purpose
  ('confirm', 'manage', 'unsubscribe'), each carrying the row's id and its random
  ``token_nonce``. Manage and unsubscribe links do not expire (they are in every email); a
  tampered token is refused (400), an expired or used one is gone (410).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from . import filters as checks
from . import history, subscriptions
from .detect import DEFAULT_KINDS

#: What the web offers, in the order the form shows them.
PUBLIC_KINDS = ("downgrade", "enforcement", "inadequate", "declined", "published")
FOLLOW = ("urn", "local_authority", "owner", "all")
DIGESTS = ("immediate", "daily", "weekly")

#: A confirmation link works for this long; an unconfirmed sign-up is deleted after it.
CONFIRM_HOURS = 48
#: At most one confirmation email per address in this many seconds ...
ADDRESS_GAP = int(os.environ.get("OFSTED_WATCH_SIGNUP_GAP", "600"))
#: ... and this many a day.
ADDRESS_DAILY = 5
#: Sign-ups one client (IP address) may ask for in an hour.
CLIENT_HOURLY = int(os.environ.get("OFSTED_WATCH_SIGNUP_CLIENT_HOURLY", "20"))
#: The shortest signing secret accepted.
MIN_SECRET = 16
MAX_EMAIL = 254


class SettingsError(ValueError):
    """Public email is not set up, or set up wrongly; one line says what to set."""


class SignupError(ValueError):
    """A sign-up or a change that cannot be made; ``field`` is the form field at fault."""

    def __init__(self, message: str, field: str, errors: dict | None = None):
        super().__init__(message)
        self.field = field
        #: every field at fault → its message (the form shows them all at once)
        self.errors = errors or {field: message}


class TokenError(Exception):
    """A link that cannot be used. ``status``: 400 tampered, 410 expired, used or gone."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class RateLimited(Exception):
    """Too many sign-ups from one client."""


# ---- no address in a log line -------------------------------------------------------------------

class _HideAddresses(logging.Filter):
    """Apprise logs each recipient at INFO ("Sent Email to name@example.org"), which `serve`
    and `-v` show: addresses are personal data, so its records keep only the domain."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:       # a malformed record is Apprise's to report, not ours
            return True
        hidden = _hide(text)
        if hidden != text:
            record.msg, record.args = hidden, ()
        return True


def _hide(text: str) -> str:
    from .notify import hide_addresses
    return hide_addresses(text)


_apprise_log = logging.getLogger("apprise")
if not any(isinstance(f, _HideAddresses) for f in _apprise_log.filters):
    _apprise_log.addFilter(_HideAddresses())


# ---- settings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """What public email needs: the signing secret, the site's public address (every link in an
    email), and the Apprise URL mail goes out through (the recipient is filled in per email)."""
    secret: str | None = None
    public_url: str | None = None
    mail_url: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(secret=os.environ.get("OFSTED_WATCH_SECRET") or None,
                   public_url=os.environ.get("OFSTED_WATCH_PUBLIC_URL") or None,
                   mail_url=os.environ.get("OFSTED_WATCH_MAIL_URL") or None)

    def need(self, *names: str) -> Settings:
        """Raise SettingsError naming the first of ``names`` that is not set."""
        env = {"secret": "OFSTED_WATCH_SECRET", "public_url": "OFSTED_WATCH_PUBLIC_URL "
               "(--public-url)", "mail_url": "OFSTED_WATCH_MAIL_URL (--mail-url)"}
        for name in names:
            if not getattr(self, name):
                raise SettingsError(f"public email needs {env[name]}: see docs/subscribe.md")
        return self


_configured: dict = {}


def configure(**values) -> None:
    """Set this process's settings (the CLI's ``--mail-url`` / ``--public-url``); a value of
    None leaves the environment's."""
    _configured.update({k: v for k, v in values.items() if v})


def settings() -> Settings:
    """The process's settings: the environment, overridden by ``configure``."""
    base = Settings.from_env()
    return Settings(**{**base.__dict__, **_configured})


def check_secret(secret: str | None) -> str:
    if not secret:
        raise SettingsError("OFSTED_WATCH_SECRET is not set: the public site signs its sign-up, "
                            "manage and unsubscribe links with it (e.g. export "
                            "OFSTED_WATCH_SECRET=\"$(python -c 'import secrets; "
                            "print(secrets.token_urlsafe(32))')\")")
    if len(secret) < MIN_SECRET:
        raise SettingsError(f"OFSTED_WATCH_SECRET is too short: use at least {MIN_SECRET} "
                            f"random characters")
    return secret


def check_mail_url(url: str | None) -> str | None:
    """The operator's mail URL: an Apprise email URL (mailto:// or mailtos://) without a
    recipient of its own (each email gets its subscriber's), nor cc/bcc (that would show one
    subscriber's address to someone else)."""
    if not url:
        return None
    from . import notify
    scheme = notify._scheme(url)
    if scheme not in ("mailto", "mailtos"):
        raise SettingsError(f"{scheme or 'not a URL'}://…: give an Apprise email URL, "
                            f"mailto://… or mailtos://… (the recipient is filled in per "
                            f"subscriber)")
    query = {k.lower() for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    if query & {"to", "cc", "bcc"}:
        raise SettingsError("it must not name recipients (to=, cc=, bcc=): each email "
                            "goes to one subscriber only")
    try:
        notify.check_url(_with_query(url, {"to": "check@example.org"}))
    except notify.NotifyError as exc:
        raise SettingsError(str(exc)) from None
    return url


def _with_query(url: str, extra: dict) -> str:
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in extra]
    query = urlencode(pairs + list(extra.items()), quote_via=quote, safe="@")
    return urlunsplit(parts._replace(query=query))


def send_url(mail_url: str, email: str, unsubscribe: str | None = None) -> str:
    """The Apprise URL one email to ``email`` is sent with: the operator's mail URL with the
    recipient filled in and, for alerts, RFC 8058 one-click unsubscribe headers (Apprise's
    email plugin takes extra headers as ``+Name=value`` arguments)."""
    extra = {"to": email}
    if unsubscribe:
        extra["+List-Unsubscribe"] = f"<{unsubscribe}>"
        extra["+List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return _with_query(mail_url, extra)


# ---- tokens -----------------------------------------------------------------------------------

def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(check_secret(settings.secret), salt="ofsted-watch")


def make_token(settings: Settings, purpose: str, row: dict) -> str:
    return _serializer(settings).dumps([row["id"], row["token_nonce"]], salt=purpose)


def read_token(settings: Settings, purpose: str, token: str,
               max_age: float | None = None) -> tuple[int, str]:
    try:
        value = _serializer(settings).loads(token, salt=purpose, max_age=max_age)
    except SignatureExpired:
        raise TokenError(410, "expired") from None
    except BadSignature:
        raise TokenError(400, "invalid") from None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and isinstance(value[1], str)):
        raise TokenError(400, "invalid")
    return value[0], value[1]


def link(settings: Settings, purpose: str, row: dict) -> str:
    base = settings.need("public_url").public_url.rstrip("/")
    return f"{base}/{purpose}/{make_token(settings, purpose, row)}"


def load(db, settings: Settings, purpose: str, token: str, max_age: float | None = None
         ) -> dict:
    """The web subscription a link is for; TokenError when the link cannot be used."""
    sub_id, nonce = read_token(settings, purpose, token, max_age)
    row = next(iter(db["subscriptions"].rows_where(
        "id = ? and source = 'web'", [sub_id])), None)
    if row is None or not hmac.compare_digest(row["token_nonce"] or "", nonce):
        raise TokenError(410, "gone")
    return row


# ---- what a person asks for -------------------------------------------------------------------

def normalise_email(text: str | None) -> str:
    """The address as it will be stored, or SignupError (field 'email')."""
    from email_validator import EmailNotValidError, validate_email
    text = (text or "").strip()
    if not text:
        raise SignupError("Enter your email address", "email")
    if len(text) > MAX_EMAIL:
        raise SignupError("Enter an email address of 254 characters or fewer", "email")
    try:
        found = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise SignupError("Enter an email address in the correct format, like "
                          "name@example.org", "email") from None
    return found.normalized


@dataclass
class Choices:
    """A sign-up form's answers, checked: the stored filters, kinds and digest."""
    filters: dict
    kinds: list[str]
    digest: str | None

    @property
    def events(self) -> str:
        return ",".join(self.kinds)


def check_form(db, values: dict) -> Choices:
    """``check_choices`` for the values of a sign-up or manage form (``follow``, ``urn``,
    ``local_authority``, ``owner``, ``kind``, ``digest``)."""
    return check_choices(db, follow=values["follow"] or None, urn=values["urn"],
                         local_authority=values["local_authority"], owner=values["owner"],
                         kinds=values["kind"], digest=values["digest"])


def check_choices(db, *, follow: str | None, urn: str | None = None,
                  local_authority: str | None = None, owner: str | None = None,
                  kinds=(), digest: str | None = "immediate") -> Choices:
    """The form's choices as they will be stored; SignupError naming the fields at fault."""
    errors = {}
    kinds = [k for k in PUBLIC_KINDS if k in set(kinds or ())]
    if not kinds:
        errors["kind"] = "Choose at least one kind of alert"
    if (digest or "immediate") not in DIGESTS:
        errors["digest"] = "Choose how often to get emails"
    try:
        filters = _check_follow(db, follow, urn, local_authority, owner)
    except SignupError as exc:
        errors = {exc.field: str(exc), **errors}
    if errors:
        field, text = next(iter(errors.items()))
        raise SignupError(text, field, errors)
    digest = digest or "immediate"
    return Choices(filters, kinds, None if digest == "immediate" else digest)


def _check_follow(db, follow, urn, local_authority, owner) -> dict:
    if follow not in FOLLOW:
        raise SignupError("Choose what to get alerts about", "follow")
    value = {"urn": urn, "local_authority": local_authority, "owner": owner}.get(follow)
    value = (value or "").strip()[:200]
    if follow != "all" and not value:
        words = {"urn": "Enter the provider's URN, like SC123456",
                 "local_authority": "Enter a local authority, like Staffordshire",
                 "owner": "Enter the owner company's name"}
        raise SignupError(words[follow], follow)
    try:
        if follow == "urn":
            found = checks.urns([value])
            unknown = checks.unknown_urns(db, found)
            if unknown:
                raise SignupError(f"No provider with the URN {unknown[0]} is in this "
                                  f"service's records: check the number", "urn")
            filters = {"urns": found}
        elif follow == "local_authority":
            filters = {"local_authority": checks.local_authority(value)}
        elif follow == "owner":
            filters = {"owner": checks.owner(db, value)}
        else:
            filters = {"all": True}
    except checks.FilterError as exc:
        raise SignupError(_sentence(str(exc)), follow) from None
    return filters


def default_kinds(follow: str) -> list[str]:
    """Ticked at first: a family following one home hears of every report, good or bad."""
    kinds = list(DEFAULT_KINDS) + (["published"] if follow == "urn" else [])
    return [k for k in PUBLIC_KINDS if k in kinds]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---- storage ----------------------------------------------------------------------------------

def _now(now: str | None) -> str:
    return now or history.utcnow()


def _shift(now: str, seconds: float) -> str:
    moment = datetime.fromisoformat(now)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def _key(settings: Settings, kind: str, value: str) -> str:
    return hmac.new(check_secret(settings.secret).encode(), f"{kind}:{value}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def expire(db, now: str | None = None) -> int:
    """Delete sign-ups never confirmed within ``CONFIRM_HOURS``, and rate-limit records older
    than a week; return how many sign-ups went."""
    now = _now(now)
    with db.atomic():
        gone = db.execute("delete from subscriptions where source = 'web' and confirmed_at is "
                          "null and active = 0 and created_at < ? and not exists (select 1 "
                          "from deliveries d where d.subscription_id = subscriptions.id)",
                          [_shift(now, -CONFIRM_HOURS * 3600)]).rowcount
        db.execute("delete from signup_requests where at < ?", [_shift(now, -7 * 86400)])
    return gone


@dataclass
class Signup:
    """What a sign-up came to. ``email`` is what to send (None: throttled, send nothing);
    ``kind``: 'confirm' (a new or still pending sign-up) or 'already' (the address has these
    alerts already: it is told so, with its manage link)."""
    kind: str
    row: dict | None = None
    created: bool = False
    request_id: int | None = None
    email: str | None = None


def request(db, settings: Settings, *, email: str, choices: Choices, client: str,
            now: str | None = None) -> Signup:
    """Record a sign-up and decide what to email; raises RateLimited for a client over its
    limit. The caller sends the email (``mail_render.confirmation``) and calls ``sent`` or
    ``not_sent``."""
    now = _now(now)
    expire(db, now)
    address_key = _key(settings, "address", email.lower())
    client_key = _key(settings, "client", client or "unknown")
    hour_ago, gap_ago = _shift(now, -3600), _shift(now, -ADDRESS_GAP)
    day_ago = _shift(now, -86400)
    with db.atomic():
        asked = db.execute("select count(*) from signup_requests where client_key = ? and "
                           "at > ?", [client_key, hour_ago]).fetchone()[0]
        if asked >= CLIENT_HOURLY:
            raise RateLimited()
        request_id = db["signup_requests"].insert({
            "at": now, "address_key": address_key, "client_key": client_key,
            "emailed": 0}).last_pk
        recent, today = db.execute(
            "select coalesce(sum(at > ?), 0), count(*) from signup_requests where "
            "address_key = ? and emailed = 1 and at > ?",
            [gap_ago, address_key, day_ago]).fetchone()
        if recent or today >= ADDRESS_DAILY:
            return Signup("throttled", request_id=request_id)
        same = _same(db, email, choices)
        active = next((r for r in same if r["active"]), None)
        if active is not None:
            signup = Signup("already", active)
        else:
            pending = next((r for r in same if not r["confirmed_at"]), None)
            if pending is None:
                row = {"name": "web sign-up", "notify_url": None, "source": "web",
                       "email": email, "filters": json.dumps(choices.filters, sort_keys=True),
                       "events": choices.events, "digest": choices.digest, "created_at": now,
                       "active": 0, "confirmed_at": None,
                       "token_nonce": secrets.token_urlsafe(12)}
                row["id"] = db["subscriptions"].insert(row).last_pk
                signup = Signup("confirm", row, created=True)
            else:
                signup = Signup("confirm", pending)
        db.execute("update signup_requests set emailed = 1 where id = ?", [request_id])
    signup.request_id, signup.email = request_id, email
    return signup


def _same(db, email: str, choices: Choices) -> list[dict]:
    return list(db["subscriptions"].rows_where(
        "source = 'web' and lower(email) = lower(?) and filters = ? and events = ? and "
        "coalesce(digest, '') = ? and (active = 1 or confirmed_at is null)",
        [email, json.dumps(choices.filters, sort_keys=True), choices.events,
         choices.digest or ""], order_by="active desc, id"))


def not_sent(db, signup: Signup) -> None:
    """The email could not be sent: forget the sign-up it was for (nothing half-written) and
    do not count it against the address."""
    with db.atomic():
        if signup.created and signup.row:
            db.execute("delete from subscriptions where id = ? and confirmed_at is null",
                       [signup.row["id"]])
        if signup.request_id:
            db.execute("update signup_requests set emailed = 0 where id = ?",
                       [signup.request_id])


def confirm(db, settings: Settings, token: str, now: str | None = None) -> dict:
    """Follow a confirmation link (single use, ``CONFIRM_HOURS``); return the active row."""
    now = _now(now)
    row = load(db, settings, "confirm", token, max_age=CONFIRM_HOURS * 3600)
    if row["confirmed_at"]:
        raise TokenError(410, "used")
    with db.atomic():
        done = db.execute("update subscriptions set confirmed_at = ?, created_at = ?, "
                          "active = 1 where id = ? and confirmed_at is null",
                          [now, now, row["id"]]).rowcount
    if not done:
        raise TokenError(410, "used")
    return db["subscriptions"].get(row["id"])


def change(db, row: dict, choices: Choices) -> dict:
    """The manage page's changes: what it follows, the kinds, the digest. Alerts held for a
    digest go out at once when it becomes immediate, and the reverse."""
    with db.atomic():
        db["subscriptions"].update(row["id"], {
            "filters": json.dumps(choices.filters, sort_keys=True), "events": choices.events,
            "digest": choices.digest})
        if choices.digest and not row["digest"]:
            db.execute("update deliveries set status = 'held' where subscription_id = ? and "
                       "status = 'pending'", [row["id"]])
        elif row["digest"] and not choices.digest:
            db.execute("update deliveries set status = 'pending', next_attempt_at = ? where "
                       "subscription_id = ? and status = 'held'",
                       [history.utcnow(), row["id"]])
    return db["subscriptions"].get(row["id"])


def stop(db, row: dict) -> None:
    """Unsubscribe: the row is kept inactive; alerts not yet sent are cancelled."""
    subscriptions.remove(db, row["id"])


# ---- in words ---------------------------------------------------------------------------------

KIND_WORDS = {"downgrade": "downgrades", "enforcement": "enforcement action",
              "inadequate": "inadequate ratings", "declined": "declines in effectiveness",
              "published": "every new report", "upgrade": "upgrades"}


def follow_words(db, filters: dict) -> str:
    """'children's home 2650001', 'every provider in Staffordshire', ..."""
    if filters.get("all"):
        return "every provider in England"
    if filters.get("urns"):
        out = []
        for urn in filters["urns"]:
            row = db.execute("select provider_type from providers where urn = ?",
                             [urn]).fetchone()
            kind = (row[0] if row and row[0] else "provider").lower()
            out.append(f"{kind} {urn}")
        return ", ".join(out)
    if filters.get("local_authority"):
        return f"every provider in {filters['local_authority']}"
    if filters.get("owner"):
        return f"every provider run by {filters['owner']}"
    return subscriptions.describe_filters(filters)


def kinds_words(events: str | list[str]) -> str:
    kinds = events.split(",") if isinstance(events, str) else list(events)
    names = [KIND_WORDS.get(k, k) for k in kinds if k]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def digest_words(digest: str | None) -> str:
    return {"daily": "once a day, in a daily digest",
            "weekly": "once a week, in a weekly digest"}.get(digest or "", "as soon as they "
                                                                          "are found")


def why_words(db, row: dict) -> str:
    """The footer of every email: which subscription it is for, in words."""
    return (f"You asked for emails about {follow_words(db, json.loads(row['filters']))} "
            f"({kinds_words(row['events'])}), {digest_words(row['digest'])}.")


def follow_of(filters: dict) -> tuple[str, str]:
    """(form's follow choice, its value) for a stored filter."""
    if filters.get("urns"):
        return "urn", ",".join(filters["urns"])
    for key in ("local_authority", "owner"):
        if filters.get(key):
            return key, filters[key]
    return "all", ""


@dataclass
class Personal:
    """What an email to one web subscriber says that no other's does."""
    why: str
    manage: str
    unsubscribe: str
    extra: dict = field(default_factory=dict)


def personal(db, settings: Settings, row: dict) -> Personal:
    return Personal(why_words(db, row), link(settings, "manage", row),
                    link(settings, "unsubscribe", row))


# ---- sending (the outbox's hooks) -------------------------------------------------------------

#: A period's length, for a digest's span when its events are more recent than that.
PERIOD_SECONDS = {"daily": 86400, "weekly": 7 * 86400}
#: Where a web subscriber's messages go while public email is not set up (never contacted:
#: the message cannot be built, so the delivery waits and is retried).
UNCONFIGURED = "mailto://public-email-not-configured.invalid"


def outbox_url(db, sub_id: int, email: str, config: Settings | None = None) -> str:
    """The Apprise URL for one web subscriber's messages: the operator's mail URL, this
    recipient, and the one-click unsubscribe headers (never stored)."""
    config = config or settings()
    row = db["subscriptions"].get(sub_id)
    if not (config.mail_url and config.secret and config.public_url):
        return UNCONFIGURED
    return send_url(config.mail_url, email, link(config, "unsubscribe", row))


def outbox_message(db, sub: dict, event_ids, period: str | None, cache: dict,
                   config: Settings | None = None):
    """A web subscriber's message: the public email (rendered once per set of events with
    placeholders, ``mail_render``), with this subscriber's why, manage and unsubscribe."""
    from . import mail_render, message
    config = (config or settings()).need("mail_url", "secret", "public_url")
    period = period or sub.get("digest")
    ids = tuple(sorted(event_ids))
    key = ("public", ids, period)
    if key not in cache:
        groups = message.load_groups(db, list(ids))
        if period:
            end = history.utcnow()
            first = min((e["detected_at"] for g in groups for e in g.events
                         if e.get("detected_at")), default=end)
            start = min(first, _shift(end, -PERIOD_SECONDS.get(period, 86400)))
            cache[key] = mail_render.digest(groups, period, start=start, end=end,
                                            public_url=config.public_url)
        else:
            cache[key] = mail_render.alert(groups[0], public_url=config.public_url)
    row = db["subscriptions"].get(sub["id"])
    return mail_render.personalise(cache[key], personal(db, config, row))


def confirmation_message(db, config: Settings, signup: Signup):
    """The email a sign-up sends: a confirmation link, or the manage link of the alerts the
    address already has."""
    from . import mail_render
    row = signup.row
    purpose = "manage" if signup.kind == "already" else "confirm"
    return mail_render.confirmation(
        kind=signup.kind, follow=follow_words(db, json.loads(row["filters"])),
        kinds=kinds_words(row["events"]), how_often=digest_words(row["digest"]),
        link=link(config, purpose, row), public_url=config.public_url, hours=CONFIRM_HOURS)


def send_confirmation(db, config: Settings, signup: Signup, sender=None):
    """Send the sign-up's email now (the web request waits for it); an ``notify.Outcome``."""
    from .notify import Sender
    msg = confirmation_message(db, config, signup)
    url = send_url(config.need("mail_url").mail_url, signup.email)
    if sender is not None:
        return sender.send(url, msg)
    with Sender() as own:
        return own.send(url, msg)
