"""Pass 3: write the cleaned pages of one shard under OUT, atomically.

A text or HTML page becomes a text file of its kept lines. A record container becomes a
container of the same kind (WARC becomes JSON Lines): its records are read again and each
is written with the cleaned text and a ``cleaner`` object, every other field untouched.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .io.records import (
    PARQUET,
    RecordWriter,
    container_format,
    iter_records,
    part_of,
    written_format,
)
from .io.records.parquet import parquet_schema
from .io.writers import atomic_write_text, safe_join, safe_join_text
from .models import FileResult, Reason, Source
from .work import PASS3_DONE, RESULTS, WRITE_ERRORS, resume_or_run, shard_file, stream_load

if TYPE_CHECKING:
    from .steps.context import RunContext
    from .steps.documents import DocVerdict


def writes_in_pass2(config: Config) -> bool:
    """Whether single-page files are written in pass 2: yes unless near-duplicate documents
    are dropped (then an output depends on the whole corpus)."""
    return config.dedup_docs != "drop"


def output_path(out_dir: Path, source: Source, config: Config) -> Path:
    """Where the output of an input file goes under ``out_dir``.

    >>> output_path(Path("out"), Source.of(Path("in/a/x.html"), "a/x.html", "html"), Config())
    PosixPath('out/a/x.txt')
    """
    return safe_join(out_dir, source.target(config.output_format))


def output_file(out_dir: str, source: Source, config: Config) -> str:
    """:func:`output_path` as a string, of ``out_dir`` given as one (``os.fspath`` of the
    output folder's Path): for the callers that name a file per page.

    >>> output_file("out", Source.of(Path("in/a/x.html"), "a/x.html", "html"), Config())
    'out/a/x.txt'
    """
    return safe_join_text(out_dir, source.target(config.output_format))


def page_text(result: FileResult) -> str:
    """The cleaned text of a page: its kept lines, in order, each ending in a newline.

    >>> from .models import Decision, LineResult
    >>> body, short = Decision(True, Reason.BODY), Decision(False, Reason.SHORT)
    >>> lines = (LineResult(1, "A.", body), LineResult(2, "b", short), LineResult(3, "C.", body))
    >>> page_text(FileResult("a.txt", "text", lines)), page_text(FileResult("b.txt", "text"))
    ('A.\\nC.\\n', '')
    """
    return "\n".join([*result.kept, ""])


def record_metadata(
    result: FileResult, verdict: DocVerdict | None, every_reason: bool = False
) -> dict[str, Any]:
    """The ``cleaner`` object written with each record. ``reasons`` counts the lines of
    each reason found, or (``every_reason``, for Parquet's fixed columns) of every reason."""
    reasons = Counter(line.decision.reason.value for line in result.lines)
    if every_reason:
        reasons = Counter({reason.value: reasons[reason.value] for reason in Reason})
    kept = sum(line.decision.keep for line in result.lines)
    meta: dict[str, Any] = {
        "kept": kept,
        "dropped": len(result.lines) - kept,
        "reasons": dict(sorted(reasons.items())),
        "language": result.language,
        "duplicate_cluster": None if verdict is None else f"{verdict.cluster:016x}",
        "duplicate_representative": None if verdict is None else verdict.representative,
    }
    if result.error is not None:
        meta["error"] = result.error
    return meta


def cleaner_arrow_type() -> Any:
    """The Arrow type of the ``cleaner`` column of a Parquet output: the same in every
    file, whatever its records hold (a count for every reason, nulls where unset).

    >>> [f.name for f in cleaner_arrow_type()][:3]
    ['kept', 'dropped', 'reasons']
    """
    import pyarrow as pa

    return pa.struct(
        [
            ("kept", pa.int64()),
            ("dropped", pa.int64()),
            ("reasons", pa.struct([(r.value, pa.int64()) for r in sorted(Reason)])),
            ("language", pa.string()),
            ("duplicate_cluster", pa.string()),
            ("duplicate_representative", pa.bool_()),
            ("error", pa.string()),
        ]
    )


class _Peek:
    """An iterator of results with a look at the next one; streams, never lists."""

    def __init__(self, items: Iterator[FileResult]) -> None:
        self._items = items
        self.head: FileResult | None = next(items, None)

    def pop(self) -> FileResult:
        item = self.head
        if item is None:
            raise RuntimeError("results file ended early")
        self.head = next(self._items, None)
        return item


def _readable(records: Iterator[Any]) -> Iterator[Any]:
    """The records up to the first unreadable part (pass 1 recorded that as an error)."""
    try:
        yield from records
    except Exception:  # decoders raise their own error types; pass 1 named the problem
        return


@dataclass(frozen=True)
class WriteItem:
    """What pass 3 writes for one shard. ``parts`` is set for the first part of a record
    file cleaned in parts: (shard index, verdicts) of each part, read together."""

    index: int
    sources: tuple[Source, ...]
    verdicts: dict[int, DocVerdict]
    parts: tuple[tuple[int, dict[int, DocVerdict]], ...] = ()


class _Parts:
    """The results of a record file's parts, each with its own position and verdicts."""

    def __init__(self, ctx: RunContext, item: WriteItem) -> None:
        pieces = item.parts or ((item.index, item.verdicts),)
        self.streams = [_Peek(stream_load(shard_file(ctx.work_dir, i, RESULTS))) for i, _ in pieces]
        self.verdicts = [v for _, v in pieces]
        self.positions = [0] * len(pieces)
        self.block = ctx.config.record_block

    def stream(self, n: int) -> int:
        """Which part record ``n`` (from 0) of the file belongs to."""
        return part_of(n, len(self.streams), self.block)

    def pop(self, j: int) -> tuple[FileResult, DocVerdict | None]:
        result = self.streams[j].pop()
        verdict = self.verdicts[j].get(self.positions[j])
        self.positions[j] += 1
        return result, verdict


def has_writes(item: WriteItem, config: Config) -> bool:
    """Whether pass 3 has outputs of ``item`` to write: its record files, or every page
    when pass 2 did not write them (a later part of a record file has no sources: its
    first part writes the file)."""
    if writes_in_pass2(config):
        return any(s.is_record_file for s in item.sources)
    return bool(item.sources)


def write_shard(ctx: RunContext, item: WriteItem) -> int:
    """Write one shard's outputs; returns the number of files written (by the earlier run,
    when a rerun finds the shard's done-marker and skips it). Single-page files were
    written in pass 2 already unless near-duplicate documents are dropped."""
    marker = shard_file(ctx.work_dir, item.index, PASS3_DONE)
    return resume_or_run(marker, lambda: _write_shard(ctx, item))


def _write_shard(ctx: RunContext, item: WriteItem) -> int:
    """:func:`write_shard`'s work, its marker aside."""
    index, sources = item.index, item.sources
    assert ctx.out_dir is not None
    pages_written = writes_in_pass2(ctx.config)
    if not has_writes(item, ctx.config):
        return 0
    parts = _Parts(ctx, item)
    written = 0
    problems: list[tuple[str, str]] = []  # (file, message): read back by the runner
    for source in sources:
        target = output_path(ctx.out_dir, source, ctx.config)
        container = container_format(source.name)
        if container is None:
            result, verdict = parts.pop(0)
            if pages_written:
                continue
            if result.error is None and not (verdict is not None and verdict.dropped):
                atomic_write_text(target, page_text(result))
                written += 1
            continue
        fmt, compression = container
        out_fmt = written_format(fmt, ctx.config.output_format)
        if out_fmt == PARQUET:
            hint = parquet_schema(source.location) if fmt == PARQUET else None
            fixed = {"cleaner": cleaner_arrow_type()}
            writer = RecordWriter(target, out_fmt, None, fixed, hint)
        else:
            writer = RecordWriter(target, out_fmt, compression)
        changed = False
        try:
            records = iter_records(source.location, fmt, compression, ctx.record_keys)
            for n, (record, fields) in enumerate(_readable(records)):
                j = parts.stream(n)
                head = parts.streams[j].head
                if head is None or head.rel != source.rel or head.id != record.id:
                    changed = True  # not the records pass 1 read
                    break
                result, verdict = parts.pop(j)
                if fields is None or (verdict is not None and verdict.dropped):
                    continue
                out = dict(fields)
                if record.error is None:
                    out[ctx.record_keys.text] = "\n".join(result.kept)
                out["cleaner"] = record_metadata(result, verdict, out_fmt == PARQUET)
                writer.write(out)
            for j, stream in enumerate(parts.streams):
                head = stream.head
                if head is not None and head.rel == source.rel and head.id is None:
                    parts.pop(j)  # the error page of a container that ended in bad data
                while stream.head is not None and stream.head.rel == source.rel:
                    changed = True  # records pass 1 read that are gone now
                    parts.pop(j)
        except BaseException:
            writer.abort()
            raise
        if changed:
            writer.abort()
            problems.append((source.rel, "changed while the run was going: not written"))
            continue
        writer.commit()
        written += 1
    if problems:
        with shard_file(ctx.work_dir, index, WRITE_ERRORS).open("w", encoding="utf-8") as f:
            for problem in problems:
                f.write(json.dumps(problem) + "\n")  # ASCII: names may hold any bytes
    return written


def write_problems(work: Path) -> list[tuple[str, str]]:
    """Files whose output pass 3 could not write (see :func:`write_shard`): (name, message)."""
    found: list[tuple[str, str]] = []
    for path in sorted(work.glob(f"*.{WRITE_ERRORS}")):
        for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
            name, message = json.loads(line)
            found.append((name, message))
    return found
