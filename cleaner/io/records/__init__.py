"""Record containers: JSON Lines (plain, gzip, zstd), Parquet and WARC in; JSONL and
Parquet out. Records stream: no reader or writer holds a whole file in memory."""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..location import Location, open_binary
from ..decode import InputError, decode
from ..writers import naming, temp_beside

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
        raw = io.BufferedReader(ZstdFrames(raw))
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


class ZstdFrames(io.RawIOBase):
    """The data of a stream of zstd frames (one or several, as ``cat`` joins them), read
    a few KiB of input at a time. A stream that ends inside a frame gives the data before
    the cut, then :class:`EOFError` (as ``gzip`` does for a cut member).

    >>> import zstandard
    >>> whole = zstandard.ZstdCompressor().compress(b"a" * 100_000)
    >>> two = io.BufferedReader(ZstdFrames(io.BytesIO(whole + whole)))
    >>> len(two.read())
    200000
    >>> cut = io.BufferedReader(ZstdFrames(io.BytesIO(whole[:-4])))
    >>> cut.read()
    Traceback (most recent call last):
    EOFError: zstd data cut short: its last frame is incomplete
    """

    # Input read per step: zstd blocks can expand 32,768 times (a run of one byte), so this
    # bounds the data one step makes (4 KiB -> at most 128 MiB, a few KiB for text).
    STEP = 4096

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw = raw
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._frame: Any = None  # the decompressor of the frame being read
        self._pending = memoryview(b"")  # data made and not given yet

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            data = self._raw.read(self.STEP)
            if not data:
                if self._frame is not None and not self._frame.eof:
                    raise EOFError("zstd data cut short: its last frame is incomplete")
                return 0
            out = []
            while data:
                if self._frame is None or self._frame.eof:
                    self._frame = self._new()
                out.append(self._frame.decompress(data))
                data = self._frame.unused_data if self._frame.eof else b""
            self._pending = memoryview(b"".join(out))
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def _from_fields(obj: Any, n: int, keys: RecordKeys) -> tuple[Record, dict[str, Any] | None]:
    if not isinstance(obj, dict):
        return Record(str(n), "", False, "record is not a JSON object"), None
    rid = obj.get(keys.id)
    rid = str(n) if rid is None else _SURROGATE.sub("\ufffd", str(rid))
    if keys.html is not None and isinstance(obj.get(keys.html), str):
        return Record(rid, _SURROGATE.sub("\ufffd", obj[keys.html]), True), obj
    value = obj.get(keys.text)
    if value is None:
        problem = f"field {keys.text!r} is null" if keys.text in obj else f"no {keys.text!r} field"
        return Record(rid, "", False, problem), obj
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
        names = handle.schema_arrow.names
        if keys.text not in names and (keys.html is None or keys.html not in names):
            wanted = repr(keys.text) + ("" if keys.html is None else f" or {keys.html!r}")
            shown = ", ".join(repr(n) for n in names[:10]) + (", ..." if len(names) > 10 else "")
            raise InputError(f"no {wanted} column (its columns: {shown or 'none'})")
        for batch in handle.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                n += 1
                yield _from_fields(row, n, keys)


def iter_warc(path: Location) -> Iterator[tuple[Record, dict[str, Any] | None]]:
    """HTML response records of a WARC file (plain or gzip), with their target URI as id.
    FastWARC stops without a word where a file is cut short: the file is checked first
    (:func:`warc_cut`), the records before the cut are given, then :class:`EOFError`."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with open_binary(path) as handle:
        cut = warc_cut(handle)
    whole = None if cut is None else cut[0]  # records before the cut
    with open_binary(path) as handle:
        # up to the cut: the reader is not asked for the record it would fail on
        for record in itertools.islice(ArchiveIterator(handle, parse_http=True), whole):
            if record.record_type != WarcRecordType.response:
                continue
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
    if cut is not None:
        raise EOFError(cut[1])


def _gzip_members(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The data of a stream of gzip members, a piece at a time; :class:`EOFError` when
    the stream ends inside a member or its data is damaged. Bytes after the last member
    that do not start another one are ignored (as ``gzip`` ignores trailing zeros)."""
    import zlib

    member: Any = None
    for data in chunks:
        while data:
            if member is None:
                if not data.startswith(b"\x1f\x8b"[: len(data)]):
                    return
                member = zlib.decompressobj(wbits=31)
            try:
                yield member.decompress(data)
            except zlib.error as exc:  # damaged: what follows cannot be read
                raise EOFError(f"gzip data damaged ({exc})") from None
            data = member.unused_data if member.eof else b""
            if member.eof:
                member = None
    if member is not None:
        raise EOFError("gzip data cut short")


