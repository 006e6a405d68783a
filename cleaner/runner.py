"""The public entry point: clean a corpus from paths, write outputs and the report."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .engines import make_engine
from .index import open_index
from .io.formats import RecordKeys
from .io.location import LocationError, describe, url_fs
from .io.readers import discover, output_name
from .io.writers import remove_partial_files
from .models import Source
from .pipeline import Progress, run
from .report import ReportBuilder, Summary, printable


class UsageError(Exception):
    """Arguments that cannot work together; the CLI exits with code 2."""


@dataclass(frozen=True)
class Outcome:
    summary: Summary
    notices: tuple[str, ...]
    timings: dict[str, float]


STDIO = Path("-")


def check_paths(inputs: Sequence[Path | str], out: Path | None) -> None:
    if not inputs:
        raise UsageError("no input given")
    if STDIO in inputs and len(inputs) > 1:
        raise UsageError("'-' (JSON Lines on standard input) must be the only input")
    if out == STDIO and inputs != [STDIO]:
        raise UsageError("'-o -' (JSON Lines to standard output) needs '-' as the input")
    if len(inputs) > 1:
        # each input's pages go under a folder named after it (a file: under its output
        # name); two inputs of one name would make the result depend on their order
        taken: dict[str, Path | str] = {}
        for root in inputs:
            if isinstance(root, str):  # a URL: its last part names the folder or the file
                last = root.rstrip("/").rsplit("/", 1)[-1]
                name = last if "." not in last else output_name(last)
            else:
                name = root.resolve().name if root.is_dir() else output_name(root.name)
            if name in taken:
                raise UsageError(f"inputs {taken[name]} and {root} would both be written as {name}")
            taken[name] = root
    if out is None or out == STDIO or inputs == [STDIO]:
        return
    out_r = out.resolve()
    for root in inputs:
        if isinstance(root, str):
            continue  # a URL is never a local output folder
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
    out: Path | str | None,
    record_keys: RecordKeys | None,
    index: Path | None,
) -> str:
    """Names a run by what it reads and does: the same inputs (paths, sizes, modification
    times), settings and output give the same name, so a rerun finds its shard files.

    The inputs stream into the hash a line each (nothing held per input), each local one
    named by its folder's resolved path (resolved once per folder) and its name.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     a = Path(d, "a.txt"); _ = a.write_text("x")
    ...     one = [Source.of(a, "a.txt", "text")]
    ...     first = run_digest(one, Config(), None, None, None)
    ...     again = run_digest(one, Config(), None, None, None)
    ...     settings = run_digest(one, Config(similarity_threshold=0.9), None, None, None)
    ...     _ = a.write_text("xy")  # the input changed: another run
    ...     changed = run_digest(one, Config(), None, None, None)
    >>> first == again, first != settings, first != changed
    (True, True, True)
    """
    head = [config.to_dict(), str(out), repr(record_keys), str(index)]
    digest = hashlib.sha256(json.dumps(head, sort_keys=True, default=str).encode("utf-8"))
    folders: dict[str, str] = {}
    for source in sources:
        size, stamp = describe(source.location)
        if source.url is not None:
            where = source.url
        else:
            base = folders.get(source.folder)
            if base is None:
                base = folders[source.folder] = str(Path(source.folder).resolve())
            where = f"{base}{os.sep}{source.name}"
        line = f"\n{source.rel}\0{where}\0{size}\0{stamp}"
        digest.update(line.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


WORK_PREFIX = "cleaner-"
OWNER_FILE = "owner"  # "host pid" of the run using a work folder


def claim_work_folder(folder: Path) -> None:
    """Mark a temporary work folder as this process's, for :func:`remove_stale_work`."""
    (folder / OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}\n")


def remove_stale_work(parent: Path) -> int:
    """Delete the temporary work folders of runs that were killed outright (their process
    is gone, so nothing else removes them; they can hold as much as the corpus). Only
    folders of this user on this host whose owning process no longer exists are touched."""
    removed = 0
    host = socket.gethostname()
    try:
        candidates = list(parent.glob(f"{WORK_PREFIX}*"))
    except OSError:
        return 0
    for folder in candidates:
        try:
            if folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            owner_host, pid = (folder / OWNER_FILE).read_text().split()
        except (OSError, ValueError):
            continue
        if owner_host != host or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process, or not a pid we can judge: leave it
    return True


def upload_tree(folder: Path, url: str) -> int:
    """Copy every file under ``folder`` to the same relative path under ``url``, in name
    order; each object appears whole (object stores commit an object when its upload
    ends). Returns the number of files."""
    fs, root = url_fs(url)
    root = root.rstrip("/")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        rel = path.relative_to(folder).as_posix()
        dest = f"{root}/{rel}"
        fs.makedirs(dest.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(path), dest)
    return len(files)


