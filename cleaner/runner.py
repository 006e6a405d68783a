"""The public entry point: clean a corpus from paths, write outputs and the report.

:func:`clean_corpus` checks the paths (:mod:`cleaner.checks`), stages standard input
(:mod:`cleaner.io.stdio`), lists the inputs (:mod:`cleaner.io.discover`), opens the work
folder (:mod:`cleaner.runs`), runs the passes (:mod:`cleaner.pipeline`) and builds the
reports from what they leave (:mod:`cleaner.report`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .checks import STDIO, check_output_files, check_run
from .config import Config
from .engines import make_engine
from .index import open_index
from .io.discover import Discovery, discover
from .io.location import upload_tree
from .io.naming import output_name
from .io.records import RecordKeys
from .io.stdio import STDIN_NAME, copy_out, stage_stream, stdout_gone
from .io.writers import remove_partial_files
from .pipeline import Progress, RunResult, run
from .report.builder import ReportBuilder, Summary
from .report.names import printable
from .runs import (
    claim_run_folder,
    claim_work_folder,
    naming_work_folder,
    remove_stale_work,
    run_command,
    run_digest,
    tidy_run_folders,
)
from .work import RUN_FOLDER, WORK_PREFIX
from .writing import write_problems

if TYPE_CHECKING:
    from .report.html import PageSample


@dataclass(frozen=True)
class Outcome:
    """What a run returns: its summary, the notices for the user and its step timings."""

    summary: Summary
    notices: tuple[str, ...]
    timings: dict[str, float]


def clean_corpus(
    inputs: Sequence[Path | str],
    out: Path | str | None,
    config: Config | None = None,
    jobs: int = 1,
    report: Path | None = None,
    work_dir: Path | None = None,
    progress: Progress | None = None,
    engine: str = "local",
    address: str | None = None,
    record_keys: RecordKeys | None = None,
    index: Path | None = None,
    dry_run: bool = False,
    list_groups: int | None = None,
    quiet: bool = False,
    report_html: Path | None = None,
) -> Outcome:
    """Clean every page under ``inputs`` into ``out`` (``None``: analyse only). With
    ``dry_run`` nothing is written, but the pages read are those a run into ``out`` reads.
    The summary lists every cross-file group, or (``list_groups``, without a JSON report)
    only that many, most pages first: the texts and pages of the others are never gathered
    (all groups are still counted). ``quiet`` keeps the engine's own log lines (Ray's)
    below errors off stderr.

    ``-`` as the only input reads JSON Lines from standard input; ``-`` as ``out`` then
    writes the cleaned JSON Lines to standard output. ``report_html`` writes the HTML
    report (every group, a bounded sample of pages) there."""
    config = config or Config()
    out_url = out if isinstance(out, str) else None
    out = None if isinstance(out, str) else out
    out_place = check_run(inputs, out, out_url, report, report_html, index, dry_run)
    # verified against its manifest before any work (IndexUnusable: exit 2)
    stored = open_index(index, config) if index is not None else None
    skip = None if out == STDIO else out  # never read as input, even in a dry run
    if dry_run:
        out = out_url = None
    started = time.perf_counter()
    notices = _remove_leftovers(out, work_dir)
    # the HTML report lists every group (up to Config.report_html_groups)
    listed = None if report_html is not None else list_groups
    builder = ReportBuilder(config, report, [str(p) for p in inputs], listed)
    sample = None
    if report_html is not None:
        from .report.html import PageSample

        sample = PageSample(config)
    eng = None
    try:
        eng = make_engine(engine, jobs, address, quiet=quiet)
        with tempfile.TemporaryDirectory(prefix=WORK_PREFIX, dir=work_dir) as tmp:
            claim_work_folder(Path(tmp))
            roots, target, staged = _stage(inputs, out, out_url, Path(tmp))
            found = discover(roots, target if target is not None else skip)
            if isinstance(out_place, Path) and not dry_run:
                check_output_files(found.sources, out_place, inputs, report, config.output_format)
            notices += tuple(found.notices)
            _listed(builder, found)
            if target is not None:
                target.mkdir(parents=True, exist_ok=True)
            keep_work = work_dir is not None and inputs != [STDIO]
            where = target if out_url is None else out_url  # staging folders differ per run
            work, opened = _work_folder(Path(tmp), work_dir if keep_work else None, found,
                                        config, where, record_keys, index, inputs)  # fmt: skip
            notices += opened
            with naming_work_folder(work, staged):
                outcome = run(
                    found.sources,
                    config,
                    eng,
                    work,
                    target,
                    record_keys,
                    progress=progress,
                    index_path=index,
                    index=stored,
                    # every line's result: for a JSON report, and kept in a resumable work
                    # folder, so that a rerun can still write one
                    keep_results=builder.writes_entries or keep_work or sample is not None,
                )
            _gather(builder, sample, outcome, work)
            notices += _deliver(out, out_url, target, config)
            if keep_work:
                shutil.rmtree(work, ignore_errors=True)
        summary = builder.summary(outcome.template_min_files)
        timings = {"seconds": round(time.perf_counter() - started, 3)}
        builder.finish(summary, timings)
        if report_html is not None and sample is not None:
            from .report.html import write_html_report

            write_html_report(report_html, summary, sample, config, [str(p) for p in inputs])
    except BaseException:
        builder.abort()
        if out is not None and out != STDIO and out.is_dir():
            remove_partial_files(out)  # a write cut short by the interruption
        raise
    finally:
        if eng is not None:
            eng.close()
    return Outcome(summary, notices, timings)


def _remove_leftovers(out: Path | None, work_dir: Path | None) -> tuple[str, ...]:
    """Remove the partial files an interrupted run left in ``out`` and the work folders of
    killed runs; returns the notices saying so."""
    notices: tuple[str, ...] = ()
    if out is not None and out != STDIO and out.is_dir():
        # before the report (which may live under OUT) opens its own temporary file
        stale = remove_partial_files(out)
        if stale:
            notices += (f"removed {stale} partial file(s) left by an interrupted run",)
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    stale = remove_stale_work(work_dir or Path(tempfile.gettempdir()))
    if stale:
        notices += (f"removed {stale} work folder(s) left by a killed run",)
    return notices


def _stage(
    inputs: Sequence[Path | str], out: Path | None, out_url: str | None, tmp: Path
) -> tuple[Sequence[Path | str], Path | None, int | None]:
    """What the run reads (standard input staged in ``tmp``), where it writes (staged in
    ``tmp`` for standard output and an output URL), and the bytes of standard input staged
    (None when it is not read)."""
    roots, target = inputs, out
    staged = None
    if inputs == [STDIO]:
        spool = tmp / "stdin"
        spool.mkdir()
        staged = stage_stream(sys.stdin.buffer, spool / STDIN_NAME)
        roots = [spool]
        if out == STDIO:
            target = tmp / "stdout"
    if out_url is not None:
        target = tmp / "upload"  # staged here, uploaded when the run succeeded
    return roots, target, staged


def _listed(builder: ReportBuilder, found: Discovery) -> None:
    """Tell the report what discovery found: the files it could not read, and the output
    names named apart."""
    for path, message in found.errors:
        builder.add_error(path, message)
    builder.outputs = {s.rel: s.output for s in found.sources if s.output is not None}


def _work_folder(
    tmp: Path,
    work_dir: Path | None,
    found: Discovery,
    config: Config,
    where: Path | str | None,
    record_keys: RecordKeys | None,
    index: Path | None,
    inputs: Sequence[Path | str],
) -> tuple[Path, tuple[str, ...]]:
    """The run's work folder, made: in ``tmp``, or (``work_dir``, a resumable run) the
    folder named after the run, claimed, with notices on resuming and on the other run
    folders there."""
    if work_dir is None:
        work = tmp / "work"
        work.mkdir(exist_ok=True)
        return work, ()
    notices: tuple[str, ...] = ()
    digest = run_digest(found.sources, config, where, record_keys, index)
    work = work_dir / RUN_FOLDER.format(digest)
    if work.exists():
        notices += (f"resuming the interrupted run in {work}",)
    command = run_command(inputs, where)
    notices += tidy_run_folders(work_dir, work, command)
    work.mkdir(exist_ok=True)
    claim_run_folder(work, command)
    return work, notices


def _gather(
    builder: ReportBuilder, sample: PageSample | None, outcome: RunResult, work: Path
) -> None:
    """Build the reports from what the passes left: the tallies, the groups the report
    lists, every page's results when a report lists them, the files pass 3 could not
    write and the document clusters."""
    for tally in outcome.tallies():
        builder.merge(tally)
    wanted = builder.wanted_groups()
    if wanted is None or wanted:
        for k, groups in enumerate(outcome.groups()):
            builder.merge_groups(k, groups.select(wanted))
    if builder.writes_entries or sample is not None:
        for result, verdict in outcome.results():
            builder.entry(result, verdict)  # the JSON report lists every line
            if sample is not None:  # the HTML report holds a bounded sample
                sample.add(result, verdict)
    for name, message in write_problems(work):
        builder.errors.append((printable(name), message))
    builder.clusters = outcome.clusters


def _deliver(
    out: Path | None, out_url: str | None, target: Path | None, config: Config
) -> tuple[str, ...]:
    """Hand over the staged outputs: to standard output, or uploaded to the output URL."""
    if out == STDIO and target is not None:
        try:
            copy_out(target / output_name(STDIN_NAME, config.output_format), sys.stdout.buffer)
        except BrokenPipeError:
            stdout_gone()
    if out_url is not None and target is not None:
        uploaded = upload_tree(target, out_url)
        return (f"uploaded {uploaded} file(s) to {out_url}",)
    return ()
