"""The pages of one social-care report, read one at a time and only as far as needed.

``Pages(doc, fast=True)`` reads PDFium text (``doc.fast_text``: ~2 ms a page, content-stream
order, which for these Word/LibreOffice-made reports is reading order with each table cell on its
own lines). ``fast=False`` reads pdfplumber text (``doc.text``: ~80 ms a page) for the values and
still uses PDFium to *find* pages, so the slow reading is a second opinion, not a second cost on
every page.

Sections are searched for only up to the page that holds "Information about this inspection":
everything this family reads (history, enforcement sentences, requirement footnotes) comes before
it, and the back matter (provider details, Ofsted boilerplate) is never touched.
"""
from __future__ import annotations

import re

_NARRATIVE_END = re.compile(r"^Information about this inspection\b", re.I | re.M)


class Pages:
    def __init__(self, doc, fast: bool = True):
        self.doc = doc
        self.fast = fast
        self._last_searchable = None

    @property
    def page_count(self) -> int:
        return self.doc.page_count

    def text(self, number: int) -> str:
        """Page text to read values from."""
        return self.doc.fast_text(number) if self.fast else self.doc.text(number)

    def lines(self, number: int) -> list[str]:
        return [line.strip() for line in self.text(number).splitlines() if line.strip()]

    def locate_text(self, number: int) -> str:
        """Page text to find sections in (always the cheap reader)."""
        return self.doc.fast_text(number)

    def first_line(self, number: int) -> str:
        if not self.doc.readable(number):
            return ""
        for line in self.locate_text(number).splitlines():
            if line.strip():
                return line.strip()
        return ""

    def pages_with(self, pattern: re.Pattern) -> list[int]:
        """Pages up to "Information about this inspection" whose text matches ``pattern``."""
        found = []
        for number in range(1, self.page_count + 1):
            if not self.doc.readable(number):
                break
            text = self.locate_text(number)
            if pattern.search(text):
                found.append(number)
            if _NARRATIVE_END.search(text):
                break
        return found
