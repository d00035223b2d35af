"""Import statistics files into SQLite: official inspections, their judgements, and providers.

Policy, in the order it is carried out below:

* A file is read and checked whole before anything is written; then it is written in one
  transaction. A file that cannot be read (not CSV/ODS/XLSX, no recognisable header, a row with
  an impossible date) raises ``MIError`` and leaves the database as it was.
* Each file has an *as-at* date: the 31 March on or after the latest inspection or registration
  date it holds (publication dates may come later). In-year files are as at the end of their inspection year;
  "provider at March" files as at that March.
* ``official_inspections`` has one row per (URN, inspection key): the event number, or, for the
  few rows without one, "last day/event type". ``official_judgements`` one per (URN, key, area),
  the headline as area ``overall`` like the monitor's ``judgements``. An inspection is what the
  *earliest* file holding it says — its first publication: later at-31-March files restate old
  inspections under the new framework's columns (a 2012 "adequate" with five judgements
  reappears in 2019 as "requires improvement to be good" with three, its date a day off). So
  each inspection's judgements are the set given by the earliest file that gives any (at the
  same as-at date, the one giving more judgements, then by file name); its other values come
  from the earliest file, a gap filled from a later one (the publication date: the earliest
  given). Importing a file twice, or overlapping files, in any order, gives the same tables.
* ``official_providers`` keeps what each file says about each provider; ``providers`` then
  takes type, local authority (the search site's spelling where known), region (ONS code),
  owner (``owner_source = 'statistics'``), registration status, registration date, places and,
  for settings that are not anonymised, the name, each from the newest file that gives it —
  never blanked; ``statistics_as_at`` is the as-at date of the newest file read for that
  provider. Children's homes read REDACTED for name and address: REDACTED is never stored, and
  no address column is ever read.
* Import writes no events and no deliveries: imported history is history, it alerts nobody.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from extract.grades import grade_token

from ..history import OVERALL, scale_for, utcnow
from .columns import (
    CHILDRENS_HOME_TYPES,
    FIELDS,
    FRAMEWORK_2015,
    FRAMEWORK_2015_HOMES,
    GRADE_WORDINGS,
    HEADLINES,
    NUMERIC_GRADES,
    event_kind,
    fold,
    provision_type,
)
from .errors import MIError
from .read import read_table

try:  # the lead is moving crawler/regions.py to extract/places.py
    from extract.places import la_code, la_name, region_code, region_for
except ImportError:  # pragma: no cover - before the move
    from crawler.regions import la_code, la_name, region_code, region_for

BATCH = 2000
OLD_KEYS = {new: old for old, new in FRAMEWORK_2015.items()}
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")
_NONE = {"", "null", "n/a", "na", "-"}
REDACTED = "redacted"

INSPECTION_COLUMNS = ("urn", "inspection_key", "event_number", "event_type", "event_type_printed",
                      "inspection_date", "publication_date", "provision_type", "overall",
                      "as_at", "source_file")
JUDGEMENT_COLUMNS = ("urn", "inspection_key", "area", "grade", "scale", "label", "as_at",
                     "source_file", "file_rank")
PROVIDER_COLUMNS = ("name", "provider_type", "local_authority", "region", "owner", "status",
                    "registration_date", "places")


@dataclass
class FileResult:
    path: str
    source_file: str
    format: str
    as_at: str
    rows: int = 0
    inspections: int = 0
    judgements: int = 0
    providers: int = 0
    unread_grades: int = 0            # judgement cells holding no grade wording we know
    unread_examples: list = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{self.source_file}: {self.rows} rows, {self.inspections} inspections, "
                f"{self.judgements} judgements, {self.providers} providers (as at {self.as_at})")
        if self.unread_grades:
            text += (f"; {self.unread_grades} judgement cells not a grade, left out "
                     f"(e.g. {', '.join(repr(v) for v in self.unread_examples)})")
        return text


# --- values ---------------------------------------------------------------------------------

@lru_cache(maxsize=16384)
def parse_date(value) -> str | None:
    """DD/MM/YYYY (or a spreadsheet date, or ISO) → ISO; empty → None; anything else raises
    ValueError with the value."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value or "").strip()
    if text.lower() in _NONE:
        return None
    match = _DMY.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _ISO.match(text)
        if not match:
            raise ValueError(text)
        year, month, day = (int(part) for part in match.groups())
    if not 1900 <= year <= 2100:
        raise ValueError(text)
    return dt.date(year, month, day).isoformat()  # ValueError for 31/02/2019


