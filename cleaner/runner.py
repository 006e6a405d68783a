"""The public entry point: clean a corpus from paths, write outputs and the report."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .config import Config
from .engines import make_engine
from .index import open_index
from .io import writers
from .io.discover import discover
from .io.location import LocationError, Place, describe, place, url_fs, within
from .io.naming import HTML_SUFFIXES, output_name
from .io.records import RecordKeys
from .io.writers import remove_partial_files, safe_parts
from .models import Source
from .pipeline import Progress, run
from .report.builder import ReportBuilder, Summary
from .report.names import printable
from .work import (
    OWNER_FILE,
    RUN_FOLDER,
    RUN_MARKER,
    RUN_NAME,
    WORK_FORMAT,
    WORK_PREFIX,
    WRITE_ERRORS,
)


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
        # (HTML pages and one other page of their output name are named apart: see discover)
        claims: dict[str, list[tuple[Path | str, bool, bool]]] = {}  # (input, page, HTML)
        for root in inputs:
            if isinstance(root, str):  # a URL: its last part names the folder or the file
                last = root.rstrip("/").rsplit("/", 1)[-1]
                name = last if "." not in last else output_name(last)
                page = "." in last
            else:
                name = root.resolve().name if root.is_dir() else output_name(root.name)
                last, page = root.name, not root.is_dir()
            html = page and Path(last).suffix.lower() in HTML_SUFFIXES
            claims.setdefault(name, []).append((root, page, html))
            mine = claims[name]
            if len(mine) > 1 and (
                sum(not h for _, _, h in mine) > 1 or not all(p for _, p, _ in mine)
            ):
                first = mine[0][0]
                raise UsageError(f"inputs {first} and {root} would both be written as {name}")


INDEX_ENTRY = re.compile(r"^(CURRENT|v\d{6}|\.v\d{6}\.part|\.CURRENT\.part)$")


def _is_folder(where: Place) -> bool:
    """Whether an input is a folder; a URL we cannot look into counts as one."""
    return where.is_dir() if isinstance(where, Path) else True


def check_locations(
    inputs: Sequence[Path | str],
    out: Path | str | None,
    report: Path | None,
    index: Path | None,
    report_html: Path | None = None,
) -> Place | None:
    """Refuse, before any work, a run that would write over or into what it reads. The
    output folder (a path or URL), the reports and the index are compared with every input
    (the files, and the folders they are in) by resolved location: symlinks, ``.`` and
    ``..`` resolved, ``file://`` URLs taken as the paths they name. Returns the output
    folder's resolved location (None for standard output or none).

    A local output folder inside an input folder is allowed (it is skipped while reading);
    an output URL inside an input is not (nothing skips it). The report and the index may
    not be inside an input folder unless in the output folder (the next run would read
    them), and the index may not overlap the output folder (it removes old versions).
    """
    ins = [(root, where, _is_folder(where)) for root in inputs if root != STDIO
           for where in (place(root),)]  # fmt: skip
    out_place = None if out is None or out == STDIO else place(out)
    if out_place is not None:
        for root, where, folder in ins:
            if where == out_place:
                raise UsageError(
                    f"output folder {out} is the input {root}: inputs are never modified"
                )
            if within(where, out_place):
                raise UsageError(
                    f"input {root} is inside the output folder {out}: inputs are never modified"
                )
            if folder and isinstance(out, str) and within(out_place, where):
                raise UsageError(
                    f"output {out} is inside the input {root}, which would read it back"
                )
    reports = (("--report", report), ("--report-html", report_html))
    for option, path in (*reports, ("--index", index)):
        if path is None:
            continue
        where = place(path)
        if out_place is not None and where == out_place:
            raise UsageError(f"{option} {path} is the output folder {out}")
        for root, src, folder in ins:
            if where == src:
                raise UsageError(f"{option} {path} is the input {root}: inputs are never modified")
            if within(src, where):
                raise UsageError(f"{option} {path} is a folder around the input {root}")
            skipped = (
                out_place is not None and not isinstance(out, str) and within(where, out_place)
            )
            if folder and within(where, src) and isinstance(where, Path) and where.is_file():
                raise UsageError(
                    f"{option} {path} is a file of the input {root}: inputs are never modified"
                )
            a_report = option != "--index"
            if folder and within(where, src) and not (a_report and skipped):
                raise UsageError(
                    f"{option} {path} is inside the input folder {root}, where the next run "
                    "would read it: put it elsewhere"
                    + (" or in the output folder" if a_report else "")
                )
    for option, path in reports:
        if path is None:
            continue
        if path.is_dir():
            raise UsageError(f"{option} {path} is a folder: give the report a file name")
        if path.parent.exists() and not path.parent.is_dir():
            raise UsageError(f"{option} {path}: {path.parent} is not a folder")
    if index is not None:
        if index.exists() and not index.is_dir():
            raise UsageError(f"--index {index} is a file: an index is a folder")
        if (
            index.is_dir()
            and not (index / "CURRENT").exists()
            and any(not INDEX_ENTRY.match(entry) for entry in os.listdir(index))
        ):
            raise UsageError(f"--index {index} is a folder of other files, not an index")
    if index is not None and out_place is not None:
        where = place(index)
        if within(where, out_place) or within(out_place, where):
            raise UsageError(f"--index {index} and the output folder {out} overlap")
        for option, path in reports:
            if path is not None and within(place(path), where):
                raise UsageError(f"{option} {path} is inside the --index folder {index}")
    return out_place


def check_output_files(
    sources: Sequence[Source],
    out_place: Path,
    inputs: Sequence[Path | str],
    report: Path | None,
    record_format: str | None,
) -> None:
    """Refuse outputs that a symlinked folder under the output folder would send over an
    input file or into an input folder, and a report that is one of the outputs. Each
    output folder is resolved once."""
    ins = [(root, place(root)) for root in inputs if root != STDIO]
    for prefix in {source.prefix for source in sources}:
        folder = out_place.joinpath(*safe_parts(prefix)).resolve()
        if within(folder, out_place):
            continue  # no link leads out: no input is in there (checked at the start)
        for root, where in ins:
            if within(folder, where) or (
                isinstance(where, Path) and where.parent == folder and not where.is_dir()
            ):
                raise UsageError(
                    f"outputs under {folder} (a link in the output folder) would be written "
                    f"into the input {root}: inputs are never modified"
                )
    if report is not None and within(place(report), out_place):
        rel = place(report).relative_to(out_place).as_posix()  # type: ignore[union-attr]
        folder_rel = rel.rpartition("/")[0]  # only the sources of that folder can land there
        near = {p for p in {s.prefix for s in sources} if "/".join(safe_parts(p)) == folder_rel}
        for source in sources:
            if source.prefix not in near:
                continue
            if "/".join(safe_parts(output_name(source.rel, record_format))) == rel:
                raise UsageError(f"--report {report} is the output of {source.location}")


# Standard input is read twice (pass 1 fingerprints its records, pass 3 copies their other
# fields), so it is staged in the work folder, zstd-compressed; the output for '-o -' is
# staged beside it the same way.
STDIN_NAME = "stdin.jsonl.zst"
# zstd level: JSON Lines of web pages 3.8 times smaller at about 110 MB/s on one core (level
# 1: 3.35 times, 250 MB/s), far above what the passes read per second
STAGE_LEVEL = 3


def stage_stream(source: IO[bytes], path: Path, chunk: int = 1 << 20) -> int:
    """Copy ``source`` to a new file ``path``, zstd-compressed; returns the bytes read. A
    write that fails (a full disk) raises an OSError naming ``path`` and how much was
    staged.

    >>> import io, tempfile, zstandard
    >>> with tempfile.TemporaryDirectory() as d:
    ...     n = stage_stream(io.BytesIO(b'{"text": "a"}\\n' * 1000), Path(d, "s.zst"), chunk=100)
    ...     data = zstandard.ZstdDecompressor().stream_reader(Path(d, "s.zst").open("rb")).read()
    >>> n, data == b'{"text": "a"}\\n' * 1000
    (14000, True)
    """
    import zstandard

    compressor = zstandard.ZstdCompressor(level=STAGE_LEVEL).compressobj()
    read = written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        while block := source.read(chunk):
            read += len(block)
            data = compressor.compress(block)  # often empty: zstd holds a window
            writers.write_all(fd, data)
            written += len(data)
        writers.write_all(fd, compressor.flush())
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(
            exc.errno,
            f"{exc.strerror or exc}: standard input is staged here, zstd-compressed, and "
            f"needs more than the {written:,} bytes written ({read:,} bytes read so far); "
            "give --work-dir a folder with room (default: TMPDIR)",
            str(path),
        ) from None
    finally:
        os.close(fd)
    return read


@contextlib.contextmanager
def naming_work_folder(work: Path, staged: int | None) -> Iterator[None]:
    """Name the work folder in a full-disk error that names no file (a shard file written
    in pass 1 or 2), with what it needs room for.

    >>> with naming_work_folder(Path("w"), 2000):  # doctest: +ELLIPSIS
    ...     raise OSError(28, "No space left on device")
    Traceback (most recent call last):
    OSError: [Errno 28] No space left on device: the work folder holds ... (2,000 bytes ...: 'w'
    """
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        what = "" if staged is None else f"; standard input ({staged:,} bytes read) too"
        raise OSError(
            exc.errno,
            f"{exc.strerror or exc}: the work folder holds the shard files of every pass "
            f"(each page's lines, fingerprints and results: nearly six times the input's text)"
            f"{what}; give --work-dir a folder with room (default: TMPDIR)",
            str(work),
        ) from None


def copy_out(path: Path, sink: IO[bytes]) -> None:
    """Copy a staged output to ``sink``, decompressed when it is zstd (by its name)."""
    with path.open("rb") as handle:
        if path.name.endswith(".zst"):
            import zstandard

            with zstandard.ZstdDecompressor().stream_reader(handle) as reader:
                shutil.copyfileobj(reader, sink, 1 << 20)
        else:
            shutil.copyfileobj(handle, sink, 1 << 20)
    sink.flush()


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
    # the work folder's format too: a folder another version wrote is never resumed
    head = [WORK_FORMAT, config.to_dict(), str(out), repr(record_keys), str(index)]
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


def run_command(inputs: Sequence[Path | str], out: Path | str | None) -> list[str]:
    """What a resumable run folder is for: its inputs and output, resolved (the settings
    and the input files' sizes and times are in the folder's name).

    >>> run_command(["s3://b/x"], None)
    ['s3://b/x', 'None']
    """
    named = [str(i.resolve()) if isinstance(i, Path) else i for i in inputs]
    return [*named, str(out.resolve() if isinstance(out, Path) else out)]


def claim_run_folder(folder: Path, command: list[str]) -> None:
    """Mark a resumable run folder as cleaner's, this process's, and for ``command``."""
    owner = f"{socket.gethostname()} {os.getpid()}"
    mark = {"tool": "cleaner", "owner": owner, "command": command}
    (folder / RUN_MARKER).write_text(json.dumps(mark) + "\n", encoding="utf-8")


def tidy_run_folders(work_dir: Path, current: Path, command: list[str]) -> tuple[str, ...]:
    """The other run folders in ``work_dir`` (runs interrupted and never finished: a
    finished run removes its own). Those of this same command (its inputs or settings have
    changed since, so it can never be resumed) are removed; those of other commands are
    named in a notice, since rerunning them finishes them. Only folders named ``run-`` and
    16 hex digits holding cleaner's marker are touched, never one whose process is running
    on this host."""
    removed = 0
    others: list[str] = []
    host = socket.gethostname()
    try:
        folders = sorted(p for p in work_dir.iterdir() if RUN_NAME.fullmatch(p.name))
    except OSError:
        return ()
    for folder in folders:
        if folder == current or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            mark = json.loads((folder / RUN_MARKER).read_text(encoding="utf-8"))
            owner_host, pid_text = mark["owner"].split()
            pid, theirs = int(pid_text), mark["command"]
            if mark["tool"] != "cleaner":
                continue
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not a cleaner run folder (or not one this version wrote)
        if owner_host == host and pid != os.getpid() and _alive(pid):
            continue  # another run using it now (this process's earlier runs have ended)
        if theirs == command:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        else:
            others.append(folder.name)
    notices: tuple[str, ...] = ()
    if removed:
        notices += (
            f"removed {removed} work folder(s) of an earlier run of this command "
            "(its inputs, settings or work-folder format have changed: it could not be resumed)",
        )
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        notices += (
            f"{work_dir} also holds {len(others)} folder(s) of other interrupted runs "
            f"({shown}): rerun their commands to finish them, or delete them",
        )
    return notices


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


def stdout_gone(stream: IO[str] | None = None) -> None:
    """Standard output's (or ``stream``'s) reader has closed it (``clean - -o - | head
    -n1``): what is left to write there goes to the null device, and the run ends as it
    would have (other Unix tools end quietly too), instead of failing with EPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, (stream or sys.stdout).fileno())
    finally:
        os.close(devnull)


