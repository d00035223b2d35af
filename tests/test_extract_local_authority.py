"""Local-authority, area SEND, letter and school reports against ground truth (truth.json).

Fixture tests run everywhere; the whole-corpus test runs only where /work/shared/corpus exists.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract import extract_file
from extract.families import local_authority_families
from extract.families.local_authority import la_name
from extract.grades import grade_token

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
from corpus import CORPUS  # noqa: E402
SOCIAL_CARE = ("childrens-home", "secure-childrens-home", "fostering-agency",
               "residential-special-school")
SEND = {1: "send_positive", 2: "send_inconsistent", 3: "send_widespread_failings"}
HEADLINE_TYPES = {"ilacs", "la-sif", "la-lac-2013", "school-s5"}


def _ours(truth_path: Path) -> list[tuple[str, dict]]:
    truth = json.loads(truth_path.read_text())
    return sorted((name, entry) for name, entry in truth.items()
                  if entry["report_type"] not in SOCIAL_CARE)


def assert_matches_truth(report, truth: dict) -> None:
    """Every field of truth that the extractor emits, exactly."""
    assert report.report_type == truth["report_type"]
    assert report.urn == truth["urn"]
    assert report.provider_name == truth["provider_name"]
    assert report.inspection_date == truth["inspection_date"]
    assert report.inspection_end_date == truth["inspection_end_date"]
    expected: dict[str, str] = {}
    priority_action = False
    for key, value in truth["sub_judgements_canonical"].items():
        if key == "area_send_outcome":
            expected[key] = SEND[value]
        elif key == "areas_for_priority_action":
            priority_action = value
        elif key == "previous_overall_effectiveness":  # history, not this inspection
            assert grade_token(report.last_inspection["judgement"]) == grade_token(value)
        elif key in ("theme", "overall_progress"):
            continue
        else:
            expected[key] = grade_token(value)
    if truth["report_type"] == "area-send":
        assert report.overall == expected["area_send_outcome"]
    else:
        overall = grade_token(truth["overall"]) if truth["overall"] else None
        assert report.overall == overall
        if overall and truth["report_type"] in HEADLINE_TYPES:
            expected["overall_effectiveness"] = overall
    assert report.judgements == expected
    assert ("areas_for_priority_action" in report.enforcement) == priority_action
    if truth["report_type"] == "la-safeguarding-progress-2009":
        assert report.needs_review and report.overall is None
        assert any("limited progress" in reason for reason in report.review_reasons)
    else:
        assert not report.needs_review, report.review_reasons
    if truth["report_type"] == "ilacs":
        short = "short inspection" in truth["inspection_type"]
        assert report.inspection_kind == ("ilacs-short" if short else "ilacs-standard")
    for area, label in zip(truth["sub_judgements_canonical"], truth["sub_judgements"]):
        if area in expected and area != "area_send_outcome" and area != "lscb_review":
            assert report.labels[area] == label


@pytest.mark.parametrize("name,truth", _ours(FIXTURES / "truth.json"),
                         ids=[name for name, _ in _ours(FIXTURES / "truth.json")])
def test_fixture_matches_truth(name, truth):
    report = extract_file(FIXTURES / name)
    assert_matches_truth(report, truth)
    assert report.sha256 == truth["sha256"]
    assert report.pages == truth["pages"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="full corpus not available (/work/shared)")
def test_whole_corpus_matches_truth():
    files = {path.name: path for path in (CORPUS / "pdf").rglob("*.pdf")}
    failures = []
    families = local_authority_families()
    for name, truth in _ours(CORPUS / "truth.json"):
        try:
            assert_matches_truth(extract_file(files[name], families=families), truth)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "\n".join(failures)


def test_page_one_layouts_read_only_page_one():
    """The speed lever: ILACS and SEND need page 1 only; 2013 LAC reads the cover and the end."""
    assert extract_file(FIXTURES / "ilacs_80445_cambridgeshire_2024-05-16.pdf").pages_read == [1]
    assert extract_file(FIXTURES / "send-area_80443_bury_2024-05-07.pdf").pages_read == [1]
    medway = extract_file(FIXTURES / "ilacs_80522_medway_2013-08-23.pdf")
    assert medway.pages_read[0] == 1 and medway.pages_read[1:] == [medway.pages]


def test_reports_inspected_from_april_2026_have_no_overall_and_are_not_flagged():
    report = extract_file(FIXTURES / "ilacs_80489_brent_2026-06-17.pdf")
    assert report.overall is None
    assert "overall_effectiveness" not in report.judgements
    assert not report.needs_review


def test_urn_argument_wins_over_nothing_and_file_name(tmp_path):
    copy = tmp_path / "report.pdf"
    copy.write_bytes((FIXTURES / "ilacs_80445_cambridgeshire_2024-05-16.pdf").read_bytes())
    assert extract_file(copy).urn is None  # LA reports print no URN; nothing to go on
    assert extract_file(copy, urn="80445").urn == "80445"


@pytest.mark.parametrize("printed,name", [
    ("Metropolitan Borough of Barnsley Council", "Barnsley"),
    ("Royal Borough of Kingston upon Thames Council", "Kingston Upon Thames"),
    ("Wakefield District Metropolitan Council", "Wakefield"),
    ("Staffordshire County Council", "Staffordshire"),
    ("Dudley MBC", "Dudley"),
    ("Stoke-on-Trent", "Stoke-On-Trent"),
    ("East Riding of Yorkshire Council", "East Riding Of Yorkshire"),
    ("Telford and Wrekin Council", "Telford & Wrekin"),
    ("Bournemouth, Christchurch and Poole", "Bournemouth, Christchurch & Poole"),
    ("the London Borough of Merton", "Merton"),
])
def test_local_authority_names(printed, name):
    assert la_name(printed) == name


def test_report_card_from_published_wording_is_read_and_flagged(tmp_path):
    from test_extract_bad_input import make_pdf

    path = tmp_path / "report-card.pdf"
    path.write_bytes(make_pdf([[
        "School inspection report card", "Testville Primary School", "URN: 123456",
        "Inspection dates: 2 to 3 December 2025",
        "Inclusion Expected standard", "Curriculum and teaching Strong standard",
        "Achievement Needs attention", "Attendance and behaviour Expected standard",
        "Personal development and well-being Exceptional",
        "Leadership and governance Urgent improvement", "Safeguarding Met"]]))
    report = extract_file(path)
    assert report.report_type == "school-report-card"
    assert report.overall is None
    assert report.judgements == {
        "inclusion": "expected_standard", "curriculum_and_teaching": "strong_standard",
        "achievement": "needs_attention", "attendance_and_behaviour": "expected_standard",
        "personal_development_and_wellbeing": "exceptional",
        "leadership_and_governance": "urgent_improvement", "safeguarding": "met"}
    assert report.urn == "123456"
    assert report.inspection_date == "2025-12-02"
    assert report.needs_review


ILACS_PAGE = ["Inspection of Rutland local authority children's services",
              "Inspection dates: 3 to 14 March 2025",
              "Lead inspector: A Person, His Majesty's Inspector", "Judgement Grade",
              "The impact of leaders on social work practice with children and families Good",
              "The experiences and progress of children who need help and protection Good",
              "The experiences and progress of children in care Good",
              "The experiences and progress of care leavers Good",
              "Overall effectiveness Good", "Children in Rutland are well served."]


def _made(tmp_path, lines: list[str], *more_pages: list[str]):
    from test_extract_bad_input import make_pdf

    path = tmp_path / "made.pdf"
    path.write_bytes(make_pdf([lines, *more_pages]))
    return extract_file(path)


def test_a_made_ilacs_page_is_read(tmp_path):
    report = _made(tmp_path, ILACS_PAGE)
    assert (report.report_type, report.inspection_kind) == ("ilacs", "ilacs-standard")
    assert report.provider_name == "Rutland (local authority)"
    assert report.local_authority == "Rutland"
    assert report.overall == "good" and len(report.judgements) == 5
    assert not report.needs_review


def test_an_unknown_grade_word_is_flagged_not_guessed(tmp_path):
    lines = [line.replace("help and protection Good", "help and protection Satisfying")
             for line in ILACS_PAGE]
    report = _made(tmp_path, lines)
    assert "help_and_protection" not in report.judgements
    assert report.needs_review
    assert any("help_and_protection" in reason for reason in report.review_reasons)


def test_a_missing_overall_row_before_april_2026_is_flagged(tmp_path):
    report = _made(tmp_path, [line for line in ILACS_PAGE if "Overall" not in line])
    assert report.overall is None
    assert report.needs_review


def test_an_unknown_send_outcome_is_flagged(tmp_path):
    report = _made(tmp_path, [
        "Local Area Partnership report", "Area SEND inspection of Testshire Local Area Partnership",
        "Inspection dates: 6 to 10 February 2023", "Inspection outcome",
        "The local area partnership's arrangements are under review.",
        "Information about the local area partnership"])
    assert report.report_type == "area-send"
    assert report.overall is None and report.judgements == {}
    assert report.needs_review


def test_an_announced_lscb_review_that_cannot_be_found_is_flagged(tmp_path):
    report = _made(tmp_path, [
        "1", "Testshire County Council",
        "Inspection of services for children in need of help and protection, children looked "
        "after and care leavers", "and", "Review of the effectiveness of the Local Safeguarding "
        "Children Board", "Inspection date: 2 June 2014 - 25 June 2014",
        "The overall judgement is good",
        "1. Children who need help and protection Good",
        "2. Children looked after and achieving permanence Good",
        "2.1 Adoption performance Good", "2.2 Experiences and progress of care leavers Good",
        "3. Leadership, management and governance Good"], ["Contents", "Nothing here 3"],
        ["The board meets often."])
    assert report.report_type == "la-sif"
    assert report.overall == "good"
    assert "lscb_review" not in report.judgements
    assert report.needs_review
    assert report.pages_read == [1, 2, 3]


def test_a_sif_reinspection_without_an_lscb_review_is_searched_and_not_flagged():
    """Rotherham 2018 announces no LSCB review: the back is searched for an appended one
    (none), nothing is invented and nothing is flagged."""
    report = extract_file(FIXTURES / "ilacs_80543_rotherham_2018-01-29.pdf")
    assert report.inspection_kind == "sif-reinspection"
    assert "lscb_review" not in report.judgements
    assert report.local_authority == "Rotherham"
    assert (report.inspection_date, report.inspection_end_date) == ("2017-11-06", "2017-11-30")
    assert not report.needs_review


def test_an_lscb_verdict_sentence_ending_in_a_full_stop():
    report = extract_file(FIXTURES / "ilacs_80458_darlington_2015-09-01.pdf")
    assert report.judgements["lscb_review"] == "requires_improvement"
    assert (report.inspection_date, report.inspection_end_date) == ("2015-06-23", "2015-07-16")