@lru_cache(maxsize=65536)
def _text(value) -> str | None:
    text = " ".join(str(value or "").split())
    return None if text.lower() in _NONE else text


def _places(value) -> int | None:
    text = _text(value)
    return int(text) if text and text.isdigit() else None


@lru_cache(maxsize=4096)
def _local_authority(text: str | None) -> str | None:
    """A local authority in the search site's spelling where known ("Bristol, City of" →
    "Bristol"), else as printed."""
    if not text:
        return None
    code = la_code(text)
    return la_name(code) if code else text


@lru_cache(maxsize=256)
def _region(printed: str | None, local_authority: str | None) -> str | None:
    return (region_code(printed) if printed else None) or region_for(local_authority)


#: the extractor's token of each accepted wording, looked up once
_TOKENS = {wording: grade_token(wording) for wording in GRADE_WORDINGS}
_NUMERIC = {kind: {code: grade_token(word) for code, word in codes.items()}
            for kind, codes in NUMERIC_GRADES.items()}


@lru_cache(maxsize=1024)
def _grade_text(value: str, kind: str | None) -> tuple[str | None, bool]:
    text = fold(value)
    if not text or text in _NONE or text == "0":
        return None, False
    if text.isdigit():
        token = _NUMERIC.get(kind, {}).get(text)
        return token, token is None
    token = _TOKENS.get(text)
    return token, token is None


def _grade(value, kind) -> tuple[str | None, bool]:
    """(token, unread): the extractor's token for a judgement cell; unread when the cell holds
    something that is not a grade."""
    return _grade_text(str(value or ""), kind)


def as_at_for(dates) -> str:
    """The 31 March on or after the latest of ``dates`` (ISO strings: inspection and
    registration dates; a publication date may fall after the as-at date)."""
    latest = max(dates)
    year = int(latest[:4])
    return f"{year if latest[5:] <= '03-31' else year + 1}-03-31"


# --- one file -------------------------------------------------------------------------------

def parse_file(path: str | Path) -> tuple[FileResult, list, list, dict]:
    """Read and check a whole file: (result, inspection rows, judgement rows, providers by URN).
    Raises MIError naming the problem (and row)."""
    path = Path(path)
    table = read_table(path)
    columns = table.columns
    result = FileResult(str(path), path.name, table.format, "")
    inspections: dict[tuple, dict] = {}
    judgements: dict[tuple, dict] = {}
    providers: dict[str, dict] = {}
    dates = []
    get = {name: columns.getter(name) for name in FIELDS}
    width = max([index for index in columns.fields.values()]
                + [index for index, _, _ in columns.judgements]) + 1
    for offset, row in enumerate(table.rows):
        if len(row) < width:
            row = row + [""] * (width - len(row))
        urn = _text(get["urn"](row))
        if not urn:
            continue  # blank lines, footnotes
        urn = urn.upper()
        line = table.first_row + offset
        result.rows += 1
        parsed = {}
        for name in ("inspection_date", "publication_date", "registration_date"):
            value = get[name](row)
            try:
                parsed[name] = parse_date(value)
            except ValueError:
                where = f" (sheet {table.sheet})" if table.sheet else ""
                raise MIError(f"row {line}{where}: impossible date {str(value)!r} in the "
                              f"{name.replace('_', ' ')} column") from None
            if parsed[name] and name != "publication_date":
                dates.append(parsed[name])  # published after the as-at date, often
        ptype = provision_type(get["provision_type"](row))
        _merge_provider(providers.setdefault(urn, {}), get, row, ptype,
                        parsed["registration_date"])
        printed_type = _text(get["event_type"](row))
        kind = event_kind(printed_type)
        date = parsed["inspection_date"]
        if not kind and not date:
            continue  # a provider with no inspection yet
        number = _text(get["event_number"](row))
        key = number or f"{date}/{kind}"
        inspection = {"urn": urn, "inspection_key": key, "event_number": number,
                      "event_type": kind, "event_type_printed": printed_type,
                      "inspection_date": date, "publication_date": parsed["publication_date"],
                      "provision_type": ptype, "overall": None}
        areas = {}
        for index, area, label in columns.judgements:
            token, unread = _grade(row[index], kind)
            if unread:
                result.unread_grades += 1
                if len(result.unread_examples) < 3 and fold(row[index]) not in [
                        fold(v) for v in result.unread_examples]:
                    result.unread_examples.append(str(row[index]).strip())
            if token:
                areas[area] = (token, label)
        areas = framework_areas(areas, date, ptype)
        for headline in HEADLINES:
            if headline in areas:
                token, label = areas.pop(headline)
                if token != "not_judged" or kind == "interim":
                    areas[OVERALL] = (token, label)
                inspection["overall"] = token if token != "not_judged" else None
                break
        inspections[(urn, key)] = inspection
        for area, (token, label) in areas.items():
            judgements[(urn, key, area)] = {
                "urn": urn, "inspection_key": key, "area": area, "grade": token,
                "scale": scale_for(token), "label": label}
    if not result.rows:
        raise MIError("no data rows under the header")
    result.as_at = as_at_for(dates) if dates else None
    if result.as_at is None:
        raise MIError("no dates in any row: cannot tell which year the file is")
    for row in list(inspections.values()) + list(judgements.values()):
        row["as_at"], row["source_file"] = result.as_at, result.source_file
    areas_of: dict[tuple, int] = {}
    for row in judgements.values():
        key = (row["urn"], row["inspection_key"])
        areas_of[key] = areas_of.get(key, 0) + 1
    for row in judgements.values():  # earliest file first; then the one giving more judgements
        count = areas_of[(row["urn"], row["inspection_key"])]
        row["file_rank"] = f"{result.as_at}|{99 - count:02d}|{result.source_file}"
    result.inspections, result.judgements = len(inspections), len(judgements)
    result.providers = len(providers)
    return result, list(inspections.values()), list(judgements.values()), providers


