"""Subscriptions: filters, event kinds, 'only what is new to you', and URL secrecy."""
import json

import pytest
from click.testing import CliRunner

from extract.places import region_for
from monitor import detect, outbox, subscriptions
from monitor.cli import main

T0 = "2025-01-01T09:00:00+00:00"
T1 = "2025-02-01T09:00:00+00:00"
T2 = "2025-03-01T09:00:00+00:00"
HOOK = "json://127.0.0.1:9/"


def downgrade(put_report, put_provider, urn, **provider):
    put_provider(urn, **provider)
    owner = {"owner": provider["owner"]} if "owner" in provider else {}  # the reports name it
    put_report(f"{urn}-1", urn, inspection_date="2022-01-10", overall="good", **owner)
    put_report(f"{urn}-2", urn, inspection_date="2024-05-10", overall="inadequate",
               enforcement=["compliance_notice"], **owner)


def fanout(db):
    """Which subscription got which (urn, kind)."""
    return sorted((r["subscription_id"], r["urn"], r["kind"]) for r in db.query(
        "select d.subscription_id, e.urn, e.kind from deliveries d "
        "join events e on e.id = d.event_id"))


def test_filters_fold_and_combine(db, put_report, put_provider):
    downgrade(put_report, put_provider, "SC200001", local_authority="Staffordshire",
              owner="HARMONY CHILDCARE LIMITED", region="West Midlands")
    downgrade(put_report, put_provider, "SC200002", local_authority="Derbyshire",
              owner="Other Care Ltd", region="East Midlands")
    downgrade(put_report, put_provider, "130001", provider_type="Further education college",
              local_authority="Staffordshire", owner="Staffs FE Corporation",
              region="West Midlands")
    add = lambda **kw: subscriptions.add(db, HOOK, now=T0, **kw)  # noqa: E731
    s_urn = add(urns=["sc200002", "SC999999"])
    s_la = add(local_authority="Staffordshire County Council", provider_type="childrens-home")
    s_type = add(provider_type="Children's home", region="west midlands")
    s_owner = add(owner="Harmony Childcare Ltd")
    s_all = add(all=True, events="enforcement")
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    got = fanout(db)
    assert {(s, u) for s, u, _ in got if s == s_urn} == {(s_urn, "SC200002")}
    assert {u for s, u, _ in got if s == s_la} == {"SC200001"}
    assert {u for s, u, _ in got if s == s_type} == {"SC200001"}
    assert {u for s, u, _ in got if s == s_owner} == {"SC200001"}
    assert {(u, k) for s, u, k in got if s == s_all} == {
        ("SC200001", "enforcement"), ("SC200002", "enforcement"), ("130001", "enforcement")}
    assert "upgrade" not in {k for _, _, k in got}


