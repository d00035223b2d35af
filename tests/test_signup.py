"""Email sign-up, confirmation, manage and unsubscribe through the site (Starlette's TestClient
over a real SQLite file), with every email going through Apprise to a real SMTP server
(aiosmtpd): bad input, CSRF, tokens, enumeration, rate limits, and what is never sent."""
from __future__ import annotations

import html
import re
import urllib.parse

import pytest
from conftest import store_provider, store_report
from servers import MailSink

from monitor import detect, outbox, signups
from monitor.schema import open_db

URN = "SC100001"
AREAS = ("help_and_protection", "leaders_and_managers")
SECRET = "signup-test-secret-0123456789"


def grades(grade):
    return {area: grade for area in AREAS}


@pytest.fixture
def history(tmp_path):
    db_path = tmp_path / "watch.db"
    db = open_db(db_path)
    store_provider(db, URN, owner="Harmony Childcare Ltd")
    store_provider(db, "SC100002", owner="Peak Care Ltd", local_authority="Derbyshire")
    store_report(db, "5001", URN, inspection_date="2021-09-14", overall="outstanding",
                 judgements=grades("outstanding"), publication_date="2021-10-19")
    detect.detect(db, baseline=True, now="2025-01-01T00:00:00+00:00")
    db.conn.close()
    return db_path


@pytest.fixture
def site(history, mail_sink):
    from starlette.testclient import TestClient

    from monitor.web.app import create_app
    config = signups.Settings(secret=SECRET, public_url="http://testserver",
                              mail_url=mail_sink.url().split("&to=")[0])
    app = create_app(history, signups=config, datasette=False)
    client = TestClient(app)
    client.config = config
    client.db_path = history
    return client


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)


def h1(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.text, re.DOTALL).group(1).strip()