def framework_areas(areas: dict, date: str | None, ptype: str | None) -> dict:
    """Rename the old columns' areas to the April 2015 / SCCIF keys where the row is one of
    those frameworks' inspections (see ``columns.FRAMEWORK_2015``); and an inspection from
    before April 2015 restated under the new columns (2019 on) back to the old keys."""
    if date and date < "2015-04-01" and "overall_experiences_and_progress" in areas:
        return {OLD_KEYS.get(area, area): value for area, value in areas.items()}
    if "overall_effectiveness" not in areas or not date or date < "2015-04-01":
        return areas
    if ptype in CHILDRENS_HOME_TYPES:
        return {FRAMEWORK_2015_HOMES.get(area, area): value for area, value in areas.items()}
    if "outcomes" in areas or "quality_of_care" in areas:
        return areas
    return {FRAMEWORK_2015.get(area, area): value for area, value in areas.items()}


def _merge_provider(provider: dict, get, row, ptype, registration_date):
    """Within one file the provider's last non-empty value of each field wins."""
    name = _text(get["name"](row))
    values = {
        "name": None if not name or name.lower() == REDACTED else name,
        "provider_type": ptype,
        "local_authority": _local_authority(_text(get["local_authority"](row))),
        "owner": _text(get["owner"](row)),
        "status": _text(get["status"](row)),
        "registration_date": registration_date,
        "places": _places(get["places"](row)),
    }
    values["region"] = _region(_text(get["region"](row)), values["local_authority"])
    for key, value in values.items():
        if value is not None:
            provider[key] = value


# --- writing --------------------------------------------------------------------------------

def _earlier(table: str, stamp: str = "as_at, source_file") -> str:
    """SQL: the incoming row comes from a file earlier than the stored row's, or from the same
    file (imported again, perhaps corrected by its publisher)."""
    return f"(({', '.join('excluded.' + c.strip() for c in stamp.split(','))}) <= ({stamp}))"


def _inspection_sql() -> str:
    table, earlier = "official_inspections", _earlier("official_inspections")
    sets = [f"{c} = case when {earlier} then coalesce(excluded.{c}, {table}.{c}) "
            f"else coalesce({table}.{c}, excluded.{c}) end"
            for c in INSPECTION_COLUMNS
            if c not in ("urn", "inspection_key", "publication_date", "as_at", "source_file")]
    sets.append(f"publication_date = coalesce(min(excluded.publication_date, "
                f"{table}.publication_date), excluded.publication_date, {table}.publication_date)")
    sets.append(f"source_file = case when {earlier} then excluded.source_file "
                f"else {table}.source_file end")
    sets.append(f"as_at = case when {earlier} then excluded.as_at else {table}.as_at end")
    gaps = " or ".join(f"({table}.{c} is null and excluded.{c} is not null)"
                       for c in INSPECTION_COLUMNS if c not in ("urn", "inspection_key"))
    changed = (f"{earlier} or {gaps} or excluded.publication_date < {table}.publication_date")
    return (f"insert into {table} ({', '.join(INSPECTION_COLUMNS)}) values "
            f"({', '.join(':' + c for c in INSPECTION_COLUMNS)}) on conflict(urn, inspection_key) "
            f"do update set {', '.join(sets)} where {changed}")  # expressions read the old row


