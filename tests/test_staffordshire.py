"""End to end on loopback, from a real news story.

A Staffordshire children's home rated outstanding in September 2021 is inspected at the end of
August 2022 and judged inadequate on every area, with a compliance notice under regulation 12.
The replica site serves the bundled sandbox (synthetic PDFs); mail goes through Apprise's
mailto:// to a real SMTP server (aiosmtpd); a JSON webhook receives the same alert.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from monitor import sandbox, subscriptions
from monitor.cycle import run_cycle
from monitor.schema import open_db
from conftest import forked_crawl

URN = sandbox.STORY_URN
REPORT_ID = "91000102"
PEOPLE = {
    "family": "family@example.org",          # follows the home by its URN
    "council": "commissioning@staffordshire.example.org",   # every home in Staffordshire
    "owner": "owner-watch@example.org",       # every home of Hollybank Childcare Ltd
    "newsroom": "newsdesk@example.org",       # every downgrade, anywhere
    "derbyshire": "commissioning@derbyshire.example.org",   # another authority
}


@pytest.fixture
def site():
    from crawler.replica import Replica
    replica = Replica.from_file(sandbox.SITE_JSON)
    replica.start()
    yield replica
    replica.stop()


def cycle(db_path, site, tmp_path, now=None):
    return run_cycle(str(db_path), base_url=site.base_url, pdf_dir=str(tmp_path / "pdfs"),
                     timeout=120, fast=True, now=now, crawl=forked_crawl)


def publish_story(site):
    today = datetime.now().date().isoformat()
    for urn, report in sandbox.later_reports(published_on=today):
        site.publish(urn, report)


def text_of(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def test_every_sandbox_report_reads_as_written():
    """The sandbox PDFs copy the real layout closely enough for the real extractor."""
    from extract import extract_file
    site_data = json.loads(sandbox.SITE_JSON.read_text())
    listed = {r["file_id"]: (p, r) for p in site_data["providers"] for r in p["reports"]}
    for urn, report in sandbox.later_reports():
        provider = next(p for p in site_data["providers"] if p["urn"] == urn)
        listed[report["file_id"]] = (provider, report)
    assert len(listed) == len(sandbox.pdf_paths()) == 7
    for file_id, (provider, report) in listed.items():
        got = extract_file(sandbox.HERE / report["pdf"])
        assert (got.report_type, got.inspection_kind) == ("childrens-home", "full"), file_id
        assert got.urn == provider["urn"] and got.owner == provider["name"], file_id
        assert got.inspection_date == report["inspection_date"], file_id
        assert not got.needs_review, (file_id, got.review_reasons)
        assert len(set(got.judgements.values())) == 1, file_id    # steady within a report
        expected_enforcement = ["compliance_notice"] if file_id == REPORT_ID else []
        assert got.enforcement == expected_enforcement, file_id
    story = extract_file(sandbox.HERE / listed[REPORT_ID][1]["pdf"])
    assert story.overall == "inadequate" and story.inspection_end_date == "2022-09-01"
    assert story.last_inspection == {"date": "2021-09-14", "judgement": "outstanding"}
    before = extract_file(sandbox.HERE / listed["91000101"][1]["pdf"])
    assert before.overall == "outstanding" and before.inspection_date == "2021-09-14"


def test_one_correct_email_each_and_nothing_twice(tmp_path, site, mail_sink, webhook_sink):
    db_path = tmp_path / "watch.db"
    baseline = cycle(db_path, site, tmp_path)
    assert baseline.ok and baseline.baseline
    assert baseline.crawl["new_reports"] == 5

    db = open_db(db_path)
    subscriptions.add(db, mail_sink.url(PEOPLE["family"]), urns=[URN])
    subscriptions.add(db, mail_sink.url(PEOPLE["council"]), local_authority="Staffordshire")
    subscriptions.add(db, mail_sink.url(PEOPLE["owner"]), owner=sandbox.STORY_OWNER)
    subscriptions.add(db, mail_sink.url(PEOPLE["newsroom"]), all=True, events=["downgrade"])
    subscriptions.add(db, mail_sink.url(PEOPLE["derbyshire"]), local_authority="Derbyshire")
    subscriptions.add(db, webhook_sink.url("alerts"), local_authority="Staffordshire")
    db.conn.close()

    publish_story(site)
    result = cycle(db_path, site, tmp_path)
    assert result.ok and not result.baseline
    assert result.crawl["new_reports"] == 2          # the downgrade and a steady bystander
    assert (result.messages, result.recipients) == (5, 5), result.summary
    assert "Sent 5 messages to 5 subscribers." in result.summary

    assert mail_sink.wait_for(4)
    assert webhook_sink.wait_for(1)
    for who in ("family", "council", "owner", "newsroom"):
        got = mail_sink.to(PEOPLE[who])
        assert len(got) == 1, (who, [m["Subject"] for m in got])
        message = got[0]
        subject, body = message["Subject"], text_of(message)
        assert URN in subject and "inadequate" in subject.lower(), (who, subject)
        assert "outstanding → inadequate" in body, (who, body)
        assert "Staffordshire" in body or "Staffordshire" in subject
        assert f"/v1/file/{REPORT_ID}" in body
        if who != "newsroom":       # the newsroom asked for downgrades only
            assert "compliance notice" in body.lower(), (who, body)
    assert mail_sink.to(PEOPLE["derbyshire"]) == []
    assert len(mail_sink.messages) == 4

    assert len(webhook_sink.posts) == 1
    post = webhook_sink.posts[0]
    data = json.loads(post["message"])          # a JSON webhook receives the event as data
    assert URN in post["title"] and data["urn"] == URN
    assert {"area": "overall", "old": "outstanding", "new": "inadequate"}.items() \
        <= next(a for a in data["areas"] if a["area"] == "overall").items()

    db = open_db(db_path)
    # only the story's report raised events; the steady bystander report raised none
    assert {row[0] for row in db.execute("select report_id from events where baseline = 0 "
                                         "and kind != 'published'")} \
        == {REPORT_ID}
    kinds = {row[0] for row in db.execute("select kind from events where baseline = 0")}
    assert {"downgrade", "enforcement"} <= kinds
    db.conn.close()

    again = cycle(db_path, site, tmp_path)
    assert again.ok and again.crawl["new_reports"] == 0 and again.events == []
    assert again.queued == 0 and again.messages == 0
    assert again.summary.endswith("No new events. Nothing to send."), again.summary
    assert not mail_sink.wait_for(5, timeout=1.0)
    assert len(webhook_sink.posts) == 1


def test_mail_server_down_then_back_arrives_exactly_once(tmp_path, site, mail_sink):
    db_path = tmp_path / "watch.db"
    assert cycle(db_path, site, tmp_path).baseline
    db = open_db(db_path)
    subscriptions.add(db, mail_sink.url(PEOPLE["family"]), urns=[URN])
    db.conn.close()

    mail_sink.stop()                      # the SMTP server is down during the next run
    publish_story(site)
    start = datetime.now(timezone.utc)
    down = cycle(db_path, site, tmp_path, now=start.isoformat(timespec="seconds"))
    assert down.ok and down.events
    assert down.delivery.get("sent") == 0 and down.delivery.get("retrying", 0) >= 1
    assert down.messages == 0 and "waiting to retry" in down.summary, down.summary
    db = open_db(db_path)
    statuses = {row[0] for row in db.execute("select status from deliveries")}
    assert statuses == {"retry"}
    db.conn.close()

    # still down at the next run: nothing sent, still waiting
    later = start + timedelta(hours=1)
    still_down = cycle(db_path, site, tmp_path, now=later.isoformat(timespec="seconds"))
    assert still_down.delivery.get("sent") == 0

    mail_sink.start()                     # back on the same port
    back = cycle(db_path, site, tmp_path,
                 now=(start + timedelta(hours=3)).isoformat(timespec="seconds"))
    assert back.delivery.get("sent", 0) >= 1 and back.messages == 1, back.summary
    assert mail_sink.wait_for(1)
    after = cycle(db_path, site, tmp_path,   # a later run never sends it again
                  now=(start + timedelta(hours=30)).isoformat(timespec="seconds"))
    assert after.messages == 0 and after.summary.endswith("Nothing to send."), after.summary
    assert not mail_sink.wait_for(2, timeout=1.0)
    got = mail_sink.to(PEOPLE["family"])
    assert len(got) == 1 and URN in got[0]["Subject"]
    assert "outstanding → inadequate" in text_of(got[0])
