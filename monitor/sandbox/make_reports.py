"""Regenerate the bundled sandbox: synthetic children's-home report PDFs plus ``site.json``.

Dev-time script (needs the ``dev`` extra: ``pip install -e '.[dev]'``)::

    python -m monitor.sandbox.make_reports

Every home, company, person and grade here is invented; the PDFs are NOT Ofsted publications.
They copy the page layout of Ofsted's children's-home full inspection reports (SCCIF, 2017
onwards): page-1 order (URN, registered provider, "Full inspection", framework line, "Information
about this children's home", "Inspection dates:", the three-row judgement table, the standard
sentence, "Date of last inspection:", "Overall judgement at last inspection:", "Enforcement action
since last inspection:", "Recent inspection history"), then "Statutory requirements" with its
"Requirement | Due date" table and compliance-notice footnote, "Inspection judgements",
"Information about this inspection", "Children's home details" and the back page.
Built-in PDF fonts (not embedded) keep each file a few KB.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer,
                                Table, TableStyle)

HERE = Path(__file__).parent
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"
BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=11, leading=15, spaceAfter=8)
CELL = ParagraphStyle("cell", parent=BODY, spaceAfter=0)
GRADE = ParagraphStyle("grade", parent=CELL, fontName=BOLD)
H1 = ParagraphStyle("urn", fontName=BOLD, fontSize=24, leading=30, spaceAfter=10)
H2 = ParagraphStyle("h2", fontName=BOLD, fontSize=12.5, leading=17, spaceAfter=6, spaceBefore=6)
H3 = ParagraphStyle("h3", fontName=BOLD, fontSize=11.5, leading=15, spaceAfter=6, spaceBefore=6)
KIND = ParagraphStyle("kind", fontName=BOLD, fontSize=14, leading=18, spaceAfter=4)

LABELS = {
    "overall_experiences_and_progress": ("Overall experiences and progress of children and "
                                         "young people, taking into account"),
    "help_and_protection": "How well children and young people are helped and protected",
    "leaders_and_managers": "The effectiveness of leaders and managers",
}
SECTION_LABELS = {
    "overall_experiences_and_progress": "Overall experiences and progress of children and young people",
    "help_and_protection": LABELS["help_and_protection"],
    "leaders_and_managers": LABELS["leaders_and_managers"],
}
GRADE_WORDS = {"outstanding": "outstanding", "good": "good",
               "requires_improvement": "requires improvement to be good",
               "inadequate": "inadequate"}
STANDARD_SENTENCE = {
    "outstanding": ("The children’s home provides highly effective services that consistently "
                    "exceed the standards of good. The actions of the children’s home contribute "
                    "to significantly improving the quality of care and support that children "
                    "and young people receive."),
    "good": "The children’s home provides effective services that meet the requirements for good.",
    "requires_improvement": ("The children’s home is not yet delivering good help and care for "
                             "children and young people. However, there are no serious or "
                             "widespread failures that result in their welfare not being "
                             "safeguarded or promoted."),
    "inadequate": ("There are serious and/or widespread failures that mean children and young "
                   "people are not protected or their welfare is not promoted or safeguarded "
                   "and/or the care and experiences of children and young people are poor and "
                   "they are not making progress."),
}
PARAGRAPHS = {
    ("overall_experiences_and_progress", "positive"): [
        "Children make excellent progress from their starting points. Staff are ambitious for "
        "every child, and children achieve things they did not think were possible.",
        "Children’s views are sought and acted on. Weekly house meetings give children a say in "
        "menus, activities and decorating."],
    ("help_and_protection", "positive"): [
        "Staff know each child well and understand the risks they face. Risk assessments are "
        "detailed and are updated after every incident.",
        "When children go missing from the home, staff follow the agreed procedures and "
        "children are welcomed back warmly."],
    ("leaders_and_managers", "positive"): [
        "The registered manager is experienced and child-focused. Staff said that they feel "
        "well supported, and supervision is regular and reflective.",
        "Monitoring is effective. Leaders identify shortfalls quickly and act on them."],
    ("overall_experiences_and_progress", "negative"): [
        "Care plans are not up to date and do not reflect children’s current needs. Staff were "
        "not clear about the strategies they should use to support children.",
        "Children’s education is not given sufficient priority. Two children have not attended "
        "school regularly for several months."],
    ("help_and_protection", "negative"): [
        "Staff do not follow children’s safety plans. When children go missing from the home, "
        "staff do not consistently follow the agreed procedures, and on one occasion waited "
        "several hours before reporting a child missing to the police.",
        "Risk assessments are not updated after serious incidents, and information about risks "
        "is not always shared with placing authorities."],
    ("leaders_and_managers", "negative"): [
        "Monitoring by leaders and managers is poor and ineffective. Shortfalls in care "
        "planning, risk assessment and record-keeping have not been identified or addressed.",
        "Staff do not receive regular supervision, and the independent person’s reports do not "
        "identify the concerns found at this inspection."],
}
REG12_REQUIREMENT = (
    "* The protection of children standard is that children are protected from harm and "
    "enabled to keep themselves safe. In particular, the standard in paragraph (1) requires "
    "the registered person to ensure— that staff— assess whether each child is at risk of "
    "harm, taking into account information in the child’s relevant plans, and, if necessary, "
    "make arrangements to reduce the risk of any harm to the child. (Regulation 12 (1) (2)(a)(i))")
REG13_REQUIREMENT = (
    "The leadership and management standard requires the registered person to use monitoring "
    "and review systems to make continuous improvements in the quality of care provided in the "
    "home. (Regulation 13 (1)(a)(b) (2)(h))")
RECOMMENDATION = (
    "The registered person should ensure that the independent person’s reports are analysed "
    "and that any recommendations are acted on without delay. (‘Guide to the Children’s Homes "
    "Regulations, including the quality standards’, page 59, paragraph 4.28)")

# --- the sandbox: two authorities, five homes, every name invented --------------------------------
HOMES = [
    {"urn": "2650001", "owner": "Hollybank Childcare Ltd", "la": "Staffordshire",
     "owner_address": "Unit 4, Fictional Business Park, Stafford ST00 0AA",
     "about": "The home is owned by a private company. It provides care for up to four children "
              "with social and emotional difficulties.",
     "ri": "Morgan Example", "manager": "Alex Sample", "inspector": "Jo Placeholder"},
    {"urn": "2650002", "owner": "Brookmead Care Homes Ltd", "la": "Staffordshire",
     "owner_address": "1 Imaginary Lane, Lichfield WS00 0ZZ",
     "about": "The home is privately owned and is registered to provide care for up to three "
              "children who may have emotional and/or behavioural difficulties.",
     "ri": "Sam Invented", "manager": "Chris Madeup", "inspector": "Pat Notreal"},
    {"urn": "2650003", "owner": "Staffordshire County Council", "la": "Staffordshire",
     "owner_address": "County Buildings, Stafford ST00 0BB",
     "about": "This children’s home is operated by a local authority. It is registered to "
              "provide care for up to five children with learning disabilities.",
     "ri": "Robin Fictive", "manager": "Lee Imagined", "inspector": "Jo Placeholder"},
    {"urn": "2650004", "owner": "Hollybank Childcare Ltd", "la": "Derbyshire",
     "owner_address": "Unit 4, Fictional Business Park, Stafford ST00 0AA",
     "about": "The home is owned by a private company. It provides care for up to two children "
              "who have experienced trauma.",
     "ri": "Morgan Example", "manager": "Dana Dummy", "inspector": "Pat Notreal"},
    {"urn": "2650005", "owner": "Peakland Residential Care Ltd", "la": "Derbyshire",
     "owner_address": "2 Nowhere Road, Buxton SK00 0CC",
     "about": "The home is privately owned and provides care for up to four children with "
              "autism and/or learning disabilities.",
     "ri": "Kit Unreal", "manager": "Ash Pretend", "inspector": "Pat Notreal"},
]
HOME = {h["urn"]: h for h in HOMES}


def full(urn, file_id, start, end, grades, published, history, *, later=False, cn=False):
    """One full inspection. ``grades``: area -> token; ``history``: previous (date, type, judgement)."""
    return {"urn": urn, "file_id": file_id, "start": start, "end": end, "grades": grades,
            "published": published, "history": history, "later": later, "compliance_notice": cn}


def all_(token):
    return {area: token for area in LABELS}


REPORTS = [
    # The story: outstanding in September 2021 ...
    full("2650001", "91000101", date(2021, 9, 14), date(2021, 9, 15), all_("outstanding"),
         date(2021, 10, 19), [("12/11/2019", "Full", "Good"), ("05/12/2018", "Full", "Good")]),
    # ... then inadequate on every area at the end of August 2022, with a compliance notice.
    full("2650001", "91000102", date(2022, 8, 30), date(2022, 9, 1), all_("inadequate"),
         date(2022, 9, 27), [("14/09/2021", "Full", "Outstanding"), ("12/11/2019", "Full", "Good"),
                             ("05/12/2018", "Full", "Good")], later=True, cn=True),
    # Bystanders with steady grades.
    full("2650002", "91000201", date(2022, 2, 8), date(2022, 2, 9), all_("good"),
         date(2022, 3, 15), [("03/03/2021", "Full", "Good")]),
    full("2650003", "91000301", date(2021, 11, 16), date(2021, 11, 17), all_("good"),
         date(2021, 12, 21), [("10/02/2020", "Full", "Good")]),
    full("2650004", "91000401", date(2022, 1, 11), date(2022, 1, 12), all_("good"),
         date(2022, 2, 15), [("20/01/2021", "Full", "Good")]),
    # A steady report published on the same day as the downgrade, in another authority.
    full("2650004", "91000402", date(2022, 8, 23), date(2022, 8, 24), all_("good"),
         date(2022, 9, 27), [("11/01/2022", "Full", "Good"), ("20/01/2021", "Full", "Good")],
         later=True),
    full("2650005", "91000501", date(2021, 12, 7), date(2021, 12, 8), all_("outstanding"),
         date(2022, 1, 18), [("15/01/2020", "Full", "Outstanding")]),
]


def day_range(start: date, end: date) -> str:
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        joiner = "and" if (end - start).days == 1 else "to"
        return f"{start.day} {joiner} {end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} to {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"


def long_date(d: str) -> str:
    day, month, year = (int(x) for x in d.split("/"))
    value = date(year, month, day)
    return f"{value.day} {value:%B %Y}"


def ruled(rows, widths, *, header=False):
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
             ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
             ("LINEBELOW", (0, 0), (-1, -1), 0.5, "#999999")]
    if header:
        style.append(("FONTNAME", (0, 0), (-1, 0), BOLD))
    table.setStyle(TableStyle(style))
    return table


def story_for(r: dict) -> list:
    home = HOME[r["urn"]]
    headline = r["grades"]["overall_experiences_and_progress"]
    cell = lambda text, style=CELL: Paragraph(text, style)  # noqa: E731
    out = [Paragraph(home["urn"], H1), Paragraph(home["owner"], H2),
           Paragraph("Full inspection", KIND),
           Paragraph("Inspected under the social care common inspection framework", BODY),
           Paragraph("Information about this children’s home", H2),
           Paragraph(home["about"], BODY),
           Paragraph("The manager has been in post since 2019 and holds the level 5 diploma in "
                     "leadership and management for residential childcare.", BODY),
           Paragraph(f"<b>Inspection dates:</b> {day_range(r['start'], r['end'])}", BODY),
           ruled([[cell(LABELS[a]), cell(GRADE_WORDS[g], GRADE)] for a, g in r["grades"].items()],
                 [270, 180]),
           Spacer(1, 8), Paragraph(STANDARD_SENTENCE[headline], BODY)]
    last_date, _, last_judgement = r["history"][0]
    out += [Paragraph(f"<b>Date of last inspection:</b> {long_date(last_date)}", BODY),
            Paragraph(f"<b>Overall judgement at last inspection:</b> {last_judgement.lower()}",
                      BODY),
            Paragraph("<b>Enforcement action since last inspection:</b> none", BODY),
            Paragraph("Recent inspection history", H3),
            ruled([["Inspection date", "Inspection type", "Inspection judgement"]]
                  + [list(row) for row in r["history"]], [120, 120, 210], header=True)]
    if headline in ("inadequate", "requires_improvement") or r["compliance_notice"]:
        due = date(r["end"].year, r["end"].month % 12 + 1, 20) if r["end"].month < 12 else \
            date(r["end"].year + 1, 1, 20)
        due_text = f"{due.day} {due:%B %Y}"
        rows = [["Requirement", "Due date"], [cell(REG12_REQUIREMENT), cell(due_text)],
                [cell(REG13_REQUIREMENT), cell(due_text)]]
        out += [Paragraph("What does the children’s home need to do to improve?", H2),
                Paragraph("Statutory requirements", H3),
                Paragraph("This section sets out the actions that the registered person(s) must "
                          "take to meet the Care Standards Act 2000, Children’s Homes (England) "
                          "Regulations 2015 and the ‘Guide to the children’s homes regulations "
                          "including the quality standards’. The registered person(s) must "
                          "comply within the given timescales.", BODY),
                ruled(rows, [330, 120], header=True), Spacer(1, 6)]
        if r["compliance_notice"]:
            out.append(Paragraph("*These requirements are subject to a compliance notice.", BODY))
        out += [Paragraph("Recommendations", H3), Paragraph(RECOMMENDATION, BODY)]
    elif headline == "good":
        out += [Paragraph("What does the children’s home need to do to improve?", H2),
                Paragraph("Recommendations", H3), Paragraph(RECOMMENDATION, BODY)]
    out.append(Paragraph("Inspection judgements", H2))
    for area, grade in r["grades"].items():
        tone = "negative" if grade in ("inadequate", "requires_improvement") else "positive"
        out.append(Paragraph(f"{SECTION_LABELS[area]}: {GRADE_WORDS[grade]}", H3))
        out += [Paragraph(text, BODY) for text in PARAGRAPHS[(area, tone)]]
        if area == "overall_experiences_and_progress" and r["compliance_notice"]:
            out.append(Paragraph("As a result of this inspection, Ofsted has issued a compliance "
                                 "notice in relation to regulation 12 (the protection of "
                                 "children standard).", BODY))
    out += [Paragraph("Information about this inspection", H2),
            Paragraph("Inspectors have looked closely at the experiences and progress of "
                      "children and young people. Using the ‘Social care common inspection "
                      "framework’, this inspection was carried out under the Care Standards Act "
                      "2000 to assess the effectiveness of the service, how it meets the core "
                      "functions of the service as set out in legislation, and to consider how "
                      "well it complies with the relevant regulations and meets the national "
                      "minimum standards.", BODY),
            KeepTogether([
                Paragraph("Children’s home details", H3),
                Paragraph(f"Unique reference number: {home['urn']}", CELL),
                Paragraph("Provision sub-type: Children’s home", CELL),
                Paragraph(f"Registered provider: {home['owner']}", CELL),
                Paragraph(f"Registered provider address: {home['owner_address']}", CELL),
                Paragraph(f"Responsible individual: {home['ri']}", CELL),
                Paragraph(f"Registered manager: {home['manager']}", CELL),
                Paragraph("Inspector", H3),
                Paragraph(f"{home['inspector']}, social care inspector", CELL)]),
            PageBreak(),
            Paragraph("SYNTHETIC TEST DOCUMENT. This file was generated for the ofsted-watch "
                      "sandbox. It is not an Ofsted publication: the home, the provider, the "
                      "people and the judgements are invented. It copies the layout of "
                      "published children’s home inspection reports only.", BODY),
            Paragraph(f"© ofsted-watch contributors {r['published'].year}", BODY)]
    return out


def write_pdf(r: dict, path: Path) -> None:
    footer_date = day_range(r["start"], r["end"])

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(REGULAR, 9)
        canvas.drawString(56, 40, f"Inspection report for children’s home: {r['urn']}")
        canvas.drawRightString(A4[0] - 56, 40, str(doc.page))
        canvas.drawString(56, 28, footer_date)
        canvas.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=56, rightMargin=56,
                            topMargin=56, bottomMargin=70, title=f"{r['urn']} {HOME[r['urn']]['owner']}",
                            subject="Synthetic test document, not an Ofsted publication",
                            author="ofsted-watch sandbox generator", creator="ofsted-watch",
                            invariant=1, compress=1)
    doc.build(story_for(r), onFirstPage=footer, onLaterPages=footer)


def site_report(r: dict) -> dict:
    return {"file_id": r["file_id"], "title": "Full inspection",
            "inspection_date": r["start"].isoformat(),
            "publication_date": r["published"].isoformat(),
            "pdf": pdf_name(r)}


def pdf_name(r: dict) -> str:
    return f"childrens-home_{r['urn']}_{r['start'].isoformat()}_full.pdf"


def build(out: Path = HERE) -> dict:
    # PDFs sit beside site.json, in the package directory itself, so that package data
    # ("*.pdf") ships them in a wheel
    out.mkdir(parents=True, exist_ok=True)
    for r in REPORTS:
        write_pdf(r, out / pdf_name(r))
    providers = []
    for home in HOMES:
        reports = [site_report(r) for r in REPORTS if r["urn"] == home["urn"] and not r["later"]]
        reports.sort(key=lambda x: x["publication_date"], reverse=True)
        latest = max((r for r in REPORTS if r["urn"] == home["urn"] and not r["later"]),
                     key=lambda r: r["published"])
        rating = GRADE_WORDS[latest["grades"]["overall_experiences_and_progress"]]
        providers.append({"urn": home["urn"], "name": home["owner"],
                          "category": "Children's home", "provider_type": "Children's home",
                          "local_authority": home["la"], "status": "Open",
                          "rating": rating.capitalize(), "reports": reports})
    site = {"comment": "Synthetic sandbox site for `ofsted-watch demo` and the tests. Every home, "
                       "company and grade is invented; the PDFs are not Ofsted publications.",
            "providers": providers}
    later = {"comment": "Reports published into the running replica by the demo and the "
                        "Staffordshire test, in this order.",
             "publish": [{"urn": r["urn"], "report": site_report(r)}
                         for r in REPORTS if r["later"]]}
    (out / "site.json").write_text(json.dumps(site, indent=2, ensure_ascii=False) + "\n")
    (out / "later.json").write_text(json.dumps(later, indent=2, ensure_ascii=False) + "\n")
    return site


if __name__ == "__main__":
    build()
    for p in sorted(HERE.glob("*.pdf")):
        print(f"{p.stat().st_size:6d}  {p.relative_to(HERE)}")
