"""Children's-home and other social-care reports: every field against ground truth.

Fixtures: the social-care PDFs in tests/fixtures/reports (truth.json beside them). The
corpus-wide check over /work/shared/corpus runs only where that folder exists.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract import extract_file
from extract.dates import parse_date
from extract.families import social_care
from extract.families.social_care_fields import (assurance_concerns, enforcement_sentences,
                                                 enforcement_tokens, interim_outcome)
from extract.families.social_care_tables import split_cells
from extract.grades import grade_token
from extract.pdf import Document

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
from corpus import CORPUS  # noqa: E402
SETTINGS = {"childrens-home", "secure-childrens-home", "residential-special-school",
            "fostering-agency"}


def _social_care(truth_path: Path) -> dict:
    if not truth_path.exists():
        return {}
    truth = json.loads(truth_path.read_text())
    return {name: entry for name, entry in truth.items() if entry.get("report_type") in SETTINGS}


FIXTURE_TRUTH = _social_care(FIXTURES / "truth.json")
OTHER_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.pdf") if p.name not in FIXTURE_TRUTH)


def expected(entry: dict) -> dict:
    """Truth in the extractor's shape: ISO dates, grade tokens."""
    last = entry["last_inspection"]
    return {
        "report_type": entry["report_type"],
        "inspection_kind": entry["inspection_kind"],
        "urn": entry["urn"],
        "provider_name": entry["provider_name"],
        "inspection_date": entry["inspection_date"],
        "inspection_end_date": entry["inspection_end_date"],
        "overall": grade_token(entry["overall"]) if entry["overall"] else None,
        "judgements": entry["grade_canonical"],
        "enforcement": sorted(entry["enforcement"]),
        "history": [{"date": parse_date(row["date"]), "type": row["type"],
                     "judgement": grade_token(row["judgement"])} for row in entry["history"]],
        "last_inspection": None if last is None else {
            "date": parse_date(last["date"]) if last["date"] else None,
            "judgement": grade_token(last["judgement"])},
        "concerns": entry["sub_judgements_canonical"].get("serious_or_widespread_concerns"),
        "needs_review": False,
    }


def actual(report) -> dict:
    got = {key: getattr(report, key) for key in [
        "report_type", "inspection_kind", "urn", "provider_name", "inspection_date",
        "inspection_end_date", "overall", "judgements", "history", "last_inspection",
        "concerns", "needs_review"]}
    got["enforcement"] = sorted(report.enforcement)
    return got


def wrong_fields(report, entry) -> list[str]:
    want, got = expected(entry), actual(report)
    wrong = [f"{key}: got {got[key]!r}, want {want[key]!r}"
             for key in want if got[key] != want[key]]
    # Every graded area has a printed label; a sub-judgement's label is the one truth records.
    for key in entry["grade_canonical"]:
        if not report.labels.get(key):
            wrong.append(f"labels[{key}] empty")
    for label, grade in entry["sub_judgements"].items():
        if label not in report.labels.values():
            wrong.append(f"label {label!r} not among {sorted(report.labels.values())}")
    return wrong


@pytest.mark.parametrize("name", sorted(FIXTURE_TRUTH))
def test_fixture_matches_truth(name):
    report = extract_file(FIXTURES / name)
    assert wrong_fields(report, FIXTURE_TRUTH[name]) == [], report.review_reasons


@pytest.mark.parametrize("name", sorted(FIXTURE_TRUTH))
def test_owner_is_the_registered_provider(name):
    report = extract_file(FIXTURES / name)
    if FIXTURE_TRUTH[name]["report_type"] == "residential-special-school":
        assert report.owner is None  # a school names no registered provider on page 1
    else:
        assert report.owner == FIXTURE_TRUTH[name]["provider_name"]


@pytest.mark.parametrize("name", OTHER_FIXTURES)
def test_other_reports_are_not_claimed(name):
    with Document(FIXTURES / name) as doc:
        assert not social_care.detect(doc)


@pytest.mark.parametrize("name", sorted(FIXTURE_TRUTH))
def test_pdfplumber_reading_agrees(name):
    """The second opinion (pdfplumber text) reads every fixture right on its own too."""
    with Document(FIXTURES / name) as doc:
        report = social_care.read(social_care.Pages(doc, fast=False))
    assert wrong_fields(report, FIXTURE_TRUTH[name]) == [], report.review_reasons


class _NoPdfplumber(Document):
    def _text(self, number):
        raise AssertionError(f"pdfplumber asked for page {number}")


@pytest.mark.parametrize("name", sorted(FIXTURE_TRUTH))
def test_clean_reports_need_no_pdfplumber_and_no_back_matter(name):
    with _NoPdfplumber(FIXTURES / name) as doc:
        report = social_care.parse(doc)
        assert not report.needs_review
        assert max(doc.pages_read) < doc.page_count  # the boilerplate back page is never read


class _Edited(Document):
    """A real report whose page-1 text (from either engine) is edited by ``edit``."""

    engines = ("_fast_text", "_text")

    def edit(self, text: str) -> str:
        return text

    def _fast_text(self, number):
        text = super()._fast_text(number)
        return self.edit(text) if number == 1 and "_fast_text" in self.engines else text

    def _text(self, number):
        text = super()._text(number)
        return self.edit(text) if number == 1 and "_text" in self.engines else text


