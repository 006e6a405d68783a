"""What every record format reads into: a record (its id and the text to clean) and the
fields of a record that hold them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

SURROGATE = re.compile("[\ud800-\udfff]")  # lone halves of a pair: JSON allows them escaped


@dataclass(frozen=True, slots=True)
class RecordKeys:
    """Which fields of a JSONL/Parquet record hold what."""

    text: str = "text"
    id: str = "id"
    html: str | None = None  # when set, the record's HTML is extracted instead of its text


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a record file: its id, the text to clean and whether that text is HTML."""

    id: str
    text: str  # text to clean ("" when the record has none)
    is_html: bool
    error: str | None = None  # a record that could not be read


# A record file's records, in order, each with its fields (None for a record that could
# not be parsed)
Records = Iterator[tuple[Record, dict[str, Any] | None]]


def from_fields(obj: Any, n: int, keys: RecordKeys) -> tuple[Record, dict[str, Any] | None]:
    """The record of a parsed JSON object or Parquet row (``n``: its number, from 1, the
    id of a record without one).

    >>> from_fields({"id": 7, "text": "a"}, 1, RecordKeys())[0]
    Record(id='7', text='a', is_html=False, error=None)
    >>> from_fields({"x": 1}, 2, RecordKeys())[0].error
    "no 'text' field"
    """
    if not isinstance(obj, dict):
        return Record(str(n), "", False, "record is not a JSON object"), None
    rid = obj.get(keys.id)
    rid = str(n) if rid is None else SURROGATE.sub("\ufffd", str(rid))
    if keys.html is not None and isinstance(obj.get(keys.html), str):
        return Record(rid, SURROGATE.sub("\ufffd", obj[keys.html]), True), obj
    value = obj.get(keys.text)
    if value is None:
        problem = f"field {keys.text!r} is null" if keys.text in obj else f"no {keys.text!r} field"
        return Record(rid, "", False, problem), obj
    if not isinstance(value, str):
        return Record(rid, "", False, f"field {keys.text!r} is not a string"), obj
    return Record(rid, SURROGATE.sub("\ufffd", value), False), obj


def selected(records: Records, select: Callable[[int], bool] | None) -> Records:
    """The records whose number (from 0) ``select`` accepts; all of them without one."""
    if select is None:
        return records
    return (r for n, r in enumerate(records) if select(n))
