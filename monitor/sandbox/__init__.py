"""The bundled sandbox: a tiny, fully synthetic copy of the Ofsted reports site.

``site.json`` (the replica's data file: providers and their published reports) and
``later.json`` (reports the demo and the Staffordshire test publish while the replica runs),
plus the report PDFs beside them. Made by ``make_reports.py``; see README.md there.
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
SITE_JSON = HERE / "site.json"
LATER_JSON = HERE / "later.json"

#: The home at the centre of the story: outstanding in 2021, inadequate in 2022.
STORY_URN = "2650001"
STORY_OWNER = "Hollybank Childcare Ltd"
STORY_AUTHORITY = "Staffordshire"


def later_reports(published_on: str | None = None) -> list[tuple[str, dict]]:
    """(urn, report dict) pairs to publish into a running replica, pdf paths made absolute.

    ``published_on`` (ISO date) replaces the story's publication date: a crawl looks for reports
    published since its last run, so a report published into a running replica is published
    "today" (the PDFs print no publication date)."""
    data = json.loads(LATER_JSON.read_text())
    out = []
    for item in data["publish"]:
        report = dict(item["report"])
        report["pdf"] = str((HERE / report["pdf"]).resolve())
        if published_on:
            report["publication_date"] = published_on
        out.append((item["urn"], report))
    return out


def pdf_paths() -> list[Path]:
    return sorted(HERE.glob("childrens-home_*.pdf"))
