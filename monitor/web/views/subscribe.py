"""``/subscribe`` and ``/confirm/{token}``: sign up for email alerts, double opt-in.

``GET /subscribe`` (with ``?urn=``, ``?local_authority=`` or ``?owner=`` from a page's "Get
alerts" box) shows the form: an email address, what to follow, which kinds, how often.
``POST /subscribe`` checks it (a malformed address or choice: the form again with an error
summary, 422), then records the sign-up and sends its one confirmation email
(``monitor/signups.py``): the page that follows is the same whether the address was new,
already subscribed or throttled. ``GET /confirm/{token}`` shows a *Confirm* button (a mail
scanner that fetches links confirms nothing); its POST starts the alerts.

Every form carries a CSRF token (``forms.py``); a form body over 16 kB is refused (413); too
many sign-ups from one client is 429. Without a signing secret the site offers the feeds
instead.
"""
from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ... import signups
from ...schema import open_db
from .. import forms, words
from ..render import page, public_url

log = logging.getLogger(__name__)

KIND_LABELS = {
    "downgrade": ("Downgrades", "a grade lower than at the previous inspection"),
    "enforcement": ("Enforcement", "a compliance notice, restriction, suspension or other "
                                   "action named in a report"),
    "inadequate": ("Rated inadequate", "straight in at inadequate, with no earlier grade to "
                                       "compare"),
    "declined": ("Declined in effectiveness", "found at an interim inspection"),
    "published": ("Every new report", "every inspection report, good or bad"),
}
FREQUENCY = [("immediate", "As soon as a report is found", "one email per report"),
             ("daily", "Once a day", "a daily digest"),
             ("weekly", "Once a week", "a weekly digest, on Mondays")]
FIELD_ORDER = ("email", "follow", "urn", "local_authority", "owner", "kind", "digest")


def settings_of(request: Request) -> signups.Settings:
    """The site's public email settings; links go to the public URL, else where the request
    came to."""
    config = request.app.state.signups
    if not config.public_url:
        config = signups.Settings(config.secret, public_url(request), config.mail_url)
    return config


def available(request: Request) -> bool:
    config = settings_of(request)
    return bool(config.secret and config.mail_url)


def db_of(request: Request):
    return open_db(request.app.state.db_path)


def form_page(request: Request, template: str, context: dict, status: int = 200):
    """A page with a form: the CSRF token in it, the cookie beside it, never cached."""
    token, cookie = forms.csrf_pair(request, settings_of(request).secret)
    response = page(request, template, {**context, "csrf_token": token}, status=status)
    forms.set_csrf_cookie(response, request, cookie)
    return response


def message_page(request: Request, *, title: str, heading: str, body: list[str],
                 status: int = 200, action: dict | None = None, links: list | None = None):
    """A page that says one thing (sent, confirmed, expired...), maybe with one button."""
    context = {"title": title, "heading": heading, "body": body, "action": action,
               "links": links or []}
    if action and settings_of(request).secret:
        return form_page(request, "subscribe_message.html", context, status)
    response = page(request, "subscribe_message.html", context, status=status)
    response.headers["cache-control"] = "no-store"
    return response


def too_large(request: Request):
    return message_page(request, title="Form too large", heading="That form was too large",
                        body=["The form sent was larger than any form on this site. Go back "
                              "and try again."], status=413)


def link_problem(request: Request, error: signups.TokenError, what: str):
    if error.status == 400:
        return message_page(request, title="Link not recognised",
                            heading="This link is not recognised",
                            body=[f"The {what} link may have been copied wrongly or cut short. "
                                  f"Open it again from the email, or copy the whole link."],
                            status=400)
    reasons = {
        "expired": f"The {what} link has expired: confirmation links work for "
                   f"{signups.CONFIRM_HOURS} hours. Sign up again and use the new email's "
                   f"link.",
        "used": f"The {what} link has already been used: your alerts are on. Every alert "
                f"email has a link to change or stop them.",
        "gone": f"The alerts this {what} link was for no longer exist: they may have been "
                f"stopped, or the sign-up was never confirmed and has expired.",
    }
    return message_page(request, title="Link no longer works",
                        heading="This link no longer works",
                        body=[reasons.get(error.reason, reasons["gone"])], status=410,
                        links=[("/subscribe", "Sign up for alerts")])


def unavailable(request: Request, target: dict):
    return page(request, "subscribe.html", {"title": "Get alerts", "unavailable": True,
                                            "target": target, "feed": target.get("feed")})


# ---- the form -------------------------------------------------------------------------------

def target_of(request: Request, values: dict) -> dict:
    """What the form is pre-filled with, in words (from a page's "Get alerts" link)."""
    directory = request.app.state.store.directory()
    out = {"follow": values.get("follow"), "words": None, "feed": "/latest.atom"}
    urn = words.normalise_urn(values.get("urn"))
    if urn and (not out["follow"] or out["follow"] == "urn"):
        out.update(follow="urn", words=f"provider {urn}", feed=f"/provider/{urn}.atom")
        history = request.app.state.store.provider(urn)
        if history:
            provider = history["provider"]
            label = words.type_label(None, provider.get("provider_type"))
            out["words"] = f"{label} {urn}"
        values["urn"] = urn
    for key, table in (("local_authority", directory.authorities),
                       ("owner", directory.owners)):
        if values.get(key) and (not out["follow"] or out["follow"] == key):
            group = table.get(words.slugify(values[key]))
            if group:
                values[key] = group.name
                out.update(follow=key, feed=f"/{key.replace('_', '-')}/{group.slug}.atom",
                           words=("every provider in " if key == "local_authority" else
                                  "every provider run by ") + group.name)
    return out


