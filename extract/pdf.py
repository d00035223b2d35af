"""Opening a report PDF and reading only the pages asked for.

Text extraction cost is per page parsed (pdfminer), so families ask for page 1, maybe page 2,
and the last pages; nothing reads a whole document. Every page is closed after use.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from .errors import BadReport
from .grades import normalise_text

#: No family needs more pages than this from either end of a report.
MAX_PAGES_FROM_EITHER_END = 60


class Document:
    """A report PDF, opened lazily; ``text(n)`` is page n's text (1-based), cached."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.data = _read_bytes(self.path)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self.pages_read: list[int] = []
        try:
            self._pdf = pdfplumber.open(self.path)
            self.page_count = len(self._pdf.pages)
        except (PdfminerException, PDFSyntaxError, PDFEncryptionError, PDFPasswordIncorrect) as exc:
            raise BadReport(_describe_open_error(exc)) from None
        except Exception as exc:  # pdfminer raises a zoo of types on damaged files
            raise BadReport(f"damaged or truncated PDF ({type(exc).__name__})") from None
        if self.page_count == 0:
            raise BadReport("PDF has no pages")
        self.text = lru_cache(maxsize=None)(self._text)
        self.words = lru_cache(maxsize=None)(self._words)

    def _page(self, number: int):
        if not 1 <= number <= self.page_count:
            raise IndexError(number)
        if (number > MAX_PAGES_FROM_EITHER_END
                and number <= self.page_count - MAX_PAGES_FROM_EITHER_END):
            raise IndexError(f"page {number} is beyond the bounded read window")
        if number not in self.pages_read:
            self.pages_read.append(number)
        return self._pdf.pages[number - 1]

    def _text(self, number: int) -> str:
        """Page text in reading order, typographic noise folded (see grades.normalise_text)."""
        page = self._page(number)
        try:
            return normalise_text(page.extract_text(layout=False) or "")
        except Exception as exc:
            raise BadReport(f"damaged page {number} ({type(exc).__name__})") from None
        finally:
            page.close()

    def _words(self, number: int) -> tuple[dict, ...]:
        page = self._page(number)
        try:
            return tuple(page.extract_words(keep_blank_chars=False, use_text_flow=True))
        finally:
            page.close()

    def close(self) -> None:
        self._pdf.close()

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
    if not data[:1024].lstrip().startswith(b"%PDF"):
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise BadReport("an HTML page saved as .pdf, not a PDF")
        raise BadReport("not a PDF (no %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise BadReport("truncated PDF (no end-of-file marker)")
    return data


def _describe_open_error(exc: Exception) -> str:
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return "encrypted PDF (password protected)"
    return f"damaged or truncated PDF ({type(cause).__name__})"