def write_problems(work: Path) -> list[tuple[str, str]]:
    """Files whose output pass 3 could not write (see ``writing.write_shard``)."""
    found: list[tuple[str, str]] = []
    for path in sorted(work.glob("*.write-errors")):
        for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
            name, message = json.loads(line)
            found.append((name, message))
    return found


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
    report_html: Path | None = None,
) -> Outcome:
    """Clean every page under ``inputs`` into ``out`` (``None``: analyse only). With
    ``dry_run`` nothing is written, but the pages read are those a run into ``out`` reads.
    The summary lists every cross-file group, or (``list_groups``, without a JSON report)
    only that many, most pages first: the texts and pages of the others are never gathered
    (all groups are still counted).

    ``-`` as the only input reads JSON Lines from standard input; ``-`` as ``out`` then
    writes the cleaned JSON Lines to standard output. ``report_html`` writes the HTML
    report (every group, a bounded sample of pages) there."""
    config = config or Config()
    out_url = out if isinstance(out, str) else None
    out = None if isinstance(out, str) else out
    if out_url is not None and not dry_run:
        try:
            url_fs(out_url)
        except LocationError as exc:
            raise UsageError(f"output {out_url}: {exc}") from None
    check_paths(inputs, out)
    if report is not None and report_html is not None and report.resolve() == report_html.resolve():
        raise UsageError(f"--report and --report-html are both {report}")
    # verified against its manifest before any work (IndexUnusable: exit 2)
    stored = open_index(index, config) if index is not None else None
    skip = None if out == STDIO else out  # never read as input, even in a dry run
    if dry_run:
        out = out_url = None
    started = time.perf_counter()
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
    # the HTML report lists every group (up to Config.report_html_groups)
    listed = None if report_html is not None else list_groups
    builder = ReportBuilder(config, report, [str(p) for p in inputs], listed)
    sample = None
    if report_html is not None:
        from .report_html import PageSample

        sample = PageSample(config)
    eng = None
    try:
        eng = make_engine(engine, jobs, address)
        with tempfile.TemporaryDirectory(prefix=WORK_PREFIX, dir=work_dir) as tmp:
            claim_work_folder(Path(tmp))
            roots, target = inputs, out
            if inputs == [STDIO]:
                spool = Path(tmp) / "stdin"
                spool.mkdir()
                with (spool / "stdin.jsonl").open("wb") as handle:
                    shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
                roots = [spool]
                if out == STDIO:
                    target = Path(tmp) / "stdout"
            if out_url is not None:
                target = Path(tmp) / "upload"  # staged here, uploaded when the run succeeded
            found = discover(roots, target if target is not None else skip)
            notices += tuple(found.notices)
            for path, message in found.errors:
                builder.add_error(path, message)
            if target is not None:
                target.mkdir(parents=True, exist_ok=True)
            keep_work = work_dir is not None and inputs != [STDIO]
            if keep_work:
                assert work_dir is not None
                where = target if out_url is None else out_url  # staging folders differ per run
                digest = run_digest(found.sources, config, where, record_keys, index)
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
                index=stored,
                # every line's result: for a JSON report, and kept in a resumable work
                # folder, so that a rerun can still write one
                keep_results=builder.writes_entries or keep_work or sample is not None,
            )
            for tally in outcome.tallies():
                builder.merge(tally)
            wanted = builder.wanted_groups()
            if wanted is None or wanted:
                for k, groups in enumerate(outcome.groups()):
                    builder.merge_groups(k, groups, wanted)
            if builder.writes_entries or sample is not None:
                for result, verdict in outcome.results():
                    builder.entry(result, verdict)  # the JSON report lists every line
                    if sample is not None:  # the HTML report holds a bounded sample
                        sample.add(result, verdict)
            for name, message in write_problems(work):
                builder.errors.append((printable(name), message))
            builder.clusters = outcome.clusters
            if out == STDIO and target is not None:
                with (target / "stdin.jsonl").open("rb") as handle:
                    shutil.copyfileobj(handle, sys.stdout.buffer, 1 << 20)
                sys.stdout.buffer.flush()
            if out_url is not None and target is not None:
                uploaded = upload_tree(target, out_url)
                notices += (f"uploaded {uploaded} file(s) to {out_url}",)
            if keep_work:
                shutil.rmtree(work, ignore_errors=True)
        summary = builder.summary()
        timings = {"seconds": round(time.perf_counter() - started, 3)}
        builder.finish(summary, timings)
        if report_html is not None and sample is not None:
            from .report_html import write_html_report

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
