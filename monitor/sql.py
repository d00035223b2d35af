"""Small SQL helpers shared by the monitor's modules."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

#: SQLite allows 32,766 bound parameters; 500 keeps each statement small and plannable.
CHUNK = 500


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def rows_in(db, sql: str, values: Sequence, params: Iterable = ()) -> Iterator[tuple]:
    """Run ``sql`` (which holds one ``{marks}`` for ``IN ({marks})``) over ``values`` in chunks,
    yielding every row. ``params`` are bound before the chunk's values."""
    params = list(params)
    for chunk in chunks(list(values)):
        marks = ",".join("?" * len(chunk))
        yield from db.execute(sql.format(marks=marks), params + list(chunk))


def dicts_in(db, sql: str, values: Sequence, params: Iterable = ()) -> Iterator[dict]:
    """``rows_in`` as dicts keyed by column name."""
    params = list(params)
    for chunk in chunks(list(values)):
        marks = ",".join("?" * len(chunk))
        cursor = db.execute(sql.format(marks=marks), params + list(chunk))
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row))


def json_object(text: str | None) -> dict | None:
    """A JSON column holding an object (an extraction, an event's detail) as a dict; None when
    there is none or it is not a JSON object."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
