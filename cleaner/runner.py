"""The public entry point: clean a corpus from paths, write outputs and the report."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .engines import make_engine
from .io.readers import discover
from .pipeline import Progress, run
from .report import ReportBuilder, Summary


class UsageError(Exception):
    """Arguments that cannot work together; the CLI exits with code 2."""


@dataclass(frozen=True)
class Outcome:
    summary: Summary
    notices: tuple[str, ...]
    timings: dict[str, float]


def check_paths(inputs: list[Path], out: Path | None) -> None:
    if not inputs:
        raise UsageError("no input given")
    if out is None:
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


def clean_corpus(
    inputs: list[Path],
    out: Path | None,
    config: Config | None = None,
    jobs: int = 1,
    report: Path | None = None,
    work_dir: Path | None = None,
    progress: Progress | None = None,
    engine: str = "local",
) -> Outcome:
    """Clean every page under ``inputs`` into ``out`` (``None``: analyse only)."""
    config = config or Config()
    check_paths(inputs, out)
    started = time.perf_counter()
    found = discover(inputs, out)
    builder = ReportBuilder(config, report, [str(p) for p in inputs])
    try:
        for path, message in found.errors:
            builder.add_error(path, message)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        eng = make_engine(engine, jobs)
        if work_dir is not None:
            work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="cleaner-", dir=work_dir) as tmp:
            for result in run(found.sources, config, eng, Path(tmp), out, progress=progress):
                builder.add(result)
        eng.close()
        summary = builder.summary()
        timings = {"seconds": round(time.perf_counter() - started, 3)}
        builder.finish(summary, timings)
    except BaseException:
        builder.abort()
        raise
    return Outcome(summary, tuple(found.notices), timings)
