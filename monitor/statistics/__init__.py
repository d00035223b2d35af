"""Ofsted's official social-care statistics ("Children's social care data in England"):
import them (``load``), read a provider's official timeline (``timeline``) and check the
extractor's readings against them (``check``). See docs/statistics.md."""
from __future__ import annotations

from .check import disagreements_for, run_check
from .errors import MIError
from .load import import_file, import_files
from .timeline import official_timeline

__all__ = ["MIError", "disagreements_for", "import_file", "import_files", "official_timeline",
           "run_check"]
