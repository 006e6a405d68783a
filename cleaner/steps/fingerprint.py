"""Pass 1, per shard: read → extract → segment → fingerprint. Each file becomes pages,
streamed to the shard's pages file (:mod:`cleaner.pagefile`); each page's distinct line keys
go to its key file, and the lines short enough to be near-duplicates get a MinHash signature
each (sorted by key)."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from ..arrays import distinct
from ..compiled import compiled
from ..fingerprint import MinHasher
from ..pagefile import dump_pages
from ..pages import Page, load_pages
from ..work import (
    KEYS,
    LENGTHS,
    PAGES,
    PASS1_DONE,
    SIG_KEYS,
    SIG_KEYS_RUN,
    SIGS,
    SIGS_RUN,
    resume_or_run,
    shard_file,
)
from .context import RunContext, Shard, ShardPrints, WorkerMemo

SIGNATURE_CHUNK = 8_192  # distinct lines MinHashed together in pass 1 (bounds its memory)


def fingerprint_shard(ctx: RunContext, shard: Shard) -> ShardPrints:
    """Pass 1 over one shard. Lines new to the current chunk of pages are MinHashed a chunk
    at a time, so a large record file does not hold its text in memory. A line this worker
    already sent a signature for (in an earlier shard) is not MinHashed again: the group
    step needs one signature per distinct line, from any shard. Skipped when the shard's
    done-marker exists (a rerun of an interrupted run)."""
    marker = shard_file(ctx.work_dir, shard.index, PASS1_DONE)
    return resume_or_run(marker, lambda: _fingerprint_shard(ctx, shard))


def _fingerprint_shard(ctx: RunContext, shard: Shard) -> ShardPrints:
    """:func:`fingerprint_shard`'s work, its marker aside."""
    config = ctx.config
    memo = ctx.memo or WorkerMemo(config.near_dup_max_chars)
    printer = memo.printer
    short = config.near_dup_max_chars
    hasher = ctx.line_hasher or MinHasher(config.num_perm, config.seed, config.shingle_size)
    # distinct short lines of the current chunk; a line seen again in a later chunk is
    # MinHashed again (a few template lines per chunk) rather than remembered in a set
    # that would grow with the shard
    pending: dict[int, str] = {}
    lengths = array("q")  # distinct keys of each readable page
    doc_file = shard_file(ctx.work_dir, shard.index, KEYS).open("wb")
    # each chunk's keys (sorted) and signatures go to run files, sorted together at the end;
    # the first chunk is held until a second comes (a shard of one chunk, most of them,
    # writes its sorted arrays at once, without run files)
    runs = SignatureRuns(
        shard_file(ctx.work_dir, shard.index, SIG_KEYS_RUN),
        shard_file(ctx.work_dir, shard.index, SIGS_RUN),
    )

    def flush() -> None:
        ordered = sorted(pending)
        sigs = hasher.signatures([pending[k] for k in ordered]).astype(np.uint32, copy=False)
        runs.add(np.array(ordered, dtype=np.uint64), np.ascontiguousarray(sigs))
        pending.clear()

    find_short = short_unsigned_finder()
    module = compiled()
    distinct_of = distinct if module is None else module.distinct_keys

    def pages() -> Iterator[Page]:
        for source in shard.sources:
            pages_of = load_pages(
                source, config, ctx.record_keys, printer, shard.part, shard.parts, memo.langid
            )
            for page in pages_of:
                if page.error is None:
                    keys = distinct_of(np.ascontiguousarray(page.keys, np.uint64))
                    doc_file.write(keys.tobytes())
                    lengths.append(len(keys))
                    lines = page.lines
                    at, new = find_short(lines, page.keys, short, memo.signed)
                    fresh: dict[int, int] = {}  # key -> the first line of it on the page
                    for i, key in zip(at, new, strict=True):
                        if key not in pending and key not in fresh:
                            fresh[key] = i
                    if fresh:
                        normal = printer.normalized_at(lines, list(fresh.values()))
                        pending.update(zip(fresh, normal, strict=True))
                    if len(pending) >= SIGNATURE_CHUNK:
                        flush()
                yield page

    with doc_file, runs:
        dump_pages(pages(), shard_file(ctx.work_dir, shard.index, PAGES))
        flush()
    np.save(shard_file(ctx.work_dir, shard.index, LENGTHS), np.asarray(lengths, np.int64))
    sig_keys = runs.sorted_into(
        shard_file(ctx.work_dir, shard.index, SIG_KEYS),
        shard_file(ctx.work_dir, shard.index, SIGS),
        config.num_perm,
    )
    memo.mark_signed(sig_keys)
    return ShardPrints(len(lengths), int(sum(lengths)))


