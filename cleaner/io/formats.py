"""Record containers: JSON Lines (plain, gzip, zstd), Parquet and WARC in; JSONL and
Parquet out. Records stream: no reader or writer holds a whole file in memory."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .location import Location, open_binary
from .readers import InputError, decode
from .writers import naming, temp_beside

JSONL = "jsonl"
PARQUET = "parquet"
WARC = "warc"
RECORD_FORMATS = (JSONL, PARQUET, WARC)
_SURROGATE = re.compile("[\ud800-\udfff]")  # lone halves of a pair: JSON allows them escaped

_SUFFIXES = {
    ".jsonl": (JSONL, None),
    ".ndjson": (JSONL, None),
    ".jsonl.gz": (JSONL, "gz"),
    ".jsonl.zst": (JSONL, "zst"),
    ".ndjson.gz": (JSONL, "gz"),
    ".ndjson.zst": (JSONL, "zst"),
    ".parquet": (PARQUET, None),
    ".warc": (WARC, None),
    ".warc.gz": (WARC, "gz"),
}

_LONGEST_FIRST = tuple(sorted(_SUFFIXES, key=len, reverse=True))


def container_format(name: str) -> tuple[str, str | None] | None:
    """(format, compression) of a record container, by its name; None for other files.

    >>> container_format("a/b.jsonl.zst"), container_format("x.WARC.GZ"), container_format("p.txt")
    (('jsonl', 'zst'), ('warc', 'gz'), None)
    """
    lower = name.lower()
    if not lower.endswith(_LONGEST_FIRST):  # most names: one test
        return None
    for suffix in _LONGEST_FIRST:
        if lower.endswith(suffix):
            return _SUFFIXES[suffix]
    return None  # pragma: no cover (endswith said one matches)


@dataclass(frozen=True, slots=True)
class RecordKeys:
    """Which fields of a JSONL/Parquet record hold what."""

    text: str = "text"
    id: str = "id"
    html: str | None = None  # when set, the record's HTML is extracted instead of its text


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    text: str  # text to clean ("" when the record has none)
    is_html: bool
    error: str | None = None  # a record that could not be read


def _open_text(path: Location, compression: str | None) -> IO[str]:
    raw: IO[bytes] = open_binary(path)
    if compression == "gz":
        return gzip.open(raw, "rt", encoding="utf-8", errors="replace", newline="")
    if compression == "zst":
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def _from_fields(obj: Any, n: int, keys: RecordKeys) -> tuple[Record, dict[str, Any] | None]:
    if not isinstance(obj, dict):
        return Record(str(n), "", False, "record is not a JSON object"), None
    rid = obj.get(keys.id)
    rid = str(n) if rid is None else _SURROGATE.sub("\ufffd", str(rid))
    if keys.html is not None and isinstance(obj.get(keys.html), str):
        return Record(rid, _SURROGATE.sub("\ufffd", obj[keys.html]), True), obj
    value = obj.get(keys.text)
    if value is None:
        return Record(rid, "", False, f"no {keys.text!r} field"), obj
    if not isinstance(value, str):
        return Record(rid, "", False, f"field {keys.text!r} is not a string"), obj
    return Record(rid, _SURROGATE.sub("\ufffd", value), False), obj


def iter_jsonl(
    path: Location,
    compression: str | None,
    keys: RecordKeys,
    select: Callable[[int], bool] | None = None,
) -> Iterator[tuple[Record, dict[str, Any] | None]]:
    """Records of a JSON Lines file, with the parsed object (None for a bad line).
    Blank lines are skipped; a line that is not JSON becomes a record with an error. With
    ``select``, only the records whose number (from 0) it accepts are parsed and given."""
    with _open_text(path, compression) as handle:
        n = 0
        for line in handle:
            if not line.strip():
                continue
            n += 1
            if select is not None and not select(n - 1):
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Record(str(n), "", False, f"line {n}: not JSON ({exc.msg})"), None
                continue
            yield _from_fields(obj, n, keys)


def iter_parquet(
    path: Location, keys: RecordKeys
) -> Iterator[tuple[Record, dict[str, Any] | None]]:
    import pyarrow.parquet as pq

    n = 0
    with open_binary(path) as raw, pq.ParquetFile(raw) as handle:
        for batch in handle.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                n += 1
                yield _from_fields(row, n, keys)


def iter_warc(path: Location) -> Iterator[tuple[Record, dict[str, Any] | None]]:
    """HTML response records of a WARC file (plain or gzip), with their target URI as id."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with open_binary(path) as handle:
        for record in ArchiveIterator(
            handle, record_types=WarcRecordType.response, parse_http=True
        ):
            content_type = (record.http_content_type or "").lower()
            if "html" not in content_type:
                continue
            uri = record.headers.get("WARC-Target-URI") or record.record_id or ""
            body = record.reader.read()
            try:
                html, _note = decode(body, html=True, declared=record.http_charset or None)
            except InputError as exc:
                yield Record(uri, "", True, str(exc)), {"id": uri, "url": uri}
                continue
            yield Record(uri, html, True), {"id": uri, "url": uri}


