"""Rows out of a statistics file: CSV, or the ODS/XLSX in which Ofsted publishes them.

CSV is read with the standard library. Spreadsheets are read with python-calamine (Rust calamine
bindings): one small wheel that reads both ODS and XLSX, several times faster than openpyxl and
without pandas + odfpy + openpyxl behind it. The first sheet whose first rows hold a
recognisable header is the table (Ofsted's workbooks open with cover and notes sheets).

The format is decided by the file's bytes, not its name: a ZIP holding an ODF ``mimetype`` is
ODS, any other ZIP is tried as XLSX; bytes that decode as text are CSV (UTF-8 with or without a
byte-order mark; Windows-1252, which one year uses for its dashes); anything else is refused.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from .columns import HEADER_SEARCH_ROWS, Columns, find_header
from .errors import MIError

ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


@dataclass
class Table:
    format: str          # csv, ods, xlsx
    columns: Columns
    rows: Iterable       # every row after the header (lists of cells: str, or date/number)
    first_row: int       # 1-based row number of rows[0] in the file/sheet
    sheet: str | None = None


def read_table(path: str | Path) -> Table:
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except IsADirectoryError:
        raise MIError("is a directory, not a file") from None
    except OSError as exc:
        raise MIError(f"cannot be read: {exc.strerror}") from None
    if head.startswith(b"PK\x03\x04"):
        return _read_workbook(path)
    return _read_csv(path)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise MIError("not a CSV, ODS or XLSX file (binary content)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path) -> Table:
    text = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        head = list(islice(reader, HEADER_SEARCH_ROWS))
    except csv.Error as exc:
        raise MIError(f"not a readable CSV file ({exc})") from None
    columns = find_header(head)
    rows = chain(head[columns.header_row + 1:], _checked(reader))
    return Table("csv", columns, rows, columns.header_row + 2)  # rows read as they are used


def _checked(reader):
    try:
        yield from reader
    except csv.Error as exc:
        raise MIError(f"not a readable CSV file (line {reader.line_num}: {exc})") from None


def _read_workbook(path: Path) -> Table:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            kind = "ods" if "mimetype" in names and archive.read("mimetype").strip() == ODS_MIME \
                else "xlsx" if "[Content_Types].xml" in names else None
    except zipfile.BadZipFile:
        raise MIError("not a CSV, ODS or XLSX file (a damaged ZIP archive)") from None
    if kind is None:
        raise MIError("not a CSV, ODS or XLSX file (a ZIP archive of something else)")
    from python_calamine import CalamineError, CalamineWorkbook

    damaged = (CalamineError, ValueError, OSError)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except damaged as exc:
        raise MIError(f"not a readable {kind.upper()} workbook ({exc})") from None
    problems = []
    try:
        for name in workbook.sheet_names:
            try:
                cells = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except damaged as exc:
                raise MIError(f"sheet {name!r} cannot be read ({exc})") from None
            rows = [[_cell(value) for value in row] for row in cells]
            try:
                columns = find_header(rows)
            except MIError as exc:
                problems.append(str(exc))
                continue
            return Table(kind, columns, rows[columns.header_row + 1:], columns.header_row + 2,
                         sheet=name)
    finally:
        workbook.close()
    raise MIError(problems[0] + " in any sheet" if problems else "the workbook has no sheets")


def _cell(value):
    """Spreadsheet cells → what a CSV would hold: text, or a date; whole numbers without .0."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)