class SignatureRuns:
    """A shard's chunks of MinHashed keys (sorted, distinct within a chunk) and their
    signatures: the first chunk held in memory, later ones (with the first) appended to
    two run files, which :func:`sorted_signatures` sorts together at the end.

    >>> import tempfile
    >>> sig = lambda *v: np.array([[x] for x in v], np.uint32)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d)
    ...     with SignatureRuns(p / "k.run", p / "s.run") as one:
    ...         one.add(np.array([2, 5], np.uint64), sig(20, 50))
    ...     files = sorted(f.name for f in p.iterdir())  # one chunk: no run files
    ...     a = one.sorted_into(p / "a.npy", p / "a-sigs.npy", 1).tolist()
    ...     with SignatureRuns(p / "k.run", p / "s.run") as two:
    ...         two.add(np.array([5, 9], np.uint64), sig(50, 90))
    ...         two.add(np.array([2, 5], np.uint64), sig(20, 51))
    ...     b = two.sorted_into(p / "b.npy", p / "b-sigs.npy", 1).tolist()
    ...     b_sigs = np.load(p / "b-sigs.npy").ravel().tolist()
    ...     left = sorted(f.name for f in p.iterdir() if f.suffix == ".run")
    >>> files, a, b, b_sigs, left
    ([], [2, 5], [2, 5, 9], [20, 50, 90], [])
    """

    def __init__(self, key_run: Path, sig_run: Path) -> None:
        self.key_run, self.sig_run = key_run, sig_run
        self._held: tuple[np.ndarray, np.ndarray] | None = None
        self._files: tuple[IO[bytes], IO[bytes]] | None = None
        self._chunks = 0

    def add(self, keys: np.ndarray, sigs: np.ndarray) -> None:
        """One chunk: its keys (sorted, distinct) and their signatures, row for row."""
        self._chunks += 1
        if self._chunks == 1:
            self._held = (keys, sigs)
            return
        if self._files is None:
            self._files = (self.key_run.open("wb"), self.sig_run.open("wb"))
            assert self._held is not None
            self._write(*self._held)
            self._held = None
        self._write(keys, sigs)

    def _write(self, keys: np.ndarray, sigs: np.ndarray) -> None:
        assert self._files is not None
        self._files[0].write(keys.tobytes())
        self._files[1].write(np.ascontiguousarray(sigs).tobytes())

    def __enter__(self) -> SignatureRuns:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._files is not None:
            for handle in self._files:
                handle.close()

    def sorted_into(self, keys_out: Path, sigs_out: Path, num_perm: int) -> np.ndarray:
        """Write the sorted distinct keys and their signatures (the first chunk's for a key
        in several) as ``.npy`` files, the signatures atomically; the run files removed.
        Returns the keys."""
        if self._files is None:  # no chunk, or one: sorted and distinct already
            keys, sigs = self._held or (
                np.empty(0, np.uint64),
                np.empty((0, num_perm), np.uint32),
            )
            tmp = sigs_out.with_name(sigs_out.name + ".part")
            with tmp.open("wb") as out:
                np.save(out, np.ascontiguousarray(sigs, np.uint32).reshape(-1, num_perm))
            os.replace(tmp, sigs_out)
            np.save(keys_out, keys)
            return keys
        found = sorted_signatures(self.key_run, self.sig_run, keys_out, sigs_out, num_perm)
        self.key_run.unlink()
        self.sig_run.unlink()
        return found


