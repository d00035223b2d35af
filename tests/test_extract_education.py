"""Education Inspection Framework reports (schools, further education, early years), ungraded
school letters and report cards, from Ofsted's published templates and wording.

No real PDF of these layouts is available here, so the pages are made by hand with the
printed wording; every such report must be read AND flagged (never alerted on unchecked), and
confirming a layout is one line in extract/types.py.
"""
from __future__ import annotations

import dataclasses

import pytest

from extract import extract_file, types
from extract.grades import SCALES
from test_extract_bad_input import make_pdf

SCHOOL_DETAILS = ["School details", "Unique reference number 116482", "Local authority Hampshire"]


def _made(tmp_path, *pages):
    path = tmp_path / "made.pdf"
    path.write_bytes(make_pdf(list(pages)))
    return extract_file(path)


def _unconfirmed(report) -> bool:
    return report.needs_review and any("not yet checked on a real report" in reason
                                       for reason in report.review_reasons)


GRADED_SCHOOL = ["Inspection of Abbotswood Junior School",
                 "Ringwood Road, Totton, Southampton, Hampshire SO40 8EB",
                 "Inspection dates: 7 and 8 June 2023",
                 "Overall effectiveness Requires improvement",
                 "The quality of education Requires improvement",
                 "Behaviour and attitudes Good", "Personal development Good",
                 "Leadership and management Requires improvement",
                 "Early years provision Good", "Previous inspection grade Good",
                 "What is it like to attend this school?"]


def test_a_graded_eif_school_report(tmp_path):
    report = _made(tmp_path, GRADED_SCHOOL, ["Safeguarding",
                                             "The arrangements for safeguarding are effective."],
                   SCHOOL_DETAILS)
    assert (report.report_type, report.inspection_kind) == ("school-eif", "graded")
    assert report.provider_name == "Abbotswood Junior School"
    assert report.urn == "116482"
    assert (report.inspection_date, report.inspection_end_date) == ("2023-06-07", "2023-06-08")
    assert report.overall == "requires_improvement"
    assert report.judgements == {
        "overall_effectiveness": "requires_improvement",
        "quality_of_education": "requires_improvement", "behaviour_and_attitudes": "good",
        "personal_development": "good", "leadership_and_management": "requires_improvement",
        "early_years_provision": "good", "safeguarding": "met"}
    assert report.last_inspection == {"date": None, "judgement": "Good"}
    assert _unconfirmed(report)


def test_ineffective_safeguarding_is_not_met(tmp_path):
    report = _made(tmp_path, GRADED_SCHOOL, ["The arrangements for safeguarding are not "
                                             "effective."], SCHOOL_DETAILS)
    assert report.judgements["safeguarding"] == "not_met"


def test_confirming_a_layout_is_one_line_in_the_registry(tmp_path, monkeypatch):
    confirmed = dataclasses.replace(types.TYPES["school-eif"], confirmed=True)
    monkeypatch.setitem(types.TYPES, "school-eif", confirmed)
    report = _made(tmp_path, GRADED_SCHOOL, ["The arrangements for safeguarding are effective."],
                   SCHOOL_DETAILS)
    assert not report.needs_review, report.review_reasons


@pytest.mark.parametrize("sentence,outcome", [
    ("Abbotswood Junior School continues to be a good school. The school's next inspection "
     "will be an ungraded inspection.", "standards_maintained"),
    ("Abbotswood Junior School continues to be a good school. There is enough evidence of "
     "improved performance to suggest that the school could be judged outstanding if we were "
     "to carry out a graded (section 5) inspection now.", "could_be_outstanding"),
    ("Abbotswood Junior School continues to be a good school. However, inspectors have some "
     "concerns that standards may be declining, as set out below.",
     "standards_may_have_declined"),
])
def test_an_ungraded_letter_outcome(tmp_path, sentence, outcome):
    report = _made(tmp_path, ["Inspection of a good school: Abbotswood Junior School",
                              "Ringwood Road, Totton, Southampton, Hampshire SO40 8EB",
                              "Inspection dates: 7 and 8 June 2023", "Outcome", sentence,
                              "What is it like to attend this school?"], SCHOOL_DETAILS)
    assert (report.report_type, report.inspection_kind) == ("school-ungraded", "ungraded")
    assert report.provider_name == "Abbotswood Junior School"
    assert report.overall is None
    assert report.judgements["outcome"] == outcome
    assert SCALES[outcome][0] == "ungraded_outcome"
    assert report.last_inspection == {"date": None, "judgement": "good"}
    assert report.urn == "116482"
    assert _unconfirmed(report)


