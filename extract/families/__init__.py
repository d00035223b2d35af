"""Report families. Each module has ``detect(doc) -> bool`` (cheap: page 1 text) and
``parse(doc) -> Report``. The first family whose detect() is true reads the report."""
from __future__ import annotations

from ..errors import BadReport
from ..result import Report

FAMILY_MODULES: list = []  # filled below; order matters only where two could claim a report


def _load():
    from . import social_care  # noqa: F401  children's homes and other social-care settings
    FAMILY_MODULES.append(social_care)
    FAMILY_MODULES.extend(local_authority_families())


def local_authority_families() -> list:
    """Local authority, SEND, letters and schools, in detection order (each detect() keys on
    its own page-1 title, so no two claim the same report)."""
    from . import (area_send, la_ilacs, la_lac_2013, la_progress_2009, la_sif, letters,
                   report_card, school)
    return [la_ilacs, la_sif, la_lac_2013, la_progress_2009, area_send, letters, school,
            report_card]


def parse_document(doc, families: list | None = None) -> Report:
    """Read ``doc`` with the first family that claims it (``families`` defaults to all)."""
    if families is None:
        if not FAMILY_MODULES:
            _load()
        families = FAMILY_MODULES
    if not doc.fast_text(1).strip():
        raise BadReport("no text layer on page 1 (a scanned PDF?)")
    for family in families:
        if family.detect(doc):
            return family.parse(doc)
    raise BadReport("not an Ofsted inspection report (no known report layout on page 1)")
