"""Hostile files against the extraction sandbox (``monitor/sandbox_extract.py``) and the
``extract`` command: a decompression bomb is stopped at the memory limit with the page it was
reading, a slow file at the time limit, a FIFO is refused unopened, and the next file is still
read. Every bad file is made here, in tmp_path; the test process's own memory never holds a bomb.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from crawler.replica.hostile import bomb_pdf, zero_bomb
from monitor.sandbox_extract import ExtractPool, refuse_special
from monitor.store import clean, clean_text

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
GOOD = FIXTURES / "childrens-home_2519823_2024-10-08_full.pdf"


def test_the_bomb_is_a_real_bomb():
    data = zero_bomb(8)
    assert len(data) < 16 * 1024
    assert zlib.decompress(data) == bytes(8 * 2**20)          # checksum and all


def test_bomb_is_stopped_at_the_memory_limit_and_the_next_file_is_read(tmp_path):
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(bomb_pdf(1024))                  # 1 MiB on disk, 1 GiB inflated
    assert bomb.stat().st_size < 2 * 2**20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ExtractPool(1, memory_mb=256, time_limit=60) as pool:
        outcome = pool.read(bomb)
        assert outcome.kind == "limit" and outcome.report is None
        assert outcome.error.startswith("exceeds 256 MB while reading page 2"), outcome.error
        good = pool.read(GOOD, urn="2519823")         # a fresh worker takes the next file
    assert good.kind == "ok" and good.report["report_type"] == "childrens-home"
    # the bomb never came near this process
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024


def test_a_file_that_reads_too_long_is_stopped_with_its_page(tmp_path):
    with ExtractPool(1, memory_mb=512, time_limit=0.01) as pool:
        outcome = pool.read(GOOD)
    assert outcome.kind == "limit"
    assert outcome.error.startswith("exceeds the 0.01 s time limit while"), outcome.error


def test_a_fifo_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "report.pdf"
    os.mkfifo(fifo)
    assert refuse_special(fifo) == "not a regular file (a FIFO); not read"
    assert refuse_special(tmp_path) == "is a directory, not a PDF"
    assert refuse_special(GOOD) is None and refuse_special(tmp_path / "missing.pdf") is None
    with ExtractPool(1, time_limit=5) as pool:
        outcome = pool.read(fifo)
    assert (outcome.kind, outcome.error) == ("bad", "not a regular file (a FIFO); not read")


def test_extract_command_uses_the_sandbox(tmp_path):
    """A bomb, a FIFO and a good report: two one-line errors, the good one read, exit 2, in a
    bounded time (a FIFO opened for reading would wait forever)."""
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(bomb_pdf(1024))
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "extract", str(bomb), str(fifo), str(GOOD)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "OFSTED_WATCH_EXTRACT_MEMORY_MB": "256"})
    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert errors[0].startswith(f"ofsted-watch extract: {bomb}: exceeds 256 MB while reading "
                                f"page 2")
    assert errors[1] == f"ofsted-watch extract: {fifo}: not a regular file (a FIFO); not read"
    assert len(errors) == 2 and "Traceback" not in result.stderr
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["file"].endswith(GOOD.name)


@pytest.mark.parametrize("raw, expected", [
    ("Evil\x1b[2J\x1b[1;31mHome\x1b[0m", "EvilHome"),
    ("Title\x1b]0;pwned\x07 here", "Title here"),
    ("\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),
    ("8-bit\x9b31m CSI\x85 and C1", "8-bit CSI and C1"),
    ("bell\x07, back\x08space, CR\r, reset\x1bc", "bell, backspace, CR, reset"),
    ("lines\nand\ttabs stay; café – “quotes”", "lines\nand\ttabs stay; café – “quotes”"),
])
def test_control_characters_are_stripped(raw, expected):
    assert clean_text(raw) == expected
    assert clean({"a": [raw, 3, None]}) == {"a": [expected, 3, None]}