def test_a_further_education_report(tmp_path):
    report = _made(tmp_path, [
        "Inspection of CT Skills Limited", "Inspection dates: 11 to 14 July 2023",
        "Overall effectiveness Good", "The quality of education Good",
        "Behaviour and attitudes Good", "Personal development Good",
        "Leadership and management Good", "Education programmes for young people Good",
        "Adult learning programmes Requires improvement", "Apprenticeships Good",
        "Overall effectiveness at previous inspection Good",
        "Information about this provider"],
        ["Provider details", "Unique reference number 58221"])
    assert (report.report_type, report.inspection_kind) == ("further-education", "graded")
    assert report.provider_name == "CT Skills Limited"
    assert report.overall == "good"
    assert report.judgements["adult_learning_programmes"] == "requires_improvement"
    assert report.judgements["apprenticeships"] == "good"
    assert report.urn == "58221"
    assert _unconfirmed(report)


def test_an_early_years_report(tmp_path):
    report = _made(tmp_path, [
        "Inspection of Beaumont Pre-School", "Beaumont Road, Bournville, Birmingham B30 1NU",
        "Inspection date: 18 June 2024", "Overall effectiveness Good",
        "The quality of education Good", "Behaviour and attitudes Good",
        "Personal development Outstanding", "Leadership and management Good",
        "Overall effectiveness at previous inspection Requires improvement",
        "What is it like to attend this early years setting?"],
        ["Setting details", "Unique reference number EY481234"])
    assert report.report_type == "early-years"
    assert report.urn == "EY481234"
    assert report.inspection_date == report.inspection_end_date == "2024-06-18"
    assert report.judgements["personal_development"] == "outstanding"
    assert _unconfirmed(report)


@pytest.mark.parametrize("lines,report_type,extra", [
    (["Attendance and behaviour Expected standard",
      "Personal development and well-being Exceptional", "Post-16 Strong standard"],
     "school-report-card", {"attendance_and_behaviour": "expected_standard",
                            "personal_development_and_wellbeing": "exceptional",
                            "post_16": "strong_standard"}),
    (["Participation and development Expected standard", "Apprenticeships Needs attention"],
     "further-education-report-card", {"participation_and_development": "expected_standard",
                                       "apprenticeships": "needs_attention"}),
    (["Children's welfare and well-being Strong standard"], "early-years-report-card",
     {"childrens_welfare_and_wellbeing": "strong_standard"}),
])
def test_report_cards(tmp_path, lines, report_type, extra):
    report = _made(tmp_path, ["Report card", "URN: 123456",
                              "Inspection dates: 2 to 3 December 2025",
                              "Inclusion Expected standard",
                              "Curriculum and teaching Strong standard",
                              "Achievement Needs attention", *lines,
                              "Leadership and governance Urgent improvement",
                              "Safeguarding standards Not met"])
    assert report.report_type == report_type
    assert report.overall is None
    assert report.judgements == {
        "inclusion": "expected_standard", "curriculum_and_teaching": "strong_standard",
        "achievement": "needs_attention", "leadership_and_governance": "urgent_improvement",
        "safeguarding": "not_met", **extra}
    assert {SCALES[token][0] for key, token in report.judgements.items()
            if key != "safeguarding"} == {"report_card"}
    assert _unconfirmed(report)


def test_every_new_type_is_registered_and_unconfirmed():
    for slug in ("school-eif", "school-ungraded", "further-education",
                 "further-education-report-card", "early-years", "early-years-report-card",
                 "school-report-card", "lscb-review"):
        assert slug in types.TYPES and not types.TYPES[slug].confirmed


