"""Local-authority layouts in the wordings real reports use across a decade, authority names
canonicalised through extract/places.py, cover pages, appended and standalone LSCB reviews.

The pages are made by hand (tests/test_extract_bad_input.make_pdf) with the printed wording of
real reports; the corpus tests (test_extract_local_authority) check the real PDFs themselves.
"""
from __future__ import annotations

import pytest

from extract import extract_file
from extract.families.local_authority import canonical_authority
from test_extract_bad_input import make_pdf


def _made(tmp_path, *pages: list[str], name: str = "made.pdf"):
    path = tmp_path / name
    path.write_bytes(make_pdf(list(pages)))
    return extract_file(path)


def ilacs(name_line: str = "Inspection of Rutland local authority children's services",
          dates: str = "Inspection dates: 3 to 14 March 2025", **grades) -> list[str]:
    rows = {"leaders": "The impact of leaders on social work practice with children and families",
            "help": "The experiences and progress of children who need help and protection",
            "care": "The experiences and progress of children in care",
            "leavers": "The experiences and progress of care leavers",
            "overall": "Overall effectiveness"}
    return [name_line, dates, "Lead inspector: A Person, His Majesty's Inspector",
            "Judgement Grade"] + [f"{label} {grades.get(key, 'Good')}"
                                  for key, label in rows.items()]


@pytest.mark.parametrize("printed,table,display", [
    ("City of London", "City of London", "City Of London"),
    ("Durham's", "Durham", "Durham"),
    ("Bristol, City of", "Bristol", "Bristol"),
    ("Medway Children's Services", "Medway", "Medway"),
    ("Sandwell Children's Trust", "Sandwell", "Sandwell"),
    ("Slough Children First", "Slough", "Slough"),
    ("Hull", "Kingston upon Hull", "Kingston Upon Hull"),
    ("Newcastle", "Newcastle upon Tyne", "Newcastle Upon Tyne"),
    ("East Riding", "East Riding of Yorkshire", "East Riding Of Yorkshire"),
    ("Royal Borough of Kingston upon Thames Council", "Kingston upon Thames",
     "Kingston Upon Thames"),
    ("Telford and Wrekin Council", "Telford and Wrekin", "Telford & Wrekin"),
    ("St. Helens Council", "St Helens", "St Helens"),
    ("Testshire County Council", None, "Testshire"),
])
def test_authority_names(printed, table, display):
    assert canonical_authority(printed) == (table, display)


def test_a_possessive_title_and_a_trust_give_the_council(tmp_path):
    report = _made(tmp_path, ilacs("Inspection of Durham's children's services"))
    assert (report.provider_name, report.local_authority) == ("Durham (local authority)",
                                                              "Durham")
    assert not report.needs_review, report.review_reasons
    report = _made(tmp_path, ilacs("Inspection of Sandwell Children's Trust children's services"),
                   name="sandwell.pdf")
    assert report.local_authority == "Sandwell"


def test_an_unknown_authority_is_kept_as_printed_and_flagged(tmp_path):
    report = _made(tmp_path, ilacs("Inspection of Testshire local authority children's services"))
    assert report.provider_name == "Testshire (local authority)"
    assert report.needs_review
    assert any("not in the table" in reason for reason in report.review_reasons)


def test_a_salutation_read_as_the_name_is_flagged_with_the_one_authority_in_it(tmp_path):
    report = _made(tmp_path, ["Dear Ms Jones, thank you for your help in North Somerset",
                              "Inspection of children's social care services",
                              "Inspection dates: 3 to 14 September 2018", "Judgement Grade",
                              *ilacs()[4:]])
    assert report.report_type == "ilacs"
    assert report.local_authority == "North Somerset"
    assert any("read from the phrase" in reason for reason in report.review_reasons)


def test_not_judged_a_full_stop_after_a_label_and_a_table_continued_on_page_2(tmp_path):
    page = ilacs(help="Not judged")
    page[-1] = "Overall effectiveness. Requires improvement to be good"
    report = _made(tmp_path, page[:-2], page[-2:])
    assert report.judgements["help_and_protection"] == "not_judged"
    assert report.judgements["care_leavers"] == "good"
    assert report.overall == "requires_improvement"
    assert report.pages_read == [1, 2]
    assert not report.needs_review, report.review_reasons


def test_a_printed_span_no_ilacs_inspection_has_is_flagged(tmp_path):
    report = _made(tmp_path, ilacs(dates="Inspection dates: 3 March to 14 April 2025"))
    assert report.inspection_date == "2025-03-03"
    assert report.needs_review
    assert any("span 42 days" in reason for reason in report.review_reasons)


def test_a_cover_page_is_read_past(tmp_path):
    report = _made(tmp_path, ["Children's services inspection report", "URN 80426"], ilacs(),
                   ["Contents"])
    assert report.report_type == "ilacs"
    assert report.overall == "good"
    assert report.pages_read == [1, 2]
    assert not report.needs_review, report.review_reasons


