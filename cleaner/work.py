"""The work folder: what each pass leaves there for the next, and how a rerun resumes.

Every intermediate file of a shard is ``shard-NNNNNN.<name>``, with ``<name>`` one of the
constants below (the table :data:`SHARD_FILES` lists them all, with the pass that writes
each). A shard step that has finished leaves its done-marker (the step's result, pickled);
:func:`resume_or_run` skips a step whose marker exists, so rerunning an interrupted run in
the same folder redoes only what is missing.

The pickled files hold the package's own classes: a folder written by another layout of
these files or of those classes cannot be read back safely. :data:`WORK_FORMAT` is part of
the run's digest (``runs.run_digest``), so a run of another format names another run
folder and never resumes one it cannot read.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Raised whenever the name, layout or pickled classes of any file below change: a work
# folder of another format is then never resumed (it names another run folder).
WORK_FORMAT = 5

# --- each shard's files (pass that writes it: what it holds) -------------------------------
PAGES = "pages"  # 1 (removed by 2): the shard's pages, a chunk at a time (cleaner.pagefile)
KEYS = "keys.u64"  # 1: each readable page's distinct line keys, concatenated
LENGTHS = "lengths.npy"  # 1: how many keys of KEYS each readable page has
SIG_KEYS_RUN = "sigkeys.run"  # 1 (removed by 1): chunks of MinHashed keys, before sorting
SIGS_RUN = "sigs.run"  # 1 (removed by 1): their signatures, row for row
SIG_KEYS = "sigkeys.npy"  # 1: the shard's MinHashed line keys, sorted, distinct
SIGS = "sigs.npy"  # 1: their signatures, row for row
PASS1_DONE = "pass1.done"  # 1: done-marker, the shard's counts (steps.context.ShardPrints)
DOC_PRINTS = "docprints"  # 2: one document print per page (docdedup.doc_print_dtype)
RESULTS = "results"  # 2: each page's FileResult, pickled one after another
GROUPS = "groups"  # 2: the texts and pages of the shard's line groups (report.tally.GroupColumns)
TALLY = "tally"  # 2: what the report counts of the shard
PASS2_DONE = "pass2.done"  # 2: done-marker, the name of each page
WRITE_ERRORS = "write-errors"  # 3: outputs that could not be written, a JSON line each
PASS3_DONE = "pass3.done"  # 3: done-marker, the number of files written

SHARD_FILES: dict[str, int] = {
    PAGES: 1,
    KEYS: 1,
    LENGTHS: 1,
    SIG_KEYS_RUN: 1,
    SIGS_RUN: 1,
    SIG_KEYS: 1,
    SIGS: 1,
    PASS1_DONE: 1,
    DOC_PRINTS: 2,
    RESULTS: 2,
    GROUPS: 2,
    TALLY: 2,
    PASS2_DONE: 2,
    WRITE_ERRORS: 3,
    PASS3_DONE: 3,
}

# --- files of the whole run ----------------------------------------------------------------
GROUP_PARTITION = "groups-{:04d}.u64"  # group step: the group ids of a range, per page
WORK_PREFIX = "cleaner-"  # a temporary work folder (in TMPDIR or --work-dir)
OWNER_FILE = "owner"  # in a temporary work folder: "host pid" of the run using it
RUN_FOLDER = "run-{}"  # a resumable run folder in --work-dir, named by the run's digest
RUN_NAME = re.compile("run-[0-9a-f]{16}")  # ... and what such a name looks like
RUN_MARKER = "cleaner-run.json"  # in a resumable run folder: its command and owner


def shard_file(work_dir: Path, index: int, what: str) -> Path:
    """Where shard ``index`` keeps its file ``what`` (one of :data:`SHARD_FILES`).

    >>> shard_file(Path("w"), 7, RESULTS).as_posix()
    'w/shard-000007.results'
    """
    assert what in SHARD_FILES, what
    return work_dir / f"shard-{index:06d}.{what}"


def load_marker(path: Path) -> Any:
    """The saved result of a finished shard step, or None when the step has not finished."""
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return pickle.load(handle)


def save_marker(path: Path, result: Any) -> Any:
    """Save a shard step's result atomically: its presence marks the step as finished, so a
    rerun on the same work folder skips it."""
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as handle:
        pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return result


def resume_or_run(marker: Path, step: Callable[[], T], used_up: Sequence[Path] = ()) -> T:
    """The result saved in ``marker`` when the step finished already; else run ``step``,
    save its result there, then remove ``used_up`` (inputs of the step nothing reads once
    it has finished: removed only after the marker is saved, so an interruption between
    the two leaves a step that reruns or one that is skipped, never one without input).

    >>> import tempfile
    >>> calls = []
    >>> with tempfile.TemporaryDirectory() as d:
    ...     marker = Path(d, "x.done")
    ...     first = resume_or_run(marker, lambda: calls.append(1) or len(calls))
    ...     again = resume_or_run(marker, lambda: calls.append(1) or len(calls))
    >>> first, again, len(calls)
    (1, 1, 1)
    """
    done = load_marker(marker)
    if done is not None:
        return done
    result = save_marker(marker, step())
    for path in used_up:
        path.unlink()
    return result


def stream_dump(items: Iterable[Any], path: Path) -> None:
    with path.open("wb") as handle:
        for item in items:
            pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)


def stream_load(path: Path) -> Iterator[Any]:
    """The items :func:`stream_dump` wrote to ``path``; the pages of a pages file
    (:mod:`cleaner.pagefile`, which starts with its ``MAGIC``)."""
    with path.open("rb") as handle:
        from .pagefile import MAGIC, read_chunks

        if handle.read(len(MAGIC)) == MAGIC:
            yield from read_chunks(handle)
            return
        handle.seek(0)
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return
