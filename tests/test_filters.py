"""Filters checked against what is known: no subscription can silently match nothing."""
import pytest

from extract import places
from monitor import filters
from monitor.filters import FilterError


@pytest.mark.parametrize("typed", [
    "Staffordshire", "staffordshire", "STAFFORDSHIRE", "Staffs", "staffs.", "860",
    "Staffordshire County Council", "Staffordshire CC", " staffordshire  council "])
def test_a_council_by_any_usual_name_or_code(typed):
    assert filters.local_authority(typed) == "Staffordshire"


@pytest.mark.parametrize("typed, council", [
    ("Stoke", "Stoke-on-Trent"), ("Stoke-on-Trent City Council", "Stoke-on-Trent"),
    ("County Durham", "Durham"), ("Bristol, City of", "Bristol"), ("Hull", "Kingston upon Hull"),
    ("London Borough of Hackney", "Hackney"), ("Royal Borough of Greenwich", "Greenwich"),
    ("City of York Council", "York"), ("Telford & Wrekin", "Telford and Wrekin"),
    ("B&NES", "Bath and North East Somerset"), ("Notts", "Nottinghamshire"),
    ("Nottingham City", "Nottingham"), ("Southend-on-Sea", "Southend on Sea"),
    ("St. Helens", "St Helens"), ("BCP", "Bournemouth, Christchurch and Poole"),
    # the old names and codes of merged councils
    ("Poole", "Bournemouth, Christchurch and Poole"),
    ("Bournemouth", "Bournemouth, Christchurch and Poole"),
    ("836", "Bournemouth, Christchurch and Poole"), ("835", "Dorset"),
    ("Cumbria", "Cumbria"), ("Northants", "Northamptonshire"),
])
def test_short_forms_and_old_names(typed, council):
    assert filters.local_authority(typed) == council


def test_a_retired_council_follows_the_councils_that_took_over():
    assert filters.place_keys("Cumbria") == {"Cumbria", "Cumberland", "Westmorland and Furness"}
    assert filters.place_keys("Northants") == {
        "Northamptonshire", "North Northamptonshire", "West Northamptonshire"}
    assert filters.place_key("Cumberland Council") in filters.place_keys("Cumbria")


@pytest.mark.parametrize("typed, suggested", [
    ("Stafordshire", "Staffordshire"), ("Darbyshire", "Derbyshire"),
    ("Lancashre", "Lancashire"), ("Hamshire", "Hampshire")])
def test_a_misspelt_council_is_refused_with_the_closest_names(typed, suggested):
    with pytest.raises(FilterError) as info:
        filters.local_authority(typed)
    message = str(info.value)
    assert f"local authority {typed!r}: not an English council" in message
    assert repr(suggested) in message
    assert "\n" not in message


def test_a_council_code_or_name_that_is_not_one():
    with pytest.raises(FilterError, match="no English council has this DfE code"):
        filters.local_authority("999")
    with pytest.raises(FilterError, match="not an English council"):
        filters.local_authority("Narnia")


def test_every_current_council_is_in_the_table_once():
    current = [row for row in places.LOCAL_AUTHORITIES if row[1] not in places.SUCCESSORS]
    assert len(current) == 153                                 # England's councils, 2023 on
    assert len({code for code, _, _ in current}) == 153
    assert len({name for _, name, _ in current}) == 153
    for code, name, _ in current:                              # each by name and by code
        assert filters.local_authority(name) == name
        assert filters.local_authority(code) == name
    for alias, target in places.ALIASES.items():               # every alias lands on a council
        assert places.lookup(target), alias


@pytest.mark.parametrize("typed, urn", [
    ("SC123456", "SC123456"), ("sc 123456", "SC123456"), ("sc123456", "SC123456"),
    (" SC-123456 ", "SC123456"), ("ey123456", "EY123456"), ("123456", "123456"),
    ("80443", "80443"), ("2500123", "2500123")])
def test_urns_are_normalised(typed, urn):
    assert filters.urn(typed) == urn


