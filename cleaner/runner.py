"""The public entry point: clean a corpus from paths, write outputs and the report."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .engines import make_engine
from .io.formats import RecordKeys
from .io.readers import discover
from .models import Source
from .pipeline import Progress, run
from .report import ReportBuilder, Summary


class UsageError(Exception):
    """Arguments that cannot work together; the CLI exits with code 2."""


@dataclass(frozen=True)
class Outcome:
    summary: Summary
    notices: tuple[str, ...]
    timings: dict[str, float]


STDIO = Path("-")


def check_paths(inputs: list[Path], out: Path | None) -> None:
    if not inputs:
        raise UsageError("no input given")
    if STDIO in inputs and len(inputs) > 1:
        raise UsageError("'-' (JSON Lines on standard input) must be the only input")
    if out == STDIO and inputs != [STDIO]:
        raise UsageError("'-o -' (JSON Lines to standard output) needs '-' as the input")
    if out is None or out == STDIO or inputs == [STDIO]:
        return
    out_r = out.resolve()
    for root in inputs:
        root_r = root.resolve()
        if out_r == root_r:
            raise UsageError(f"output folder {out} is the input {root}: inputs are never modified")
        if root.is_dir() and root_r.is_relative_to(out_r):
            raise UsageError(f"input {root} is inside the output folder {out}")
        if root.is_file() and out_r == root_r:
            raise UsageError(f"output {out} is an input file")
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a folder")


def run_digest(
    sources: list[Source],
    config: Config,
    out: Path | None,
    record_keys: RecordKeys | None,
    index: Path | None,
) -> str:
    """Names a run by what it reads and does: the same inputs (paths, sizes, modification
    times), settings and output give the same name, so a rerun finds its shard files."""
    parts: list[object] = [config.to_dict(), str(out), repr(record_keys), str(index)]
    for source in sources:
        stat = source.path.stat()
        parts.append([source.rel, str(source.path.resolve()), stat.st_size, stat.st_mtime_ns])
    blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8", "surrogateescape")
    return hashlib.sha256(blob).hexdigest()[:16]


def remove_partial_files(out: Path) -> int:
    """Delete the temporary ``.NAME.XXXX.part`` files an interrupted run left under OUT."""
    removed = 0
    for path in out.rglob(".*.part"):
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def clean_corpus(
    inputs: list[Path],
    out: Path | None,
    config: Config | None = None,
    jobs: int = 1,
    report: Path | None = None,
    work_dir: Path | None = None,
    progress: Progress | None = None,
    engine: str = "local",
    address: str | None = None,
    record_keys: RecordKeys | None = None,
    index: Path | None = None,
) -> Outcome:
    """Clean every page under ``inputs`` into ``out`` (``None``: analyse only).

    ``-`` as the only input reads JSON Lines from standard input; ``-`` as ``out`` then
    writes the cleaned JSON Lines to standard output."""
    config = config or Config()
    check_paths(inputs, out)
    started = time.perf_counter()
    builder = ReportBuilder(config, report, [str(p) for p in inputs])
    notices: tuple[str, ...] = ()
    eng = None
    try:
        if work_dir is not None:
            work_dir.mkdir(parents=True, exist_ok=True)
        eng = make_engine(engine, jobs, address)
        with tempfile.TemporaryDirectory(prefix="cleaner-", dir=work_dir) as tmp:
            roots, target = inputs, out
            if inputs == [STDIO]:
                spool = Path(tmp) / "stdin"
                spool.mkdir()
                with (spool / "stdin.jsonl").open("wb") as handle:
                    shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
                roots = [spool]
                if out == STDIO:
                    target = Path(tmp) / "stdout"
            found = discover(roots, target)
            notices = tuple(found.notices)
            for path, message in found.errors:
                builder.add_error(path, message)
            if target is not None:
                target.mkdir(parents=True, exist_ok=True)
                stale = remove_partial_files(target)
                if stale:
                    notices += (f"removed {stale} partial file(s) left by an interrupted run",)
            keep_work = work_dir is not None and inputs != [STDIO]
            if keep_work:
                assert work_dir is not None
                digest = run_digest(found.sources, config, target, record_keys, index)
                work = work_dir / f"run-{digest}"
                if work.exists():
                    notices += (f"resuming the interrupted run in {work}",)
            else:
                work = Path(tmp) / "work"
            work.mkdir(exist_ok=True)
            outcome = run(
                found.sources,
                config,
                eng,
                work,
                target,
                record_keys,
                progress=progress,
                index_path=index,
            )
            for result, verdict in outcome.results():
                builder.add(result, verdict)
            builder.clusters = outcome.clusters
            if out == STDIO and target is not None:
                with (target / "stdin.jsonl").open("rb") as handle:
                    shutil.copyfileobj(handle, sys.stdout.buffer, 1 << 20)
                sys.stdout.buffer.flush()
            if keep_work:
                shutil.rmtree(work, ignore_errors=True)
        summary = builder.summary()
        timings = {"seconds": round(time.perf_counter() - started, 3)}
        builder.finish(summary, timings)
    except BaseException:
        builder.abort()
        if out is not None and out != STDIO and out.is_dir():
            remove_partial_files(out)  # a write cut short by the interruption
        raise
    finally:
        if eng is not None:
            eng.close()
    return Outcome(summary, notices, timings)