def form_context(request: Request, values: dict, errors: dict | None = None) -> dict:
    errors = errors or {}
    target = target_of(request, values)
    follow = values.get("follow") or target["follow"] or "urn"
    kinds = values.get("kind")
    if kinds is None:
        kinds = signups.default_kinds(follow)
    return {
        "title": ("Error: " if errors else "") + "Get email alerts",
        "values": values, "follow": follow, "kinds": set(kinds),
        "digest": values.get("digest") or "immediate", "target": target,
        "errors": errors,
        "error_list": [(name, errors[name]) for name in FIELD_ORDER if name in errors],
        "KIND_LABELS": KIND_LABELS, "FREQUENCY": FREQUENCY,
        "PUBLIC_KINDS": signups.PUBLIC_KINDS,
    }


def subscribe(request: Request):
    values = {key: (request.query_params.get(key) or "").strip()[:200]
              for key in ("urn", "local_authority", "owner")}
    if not available(request):
        return unavailable(request, target_of(request, values))
    return form_page(request, "subscribe.html", form_context(request, values))


async def subscribe_post(request: Request):
    if not available(request):
        return unavailable(request, target_of(request, {}))
    try:
        form = await forms.read_form(request)
    except forms.FormTooLarge:
        return too_large(request)
    values = {key: forms.first(form, key).strip()[:300]
              for key in ("email", "follow", "urn", "local_authority", "owner", "digest")}
    values["kind"] = [k for k in form.get("kind", []) if k in signups.PUBLIC_KINDS]
    config = settings_of(request)
    if not forms.csrf_ok(request, config.secret, forms.first(form, "csrf_token")):
        context = form_context(request, values, {
            "form": "This form was open too long, or your browser did not send its cookie. "
                    "Check your answers and send it again."})
        return form_page(request, "subscribe.html", context, status=403)
    return await run_in_threadpool(_sign_up, request, values, config)


def _sign_up(request: Request, values: dict, config: signups.Settings):
    """The checked sign-up, in one worker thread (one database connection)."""
    errors: dict[str, str] = {}
    db = db_of(request)
    try:
        try:
            email = signups.normalise_email(values["email"])
        except signups.SignupError as exc:
            errors[exc.field] = str(exc)
        try:
            choices = signups.check_form(db, values)
        except signups.SignupError as exc:
            errors.update(exc.errors)
        if errors:
            return form_page(request, "subscribe.html", form_context(request, values, errors),
                             status=422)
        try:
            signup = signups.request(db, config, email=email, choices=choices,
                                     client=forms.client_of(request))
        except signups.RateLimited:
            return message_page(request, title="Too many sign-ups",
                                heading="Too many sign-ups from your connection",
                                body=["Please try again in an hour."], status=429)
        if signup.row is not None:
            outcome = signups.send_confirmation(db, config, signup)
            if not outcome.ok:
                log.warning("sign-up email could not be sent: %s", outcome.error)
                signups.not_sent(db, signup)
                return message_page(
                    request, title="Email not sent", heading="We could not send the email",
                    body=["The email that confirms your sign-up could not be sent just now. "
                          "Nothing has been saved. Please try again in a few minutes."],
                    status=503)
    finally:
        db.conn.close()
    return message_page(
        request, title="Check your email", heading="Check your email",
        body=["If the address you gave can get these alerts, we have sent it an email with a "
              "link. Open the link and press Confirm to start the alerts.",
              f"The link works for {signups.CONFIRM_HOURS} hours. Nothing is sent to the "
              f"address until it is confirmed.",
              "No email? Check your spam folder. You can ask again in a few minutes."])


# ---- confirmation -----------------------------------------------------------------------------

def confirm_page(request: Request):
    config = settings_of(request)
    if not config.secret:
        return unavailable(request, {})
    token = request.path_params["token"]
    db = db_of(request)
    try:
        row = signups.load(db, config, "confirm", token,
                           max_age=signups.CONFIRM_HOURS * 3600)
        if row["confirmed_at"]:
            raise signups.TokenError(410, "used")
        what = signups.why_words(db, row)
    except signups.TokenError as exc:
        return link_problem(request, exc, "confirmation")
    finally:
        db.conn.close()
    return message_page(request, title="Confirm your alerts", heading="Confirm your alerts",
                        body=[what.replace("You asked", "You are asking", 1),
                              "Press Confirm to start them."],
                        action={"url": f"/confirm/{token}", "label": "Confirm"})


async def confirm_post(request: Request):
    config = settings_of(request)
    if not config.secret:
        return unavailable(request, {})
    token = request.path_params["token"]
    try:
        form = await forms.read_form(request)
    except forms.FormTooLarge:
        return too_large(request)
    if not forms.csrf_ok(request, config.secret, forms.first(form, "csrf_token")):
        return message_page(request, title="Confirm your alerts",
                            heading="Please press Confirm again",
                            body=["The page was open too long, or your browser did not send "
                                  "its cookie."],
                            action={"url": f"/confirm/{token}", "label": "Confirm"},
                            status=403)
    return await run_in_threadpool(_confirm, request, config, token)


def _confirm(request: Request, config: signups.Settings, token: str):
    db = db_of(request)
    try:
        row = signups.confirm(db, config, token)
        what = signups.why_words(db, row)
        manage = f"/manage/{signups.make_token(config, 'manage', row)}"
    except signups.TokenError as exc:
        return link_problem(request, exc, "confirmation")
    finally:
        db.conn.close()
    return message_page(
        request, title="Alerts confirmed", heading="Your alerts are on",
        body=[what.replace("You asked for", "You will get", 1),
              "Every alert email says why it came and has links to change or stop your "
              "alerts."],
        links=[(manage, "Change or stop these alerts")])
