"""Is a downloaded body a whole PDF? (The spider retries or records one that is not.)"""
from __future__ import annotations


def looks_like_pdf(data: bytes) -> str | None:
    """None if ``data`` is a whole PDF, else the one-line reason it is not."""
    if not data.lstrip()[:5] == b"%PDF-":
        head = data[:60].decode("latin-1", "replace").strip().replace("\n", " ")
        return f"not a PDF (starts {head[:40]!r})"
    if b"%%EOF" not in data[-2048:]:
        return f"truncated PDF ({len(data)} bytes, no %%EOF at the end)"
    return None