def iter_records(
    path: Location,
    fmt: str,
    compression: str | None,
    keys: RecordKeys,
    select: Callable[[int], bool] | None = None,
) -> Iterator[tuple[Record, dict[str, Any] | None]]:
    """The records of a record file, in order; with ``select``, only those whose number
    (from 0, counting every record the file holds) it accepts."""
    if fmt == JSONL:
        return iter_jsonl(path, compression, keys, select)
    if fmt == PARQUET:
        records = iter_parquet(path, keys)
    elif fmt == WARC:
        records = iter_warc(path)
    else:
        raise ValueError(f"not a record format: {fmt}")
    if select is None:
        return records
    return (r for n, r in enumerate(records) if select(n))


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


class RecordWriter:
    """Writes records to a JSONL (optionally compressed) or Parquet file, atomically: the
    records go to a temporary file beside the target, renamed into place by ``commit``."""

    def __init__(self, path: Path, fmt: str, compression: str | None) -> None:
        self.path = path
        self.fmt = fmt
        fd, self._tmp = temp_beside(path)
        os.close(fd)
        self._rows: list[dict[str, Any]] = []
        self._parquet: Any = None
        self._schema: Any = None
        self._text: IO[str] | None = None
        self._inner: IO[bytes] | None = None
        if fmt == JSONL:
            if compression == "gz":
                # no file name and no time in the header: the same records give the same bytes
                self._inner = self._tmp.open("wb")  # GzipFile leaves it open
                zipped = gzip.GzipFile(filename="", mode="wb", fileobj=self._inner, mtime=0)
                self._text = io.TextIOWrapper(zipped, encoding="utf-8", newline="\n")
            elif compression == "zst":
                import zstandard

                raw = zstandard.ZstdCompressor().stream_writer(self._tmp.open("wb"))
                self._text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            else:
                self._text = self._tmp.open("w", encoding="utf-8", newline="\n")
        elif fmt != PARQUET:
            raise ValueError(f"cannot write {fmt}")

    def write(self, obj: dict[str, Any]) -> None:
        with naming(self.path):
            self._write(obj)

    def _write(self, obj: dict[str, Any]) -> None:
        if self._text is not None:
            line = json.dumps(obj, ensure_ascii=False)
            if _SURROGATE.search(line):
                line = json.dumps(obj)  # lone halves of pairs stay escaped
            self._text.write(line + "\n")
            return
        self._rows.append(obj)
        if len(self._rows) >= 1024:
            self._flush_parquet()

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._rows:
            return
        if self._parquet is None:
            table = pa.Table.from_pylist(self._rows)
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(self._tmp, self._schema)
        else:
            table = pa.Table.from_pylist(self._rows, schema=self._schema)
        self._parquet.write_table(table)
        self._rows = []

    def commit(self) -> None:
        with naming(self.path):
            self._commit()

    def _commit(self) -> None:
        if self._text is not None:
            self._text.close()
            if self._inner is not None:
                self._inner.close()
        else:
            self._flush_parquet()
            if self._parquet is not None:
                self._parquet.close()
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.table({}), self._tmp)
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            if self._text is not None:
                self._text.close()
            if self._inner is not None:
                self._inner.close()
            if self._parquet is not None:
                self._parquet.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()
