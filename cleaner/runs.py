"""The run folders in the work folder: a resumable run's folder named by what the run
reads and does, claimed by its process, and the folders that killed runs or runs of
changed inputs left behind removed."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from .config import Config
from .io.location import describe
from .io.records import RecordKeys
from .models import Source
from .work import OWNER_FILE, RUN_MARKER, RUN_NAME, WORK_FORMAT, WORK_PREFIX


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
    import hashlib  # (3 ms to import: only a resumable run is named)

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


def host_name() -> str:
    """This machine's name, as ``socket.gethostname()`` gives it (``uname``'s node name,
    without importing ``socket``: 2 ms at every start).

    >>> import socket
    >>> host_name() == socket.gethostname()
    True
    """
    try:
        return os.uname().nodename
    except AttributeError:  # no uname (Windows)
        import socket

        return socket.gethostname()


def claim_work_folder(folder: Path) -> None:
    """Mark a temporary work folder as this process's, for :func:`remove_stale_work`."""
    (folder / OWNER_FILE).write_text(f"{host_name()} {os.getpid()}\n")


def remove_stale_work(parent: Path) -> int:
    """Delete the temporary work folders of runs that were killed outright (their process
    is gone, so nothing else removes them; they can hold as much as the corpus). Only
    folders of this user on this host whose owning process no longer exists are touched."""
    removed = 0
    host = host_name()
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
    owner = f"{host_name()} {os.getpid()}"
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
    host = host_name()
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