@pytest.mark.parametrize("typed", ["abc", "SC", "SC12", "XY123456", "12 34", "SC123456X", ""])
def test_what_is_not_a_urn_is_refused(typed):
    with pytest.raises(FilterError, match="not a URN"):
        filters.urn(typed)


def test_several_urns_in_one_option():
    assert filters.urns(["SC1234567,sc 765432", "123456"]) == ["SC1234567", "SC765432",
                                                               "123456"]
    assert filters.urns(["SC123456", "SC123456"]) == ["SC123456"]


def test_urn_file_one_a_line_or_a_csv_column(tmp_path):
    lines = tmp_path / "homes.txt"
    lines.write_text("# homes we place children in\nSC123456\n\nsc 654321\n123456\n")
    assert filters.urns_from_file(lines) == ["SC123456", "SC654321", "123456"]
    table = tmp_path / "homes.csv"
    table.write_text("Home,URN,Placed\nHarmony House,SC123456,3\nPeak View,sc654321,1\n")
    assert filters.urns_from_file(table) == ["SC123456", "SC654321"]
    ofsted = tmp_path / "ofsted.csv"
    ofsted.write_text("Provider name,Unique reference number\nA,SC123456\n")
    assert filters.urns_from_file(ofsted) == ["SC123456"]
    header = tmp_path / "urns.csv"
    header.write_text("urn\nSC123456\n")
    assert filters.urns_from_file(header) == ["SC123456"]


def test_urn_file_problems_are_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("URN\nSC123456\nnot-a-urn\n")
    with pytest.raises(FilterError, match=r"line 3: URN 'not-a-urn': not a URN"):
        filters.urns_from_file(bad)
    nocolumn = tmp_path / "nocolumn.csv"
    nocolumn.write_text("Home,Placed\nHarmony,3\n")
    with pytest.raises(FilterError, match="a CSV needs a column headed URN"):
        filters.urns_from_file(nocolumn)
    with pytest.raises(FilterError, match="no URNs in it"):
        (tmp_path / "empty.txt").write_text("\n# nothing\n")
        filters.urns_from_file(tmp_path / "empty.txt")
    with pytest.raises(FilterError, match="No such file"):
        filters.urns_from_file(tmp_path / "missing.csv")


def test_owners_are_matched_against_the_history(db, put_report, put_provider):
    put_provider("SC200001", owner="HARMONY CHILDCARE LIMITED")
    put_report("1", "SC200001", inspection_date="2024-01-10", overall="good",
               owner="Harmony Childcare Ltd")
    for typed in ("Harmony Childcare Ltd", "harmony childcare limited", "Harmony Childcare",
                  "HARMONY CHILDCARE LTD."):
        assert filters.owner_key(filters.owner(db, typed)) == "harmony childcare"
    with pytest.raises(FilterError) as info:
        filters.owner(db, "hollybank childcare")
    assert "no provider in the history has this owner" in str(info.value)
    assert "'Harmony Childcare Ltd'" in str(info.value) or \
        "'HARMONY CHILDCARE LIMITED'" in str(info.value)
    assert "--new-owner" in str(info.value)
    assert filters.owner(db, "Hollybank Childcare", new=True) == "Hollybank Childcare"


@pytest.mark.parametrize("typed, slug", [
    ("childrens-home", "childrens-home"), ("Children's home", "childrens-home"),
    ("CHILDRENS HOME", "childrens-home"), ("Secure children's home", "secure-childrens-home"),
    ("fostering-agency", "fostering-agency"), ("ilacs", "la-childrens-services")])
def test_provider_types_from_the_registry(typed, slug):
    assert filters.provider_type(typed) == slug


def test_an_unknown_provider_type_lists_the_choices():
    with pytest.raises(FilterError) as info:
        filters.provider_type("school")
    message = str(info.value)
    assert "provider type 'school': not a type Ofsted lists" in message
    assert "special-school" in message and "childrens-home" in message