def write_problems(work: Path) -> list[tuple[str, str]]:
    """Files whose output pass 3 could not write (see ``writing.write_shard``)."""
    found: list[tuple[str, str]] = []
    for path in sorted(work.glob(f"*.{WRITE_ERRORS}")):
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
    if out_url is not None and not dry_run:
        try:
            url_fs(out_url)
        except LocationError as exc:
            raise UsageError(f"output {out_url}: {exc}") from None
    check_paths(inputs, out)
    if report is not None and report_html is not None and report.resolve() == report_html.resolve():
        raise UsageError(f"--report and --report-html are both {report}")
    out_place = check_locations(
        inputs, out if out_url is None else out_url, report, index, report_html
    )
    if out is not None and out != STDIO and inputs != [STDIO] and out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a folder")
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
        from .report.html import PageSample

        sample = PageSample(config)
    eng = None
    try:
        eng = make_engine(engine, jobs, address, quiet=quiet)
        with tempfile.TemporaryDirectory(prefix=WORK_PREFIX, dir=work_dir) as tmp:
            claim_work_folder(Path(tmp))
            roots, target = inputs, out
            staged = None  # bytes of standard input staged
            if inputs == [STDIO]:
                spool = Path(tmp) / "stdin"
                spool.mkdir()
                staged = stage_stream(sys.stdin.buffer, spool / STDIN_NAME)
                roots = [spool]
                if out == STDIO:
                    target = Path(tmp) / "stdout"
            if out_url is not None:
                target = Path(tmp) / "upload"  # staged here, uploaded when the run succeeded
            found = discover(roots, target if target is not None else skip)
            if isinstance(out_place, Path) and not dry_run:
                check_output_files(found.sources, out_place, inputs, report, config.output_format)
            notices += tuple(found.notices)
            for path, message in found.errors:
                builder.add_error(path, message)
            builder.outputs = {s.rel: s.output for s in found.sources if s.output is not None}
            if target is not None:
                target.mkdir(parents=True, exist_ok=True)
            keep_work = work_dir is not None and inputs != [STDIO]
            if keep_work:
                assert work_dir is not None
                where = target if out_url is None else out_url  # staging folders differ per run
                digest = run_digest(found.sources, config, where, record_keys, index)
                work = work_dir / RUN_FOLDER.format(digest)
                if work.exists():
                    notices += (f"resuming the interrupted run in {work}",)
                command = run_command(inputs, where)
                notices += tidy_run_folders(work_dir, work, command)
            else:
                work = Path(tmp) / "work"
            work.mkdir(exist_ok=True)
            if keep_work:
                claim_run_folder(work, command)
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
            template_min_files = outcome.template_min_files
            if out == STDIO and target is not None:
                try:
                    copy_out(
                        target / output_name(STDIN_NAME, config.output_format), sys.stdout.buffer
                    )
                except BrokenPipeError:
                    stdout_gone()
            if out_url is not None and target is not None:
                uploaded = upload_tree(target, out_url)
                notices += (f"uploaded {uploaded} file(s) to {out_url}",)
            if keep_work:
                shutil.rmtree(work, ignore_errors=True)
        summary = builder.summary(template_min_files)
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