SIF_PAGE = ["1", "Metropolitan Borough of Barnsley Council",
            "Reinspection of services for children in need of help and protection, children "
            "looked after and care leavers", "Inspection date: 2 June 2014 - 25 June 2014",
            "The overall judgement is that children's service requires improvement",
            "1. Children who need help and protection Good",
            "2. Children looked after and achieving permanence Good",
            "2.1 Adoption performance Good", "2.2 Experiences and progress of care leavers Good",
            "3. Leadership, management and governance Requires improvement"]


def test_sif_reinspection_without_hyphen_and_singular_service(tmp_path):
    report = _made(tmp_path, SIF_PAGE, ["Contents"], ["The council's work."])
    assert (report.report_type, report.inspection_kind) == ("la-sif", "sif-reinspection")
    assert report.overall == "requires_improvement"
    assert "lscb_review" not in report.judgements
    assert not report.needs_review, report.review_reasons


def test_an_lscb_review_appended_at_the_back_is_read(tmp_path):
    report = _made(tmp_path, SIF_PAGE, ["Contents"], ["The council's work."],
                   ["Review of the effectiveness of the Local Safeguarding Children Board",
                    "The Local Safeguarding Children Board",
                    "The Local Safeguarding Children Board is inadequate",
                    "Executive summary"])
    assert report.judgements["lscb_review"] == "inadequate"
    assert report.overall == "requires_improvement"


def test_a_standalone_lscb_review_is_read_and_flagged_until_confirmed(tmp_path):
    report = _made(tmp_path, ["1", "Swindon Borough Council",
                              "Review of the effectiveness of the Local Safeguarding Children "
                              "Board", "Inspection date: 11 March 2014 - 2 April 2014",
                              "The Local Safeguarding Children Board",
                              "The Local Safeguarding Children Board is good"])
    assert report.report_type == "lscb-review"
    assert report.local_authority == "Swindon"
    assert report.judgements == {"lscb_review": "good"}
    assert report.overall is None
    assert report.needs_review
    assert any("not yet checked on a real report" in r for r in report.review_reasons)


def test_areas_for_priority_action_with_a_colon(tmp_path):
    report = _made(tmp_path, ["4 November 2019", "Dear Ms Smith",
                              "Focused visit to Hull children's services",
                              "This letter summarises the findings of a focused visit to Hull "
                              "children's services on 15 and 16 of October. The inspectors "
                              "were A and B."],
                   ["Areas for priority action:", "Leaders should act."])
    assert report.report_type == "la-focused-visit"
    assert report.local_authority == "Kingston upon Hull"
    assert (report.inspection_date, report.inspection_end_date) == ("2019-10-15", "2019-10-16")
    assert report.enforcement == ["areas_for_priority_action"]
    assert not report.needs_review, report.review_reasons


def test_every_flagged_report_says_why(tmp_path):
    report = _made(tmp_path, ilacs(help="Satisfying"))
    assert report.needs_review and report.review_reasons
    assert all(reason for reason in report.review_reasons)


HOME_2015 = ["Children's home inspection - Full", "Inspection date 07/06/2016",
             "Unique reference number SC416484", "Type of inspection Full",
             "Provision subtype Children's home",
             "Registered provider Hollybrook Young People's Services Limited",
             "Registered manager Samuel Greaves", "Inspector Sarah Redfern",
             "Inspection date 13/07/2015", "Previous inspection judgement Good",
             "Enforcement action since last inspection None", "This inspection"]


@pytest.mark.parametrize("rows", [
    # the label wraps around the grade cell: grade between the label's two lines
    ["The overall experiences and progress of children and", "Good",
     "young people living in the home are"],
    # the grade printed on the line above its label
    ["Good", "The overall experiences and progress of children and young people living in "
     "the home are"],
])
def test_the_2015_childrens_home_label_wrapped_around_its_grade(tmp_path, rows):
    report = _made(tmp_path, HOME_2015 + rows + [
        "The children's home provides effective services that meet the requirements for good.",
        "How well children and young people are helped and protected Good",
        "The impact and effectiveness of leaders and managers Good"],
        ["1. Summary of findings", "Information about this inspection"])
    assert report.report_type == "childrens-home"
    assert report.overall == "good"
    assert report.judgements["overall_experiences_and_progress"] == "good"


def test_a_monitoring_visit_letter_is_read_and_flagged_until_confirmed(tmp_path):
    report = _made(tmp_path, ["12 July 2022", "Dear Mr Smith",
                              "Monitoring visit to Bury children's services",
                              "This letter summarises the findings of the second monitoring "
                              "visit to Bury children's services on 29 and 30 June 2022. The "
                              "visit was carried out by A and B."])
    assert (report.report_type, report.inspection_kind) == ("la-monitoring-visit",
                                                            "monitoring-visit")
    assert report.local_authority == "Bury"
    assert (report.inspection_date, report.inspection_end_date) == ("2022-06-29", "2022-06-30")
    assert report.overall is None and report.judgements == {}
    assert report.needs_review