class _WithoutTable(_Edited):
    """Page 1 lost its judgement table: no line between the dates and the last-inspection
    fields survives."""

    def edit(self, text):
        head, rest = text.split("Inspection dates:", 1)
        dates, rest = rest.split("\n", 1)
        return head + "Inspection dates:" + dates + "\n" + rest[rest.index("Date of last"):]


def test_missing_judgement_table_is_flagged():
    path = FIXTURES / "childrens-home_1017527_2019-06-18_full.pdf"
    with _WithoutTable(path) as doc:
        assert social_care.detect(doc)
        report = social_care.parse(doc)
    assert report.needs_review
    assert report.overall is None and report.judgements == {}
    assert "full inspection with no headline grade read" in report.review_reasons


class _UnknownGrade(_Edited):
    """The leaders-and-managers grade reads as a word no scale knows."""

    def edit(self, text):
        return text.replace("managers outstanding", "managers exemplary").replace(
            "managers\noutstanding", "managers\nexemplary")


def test_unrecognised_grade_is_flagged():
    with _UnknownGrade(FIXTURES / "childrens-home_1017527_2019-06-18_full.pdf") as doc:
        report = social_care.parse(doc)
    assert report.needs_review
    assert "leaders_and_managers" not in report.judgements
    assert report.overall == "outstanding"  # the rows that were read are kept


class _FastTextLostTable(_WithoutTable):
    engines = ("_fast_text",)


def test_pdfplumber_is_the_second_opinion():
    """When PDFium's text leaves doubts, pdfplumber's reading is used if it has none."""
    name = "childrens-home_1017527_2019-06-18_full.pdf"
    with _FastTextLostTable(FIXTURES / name) as doc:
        report = social_care.parse(doc)
    assert wrong_fields(report, FIXTURE_TRUTH[name]) == []


@pytest.mark.parametrize("text, tokens", [
    ("As a result of the monitoring visit, Ofsted has issued a notice restricting accommodation "
     "at the home, as well as two compliance notices.",
     ["restriction_of_accommodation", "compliance_notice"]),
    ("Following this inspection, Ofsted has issued a notice of proposal to cancel the "
     "registration.", ["notice_of_proposal"]),
    ("Ofsted has not been notified of several serious incidents.", []),
    ("No compliance notices were issued. Family time has been cancelled at short notice.", []),
])
def test_enforcement_is_read_from_enforcement_sentences_only(text, tokens):
    sentences, unfinished = enforcement_sentences(text)
    assert not unfinished
    assert [t for sentence in sentences for t in enforcement_tokens(sentence)] == tokens


def test_enforcement_sentence_cut_by_a_page_break_is_reported():
    _, unfinished = enforcement_sentences("Staff are kind. Ofsted has issued a compliance")
    assert unfinished


@pytest.mark.parametrize("line, cells", [
    ("How well children and young people are helped requires improvement to",
     ("How well children and young people are helped", "requires improvement to")),
    ("young people, taking into account be good", ("young people, taking into account", "be good")),
    ("and protected", ("and protected", "")),
    ("The safety of children and young people Inadequate",
     ("The safety of children and young people", "Inadequate")),
])
def test_table_lines_split_into_label_and_grade(line, cells):
    assert split_cells(line) == cells


@pytest.mark.parametrize("text, concerns", [
    ("No graded judgement is given.\nJudgement outcome: no serious and/or widespread concerns "
     "identified\nWe did not identify any serious and/or widespread concerns in relation to the "
     "care or protection of children at this inspection.", False),
    ("Inspectors did not identify any serious and/or widespread concerns in relation to\nthe "
     "care or protection of children at this assurance visit.", False),
    ("Inspectors identified serious and/or widespread concerns in relation to the care and\n"
     "protection of children at this assurance visit.", True),
])
def test_assurance_outcome(text, concerns):
    assert assurance_concerns(text) == (concerns, [])


def test_assurance_outcome_missing_or_contradictory_is_a_problem():
    assert assurance_concerns("Staff are kind.")[0] is None
    both = ("Inspectors identified serious and/or widespread concerns here. "
            "We did not identify any serious and/or widespread concerns.")
    assert assurance_concerns(both) == (None, ["assurance outcome printed both ways"])


def test_interim_outcome_printed_two_ways_is_a_problem():
    text = ("Judgement outcome: Sustained effectiveness\nAt this interim inspection, Ofsted judges "
            "that the home has declined in\neffectiveness.")
    token, _, problems = interim_outcome(text)
    assert token is None and problems


def _corpus():
    truth = _social_care(CORPUS / "truth.json")
    return {name: entry for name, entry in truth.items() if (CORPUS / entry["path"]).exists()}


@pytest.mark.skipif(not (CORPUS / "truth.json").exists(), reason="shared corpus not present")
def test_whole_corpus_matches_truth():
    corpus = _corpus()
    assert len(corpus) == 45
    failures = {}
    for name, entry in sorted(corpus.items()):
        wrong = wrong_fields(extract_file(CORPUS / entry["path"]), entry)
        if wrong:
            failures[name] = wrong
    assert failures == {}