def form(site, path="/subscribe?urn=" + URN, **values):
    page = site.get(path)
    data = {"csrf_token": csrf(page), "email": "family@example.org", "follow": "urn",
            "urn": URN, "kind": ["downgrade", "enforcement", "published"],
            "digest": "immediate"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def web_rows(site) -> list[dict]:
    db = open_db(site.db_path)
    try:
        return list(db["subscriptions"].rows_where("source = 'web'", order_by="id"))
    finally:
        db.conn.close()


def link_in(message, purpose: str) -> str:
    text = MailSink.parts(message)["text/plain"]
    return re.search(rf"http://testserver(/{purpose}/[\w.-]+)", text).group(1)


def signed_up(site, mail_sink, email="family@example.org", **values):
    count = len(mail_sink.messages)
    response = site.post("/subscribe", data=form(site, email=email, **values))
    assert response.status_code == 200 and h1(response) == "Check your email"
    assert mail_sink.wait_for(count + 1)
    return mail_sink.messages[count]


def confirmed(site, mail_sink, email="family@example.org", **values):
    message = signed_up(site, mail_sink, email, **values)
    path = link_in(message, "confirm")
    page = site.get(path)
    assert page.status_code == 200 and h1(page) == "Confirm your alerts"
    done = site.post(path, data={"csrf_token": csrf(page)})
    assert done.status_code == 200 and h1(done) == "Your alerts are on"
    return message


def test_the_form_comes_prefilled_from_a_provider_page(site):
    page = site.get(f"/subscribe?urn={URN}")
    assert page.status_code == 200
    assert f"children's home {URN}" in html.unescape(page.text)
    assert re.search(r'id="follow-urn"[^>]*checked', page.text)
    assert re.search(r'id="kind-published"[^>]*checked', page.text)    # every new report
    assert "ow_csrf=" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    assert page.headers["cache-control"] == "no-store"
    la = site.get("/subscribe?local_authority=staffordshire")
    assert re.search(r'id="follow-local_authority"[^>]*checked', la.text)
    assert 'value="Staffordshire"' in la.text
    assert not re.search(r'id="kind-published"[^>]*checked', la.text)


def test_double_opt_in_nothing_before_confirmation(site, mail_sink):
    message = signed_up(site, mail_sink)
    assert message["Subject"] == "Confirm your ofsted-watch email alerts"
    assert mail_sink.envelopes[0][1] == ["family@example.org"]
    (row,) = web_rows(site)
    assert row["active"] == 0 and row["confirmed_at"] is None and row["notify_url"] is None
    assert row["email"] == "family@example.org"

    # a downgrade before confirmation: nothing is queued or sent to the address
    db = open_db(site.db_path)
    store_report(db, "5002", URN, inspection_date="2023-03-07", overall="inadequate",
                 judgements=grades("inadequate"), publication_date="2023-04-20")
    assert detect.detect(db)
    assert outbox.enqueue(db) == 0
    signups.configure(**site.config.__dict__)
    try:
        assert dict(outbox.deliver_due(db))["sent"] == 0
    finally:
        signups._configured.clear()
        db.conn.close()
    assert len(mail_sink.messages) == 1

    # confirmed: a POST from the page the link opens (a GET alone confirms nothing)
    path = link_in(message, "confirm")
    page = site.get(path)
    assert web_rows(site)[0]["active"] == 0
    done = site.post(path, data={"csrf_token": csrf(page)})
    assert h1(done) == "Your alerts are on"
    (row,) = web_rows(site)
    assert row["active"] == 1 and row["confirmed_at"]
    # used once: a replay is gone (410), and says the alerts are on
    again = site.post(path, data={"csrf_token": csrf(page)})
    assert again.status_code == 410 and "already been used" in again.text
    assert site.get(path).status_code == 410


def test_bad_input_friendly_pages_and_nothing_written(site, mail_sink, monkeypatch):
    bad = site.post("/subscribe", data=form(site, email="not an address"))
    assert bad.status_code == 422
    assert "There is a problem" in bad.text and 'href="#email"' in bad.text
    assert "Enter an email address in the correct format" in bad.text
    assert 'value="not an address"' in bad.text              # the answer kept, escaped
    assert bad.text.count('aria-invalid="true"') == 1
    markup = site.post("/subscribe", data=form(site, email='"><script>x</script>@a.b'))
    assert markup.status_code == 422 and "<script>x" not in markup.text
    nobody = site.post("/subscribe", data=form(site, urn="SC999999"))
    assert nobody.status_code == 422 and "No provider with the URN SC999999" in nobody.text
    typo = site.post("/subscribe", data=form(site, follow="local_authority",
                                             local_authority="Stafordshire"))
    assert typo.status_code == 422 and "Staffordshire" in typo.text     # did you mean
    none = site.post("/subscribe", data=form(site, kind=None))
    assert none.status_code == 422 and "Choose at least one kind of alert" in none.text

    # no CSRF token, or another browser's: 403, the form again
    data = form(site)
    stranger = type(site)(site.app)
    assert stranger.post("/subscribe", data=data).status_code == 403
    assert site.post("/subscribe", data=dict(data, csrf_token="forged")).status_code == 403

    # an oversized form: 413 before it is read
    big = site.post("/subscribe", content=b"email=" + b"a" * 20_000,
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413 and "too large" in big.text
    assert web_rows(site) == [] and mail_sink.messages == []

    # tampered and expired links
    message = signed_up(site, mail_sink)
    path = link_in(message, "confirm")
    assert site.get(path[:-4] + "AAAA").status_code == 400
    assert site.get("/manage/nonsense").status_code == 400
    assert site.post("/unsubscribe/nonsense").status_code == 400
    monkeypatch.setattr(signups, "CONFIRM_HOURS", -1)
    expired = site.get(path)
    assert expired.status_code == 410 and "expired" in expired.text
    assert web_rows(site)[0]["active"] == 0


def test_no_enumeration_and_one_email_per_period(site, mail_sink):
    first = site.post("/subscribe", data=form(site))
    assert mail_sink.wait_for(1)
    path = link_in(mail_sink.messages[0], "confirm")
    assert h1(site.post(path, data={"csrf_token": csrf(site.get(path))})) == \
        "Your alerts are on"
    # the same address asks again at once: the same page, no second email (one per period)
    again = site.post("/subscribe", data=form(site))
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", again.text) == strip.sub("", first.text)
    assert not mail_sink.wait_for(2, timeout=0.5)
    # an unknown address gets the very same page
    unknown = site.post("/subscribe", data=form(site, email="someone.else@example.org"))
    assert strip.sub("", unknown.text) == strip.sub("", first.text)
    assert mail_sink.wait_for(2)
    assert mail_sink.messages[1]["Subject"] == "Confirm your ofsted-watch email alerts"


def test_a_known_address_is_told_so_not_subscribed_twice(site, mail_sink, monkeypatch):
    monkeypatch.setattr(signups, "ADDRESS_GAP", 0)
    confirmed(site, mail_sink)
    response = site.post("/subscribe", data=form(site))
    assert h1(response) == "Check your email"
    assert mail_sink.wait_for(2)
    told = mail_sink.messages[1]
    assert told["Subject"] == "You already get these ofsted-watch alerts"
    assert "/manage/" in MailSink.parts(told)["text/plain"]
    assert len(web_rows(site)) == 1


def test_rate_limit_per_client(site, mail_sink, monkeypatch):
    monkeypatch.setattr(signups, "CLIENT_HOURLY", 2)
    monkeypatch.setattr(signups, "ADDRESS_GAP", 0)
    for n in range(2):
        assert site.post("/subscribe", data=form(site, email=f"p{n}@example.org")
                         ).status_code == 200
    refused = site.post("/subscribe", data=form(site, email="p3@example.org"))
    assert refused.status_code == 429 and "Too many sign-ups" in refused.text
    assert len(web_rows(site)) == 2


def test_mail_server_down_nothing_saved(site, mail_sink):
    mail_sink.stop()
    try:
        response = site.post("/subscribe", data=form(site))
        assert response.status_code == 503 and "could not send" in response.text
        assert web_rows(site) == []
    finally:
        mail_sink.start()
    assert site.post("/subscribe", data=form(site)).status_code == 200   # not throttled
    assert mail_sink.wait_for(1)


def test_manage_changes_and_stops(site, mail_sink):
    message = confirmed(site, mail_sink)
    db = open_db(site.db_path)
    (row,) = web_rows(site)
    path = "/manage/" + signups.make_token(site.config, "manage", row)
    db.conn.close()
    page = site.get(path)
    assert page.status_code == 200 and "Change your email alerts" in page.text
    assert f"children's home {URN}" in html.unescape(page.text)
    saved = site.post(path, data={"csrf_token": csrf(page), "follow": "owner",
                                  "owner": "harmony childcare", "kind": ["downgrade"],
                                  "digest": "weekly", "action": "save"})
    assert saved.status_code == 200 and "Your changes are saved" in saved.text
    (row,) = web_rows(site)
    assert row["filters"] == '{"owner": "Harmony Childcare Ltd"}'
    assert (row["events"], row["digest"], row["active"]) == ("downgrade", "weekly", 1)
    wrong = site.post(path, data={"csrf_token": csrf(page), "follow": "urn", "urn": "zz",
                                  "kind": ["downgrade"], "digest": "daily"})
    assert wrong.status_code == 422 and web_rows(site)[0]["digest"] == "weekly"
    stop = site.post(path, data={"csrf_token": csrf(page), "action": "stop"})
    assert stop.status_code == 200 and "You have unsubscribed" in stop.text
    assert web_rows(site)[0]["active"] == 0
    assert "These alerts are stopped" in site.get(path).text
    assert message is not None


def test_unsubscribe_page_and_one_click_post(site, mail_sink):
    confirmed(site, mail_sink)
    (row,) = web_rows(site)
    path = "/unsubscribe/" + signups.make_token(site.config, "unsubscribe", row)
    page = site.get(path)                  # a person (or a link scanner): only a page
    assert page.status_code == 200 and "Stop these email alerts?" in page.text
    assert web_rows(site)[0]["active"] == 1
    one_click = type(site)(site.app)       # no cookie, no CSRF token (RFC 8058)
    done = one_click.post(path, content=b"List-Unsubscribe=One-Click",
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "You have unsubscribed" in done.text
    assert web_rows(site)[0]["active"] == 0
    assert one_click.post(path, content=b"List-Unsubscribe=One-Click").status_code == 200


def test_without_a_secret_the_site_offers_feeds(history):
    from starlette.testclient import TestClient

    from monitor.web.app import create_app
    client = TestClient(create_app(history, signups=signups.Settings(), datasette=False))
    page = client.get(f"/subscribe?urn={URN}")
    assert page.status_code == 200 and f"/provider/{URN}.atom" in page.text
    assert "csrf_token" not in page.text
    assert client.post("/subscribe", data={"email": "a@example.org"}).status_code == 200
    assert client.get("/manage/x").status_code == 200


def test_a_subscriber_address_is_unreachable_from_every_public_url(history, mail_sink):
    """A confirmed web subscriber: its address is in the service's database, and in no
    public page, feed, export or Datasette query (the snapshot holds no subscriptions)."""
    from starlette.testclient import TestClient

    from monitor.web.app import create_app
    address = "private.family.member@example.net"
    db = open_db(history)
    db["subscriptions"].insert({"name": "web sign-up", "source": "web", "email": address,
                                "filters": '{"urns": ["SC100001"]}', "events": "downgrade",
                                "created_at": "2025-01-02T00:00:00+00:00", "active": 1,
                                "confirmed_at": "2025-01-02T00:00:00+00:00",
                                "token_nonce": "n0nce"})
    db.conn.close()
    config = signups.Settings(secret=SECRET, mail_url=mail_sink.url().split("&to=")[0])
    client = TestClient(create_app(history, signups=config, snapshot_background=False))
    queries = ["select * from subscriptions", "select email from subscriptions",
               "select * from sqlite_master", "select * from signup_requests",
               "select group_concat(email) from subscriptions"]
    paths = ["/", f"/provider/{URN}", f"/provider/{URN}.json", f"/provider/{URN}.csv",
             f"/provider/{URN}.atom", "/events", "/events.json", "/events.csv", "/events.atom",
             "/latest.json", "/local-authority/staffordshire.json", "/owner",
             "/subscribe", f"/subscribe?urn={URN}", "/data/", "/data/ofsted",
             "/data/ofsted.json", "/data/ofsted/subscriptions", "/data/ofsted/subscriptions.json",
             "/data/-/metadata.json"]
    paths += ["/data/ofsted.json?sql=" + urllib.parse.quote(q) for q in queries]
    seen = 0
    for path in paths:
        response = client.get(path)
        assert address not in response.text, path
        assert "private.family.member" not in response.text, path
        seen += response.status_code == 200
    assert seen >= 15


def test_the_operator_sees_both_kinds_of_subscription(site, mail_sink):
    from monitor import subscriptions
    confirmed(site, mail_sink)
    db = open_db(site.db_path)
    try:
        subscriptions.add(db, mail_sink.url("desk@example.org", password="S3cretPassw0rd",
                                            user="desk"), all=True)
        listed = {s["id"]: s["notify"] for s in subscriptions.listing(db)}
    finally:
        db.conn.close()
    web, cli = sorted(listed.values(), key=lambda v: not v.startswith("email"))
    assert web.startswith("email to family@example.org (web sign-up, confirmed ")
    assert "S3cretPassw0rd" not in cli


def test_unconfirmed_sign_ups_expire(site, mail_sink):
    signed_up(site, mail_sink)
    db = open_db(site.db_path)
    try:
        assert signups.expire(db) == 0          # still within its 48 hours
        later = signups._shift(web_rows(site)[0]["created_at"], signups.CONFIRM_HOURS * 3600 + 1)
        assert signups.expire(db, now=later) == 1
    finally:
        db.conn.close()
    assert web_rows(site) == []


def test_the_pages_are_well_formed(site, mail_sink):
    from test_web import _Structure
    confirmed(site, mail_sink)
    (row,) = web_rows(site)
    pages = [site.get(f"/subscribe?urn={URN}"), site.get("/subscribe?owner=peak-care-ltd"),
             site.post("/subscribe", data=form(site, email="x", kind=None, urn="zz")),
             site.get("/manage/" + signups.make_token(site.config, "manage", row)),
             site.get("/unsubscribe/" + signups.make_token(site.config, "unsubscribe", row)),
             site.get("/confirm/tampered")]
    for page in pages:
        parser = _Structure()
        parser.feed(page.text)
        parser.close()
        assert parser.errors == [] and parser.stack == [], (page.url, parser.errors)
        assert "content-security-policy" in page.headers
    assert pages[2].status_code == 422 and pages[2].text.count('class="field-error"') == 3


def test_the_site_refuses_to_start_without_a_secret(history, monkeypatch):
    from click.testing import CliRunner

    from monitor.cli import main
    for name in ("OFSTED_WATCH_SECRET", "OFSTED_WATCH_MAIL_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["web", "--db", str(history), "--port", "0"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert "OFSTED_WATCH_SECRET is not set" in lines[0]
    monkeypatch.setenv("OFSTED_WATCH_SECRET", "short")
    result = CliRunner().invoke(main, ["web", "--db", str(history), "--port", "0"])
    assert result.exit_code == 1 and "too short" in result.output
    bad = CliRunner().invoke(main, ["deliver", "--db", str(history), "--mail-url",
                                    "mailtos://u:p@smtp.example.org?to=a@example.org"])
    assert bad.exit_code == 2 and "must not name recipients" in bad.output