def short_unsigned(
    lines: Sequence[str], keys: np.ndarray, short: int, signed: np.ndarray
) -> tuple[list[int], list[int]]:
    """The positions of the lines of at most ``short`` characters whose key is not in
    ``signed`` (sorted: the keys a worker has sent a signature for), and their keys: the
    lines of a page pass 1 may MinHash. By the compiled loop where the package has it (one
    call a page, where the array operations made six).

    >>> short_unsigned(["a", "bbbb", "c", "d"], np.array([7, 8, 9, 7], np.uint64), 3,
    ...                np.array([9], np.uint64))
    ([0, 3], [7, 7])
    """
    module = compiled()
    if module is not None:
        keys = np.ascontiguousarray(keys, np.uint64)
        found: tuple[list[int], list[int]] = module.short_unsigned(lines, keys, short, signed)
        return found
    return short_unsigned_arrays(lines, keys, short, signed)


def short_unsigned_finder() -> Callable[
    [Sequence[str], np.ndarray, int, np.ndarray], tuple[list[int], list[int]]
]:
    """:func:`short_unsigned` with the compiled loop looked up once (a shard's pages call
    it a page at a time)."""
    module = compiled()
    if module is None:
        return short_unsigned_arrays

    def find(
        lines: Sequence[str], keys: np.ndarray, short: int, signed: np.ndarray
    ) -> tuple[list[int], list[int]]:
        keys = np.ascontiguousarray(keys, np.uint64)
        found: tuple[list[int], list[int]] = module.short_unsigned(lines, keys, short, signed)
        return found

    return find


def short_unsigned_arrays(
    lines: Sequence[str], keys: np.ndarray, short: int, signed: np.ndarray
) -> tuple[list[int], list[int]]:
    """:func:`short_unsigned` by array operations."""
    sizes = np.fromiter(map(len, lines), np.int64, len(lines))
    at = np.flatnonzero(sizes <= short)
    if len(at) and len(signed):
        near = np.minimum(np.searchsorted(signed, keys[at]), len(signed) - 1)
        at = at[signed[near] != keys[at]]
    return at.tolist(), keys[at].tolist()


def sorted_signatures(
    key_run: Path, sig_run: Path, keys_out: Path, sigs_out: Path, num_perm: int, block: int = 8192
) -> np.ndarray:
    """Sort a shard's signature runs (chunks of keys and their signatures, a key possibly in
    several chunks) into ``keys_out`` (sorted distinct keys) and ``sigs_out`` (their
    signatures, row for row; the first chunk's for a repeated key); returns the keys. The
    signatures are copied a block of rows at a time through a fresh read-only mapping, so
    only one block's pages are ever held, however large the shard.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d)
    ...     _ = (p / "k").write_bytes(np.array([5, 9, 2, 5], np.uint64).tobytes())
    ...     _ = (p / "s").write_bytes(np.array([[50], [90], [20], [51]], np.uint32).tobytes())
    ...     keys = sorted_signatures(p / "k", p / "s", p / "k.npy", p / "s.npy", 1, block=2)
    ...     keys.tolist(), np.load(p / "s.npy").ravel().tolist()
    ([2, 5, 9], [20, 50, 90])
    """
    sig_keys, first = np.unique(np.fromfile(key_run, np.uint64), return_index=True)
    rows = sig_run.stat().st_size // (4 * num_perm)
    tmp = sigs_out.with_name(sigs_out.name + ".part")
    with tmp.open("wb") as out:
        header = {"descr": "<u4", "fortran_order": False, "shape": (len(sig_keys), num_perm)}
        np.lib.format.write_array_header_1_0(out, header)
        for lo in range(0, len(first), block):
            run = np.memmap(sig_run, np.uint32, mode="r", shape=(rows, num_perm))
            out.write(np.ascontiguousarray(run[first[lo : lo + block]]).tobytes())
            del run
    os.replace(tmp, sigs_out)
    np.save(keys_out, sig_keys)
    return sig_keys


def fingerprint_shard_task(ctx: RunContext, shard: Shard) -> int:
    """:func:`fingerprint_shard` as an engine task: its result stays in the shard's marker
    file under the work folder; only the number of pages goes back."""
    return fingerprint_shard(ctx, shard).n_pages