_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*$", re.I | re.M)


def warc_cut(handle: IO[bytes]) -> tuple[int, str] | None:
    """Where a WARC stream (plain, or gzip members as its first bytes tell) is cut short:
    (the number of whole records before the cut, what is wrong), or None for a whole
    stream. Reads the record headers and skips the content each declares; a stream whose
    layout it does not follow is taken as whole (the WARC reader judges it).

    >>> rec = b"WARC/1.0\\r\\nContent-Length: 4\\r\\n\\r\\nbody\\r\\n\\r\\n"
    >>> warc_cut(io.BytesIO(rec * 2)) is None
    True
    >>> warc_cut(io.BytesIO(rec * 2 + rec[:30]))
    (2, 'cut short: the file ends inside record 3')
    >>> warc_cut(io.BytesIO(gzip.compress(rec)[:-3]))
    (1, 'gzip data cut short after record 1')
    >>> warc_cut(io.BytesIO(gzip.compress(rec) + gzip.compress(rec)[:-20]))
    (1, 'gzip data cut short: the file ends inside record 2')
    """
    first = handle.read(2)
    chunks = itertools.chain([first], iter(lambda: handle.read(1 << 16), b""))
    pieces = _gzip_members(chunks) if first == b"\x1f\x8b" else chunks
    records = 0
    skip = 0  # content bytes of the current record still to pass
    head = b""  # the start of a record's header, until its blank line
    try:
        for piece in pieces:
            while piece:
                if skip:
                    taken = min(skip, len(piece))
                    skip -= taken
                    piece = piece[taken:]
                    if not skip:
                        records += 1
                    continue
                head = (head + piece).lstrip(b"\r\n")
                piece = b""
                if not b"WARC/".startswith(head[:5]):
                    return None  # not a record header here: not a layout this follows
                end = head.find(b"\r\n\r\n")
                if end < 0:
                    if len(head) > 1 << 20 or b"\n\n" in head:  # not CRLF lines
                        return None
                    continue
                length = _CONTENT_LENGTH.search(head, 0, end)
                if length is None:
                    return None
                piece, head = head[end + 4 :], b""
                skip = int(length.group(1))
                if not skip:
                    records += 1
    except EOFError as exc:  # a gzip member cut short or damaged
        problem = str(exc)
    else:
        problem = ""
    if skip or head:
        return records, f"{problem or 'cut short'}: the file ends inside record {records + 1}"
    if problem:
        return records, f"{problem} after record {records}" if records else problem
    return None


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
    records go to a temporary file beside the target, renamed into place by ``commit``.

    Parquet holds one schema per file, and a record file's fields need not agree: a field
    may first appear, or change type, anywhere. The records are therefore spooled (a batch
    at a time, to a second temporary file) while each column's type is widened to hold
    every value seen (:func:`widen`), and written when the file is complete. ``fixed``
    gives columns whose type is known up front (cleaner's own); ``hint`` is the schema
    of the input the records came from, whose types are kept where the values fit."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        compression: str | None,
        fixed: dict[str, Any] | None = None,
        hint: Any = None,
    ) -> None:
        self.path = path
        self.fmt = fmt
        fd, self._tmp = temp_beside(path)
        os.close(fd)
        self._rows: list[dict[str, Any]] = []
        self._text: IO[str] | None = None
        self._inner: IO[bytes] | None = None
        self._spool: IO[bytes] | None = None
        self._spool_path: Path | None = None
        self._fixed = dict(fixed or {})
        self._hint = hint
        self._columns: dict[str, Any] = {}  # name -> Arrow type of the values seen so far
        self._sizes: list[int] = []  # bytes of each spooled batch
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
        elif fmt == PARQUET:
            spool_fd, self._spool_path = temp_beside(path)
            self._spool = os.fdopen(spool_fd, "wb")
        else:
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
        if len(self._rows) >= PARQUET_BATCH:
            self._spill()

    def _spill(self) -> None:
        """Convert a batch of records to Arrow (each column to the type its values share),
        widen the column types by it and spool it."""
        import pyarrow as pa

        if not self._rows:
            return
        rows, self._rows = self._rows, []
        names = dict.fromkeys(name for row in rows for name in row)
        hint = self._hint
        arrays = []
        for name in names:
            values = [row.get(name) for row in rows]
            if name in self._fixed:
                arrays.append(to_arrow(values, self._fixed[name]))
                continue
            preferred = hint.field(name).type if hint is not None and name in hint.names else None
            array = to_arrow(values, preferred)
            self._columns[name] = widen(self._columns.get(name), array.type)
            arrays.append(array)
        batch = pa.RecordBatch.from_arrays(arrays, names=list(names))
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as stream:
            stream.write_batch(batch)
        data = sink.getvalue()
        assert self._spool is not None
        self._spool.write(data)
        self._sizes.append(data.size)

    def commit(self) -> None:
        with naming(self.path):
            self._commit()

    def _commit(self) -> None:
        if self._text is not None:
            self._text.close()
            if self._inner is not None:
                self._inner.close()
        else:
            self._write_parquet()
        os.replace(self._tmp, self.path)

    def _schema(self) -> Any:
        import pyarrow as pa

        if self._sizes:
            names = list(self._columns) + [n for n in self._fixed if n not in self._columns]
        else:  # no records: the input's columns, if known, and cleaner's
            hinted = list(self._hint.names) if self._hint is not None else []
            names = list(dict.fromkeys(hinted + list(self._fixed)))
        fields = []
        for name in names:
            if name in self._fixed:
                fields.append(pa.field(name, self._fixed[name]))
            elif name in self._columns:
                fields.append(pa.field(name, self._columns[name]))
            else:
                fields.append(self._hint.field(name))
        return parquet_writable(pa.schema(fields))

    def _write_parquet(self) -> None:
        """Write the spooled batches with the widened schema. A column whose values still
        do not convert to its type (types that widening cannot foresee) is written as
        text, and the file is written again."""
        import pyarrow as pa

        self._spill()
        assert self._spool is not None and self._spool_path is not None
        self._spool.close()
        schema = self._schema()
        while True:
            try:
                self._write_spooled(schema)
                break
            except _Unwritable as exc:
                field = schema.field(exc.column)
                if field.type == pa.string():
                    raise ValueError(f"column {exc.column!r} cannot be written") from exc
                at = schema.get_field_index(exc.column)
                schema = schema.set(at, pa.field(exc.column, pa.string()))
        self._spool_path.unlink()

    def _write_spooled(self, schema: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        assert self._spool_path is not None
        with pq.ParquetWriter(self._tmp, schema) as writer, self._spool_path.open("rb") as spool:
            if not self._sizes:
                writer.write_table(schema.empty_table())
            for size in self._sizes:
                batch = pa.ipc.open_stream(spool.read(size)).read_next_batch()
                if batch.schema.equals(schema):
                    writer.write_batch(batch)
                    continue
                arrays = []
                for field in schema:
                    at = batch.schema.get_field_index(field.name)
                    if at < 0:
                        arrays.append(pa.nulls(batch.num_rows, field.type))
                        continue
                    try:
                        arrays.append(convert(batch.column(at), field.type))
                    except _CONVERSION_ERRORS as exc:
                        raise _Unwritable(field.name) from exc
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            if self._text is not None:
                self._text.close()
            if self._inner is not None:
                self._inner.close()
            if self._spool is not None:
                self._spool.close()
        for path in (self._tmp, self._spool_path):
            if path is not None:
                with contextlib.suppress(OSError):
                    path.unlink()


PARQUET_BATCH = 1024  # records per spooled batch and per written record batch


class _Unwritable(Exception):
    """A column whose values do not convert to the type chosen for it."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


# What converting Python values to Arrow raises on values that do not fit a type (pyarrow's
# errors derive from these; a lone surrogate is a UnicodeEncodeError, a ValueError).
_CONVERSION_ERRORS = (TypeError, ValueError, OverflowError, NotImplementedError)


def to_arrow(values: list[Any], preferred: Any = None) -> Any:
    """A column's values as an Arrow array: of type ``preferred`` (the input's type, or a
    fixed one) when they fit it, else of the type Arrow infers; as text (see
    :func:`column_array`) when they do not share a type.

    >>> import pyarrow as pa
    >>> [to_arrow(v).type for v in ([1, None, 2], [1, "a"], [2**70])]
    [DataType(int64), DataType(string), DataType(string)]
    >>> to_arrow([1, "a"]).to_pylist(), to_arrow([1, 2], pa.int16()).type
    (['1', 'a'], DataType(int16))
    """
    import pyarrow as pa

    if preferred is not None:
        try:
            return pa.array(values, type=preferred)
        except _CONVERSION_ERRORS:
            pass
    try:
        return pa.array(values)
    except _CONVERSION_ERRORS:
        return column_array(values, pa.string())


def convert(array: Any, type_: Any) -> Any:
    """A spooled column as the column's final type: as it is, cast (a wider number, nulls,
    a struct with more fields), or through its values (as text for a string column).

    >>> import pyarrow as pa
    >>> convert(pa.array([1, 2]), pa.float64()).to_pylist()
    [1.0, 2.0]
    >>> convert(pa.array([1.0, None]), pa.string()).to_pylist()
    ['1.0', None]
    >>> convert(pa.array([{"a": 1}]), pa.struct([("a", pa.int64()), ("b", pa.string())]))[0]
    <pyarrow.StructScalar: [('a', 1), ('b', None)]>
    """
    import pyarrow as pa

    if array.type == type_:
        return array
    if type_ != pa.string():
        try:
            return array.cast(type_)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass
    return column_array(array.to_pylist(), type_)


def widen(old: Any, new: Any) -> Any:
    """The type of a column that holds values of type ``old`` and of type ``new``: the
    same type, the other one for a column of nulls, the wider number, a struct with the
    fields of both (each widened by Arrow's rules); string for types that do not mix (an
    int and a string, a bool and a number), whose values are then written as text.

    >>> import pyarrow as pa
    >>> widen(None, pa.int64()), widen(pa.null(), pa.string()), widen(pa.int64(), pa.float64())
    (DataType(int64), DataType(string), DataType(double))
    >>> widen(pa.int64(), pa.string()), widen(pa.bool_(), pa.int64())
    (DataType(string), DataType(string))
    >>> widen(pa.struct([("a", pa.int64())]), pa.struct([("b", pa.string())]))
    StructType(struct<a: int64, b: string>)
    """
    import pyarrow as pa

    if old is None or old == new:
        return new
    try:
        both = [pa.schema([("f", old)]), pa.schema([("f", new)])]
        return pa.unify_schemas(both, promote_options="permissive").field("f").type
    except (pa.ArrowTypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.string()


def parquet_writable(schema: Any) -> Any:
    """``schema`` with every column Parquet cannot store (a struct without fields, as an
    empty JSON object gives) made a string column.

    >>> import pyarrow as pa
    >>> parquet_writable(pa.schema([("a", pa.struct([])), ("b", pa.int64())])).types
    [DataType(string), DataType(int64)]
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def fits(fields: Any) -> bool:
        try:
            pq.ParquetWriter(io.BytesIO(), pa.schema(fields)).close()
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
            return False
        return True

    if fits(list(schema)):
        return schema
    return pa.schema([f if fits([f]) else pa.field(f.name, pa.string()) for f in schema])


