"""Extraction benchmark: field accuracy per report family, and speed against pdfplumber.

    python benchmarks/extract.py /work/shared/corpus /work/shared/corpus/truth.json

For every PDF that truth.json lists (keyed by file name; found anywhere under CORPUS_DIR) it runs
``extract_file`` and compares every field of truth that the extractor emits:
report_type, urn, provider_name, local_authority (for local-authority reports: the table name in
extract/places.py of the authority truth names), inspection_date, inspection_end_date, overall,
each judgement
(truth's ``sub_judgements_canonical``, or ``grade_canonical`` where present, which includes the
headline), no extra judgement keys, enforcement, history, last_inspection and inspection_kind
(truth's ``inspection_kind``; for ILACS, "short"/"standard" in ``inspection_type``).
Then, in the same process and on the same files, it times the floor — PDFium's own text of the
pages the extractor read (open the bytes, ``get_text_range()`` of each page read, nothing else;
target: extraction within 1.5× of it) — and plain pdfplumber whole-document text extraction
(``for page in pdf.pages: page.extract_text()``), and prints the medians and ratios. It prints a table per family (files, fields right, accuracy, reports flagged for review,
median times, ratio), a table per field, and every flagged report with its reasons.
``--no-baseline`` skips the slow pdfplumber pass (accuracy only).
Exit status 1 when any field is wrong.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

# This file is named like the package it measures: keep its own folder off the import path.
sys.path[:] = [entry for entry in sys.path
               if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import pdfplumber  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402

from extract import BadReport, extract_file  # noqa: E402
from extract.families import local_authority_families  # noqa: E402
from extract.dates import parse_date  # noqa: E402
from extract.grades import grade_token  # noqa: E402
from extract.places import lookup  # noqa: E402

SEND_OUTCOMES = {1: "send_positive", 2: "send_inconsistent", 3: "send_widespread_failings"}
#: Areas whose truth is historical, not a judgement of this inspection (see extract/families).
HISTORICAL = {"previous_overall_effectiveness"}
HEADLINE_TYPES = {"ilacs", "la-sif", "la-lac-2013", "school-s5"}
#: Reports whose provider is a local authority or local area: their local_authority must be the
#: table's name for the authority truth names (extract/places.py), so alerts reach the council.
AUTHORITY_TYPES = {"ilacs", "la-sif", "la-lac-2013", "la-safeguarding-progress-2009",
                   "la-focused-visit", "jtai", "area-send"}


def expected_fields(truth: dict) -> dict[str, object]:
    """Field name -> the value our Report should hold, derived from one truth entry."""
    fields: dict[str, object] = {
        "report_type": truth["report_type"],
        "urn": truth["urn"],
        "provider_name": truth["provider_name"],
        "inspection_date": truth["inspection_date"],
        "inspection_end_date": truth["inspection_end_date"],
    }
    if truth["report_type"] in AUTHORITY_TYPES:
        bare = re.sub(r"\s*\(?(?:local authority|local area partnership)\)?$", "",
                      truth["provider_name"])
        found = lookup(bare)
        fields["local_authority"] = found[1] if found else bare
    canonical = truth.get("sub_judgements_canonical") or {}
    judgements: dict[str, str] = {}
    if "grade_canonical" in truth:  # generated social-care truth: every area, headline included
        judgements = {key: grade_token(value) if value and "_" not in value else value
                      for key, value in truth["grade_canonical"].items()}
        fields["overall"] = grade_token(truth["overall"]) if truth["overall"] else None
    else:
        for key, value in canonical.items():
            if key == "area_send_outcome":
                judgements[key] = SEND_OUTCOMES[value]
            elif key == "areas_for_priority_action":
                fields["enforcement:areas_for_priority_action"] = bool(value)
            elif key == "theme":
                continue  # JTAI theme: not emitted
            elif key == "overall_progress":
                fields["needs_review (narrative progress verdict)"] = True
            elif key in HISTORICAL:
                fields["last_inspection.judgement"] = grade_token(value)
            else:
                judgements[key] = grade_token(value)
        if truth["report_type"] == "area-send":
            fields["overall"] = judgements.get("area_send_outcome")
        else:
            fields["overall"] = grade_token(truth["overall"]) if truth["overall"] else None
        if truth["report_type"] in HEADLINE_TYPES and fields["overall"]:
            judgements["overall_effectiveness"] = fields["overall"]
    for key, value in judgements.items():
        fields[f"judgement:{key}"] = value
    fields["judgement keys"] = sorted(judgements)
    if "enforcement" in truth:
        fields["enforcement"] = sorted(truth["enforcement"])
    if "history" in truth:
        fields["history"] = [_row_meaning(row) for row in truth["history"]]
    if "last_inspection" in truth:
        fields["last_inspection"] = _row_meaning(truth["last_inspection"])
    if "inspection_kind" in truth:
        fields["inspection_kind"] = truth["inspection_kind"]
    if truth["report_type"] == "ilacs":
        fields["inspection_kind"] = ("ilacs-short" if "short inspection" in truth["inspection_type"]
                                     else "ilacs-standard")
    return fields


def _row_meaning(row: dict | None) -> tuple | None:
    """A history row or last inspection compared by meaning: truth keeps them as printed
    ("07/11/2018", "Requires improvement to be good"), the extractor as ISO dates and tokens."""
    if not row:
        return None
    return (parse_date(row.get("date") or "") or row.get("date"),
            (row.get("type") or "").lower() or None,
            grade_token(row.get("judgement") or "") or row.get("judgement"))


def actual_fields(report, wanted: dict[str, object]) -> dict[str, object]:
    data = report.to_dict()
    got: dict[str, object] = {}
    for name in wanted:
        if name.startswith("judgement:"):
            got[name] = data["judgements"].get(name.split(":", 1)[1])
        elif name == "judgement keys":
            got[name] = sorted(data["judgements"])
        elif name == "enforcement:areas_for_priority_action":
            got[name] = "areas_for_priority_action" in data["enforcement"]
        elif name.startswith("needs_review"):
            got[name] = data["needs_review"] and data["overall"] is None
        elif name == "last_inspection.judgement":
            previous = data["last_inspection"] or {}
            got[name] = grade_token(previous.get("judgement") or "")
        elif name == "enforcement":
            got[name] = sorted(data["enforcement"])
        elif name == "history":
            got[name] = [_row_meaning(row) for row in data["history"]]
        elif name == "last_inspection":
            got[name] = _row_meaning(data["last_inspection"])
        else:
            got[name] = data.get(name)
    return got


def field_group(field: str) -> str:
    """The per-field table's row: judgements grouped by area key, everything else by name."""
    return field if not field.startswith("judgement:") else f"judgement:{field.split(':', 1)[1]}"