def test_a_further_education_report_under_the_common_inspection_framework(tmp_path):
    report = _made(tmp_path, [
        "Barnsley College", "General further education college",
        "Inspection dates 14-17 March 2017", "Overall effectiveness Good",
        "Effectiveness of leadership and management Good",
        "Quality of teaching, learning and assessment Good",
        "Personal development, behaviour and welfare Outstanding",
        "Outcomes for learners Requires improvement", "16 to 19 study programmes Good",
        "Apprenticeships Requires improvement", "Overall effectiveness at previous inspection Good",
        "Summary of key findings"], ["Provider details", "Unique reference number 130509"])
    assert (report.report_type, report.inspection_kind) == ("further-education", "cif")
    assert report.provider_name == "Barnsley College"
    assert (report.inspection_date, report.inspection_end_date) == ("2017-03-14", "2017-03-17")
    assert report.judgements["outcomes_for_learners"] == "requires_improvement"
    assert report.judgements["study_programmes_16_to_19"] == "good"
    assert report.urn == "130509"
    assert report.last_inspection == {"date": None, "judgement": "Good"}
    assert _unconfirmed(report)


def test_a_graded_table_continued_on_page_2(tmp_path):
    report = _made(tmp_path, GRADED_SCHOOL[:6], GRADED_SCHOOL[6:], SCHOOL_DETAILS)
    assert report.judgements["leadership_and_management"] == "requires_improvement"
    assert report.judgements["personal_development"] == "good"
    assert not any("no grade read" in reason for reason in report.review_reasons)


def test_a_2012_to_2015_school_report_is_read_and_flagged(tmp_path):
    report = _made(tmp_path, [
        "School report", "Putnoe Primary School", "Church Lane, Bedford, MK41 0DH",
        "Inspection dates 12-13 March 2014", "Overall effectiveness",
        "Previous inspection: Good 2", "This inspection: Requires improvement 3",
        "Achievement of pupils Requires improvement 3", "Quality of teaching Requires improvement 3",
        "Behaviour and safety of pupils Good 2", "Leadership and management Good 2",
        "Summary of key findings for parents and pupils"], SCHOOL_DETAILS)
    assert (report.report_type, report.inspection_kind) == ("school-s5", "section-5-2012")
    assert report.provider_name == "Putnoe Primary School"
    assert report.overall == "requires_improvement"
    assert report.judgements == {
        "overall_effectiveness": "requires_improvement",
        "achievement_of_pupils": "requires_improvement",
        "quality_of_teaching": "requires_improvement",
        "behaviour_and_safety_of_pupils": "good", "leadership_and_management": "good"}
    assert report.last_inspection == {"date": None, "judgement": "Good"}
    assert report.urn == "116482"
    assert report.needs_review


def test_a_short_inspection_letter_below_the_letterhead(tmp_path):
    report = _made(tmp_path, [
        "Ofsted", "Piccadilly Gate", "Store Street", "Manchester", "M1 2WD",
        "19 December 2017", "Mrs Jane Smith", "Headteacher", "Putnoe Primary School",
        "Church Lane", "Bedford", "MK41 0DH", "Dear Mrs Smith",
        "Short inspection of Putnoe Primary School",
        "Following my visit to the school on 5 December 2017 with Tom Jones, Ofsted Inspector, "
        "I write on behalf of Her Majesty's Chief Inspector.",
        "This school continues to be good."], SCHOOL_DETAILS)
    assert (report.report_type, report.inspection_kind) == ("school-ungraded", "ungraded")
    assert report.provider_name == "Putnoe Primary School"
    assert report.inspection_date == "2017-12-05"
    assert report.judgements["outcome"] == "standards_maintained"
    assert report.last_inspection == {"date": None, "judgement": "good"}


def test_page_furniture_before_the_title(tmp_path):
    report = _made(tmp_path, ["Ofsted report", *GRADED_SCHOOL], SCHOOL_DETAILS)
    assert report.report_type == "school-eif"
    assert report.provider_name == "Abbotswood Junior School"