def column_array(values: list[Any], type_: Any) -> Any:
    """An Arrow array of a column's values; for a string column, values that are not
    strings are written as their JSON text (lone surrogates, which UTF-8 cannot hold,
    replaced).

    >>> import pyarrow as pa
    >>> column_array([1, "a", None, {"k": [True]}], pa.string()).to_pylist()
    ['1', 'a', None, '{"k": [true]}']
    >>> column_array(["\\ud800x"], pa.string()).to_pylist() == ["\\ufffdx"]
    True
    """
    import pyarrow as pa

    if type_ != pa.string():
        return pa.array(values, type=type_)
    values = [v if v is None or type(v) is str else as_text(v) for v in values]
    try:
        return pa.array(values, type=type_)
    except UnicodeEncodeError:
        return pa.array([None if v is None else as_text(v) for v in values], type=type_)


def as_text(value: Any) -> str:
    """A value as text: a string as it is, anything else as its JSON text.

    >>> as_text("x"), as_text(5), as_text([1, "\\ud800"]) == '[1, "\\ufffd"]'
    ('x', '5', True)
    """
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return _SURROGATE.sub("\ufffd", value)


def parquet_schema(path: Location) -> Any:
    """The Arrow schema of a Parquet file; None when it cannot be read."""
    import pyarrow.parquet as pq

    try:
        with open_binary(path) as raw, pq.ParquetFile(raw) as handle:
            return handle.schema_arrow
    except Exception:  # the file's problem was reported when pass 1 read it
        return None
