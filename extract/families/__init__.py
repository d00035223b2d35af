"""Report families. Each module has ``detect(doc) -> bool`` (cheap: page 1 text) and
``parse(doc) -> Report``. The first family whose detect() is true reads the report."""
from __future__ import annotations

from ..errors import BadReport
from ..result import Report

FAMILY_MODULES: list = []  # filled below; order matters only where two could claim a report


def _load():
    from . import social_care  # noqa: F401  children's homes and other social-care settings
    FAMILY_MODULES.append(social_care)
    # local authority, SEND, letters, schools: added by their modules


def parse_document(doc) -> Report:
    if not FAMILY_MODULES:
        _load()
    first = doc.text(1)
    if not first.strip():
        raise BadReport("no text layer on page 1 (a scanned PDF?)")
    for family in FAMILY_MODULES:
        if family.detect(doc):
            return family.parse(doc)
    raise BadReport("not an Ofsted inspection report (no known report layout on page 1)")