def test_a_2016_joint_local_area_send_letter_with_a_written_statement_of_action(tmp_path):
    report = _made(tmp_path, ["20 May 2016", "Dear Mr Smith",
                              "Joint local area SEND inspection in Bury",
                              "Between 7 March 2016 and 11 March 2016, Ofsted and the Care "
                              "Quality Commission conducted a joint inspection of the local area "
                              "of Bury."],
                   ["As a result of the findings of this inspection, HMCI has determined that "
                    "a Written Statement of Action is required because of significant areas of "
                    "weakness in the local area's practice."])
    assert (report.report_type, report.inspection_kind) == ("area-send-2016", "area-send-2016")
    assert report.provider_name == "Bury local area partnership"
    assert (report.inspection_date, report.inspection_end_date) == ("2016-03-07", "2016-03-11")
    assert report.enforcement == ["written_statement_of_action"]
    assert report.needs_review


def test_a_known_layout_that_is_not_read_says_exactly_what_it_is(tmp_path):
    from extract import BadReport

    path = tmp_path / "slac.pdf"
    path.write_bytes(make_pdf([["Inspection of safeguarding and looked after children services",
                                "London Borough of Merton", "Inspection dates: 4 - 15 May 2012"]]))
    with pytest.raises(BadReport, match="2009-2012 inspection of safeguarding and looked after"):
        extract_file(path)


def test_a_focused_visit_heading_without_childrens_services_is_not_read_to_the_next_sentence(
        tmp_path):
    report = _made(tmp_path, ["12 January 2026", "Dear Ms Woodhouse",
                              "Focused visit to Bristol, City of",
                              "This letter summarises the findings of the focused visit to Bristol "
                              "City Council children's services on 3 to 4 December 2025."])
    assert report.report_type == "la-focused-visit"
    assert (report.provider_name, report.local_authority) == ("Bristol (local authority)",
                                                              "Bristol")
    assert not report.needs_review, report.review_reasons


def test_the_council_name_is_read_from_the_lines_above_the_title(tmp_path):
    report = _made(tmp_path, ["1", "Ofsted", "Piccadilly Gate, Manchester", "Metropolitan Borough of",
                              "Barnsley Council",
                              "Inspection of children's social care services",
                              "Inspection dates: 3 to 14 September 2018", "Judgement Grade",
                              *ilacs()[4:]])
    assert report.local_authority == "Barnsley"
    assert report.provider_name == "Barnsley (local authority)"
    assert not report.needs_review, report.review_reasons


@pytest.mark.parametrize("sentence,token", [
    ("At this interim inspection, Ofsted judges that the home has declined in effectiveness.",
     "declined_effectiveness"),
    ("At this interim inspection, we judge that the home has declined effectiveness.",
     "declined_effectiveness"),
    ("At this interim inspection, Ofsted judges that the home has sustained effectiveness.",
     "sustained_effectiveness"),
])
def test_interim_outcome_wordings(sentence, token):
    from extract.families.social_care_fields import interim_outcome

    assert interim_outcome(sentence)[0] == token


def test_a_report_title_split_over_two_lines(tmp_path):
    page = ilacs("Inspection of Bedford local authority")
    report = _made(tmp_path, [page[0], "children's services", *page[1:]])
    assert report.report_type == "ilacs"
    assert report.local_authority == "Bedford"
    assert not report.needs_review, report.review_reasons


def test_a_focused_visit_letter_behind_a_cover_page(tmp_path):
    report = _made(tmp_path, ["Focused visit to Dudley MBC children's services", "URN 80464"],
                   ["27 November 2020", "Dear Ms Ellis",
                    "Focused visit to Dudley MBC children's services",
                    "This letter summarises the findings of a focused visit to Dudley MBC "
                    "children's services on 13 October. The inspectors were A and B."])
    assert report.local_authority == "Dudley"
    assert report.inspection_date == report.inspection_end_date == "2020-10-13"
    assert not report.needs_review, report.review_reasons


def test_a_sif_report_behind_a_cover_that_repeats_its_title(tmp_path):
    report = _made(tmp_path, ["Barnsley Council", SIF_PAGE[2], "Children's services report"],
                   SIF_PAGE, ["Contents"], ["The council's work."])
    assert report.report_type == "la-sif"
    assert report.overall == "requires_improvement"
    assert (report.inspection_date, report.inspection_end_date) == ("2014-06-02", "2014-06-25")
    assert not report.needs_review, report.review_reasons
