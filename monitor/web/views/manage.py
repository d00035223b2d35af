"""``/manage/{token}`` and ``/unsubscribe/{token}``: change or stop email alerts, no login.

The links come in every alert email (``monitor/signups.py`` signs them; they do not expire).
``/manage`` changes what is followed, the kinds and the frequency, or stops everything.
``/unsubscribe`` is RFC 8058 one-click unsubscribe: a POST to it stops the alerts at once and
needs no CSRF token (a mail client's one-click POST carries none; the signed token in the URL
is the authority), while a GET — a person, or a scanner following links — only shows a page
with the button.
"""
from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ... import signups
from .. import forms
from .subscribe import (
    available,
    db_of,
    form_context,
    form_page,
    link_problem,
    message_page,
    settings_of,
    too_large,
    unavailable,
)


def _with_subscription(request: Request, purpose: str, handle):
    """``handle(db, row)`` for the subscription the token in the path names, with the database
    closed after; a bad token gets its page instead."""
    db = db_of(request)
    try:
        try:
            row = signups.load(db, settings_of(request), purpose, request.path_params["token"])
        except signups.TokenError as exc:
            return link_problem(request, exc, purpose)
        return handle(db, row)
    finally:
        db.conn.close()


def _values(row: dict) -> dict:
    follow, value = signups.follow_of(json.loads(row["filters"]))
    values = {"follow": follow, "urn": "", "local_authority": "", "owner": "",
              "kind": [k for k in (row["events"] or "").split(",") if k],
              "digest": row["digest"] or "immediate"}
    if follow != "all":
        values[follow] = value
    return values


def _manage_context(request, db, row, values, errors=None, saved=False) -> dict:
    context = form_context(request, values, errors)
    context.update({"title": ("Error: " if errors else "") + "Change your email alerts",
                    "why": signups.why_words(db, row), "saved": saved,
                    "active": bool(row["active"]),
                    "action": f"/manage/{request.path_params['token']}",
                    "unsubscribe": f"/unsubscribe/{request.path_params['token']}"})
    return context


def manage_page(request: Request):
    if not settings_of(request).secret:
        return unavailable(request, {})
    def show(db, row):
        if not row["active"]:
            return _stopped(request)
        return form_page(request, "manage.html", _manage_context(request, db, row, _values(row)))
    return _with_subscription(request, "manage", show)


async def manage_post(request: Request):
    config = settings_of(request)
    if not config.secret:
        return unavailable(request, {})
    try:
        form = await forms.read_form(request)
    except forms.FormTooLarge:
        return too_large(request)
    return await run_in_threadpool(_manage, request, config, form)


def _manage(request: Request, config, form: dict):
    return _with_subscription(request, "manage",
                              lambda db, row: _change(request, config, form, db, row))


def _change(request: Request, config, form: dict, db, row):
    """The manage form sent: stop, or check and save the new choices."""
    if not row["active"]:
        return _stopped(request)
    values = {key: forms.first(form, key).strip()[:300]
              for key in ("follow", "urn", "local_authority", "owner", "digest")}
    values["kind"] = [k for k in form.get("kind", []) if k in signups.PUBLIC_KINDS]
    if not forms.csrf_ok(request, config.secret, forms.first(form, "csrf_token")):
        context = _manage_context(request, db, row, values, {
            "form": "This form was open too long, or your browser did not send its "
                    "cookie. Check your answers and send it again."})
        return form_page(request, "manage.html", context, status=403)
    if forms.first(form, "action") == "stop":
        signups.stop(db, row)
        return _unsubscribed(request)
    try:
        choices = signups.check_form(db, values)
    except signups.SignupError as exc:
        return form_page(request, "manage.html", _manage_context(
            request, db, row, values, exc.errors), status=422)
    row = signups.change(db, row, choices)
    return form_page(request, "manage.html",
                     _manage_context(request, db, row, _values(row), saved=True))


def _stopped(request: Request):
    return message_page(request, title="Alerts stopped", heading="These alerts are stopped",
                        body=["Nothing more is sent for them. To get alerts again, sign up "
                              "again."],
                        links=[("/subscribe", "Sign up for alerts")])


def _unsubscribed(request: Request):
    return message_page(request, title="Unsubscribed", heading="You have unsubscribed",
                        body=["You will get no more emails for these alerts, and any not yet "
                              "sent are cancelled."],
                        links=[("/subscribe", "Sign up again"), ("/", "Go to the home page")])


def unsubscribe_page(request: Request):
    if not settings_of(request).secret:
        return unavailable(request, {})
    def ask(db, row):
        if not row["active"]:
            return _unsubscribed(request)
        return message_page(request, title="Unsubscribe", heading="Stop these email alerts?",
                            body=[signups.why_words(db, row), "Press Unsubscribe to stop them. "
                                  "Nothing more will be sent."],
                            action={"url": request.url.path, "label": "Unsubscribe"})
    return _with_subscription(request, "unsubscribe", ask)


async def unsubscribe_post(request: Request):
    """RFC 8058 one-click: any POST to the signed URL stops the alerts (no CSRF token)."""
    if not settings_of(request).secret:
        return unavailable(request, {})
    try:
        await forms.read_form(request)
    except forms.FormTooLarge:
        return too_large(request)
    return await run_in_threadpool(_unsubscribe, request)


def _unsubscribe(request: Request):
    def stop(db, row):
        if row["active"]:
            signups.stop(db, row)
        return _unsubscribed(request)
    return _with_subscription(request, "unsubscribe", stop)


__all__ = ["available", "manage_page", "manage_post", "unsubscribe_page", "unsubscribe_post"]