def pdfium_floor_ms(path: Path, pages: list[int]) -> float:
    """PDFium's own text of ``pages`` (1-based): what any reader of those pages must spend."""
    start = time.perf_counter()
    document = pdfium.PdfDocument(path.read_bytes())
    try:
        for number in pages:
            page = document[number - 1]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
    finally:
        document.close()
    return (time.perf_counter() - start) * 1000


def whole_document_ms(path: Path) -> float:
    start = time.perf_counter()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
    return (time.perf_counter() - start) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus_dir", type=Path)
    parser.add_argument("truth_json", type=Path)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the pdfplumber whole-document timing")
    parser.add_argument("--json", help="also write the headline figures to this file")
    parser.add_argument("--only", default="", help="only truth report types starting with this")
    parser.add_argument("--without-social-care", action="store_true",
                        help="run only the local-authority, SEND, letter and school families "
                             "(and their reports): shows their cost without social_care.detect")
    args = parser.parse_args(argv)

    truth = json.loads(args.truth_json.read_text())
    files = {path.name: path for path in args.corpus_dir.rglob("*.pdf")}
    # steady state, as in a long-running worker: every module imported and every pattern
    # compiled by one untimed pass over the files before anything is timed
    for name in truth:
        if name in files:
            try:
                extract_file(files[name])
            except BadReport:
                pass
    by_origin = defaultdict(lambda: {"n": 0, "right": 0, "total": 0, "ours": [], "whole": [],
                                     "review": 0})
    per_family = defaultdict(lambda: {"n": 0, "right": 0, "total": 0, "ours": [], "whole": [],
                                      "review": 0, "bad": 0})
    wrong: list[str] = []
    per_field = defaultdict(lambda: {"right": 0, "total": 0})
    flagged: list[str] = []
    families = local_authority_families() if args.without_social_care else None
    ours_all, floor_all = [], []
    for name, entry in sorted(truth.items(), key=lambda item: (item[1]["report_type"], item[0])):
        if not entry["report_type"].startswith(args.only) or name not in files:
            continue
        if args.without_social_care and entry["verified_by"] == "generated":
            continue
        family = per_family[entry["report_type"]]
        origin = by_origin["real PDFs" if entry["verified_by"] != "generated" else "synthetic"]
        family["n"] += 1
        origin["n"] += 1
        wanted = expected_fields(entry)
        start = time.perf_counter()
        try:
            report = extract_file(files[name], families=families)
        except BadReport as exc:
            family["bad"] += 1
            family["total"] += len(wanted)
            wrong.append(f"{name}: BadReport: {exc}")
            continue
        family["ours"].append((time.perf_counter() - start) * 1000)
        ours_all.append(family["ours"][-1])
        floor_all.append(pdfium_floor_ms(files[name], report.pages_read))
        origin["ours"].append(family["ours"][-1])
        family["review"] += report.needs_review
        origin["review"] += report.needs_review
        if report.needs_review:
            flagged.append(f"{name}: " + "; ".join(report.review_reasons))
        got = actual_fields(report, wanted)
        for field, value in wanted.items():
            family["total"] += 1
            group = per_field[field_group(field)]
            group["total"] += 1
            origin["total"] += 1
            if got[field] == value:
                family["right"] += 1
                group["right"] += 1
                origin["right"] += 1
            else:
                wrong.append(f"{name}: {field}: expected {value!r}, got {got[field]!r}")
        if not args.no_baseline:
            family["whole"].append(whole_document_ms(files[name]))
            origin["whole"].append(family["whole"][-1])

    header = (f"{'family':32} {'files':>5} {'fields right':>14} {'acc %':>6} {'review':>6} "
              f"{'ours ms':>8} {'whole ms':>9} {'ratio':>7}")
    print(header)
    print("-" * len(header))
    all_ours, all_whole, right, total = [], [], 0, 0
    for report_type, family in sorted(per_family.items()):
        all_ours += family["ours"]
        all_whole += family["whole"]
        right += family["right"]
        total += family["total"]
        print(_row(report_type, family["n"], family["right"], family["total"], family["review"],
                   family["ours"], family["whole"]))
    print("-" * len(header))
    for label, origin in sorted(by_origin.items()):
        print(_row(label, origin["n"], origin["right"], origin["total"], origin["review"],
                   origin["ours"], origin["whole"]))
    print(_row("ALL", sum(f["n"] for f in per_family.values()), right, total,
               sum(f["review"] for f in per_family.values()), all_ours, all_whole))
    print()
    width = max([len(name) for name in per_field] + [5])
    field_header = f"{'field':{width}} {'right':>7} {'of':>6} {'acc %':>6}"
    print(field_header)
    print("-" * len(field_header))
    for name, counts in sorted(per_field.items()):
        accuracy = 100 * counts["right"] / counts["total"] if counts["total"] else 0
        print(f"{name:{width}} {counts['right']:7} {counts['total']:6} {accuracy:6.1f}")
    floor = {"files": len(ours_all), "ours_ms_total": round(sum(ours_all), 1),
             "pdfium_ms_total": round(sum(floor_all), 1),
             "vs_pdfium": round(sum(ours_all) / sum(floor_all), 2) if floor_all else None,
             "fields_right": right, "fields": total}
    print(f"\nExtraction against PDFium's own text of the pages it read, same files, same run: "
          f"{floor['ours_ms_total']:.0f} ms against {floor['pdfium_ms_total']:.0f} ms, "
          f"×{floor['vs_pdfium']} (target ≤ 1.5)")
    if args.json:
        Path(args.json).write_text(json.dumps(floor, indent=2))
    print(f"\n{len(flagged)} report(s) flagged needs_review:")
    for line in flagged:
        print("  " + line)
    if wrong:
        print(f"\n{len(wrong)} wrong field(s):")
        for line in wrong:
            print("  " + line)
    return 1 if wrong else 0


def _row(label, n, right, total, review, ours, whole) -> str:
    ours_ms = statistics.median(ours) if ours else float("nan")
    whole_ms = statistics.median(whole) if whole else float("nan")
    ratio = f"1/{whole_ms / ours_ms:.0f}" if ours and whole else "-"
    accuracy = 100 * right / total if total else 0
    return (f"{label:32} {n:5} {right:6}/{total:<7} {accuracy:6.1f} {review:6} {ours_ms:8.1f} "
            f"{whole_ms:9.1f} {ratio:>7}")


if __name__ == "__main__":
    sys.exit(main())
