"""Parquet, read a batch of rows at a time and written through a spool: the records of a
file need not share their fields' types, while a Parquet file holds one schema."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from ..decode import InputError
from ..location import Location, open_binary
from ..writers import naming, temp_beside
from .base import SURROGATE, Record, RecordKeys, Records, from_fields, selected

NAME = "parquet"
LABEL = ".parquet"  # how the run names the suffixes it reads
SUFFIXES = {".parquet": None}  # suffix -> compression


def suffix(compression: str | None) -> str:
    """The suffix of a Parquet output (its own compression is inside the file)."""
    return ".parquet"


def read(
    path: Location,
    compression: str | None,
    keys: RecordKeys,
    select: Callable[[int], bool] | None = None,
) -> Records:
    """The rows of a Parquet file as records, those whose number (from 0) ``select``
    accepts."""
    return selected(iter_parquet(path, keys), select)


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
                yield from_fields(row, n, keys)


class Writer:
    """Writes records to a Parquet file, atomically: the file is written to a temporary
    file beside the target, renamed into place by :meth:`commit`.

    Parquet holds one schema per file, and a record file's fields need not agree: a field
    may first appear, or change type, anywhere. The records are therefore spooled (a batch
    at a time, to a second temporary file) while each column's type is widened to hold
    every value seen (:func:`widen`), and written when the file is complete. ``fixed``
    gives columns whose type is known up front (cleaner's own); ``hint`` is the schema
    of the input the records came from, whose types are kept where the values fit."""

    def __init__(self, path: Path, fixed: dict[str, Any] | None = None, hint: Any = None) -> None:
        self.path = path
        fd, self._tmp = temp_beside(path)
        os.close(fd)
        self._rows: list[dict[str, Any]] = []
        self._fixed = dict(fixed or {})
        self._hint = hint
        self._columns: dict[str, Any] = {}  # name -> Arrow type of the values seen so far
        self._sizes: list[int] = []  # bytes of each spooled batch
        spool_fd, self._spool_path = temp_beside(path)
        self._spool: IO[bytes] = os.fdopen(spool_fd, "wb")

    def write(self, obj: dict[str, Any]) -> None:
        with naming(self.path):
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
        self._spool.write(data)
        self._sizes.append(data.size)

    def commit(self) -> None:
        with naming(self.path):
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
            self._spool.close()
        for path in (self._tmp, self._spool_path):
            with contextlib.suppress(OSError):
                path.unlink()


def writer(
    path: Path, compression: str | None, fixed: dict[str, Any] | None = None, hint: Any = None
) -> Writer:
    """The writer of a Parquet output (``compression`` does not apply)."""
    return Writer(path, fixed, hint)


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
    return SURROGATE.sub("\ufffd", value)


def parquet_schema(path: Location) -> Any:
    """The Arrow schema of a Parquet file; None when it cannot be read."""
    import pyarrow.parquet as pq

    try:
        with open_binary(path) as raw, pq.ParquetFile(raw) as handle:
            return handle.schema_arrow
    except Exception:  # the file's problem was reported when pass 1 read it
        return None
