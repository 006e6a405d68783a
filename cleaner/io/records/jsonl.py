"""JSON Lines: one JSON object a line, plain, gzip or zstd (several zstd frames too), read
and written a record at a time."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..compression import open_text, open_text_writer
from ..location import Location
from ..writers import naming, temp_beside
from .base import SURROGATE, Record, RecordKeys, Records, from_fields

NAME = "jsonl"
LABEL = ".jsonl[.gz|.zst]"  # how the run names the suffixes it reads
SUFFIXES = {  # suffix -> compression
    ".jsonl": None,
    ".ndjson": None,
    ".jsonl.gz": "gz",
    ".jsonl.zst": "zst",
    ".ndjson.gz": "gz",
    ".ndjson.zst": "zst",
}


def suffix(compression: str | None) -> str:
    """The suffix of a JSON Lines output: its input's compression kept."""
    return ".jsonl" + (f".{compression}" if compression else "")


def read(
    path: Location,
    compression: str | None,
    keys: RecordKeys,
    select: Callable[[int], bool] | None = None,
) -> Records:
    """Records of a JSON Lines file, with the parsed object (None for a bad line).
    Blank lines are skipped; a line that is not JSON becomes a record with an error. With
    ``select``, only the records whose number (from 0) it accepts are parsed and given."""
    with open_text(path, compression) as handle:
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
            yield from_fields(obj, n, keys)


class Writer:
    """Writes records to a JSON Lines file (plain, gzip or zstd), atomically: the records
    go to a temporary file beside the target, renamed into place by :meth:`commit`."""

    def __init__(self, path: Path, compression: str | None) -> None:
        self.path = path
        fd, self._tmp = temp_beside(path)
        os.close(fd)
        self._text, self._inner = open_text_writer(self._tmp, compression)

    def write(self, obj: dict[str, Any]) -> None:
        with naming(self.path):  # a failed write (a full disk) names the output
            self._write(obj)

    def _write(self, obj: dict[str, Any]) -> None:
        line = json.dumps(obj, ensure_ascii=False)
        if SURROGATE.search(line):
            line = json.dumps(obj)  # lone halves of pairs stay escaped
        self._text.write(line + "\n")

    def commit(self) -> None:
        with naming(self.path):
            self._text.close()
            if self._inner is not None:
                self._inner.close()
            os.replace(self._tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._text.close()
            if self._inner is not None:
                self._inner.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()


def writer(
    path: Path, compression: str | None, fixed: dict[str, Any] | None = None, hint: Any = None
) -> Writer:
    """The writer of a JSON Lines output (``fixed`` and ``hint``, column types, do not
    apply: every record is written as it is)."""
    return Writer(path, compression)
