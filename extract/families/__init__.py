"""Report families. Each module has ``detect(doc) -> bool`` (cheap: page 1 text) and
``parse(doc) -> Report``. The first family whose detect() is true reads the report.

"Page 1" is the report's own first page, which is not always the file's: some reports open
with a cover (title and URN only, or an image with no text). When no family recognises page 1,
the next pages are tried, up to ``COVER_PAGES`` of them, and the report is read from the page
where its layout starts (``extract.pdf.PagesFrom``).
"""
from __future__ import annotations

import re

from ..errors import BadReport
from ..pdf import PagesFrom
from ..result import Report

FAMILY_MODULES: list = []  # filled below; order matters only where two could claim a report

#: How many leading pages may be covers before the report's own first page.
COVER_PAGES = 2

#: Real Ofsted layouts the extractor recognises but does not read: a file of one of these is
#: refused with exactly what it is, never with "not an Ofsted inspection report".
KNOWN_UNREAD = [
    (r"Inspection of safeguarding and looked after children services",
     "a 2009-2012 inspection of safeguarding and looked after children services"),
    (r"Inspection of local authority arrangements for the protection of children",
     "a 2012-2013 inspection of local authority arrangements for the protection of children"),
    (r"Unannounced inspection of (?:local authority )?contact,? referral and assessment",
     "a 2009-2012 unannounced inspection of contact, referral and assessment (no grade)"),
    (r"Annual (?:performance|children's services) assessment",
     "an annual performance assessment letter (2005-2012)"),
    (r"Joint area review", "a joint area review (2005-2009)"),
    (r"(?:Special measures |Serious weaknesses )?monitoring inspection (?:of|at|visit)",
     "a school monitoring inspection letter"),
    (r"Initial teacher (?:education|training)", "an initial teacher education inspection"),
    (r"Overall effectiveness: how good is the school",
     "a 2009-2012 school report (numbered grades, 'satisfactory')"),
    (r"(?:does not meet|meets?) (?:the )?requirements? (?:of|for) the (?:Early Years|Childcare) "
     r"Register", "an early years inspection with a met / not met outcome (no children on roll)"),
    (r"Independent school (?:standard|inspection)|Progress monitoring inspection",
     "an independent school standards inspection"),
]


def _load():
    from . import social_care  # noqa: F401  children's homes and other social-care settings
    FAMILY_MODULES.append(social_care)
    FAMILY_MODULES.extend(local_authority_families())
    FAMILY_MODULES.extend(education_families())


def local_authority_families() -> list:
    """Local authority, SEND, letters and schools (2015–19), in detection order (each detect()
    keys on its own page-1 title, so no two claim the same report)."""
    from . import (area_send, la_ilacs, la_lac_2013, la_progress_2009, la_sif, letters,
                   lscb_review, report_card, school)
    return [la_ilacs, la_sif, la_lac_2013, la_progress_2009, area_send, letters, lscb_review,
            school, report_card]


def education_families() -> list:
    """Education Inspection Framework reports (schools, further education, early years,
    2019–2025) and the ungraded school letters."""
    from . import eif
    return [eif]


def _best_reading(doc, family, first: int, report: Report) -> Report:
    """A report read from a cover page (the title repeated, the rest on the next page) leaves
    fields unread: when the same family also claims the next page, read from there too and
    keep the reading with fewer doubts."""
    if not report.needs_review or first > COVER_PAGES or first + 1 > doc.page_count:
        return report
    view = PagesFrom(doc, first + 1)
    if not view.fast_text(1).strip() or not family.detect(view):
        return report
    other = family.parse(view)
    return other if len(other.review_reasons) < len(report.review_reasons) else report


def parse_document(doc, families: list | None = None) -> Report:
    """Read ``doc`` with the first family that claims it (``families`` defaults to all)."""
    if families is None:
        if not FAMILY_MODULES:
            _load()
        families = FAMILY_MODULES
    any_text = False
    for first in range(1, min(doc.page_count, 1 + COVER_PAGES) + 1):
        view = doc if first == 1 else PagesFrom(doc, first)
        if not view.fast_text(1).strip():
            continue
        any_text = True
        for family in families:
            if family.detect(view):
                return _best_reading(doc, family, first, family.parse(view))
    if not any_text:
        raise BadReport("no text layer on page 1 (a scanned PDF?)")
    head = " ".join(doc.fast_text(number)[:800] for number in
                    range(1, min(doc.page_count, 1 + COVER_PAGES) + 1))
    head = re.sub(r"\s+", " ", head)
    for pattern, what in KNOWN_UNREAD:
        if re.search(pattern, head, re.I):
            raise BadReport(f"{what}: an Ofsted layout this extractor does not read")
    pages = "page 1" if doc.page_count == 1 else f"pages 1-{min(doc.page_count, 1 + COVER_PAGES)}"
    raise BadReport(f"not an Ofsted inspection report (no known report layout on {pages})")
