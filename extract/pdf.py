"""Opening a report PDF and reading only the pages asked for.

Two text readers, both lazy, cached and bounded to a window at either end of the document:

- ``doc.fast_text(n)``: PDFium's text layer for page n (pypdfium2, installed with pdfplumber).
  An order of magnitude faster than pdfminer and in content-stream order, which for Ofsted's
  Word-made reports is reading order (a grade printed beside its label follows the label).
  The local-authority, SEND, letter and school families read only this.
- ``doc.text(n)`` / ``doc.words(n)``: pdfplumber (pdfminer) text and words for page n, for
  families that need pdfplumber's layout. pdfplumber is opened on first use only, and its page
  objects are built one at a time: ``pdfplumber.PDF.pages`` would build every page of a
  5,000-page file, so it is never touched.

Opening reads the page count from PDFium (no page is parsed); nothing reads a whole document.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import re
import threading
from functools import lru_cache
from pathlib import Path

import pypdfium2 as pdfium

from .errors import BadReport
from .grades import normalise_text

#: No family needs more pages than this from either end of a report.
MAX_PAGES_FROM_EITHER_END = 60

#: PDFium is not thread-safe (pypdfium2 docs): every call into it holds this lock.
_PDFIUM_LOCK = threading.RLock()


class Document:
    """A report PDF, opened lazily; ``fast_text(n)`` / ``text(n)`` are page n's text (1-based)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.data = _read_bytes(self.path)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self.pages_read: list[int] = []
        self._plumber = None
        self._pdfium = None
        try:
            with _PDFIUM_LOCK:
                self._pdfium = pdfium.PdfDocument(self.data)
                self.page_count = len(self._pdfium)
        except pdfium.PdfiumError as exc:
            raise BadReport(_describe_pdfium_error(exc)) from None
        except Exception as exc:  # defensive: never a traceback for a damaged file
            raise BadReport(f"damaged or truncated PDF ({type(exc).__name__})") from None
        if self.page_count == 0:
            self.close()
            raise BadReport("PDF has no pages")
        self.fast_text = lru_cache(maxsize=None)(self._fast_text)
        self.text = lru_cache(maxsize=None)(self._text)
        self.words = lru_cache(maxsize=None)(self._words)

    # -- bounds -------------------------------------------------------------------------------
    def readable(self, number: int) -> bool:
        """True when page ``number`` exists and lies inside the bounded read window."""
        if not 1 <= number <= self.page_count:
            return False
        return (number <= MAX_PAGES_FROM_EITHER_END
                or number > self.page_count - MAX_PAGES_FROM_EITHER_END)

    def _check(self, number: int) -> None:
        if not 1 <= number <= self.page_count:
            raise IndexError(number)
        if not self.readable(number):
            raise IndexError(f"page {number} is beyond the bounded read window")
        if number not in self.pages_read:
            self.pages_read.append(number)

    # -- PDFium -------------------------------------------------------------------------------
    def _fast_text(self, number: int) -> str:
        """Page text from PDFium, line breaks as ``\\n``, typographic noise folded."""
        self._check(number)
        try:
            with _PDFIUM_LOCK:
                raw = self._pdfium_page_text(number)
        except pdfium.PdfiumError as exc:
            raise BadReport(f"damaged page {number} ({exc})") from None
        raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "-")
        return normalise_text(raw.replace("\x02", "-"))

    def _pdfium_page_text(self, number: int) -> str:
        page = self._pdfium[number - 1]
        try:
            textpage = page.get_textpage()
            try:
                return textpage.get_text_range()
            finally:
                textpage.close()
        finally:
            page.close()

    # -- pdfplumber ---------------------------------------------------------------------------
    def _plumber_page(self, number: int):
        self._check(number)
        import pdfplumber
        from pdfminer.pdfpage import PDFPage
        from pdfplumber.page import Page

        try:
            if self._plumber is None:
                self._plumber = pdfplumber.PDF(io.BytesIO(self.data))
            # Walk the page tree lazily to page n; pdfplumber.PDF.pages would build all pages.
            pdfminer_page = next(itertools.islice(
                PDFPage.create_pages(self._plumber.doc), number - 1, None))
            return Page(self._plumber, pdfminer_page, page_number=number, initial_doctop=0)
        except BadReport:
            raise
        except Exception as exc:
            raise BadReport(f"damaged page {number} ({type(exc).__name__})") from None

    def _text(self, number: int) -> str:
        """pdfplumber page text in reading order, typographic noise folded."""
        page = self._plumber_page(number)
        try:
            return normalise_text(page.extract_text(layout=False) or "")
        except Exception as exc:
            raise BadReport(f"damaged page {number} ({type(exc).__name__})") from None
        finally:
            page.close()

    def _words(self, number: int) -> tuple[dict, ...]:
        page = self._plumber_page(number)
        try:
            return tuple(page.extract_words(keep_blank_chars=False, use_text_flow=True))
        except Exception as exc:
            raise BadReport(f"damaged page {number} ({type(exc).__name__})") from None
        finally:
            page.close()

    def close(self) -> None:
        if self._plumber is not None:
            self._plumber.close()
            self._plumber = None
        if getattr(self, "_pdfium", None) is not None:
            with _PDFIUM_LOCK:
                self._pdfium.close()
            self._pdfium = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadReport("no such file") from None
    except IsADirectoryError:
        raise BadReport("is a directory, not a PDF") from None
    except OSError as exc:
        raise BadReport(f"cannot read file ({exc.strerror})") from None
    if not data:
        raise BadReport("empty file (0 bytes)")
    head = data[:1024].lstrip().lower()
    if not head.startswith(b"%pdf"):
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise BadReport("an HTML page saved as .pdf, not a PDF")
        raise BadReport("not a PDF (no %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise BadReport("truncated PDF (no end-of-file marker)")
    return data


def _describe_pdfium_error(exc: Exception) -> str:
    message = str(exc)
    if re.search(r"password", message, re.I):
        return "encrypted PDF (password protected)"
    if re.search(r"security", message, re.I):
        return "encrypted PDF (unsupported security handler)"
    return "damaged or truncated PDF (PDFium could not parse it)"


class PagesFrom:
    """``doc`` seen from page ``first`` on: page 1 of this view is page ``first`` of the file.

    For reports whose first page(s) are a cover (title and URN only) with the usual first
    page after it: every family reads "page 1" through this view, and the pages it reads are
    still recorded in the file's own numbering (``doc.pages_read``)."""

    def __init__(self, doc: Document, first: int):
        self.doc = doc
        self.skipped = first - 1
        self.page_count = doc.page_count - self.skipped

    def readable(self, number: int) -> bool:
        return 1 <= number <= self.page_count and self.doc.readable(number + self.skipped)

    def fast_text(self, number: int) -> str:
        return self.doc.fast_text(number + self.skipped)

    def text(self, number: int) -> str:
        return self.doc.text(number + self.skipped)

    def words(self, number: int) -> tuple[dict, ...]:
        return self.doc.words(number + self.skipped)

    def __getattr__(self, name):  # path, sha256, pages_read: the file's own
        return getattr(self.doc, name)
