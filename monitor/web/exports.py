"""The data behind every list page as CSV and JSON: the same rows, the same column names."""
from __future__ import annotations

import csv
import io
import json

from starlette.responses import Response

from . import words
from .queries import EVENT_COLUMNS

#: Columns added for people: the grade and kind in words.
EVENT_EXTRA = ("kind_words", "change_words", "area_words")

PROVIDER_COLUMNS = ("urn", "name", "provider_type", "local_authority", "region", "owner",
                    "status", "current_grade", "last_inspection", "direction", "reports")


def event_records(events: list[dict]) -> list[dict]:
    out = []
    for event in events:
        row = {key: event.get(key) for key in EVENT_COLUMNS}
        row["region"] = words.region_name(row["region"])
        row["kind_words"] = words.kind_words(event["kind"])
        row["change_words"] = words.change_words(event)
        row["area_words"] = event.get("area_words") or words.area_words(event["area"])
        out.append(row)
    return out


def provider_records(providers: list[dict]) -> list[dict]:
    return [{key: (words.region_name(p.get(key)) if key == "region" else p.get(key))
             for key in PROVIDER_COLUMNS} for p in providers]


def _safe_cell(value):
    """A cell a spreadsheet would run as a formula (=, +, -, @) is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_response(rows: list[dict], columns: tuple[str, ...], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def json_response(data) -> Response:
    return Response(json.dumps(data, indent=1, ensure_ascii=False, default=str),
                    media_type="application/json")


EVENT_CSV_COLUMNS = EVENT_COLUMNS + EVENT_EXTRA