def test_region_by_name_matches_the_code_the_crawler_stores(db, put_report, put_provider):
    downgrade(put_report, put_provider, "SC200011", local_authority="Staffordshire",
              region=region_for("Staffordshire"))                    # "E12000005"
    downgrade(put_report, put_provider, "SC200012", local_authority="Derbyshire",
              region=region_for("Derbyshire"))
    by_name = subscriptions.add(db, HOOK, region="West Midlands", now=T0)
    by_code = subscriptions.add(db, HOOK + "code", region="e12000005", now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    got = fanout(db)
    assert {u for s, u, _ in got if s == by_name} == {"SC200011"}
    assert {u for s, u, _ in got if s == by_code} == {"SC200011"}


def test_provider_type_matches_the_report_when_the_provider_row_is_missing(db, put_report):
    put_report("1", "SC200010", inspection_date="2024-01-10", overall="inadequate")
    sub = subscriptions.add(db, HOOK, provider_type="Children's home",
                            local_authority="Staffordshire", now=T0)
    detect.detect(db, now=T1)
    assert outbox.enqueue(db, now=T1) == 1
    assert fanout(db) == [(sub, "SC200010", "inadequate")]


def test_only_events_detected_after_subscribing(db, put_report, put_provider):
    downgrade(put_report, put_provider, "SC200003")
    detect.detect(db, now=T1)           # known before anyone subscribed: the backlog
    late = subscriptions.add(db, HOOK, all=True, now=T2)
    assert outbox.enqueue(db, now=T2) == 0
    put_report("SC200003-3", "SC200003", inspection_date="2025-02-20", overall="good",
               enforcement=["suspension"])
    detect.detect(db, now="2025-03-02T09:00:00+00:00")
    outbox.enqueue(db, now="2025-03-02T09:00:00+00:00")
    assert fanout(db) == [(late, "SC200003", "enforcement")]


def test_event_kinds_and_upgrades(db, put_report, put_provider):
    put_provider("SC200004")
    put_report("1", "SC200004", inspection_date="2022-01-10", overall="inadequate")
    put_report("2", "SC200004", inspection_date="2024-01-10", overall="good")
    default = subscriptions.add(db, HOOK, urns=["SC200004"], now=T0)
    feed = subscriptions.add(db, HOOK, urns=["SC200004"], events=["upgrade"], now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    assert (feed, "SC200004", "upgrade") in fanout(db)
    assert {k for s, _, k in fanout(db) if s == default} <= {"published"}   # never the upgrade


def test_bad_subscriptions_are_refused(db):
    with pytest.raises(subscriptions.SubscriptionError, match="choose what to follow"):
        subscriptions.add(db, HOOK)
    with pytest.raises(subscriptions.SubscriptionError, match="unknown event kind 'downgrades'"):
        subscriptions.add(db, HOOK, all=True, events="downgrades")
    with pytest.raises(subscriptions.SubscriptionError, match="unknown region 'Narnia'"):
        subscriptions.add(db, HOOK, region="Narnia")
    with pytest.raises(subscriptions.SubscriptionError, match="drop the other filters"):
        subscriptions.add(db, HOOK, all=True, urns=["SC123456"])
    with pytest.raises(subscriptions.SubscriptionError) as info:
        subscriptions.add(db, "nosuchscheme://user:hunter2secret@example.org", all=True)
    assert "hunter2secret" not in str(info.value)
    assert db["subscriptions"].count == 0


def test_unsubscribe_cancels_what_was_not_sent(db, put_report, put_provider):
    downgrade(put_report, put_provider, "SC200005")
    sub = subscriptions.add(db, HOOK, all=True, now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    assert subscriptions.remove(db, sub) is True
    assert subscriptions.remove(db, sub) is False
    statuses = {r[0] for r in db.execute("select status from deliveries")}
    assert statuses == {"cancelled"}
    assert outbox.deliver_due(db, now=T1)["sent"] == 0


def test_cli_subscribe_list_unsubscribe_never_prints_the_password(db_path):
    runner = CliRunner()
    url = "mailto://alerts:Sup3rSecretPw@smtp.example.org:2525?to=newsroom@example.org"
    result = runner.invoke(main, ["subscribe", "--db", str(db_path), "--notify", url,
                                  "--local-authority", "Staffordshire", "--provider-type",
                                  "childrens-home", "--events", "downgrade,inadequate",
                                  "--digest", "daily", "--name", "newsroom"])
    assert result.exit_code == 0, result.output
    assert "Sup3rSecretPw" not in result.output
    assert "local authority Staffordshire" in result.output and "daily digest" in result.output
    listed = runner.invoke(main, ["subscriptions", "--db", str(db_path)])
    assert listed.exit_code == 0 and "newsroom" in listed.output
    assert "Sup3rSecretPw" not in listed.output
    as_json = json.loads(runner.invoke(main, ["subscriptions", "--db", str(db_path),
                                              "--json"]).output)
    assert as_json[0]["events"] == ["downgrade", "inadequate"]
    assert "Sup3rSecretPw" not in json.dumps(as_json)
    stop = runner.invoke(main, ["unsubscribe", "--db", str(db_path), str(as_json[0]["id"])])
    assert stop.exit_code == 0
    again = runner.invoke(main, ["unsubscribe", "--db", str(db_path), str(as_json[0]["id"])])
    assert again.exit_code == 1 and "no active subscription" in again.output
    assert "Traceback" not in again.output


def test_cli_subscribe_bad_input_is_one_line(db_path):
    result = CliRunner().invoke(main, ["subscribe", "--db", str(db_path), "--notify", HOOK,
                                       "--events", "everything", "--all"])
    assert result.exit_code != 0
    assert "unknown event kind 'everything'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_council_by_short_form_code_or_old_name_gets_its_alerts(db, put_report, put_provider):
    downgrade(put_report, put_provider, "SC200021", local_authority="Staffordshire")
    downgrade(put_report, put_provider, "SC200022", local_authority="Cumberland")
    downgrade(put_report, put_provider, "SC200023", local_authority="Bournemouth, Christchurch "
                                                                    "and Poole")
    staffs = subscriptions.add(db, HOOK + "a", local_authority="Staffs", now=T0)
    code = subscriptions.add(db, HOOK + "b", local_authority="860", now=T0)
    cumbria = subscriptions.add(db, HOOK + "c", local_authority="Cumbria", now=T0)
    poole = subscriptions.add(db, HOOK + "d", local_authority="Poole", now=T0)
    detect.detect(db, now=T1)
    outbox.enqueue(db, now=T1)
    got = fanout(db)
    assert {u for s, u, _ in got if s == staffs} == {"SC200021"}
    assert {u for s, u, _ in got if s == code} == {"SC200021"}
    assert {u for s, u, _ in got if s == cumbria} == {"SC200022"}
    assert {u for s, u, _ in got if s == poole} == {"SC200023"}


def test_the_same_subscription_twice_names_the_first(db):
    first = subscriptions.add(db, HOOK, local_authority="Staffordshire", now=T0)
    with pytest.raises(subscriptions.DuplicateSubscription) as info:
        subscriptions.add(db, HOOK, local_authority="staffs", now=T1)
    assert info.value.existing == first
    subscriptions.remove(db, first)                      # a stopped one may be made again
    assert subscriptions.add(db, HOOK, local_authority="Staffs", now=T2) != first