def _judgement_sql() -> str:
    table = "official_judgements"
    sets = [f"{c} = excluded.{c}" for c in JUDGEMENT_COLUMNS
            if c not in ("urn", "inspection_key", "area")]
    return (f"insert into {table} ({', '.join(JUDGEMENT_COLUMNS)}) values "
            f"({', '.join(':' + c for c in JUDGEMENT_COLUMNS)}) "
            f"on conflict(urn, inspection_key, area) do update set {', '.join(sets)} "
            f"where excluded.file_rank <= {table}.file_rank")  # else the row is left untouched


INSERT_INSPECTION = _inspection_sql()
INSERT_JUDGEMENT = _judgement_sql()
#: after a file's judgements are in: of each of its inspections keep only the set of the
#: best-ranked file seen (rows of any other file are areas that file alone gave)
PRUNE_JUDGEMENTS = (
    "delete from official_judgements where (urn, inspection_key) in "
    "(select urn, inspection_key from official_judgements where source_file = ?) "
    "and file_rank > (select min(o.file_rank) from official_judgements o "
    "where o.urn = official_judgements.urn "
    "and o.inspection_key = official_judgements.inspection_key)")


PROVIDER_ROW_COLUMNS = ("urn", "source_file", "as_at") + PROVIDER_COLUMNS
INSERT_PROVIDER_ROW = (
    f"insert or replace into official_providers ({', '.join(PROVIDER_ROW_COLUMNS)}) values "
    f"({', '.join(':' + c for c in PROVIDER_ROW_COLUMNS)})")


def _newest(column: str) -> str:
    return (f"(select o.{column} from official_providers o where o.urn = providers.urn and "
            f"o.{column} is not null order by o.as_at desc, o.source_file desc limit 1)")


#: Each field from the newest file that gives it, never blanked. The official owner is canonical:
#: it replaces an owner read from a PDF (``owner_source`` says where it came from).
REFRESH_PROVIDERS = (
    "update providers set "
    + ", ".join(f"{c} = coalesce({_newest(c)}, {c})" for c in PROVIDER_COLUMNS)
    + f", owner_source = case when {_newest('owner')} is not null then 'statistics' "
      "else owner_source end"
    + ", statistics_as_at = (select max(o.as_at) from official_providers o "
      "where o.urn = providers.urn) "
    "where urn in (select urn from official_providers where source_file = ?)")


def _batches(rows, size=BATCH):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def write(db, result: FileResult, inspections, judgements, providers, sha256: str) -> None:
    """One transaction: everything of the file, or (on any error) nothing."""
    now = utcnow()
    provider_rows = []
    for urn, values in providers.items():
        row = {c: values.get(c) for c in PROVIDER_COLUMNS}
        row.update(urn=urn, source_file=result.source_file, as_at=result.as_at)
        provider_rows.append(row)
    with db.atomic():
        for batch in _batches(provider_rows):
            db.conn.executemany(INSERT_PROVIDER_ROW, batch)
            db.conn.executemany(
                "insert into providers (urn, first_seen, updated_at) values (?, ?, ?) "
                "on conflict(urn) do nothing", [(row["urn"], now, now) for row in batch])
        db.conn.execute(REFRESH_PROVIDERS, [result.source_file])
        for batch in _batches(inspections):
            db.conn.executemany(INSERT_INSPECTION, batch)
        for batch in _batches(judgements):
            db.conn.executemany(INSERT_JUDGEMENT, batch)
        db.conn.execute(PRUNE_JUDGEMENTS, [result.source_file])
        db.conn.execute(
            "insert into official_files (sha256, source_file, format, as_at, rows, inspections, "
            "imported_at) values (?, ?, ?, ?, ?, ?, ?) on conflict(sha256) do nothing",
            [sha256, result.source_file, result.format, result.as_at, result.rows,
             result.inspections, now])


def import_file(db, path: str | Path) -> FileResult:
    """Read, check and import one file (one transaction). Raises MIError, naming the file."""
    path = Path(path)
    try:
        result, inspections, judgements, providers = parse_file(path)
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    except MIError as exc:
        raise MIError(f"{path}: {exc}") from None
    write(db, result, inspections, judgements, providers, sha256)
    return result


def import_files(db, paths) -> tuple[list[FileResult], list[tuple[str, str]]]:
    """Import each file on its own: (results of those imported, [(path, problem)] of the rest)."""
    done, failed = [], []
    for path in paths:
        try:
            done.append(import_file(db, path))
        except MIError as exc:
            failed.append((str(path), str(exc)))
    return done, failed
