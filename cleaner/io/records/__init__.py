"""Record files: JSON Lines (plain, gzip, zstd), Parquet and WARC in; JSON Lines and
Parquet out. Records stream: no reader or writer holds a whole file in memory.

Each format is a module of this package: its ``NAME``, the ``SUFFIXES`` it is known by
(each with its compression), a ``LABEL`` naming them, ``read`` (the records of a file)
and, for a format that is written, ``writer`` (``write``, ``commit``, ``abort``) or else
``WRITTEN_AS``, the format its records are written in. A new format is one module more in
:data:`FORMATS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from ..location import Location
from . import jsonl, parquet, warc
from .base import Record, RecordKeys, Records

__all__ = [
    "CONTAINER_SUFFIXES",
    "FORMATS",
    "JSONL",
    "LABELS",
    "PARQUET",
    "RECORD_FORMATS",
    "WARC",
    "Record",
    "RecordKeys",
    "RecordWriter",
    "container_format",
    "container_suffix",
    "iter_records",
    "part_of",
    "part_selector",
    "written_format",
    "written_suffix",
]

FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (jsonl, parquet, warc)}
JSONL, PARQUET, WARC = jsonl.NAME, parquet.NAME, warc.NAME
RECORD_FORMATS = tuple(FORMATS)
LABELS = "/".join(m.LABEL for m in FORMATS.values())  # '.jsonl[.gz|.zst]/.parquet/...'

_SUFFIXES = {
    suffix: (m.NAME, compression)
    for m in FORMATS.values()
    for suffix, compression in m.SUFFIXES.items()
}
_LONGEST_FIRST = tuple(sorted(_SUFFIXES, key=len, reverse=True))
CONTAINER_SUFFIXES = frozenset(_SUFFIXES)  # every record container's suffix, lower case


def container_suffix(name: str) -> str | None:
    """The suffix (lower case) that makes ``name`` a record container's; None for other
    files.

    >>> container_suffix("a/b.JSONL.zst"), container_suffix("p.txt")
    ('.jsonl.zst', None)
    """
    lower = name.lower()
    if not lower.endswith(_LONGEST_FIRST):  # most names: one test
        return None
    for suffix in _LONGEST_FIRST:
        if lower.endswith(suffix):
            return suffix
    return None  # pragma: no cover (endswith said one matches)


def container_format(name: str) -> tuple[str, str | None] | None:
    """(format, compression) of a record container, by its name; None for other files.

    >>> container_format("a/b.jsonl.zst"), container_format("x.WARC.GZ"), container_format("p.txt")
    (('jsonl', 'zst'), ('warc', 'gz'), None)
    """
    suffix = container_suffix(name)
    return None if suffix is None else _SUFFIXES[suffix]


def written_suffix(fmt: str, compression: str | None) -> str:
    """The suffix of a record file written in format ``fmt`` from an input compressed
    with ``compression`` (kept where the format has it).

    >>> written_suffix("jsonl", "gz"), written_suffix("parquet", "zst")
    ('.jsonl.gz', '.parquet')
    """
    suffix: str = FORMATS[fmt].suffix(compression)
    return suffix


def written_format(fmt: str, record_format: str | None = None) -> str:
    """The format a record file of format ``fmt`` is written in: ``record_format`` when
    given (``--output-format``), else its own, or the one it is written as (WARC: JSON
    Lines).

    >>> written_format("warc"), written_format("parquet"), written_format("jsonl", "parquet")
    ('jsonl', 'parquet', 'parquet')
    """
    if record_format:
        return record_format
    written: str = getattr(FORMATS[fmt], "WRITTEN_AS", fmt)
    return written


def iter_records(
    path: Location,
    fmt: str,
    compression: str | None,
    keys: RecordKeys,
    select: Callable[[int], bool] | None = None,
) -> Records:
    """The records of a record file, in order; with ``select``, only those whose number
    (from 0, counting every record the file holds) it accepts."""
    module = FORMATS.get(fmt)
    if module is None:
        raise ValueError(f"not a record format: {fmt}")
    records: Records = module.read(path, compression, keys, select)
    return records


class Writer(Protocol):
    """Writes the records of one output file, atomically: the file appears (whole) on
    :meth:`commit`; :meth:`abort` removes what was written."""

    def write(self, obj: dict[str, Any]) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


def RecordWriter(  # named like the classes it makes (one per format)
    path: Path,
    fmt: str,
    compression: str | None,
    fixed: dict[str, Any] | None = None,
    hint: Any = None,
) -> Writer:
    """A writer of records to ``path`` in format ``fmt`` (JSON Lines, compressed or not,
    or Parquet). ``fixed`` gives Parquet columns whose type is known up front (cleaner's
    own); ``hint`` is the schema of the Parquet input the records came from, whose types
    are kept where the values fit."""
    make = getattr(FORMATS.get(fmt), "writer", None)
    if make is None:
        raise ValueError(f"cannot write {fmt}")
    writer: Writer = make(path, compression, fixed, hint)
    return writer


def part_selector(part: int, parts: int, block: int) -> Callable[[int], bool] | None:
    """Which records a part of a record file takes: blocks of ``block`` records are dealt
    to the ``parts`` parts in turn. None when the file is one part.

    >>> pick = part_selector(1, 3, 2)
    >>> [n for n in range(14) if pick(n)]
    [2, 3, 8, 9]
    >>> part_selector(0, 1, 64) is None
    True
    """
    if parts <= 1:
        return None
    return lambda n: part_of(n, parts, block) == part


def part_of(n: int, parts: int, block: int) -> int:
    """The part that record ``n`` belongs to (see :func:`part_selector`).

    >>> [part_of(n, 3, 2) for n in range(8)]
    [0, 0, 1, 1, 2, 2, 0, 0]
    """
    return (n // block) % parts
