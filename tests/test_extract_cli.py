"""``ofsted-watch extract``: JSON Lines on stdout, ``--pretty``, ``--urn``, exit codes."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from extract import EXTRACTOR_VERSION
from monitor.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
ILACS = FIXTURES / "ilacs_80428_bedford_2025-08-27.pdf"
SEND = FIXTURES / "send-area_80443_bury_2024-05-07.pdf"
LETTER = FIXTURES / "focused-visit_80464_dudley_2020-11-27.pdf"

REQUIRED_FIELDS = {"file", "sha256", "urn", "provider_name", "report_type", "inspection_kind",
                   "inspection_date", "inspection_end_date", "overall", "judgements", "labels",
                   "enforcement", "history", "needs_review", "extractor_version"}


def test_one_json_object_per_file_in_order():
    result = CliRunner().invoke(main, ["extract", str(ILACS), str(SEND), str(LETTER)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [item["file"] for item in objects] == [str(ILACS), str(SEND), str(LETTER)]
    for item in objects:
        assert REQUIRED_FIELDS <= item.keys()
        assert item["extractor_version"] == EXTRACTOR_VERSION
    bedford, bury, dudley = objects
    assert bedford["report_type"] == "ilacs"
    assert bedford["overall"] == "requires_improvement"
    assert bedford["judgements"]["care_leavers"] == "requires_improvement"
    assert bedford["labels"]["care_leavers"] == "The experiences and progress of children care leavers"
    assert bedford["inspection_date"] == "2025-07-14"
    assert bury["overall"] == bury["judgements"]["area_send_outcome"] == "send_widespread_failings"
    assert dudley["overall"] is None and dudley["judgements"] == {}
    assert dudley["enforcement"] == ["areas_for_priority_action"]


def test_pretty_prints_indented_json():
    result = CliRunner().invoke(main, ["extract", "--pretty", str(ILACS)])
    assert result.exit_code == 0
    assert result.stdout.startswith("{\n  ")
    assert json.loads(result.stdout)["urn"] == "80428"


def test_urn_option_fills_a_urn_the_report_does_not_print(tmp_path):
    renamed = tmp_path / "bedford.pdf"
    shutil.copy(ILACS, renamed)
    plain = CliRunner().invoke(main, ["extract", str(renamed)])
    given = CliRunner().invoke(main, ["extract", "--urn", "80428", str(renamed)])
    assert json.loads(plain.stdout)["urn"] is None
    assert json.loads(given.stdout)["urn"] == "80428"


def test_needs_a_file():
    result = CliRunner().invoke(main, ["extract"])
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_console_script_exit_codes(tmp_path):
    """The installed ``ofsted-watch`` entry point: 0 when all read, 2 when any file is bad."""
    command = shutil.which("ofsted-watch") or str(Path(sys.executable).parent / "ofsted-watch")
    good = subprocess.run([command, "extract", str(ILACS)], capture_output=True, text=True,
                          timeout=120)
    assert good.returncode == 0
    assert json.loads(good.stdout)["provider_name"] == "Bedford (local authority)"
    missing = tmp_path / "gone.pdf"
    bad = subprocess.run([command, "extract", str(missing), str(ILACS)], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr == f"ofsted-watch extract: {missing}: no such file\n"
    assert len(bad.stdout.splitlines()) == 1
