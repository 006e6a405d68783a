"""The group step (the grouping itself is ``cleaner.dedup``) and its inputs: the shards'
line keys and signatures (and the index's), merged or read back a batch of pages at a time."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..arrays import distinct, flat_batch
from ..config import Config
from ..dedup import GroupTable, ShardLines, build_groups_from_shards, load_npy
from ..work import KEYS, LENGTHS, SIG_KEYS, SIGS, shard_file
from .context import Shard, ShardPrints

if TYPE_CHECKING:
    from ..engines import Engine
    from ..index import LineIndex


def merge_prints(
    work_dir: Path, shards: Sequence[Shard], num_perm: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct line keys of the corpus (sorted), and the MinHashed ones with one signature
    each, merged in memory from the shards' files (one shard's signatures at a time)."""

    def load(i: int, what: str) -> np.ndarray:
        return load_npy(str(shard_file(work_dir, shards[i].index, what)))

    if not shards:
        empty = np.empty(0, np.uint64)
        return empty, empty, np.empty((0, num_perm), np.uint32)

    def distinct_keys(i: int) -> np.ndarray:
        return distinct(np.fromfile(shard_file(work_dir, shards[i].index, KEYS), np.uint64))

    if len(shards) == 1:  # one shard: sorted and distinct already
        return distinct_keys(0), load(0, SIG_KEYS), load(0, SIGS)
    keys = distinct(np.concatenate([distinct_keys(i) for i in range(len(shards))]))
    sig_keys, sigs = merge_signatures(
        [load(i, SIG_KEYS) for i in range(len(shards))],
        num_perm,
        lambda i: load(i, SIGS),
    )
    return keys, sig_keys, sigs


def merge_signatures(
    part_keys: Sequence[np.ndarray], num_perm: int, sigs_of: Callable[[int], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Union of parts of (keys, signatures): each key once, with its signature. The keys
    of each part are given; ``sigs_of(i)`` gives part i's signatures when they are needed.

    >>> k = [np.array([1, 3], np.uint64), np.array([2, 3], np.uint64)]
    >>> s = [np.array([[10], [30]], np.uint32), np.array([[20], [31]], np.uint32)]
    >>> keys, sigs = merge_signatures(k, 1, s.__getitem__)
    >>> keys.tolist(), sigs.ravel().tolist()
    ([1, 2, 3], [10, 20, 30])
    """
    sig_keys, first = np.unique(np.concatenate(list(part_keys)), return_index=True)
    offsets = np.cumsum([0] + [len(k) for k in part_keys])
    part_of = np.searchsorted(offsets, first, side="right") - 1
    order = np.argsort(part_of, kind="stable")
    bounds = np.searchsorted(part_of[order], np.arange(len(part_keys) + 1))
    sigs = np.empty((len(sig_keys), num_perm), dtype=np.uint32)
    for i in range(len(part_keys)):
        rows = order[bounds[i] : bounds[i + 1]]
        if len(rows):
            sigs[rows] = sigs_of(i)[first[rows] - offsets[i]]
    return sig_keys, sigs


def doc_key_batches(
    work_dir: Path, shards: Sequence[Shard], batch: int = 4096
) -> Iterator[list[np.ndarray]]:
    """The distinct line keys of each readable page, read back from the shards' key files
    a batch of pages at a time (a batch runs across shards: a shard holds a few hundred
    pages, and the work done per batch is done once for many of them)."""
    held: list[np.ndarray] = []
    for views in _shard_key_batches(work_dir, shards, batch):
        held.extend(views)
        if len(held) >= batch:
            yield held
            held = []
    if held:
        yield held


def _shard_key_batches(
    work_dir: Path, shards: Sequence[Shard], batch: int
) -> Iterator[list[np.ndarray]]:
    for flat, lengths in _shard_key_parts(work_dir, shards, batch):
        # each page's keys are a view of the part's
        at = [0, *np.cumsum(lengths).tolist()]
        yield [flat[a:b] for a, b in itertools.pairwise(at)]


def _shard_key_parts(
    work_dir: Path, shards: Sequence[Shard], batch: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each shard's pages' keys, ``batch`` pages at a time: the part's keys in one read,
    and each page's number of them."""
    for shard in shards:
        lengths = load_npy(str(shard_file(work_dir, shard.index, LENGTHS)))
        lengths = lengths.astype(np.int64, copy=False)
        raw = shard_file(work_dir, shard.index, KEYS)
        ends = np.cumsum(lengths).tolist()
        for lo in range(0, len(lengths), batch):
            hi = min(lo + batch, len(lengths))
            first = ends[lo - 1] if lo else 0
            flat = np.fromfile(raw, np.uint64, ends[hi - 1] - first, offset=8 * first)
            if len(flat) != ends[hi - 1] - first:
                raise EOFError(f"{raw} ends before the keys of its pages")
            yield flat, lengths[lo:hi]


def flat_key_batches(
    work_dir: Path, shards: Sequence[Shard], batch: int = 4096
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """:func:`doc_key_batches` as the group step takes them: each batch as one array of keys
    (uint64) and each page's number of keys, read a shard's part at a time, with no array
    per page (a page's keys are never needed apart there). A batch runs across shards and
    holds ``batch`` pages or more, under twice as many; the last may hold fewer."""
    flats: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    held = 0
    for flat, lengths in _shard_key_parts(work_dir, shards, batch):
        flats.append(flat)
        counts.append(lengths)
        held += len(lengths)
        if held >= batch:
            yield _joined(flats, counts)
            flats, counts, held = [], [], 0
    if held:
        yield _joined(flats, counts)


def _joined(flats: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if len(flats) == 1:
        return flats[0], counts[0]
    return np.concatenate(flats), np.concatenate(counts)


def earlier_flat_batches(index: LineIndex | None) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """:func:`earlier_batches` as :func:`flat_key_batches` gives the run's."""
    return map(flat_batch, earlier_batches(index))


def earlier_batches(index: LineIndex | None) -> Iterable[list[np.ndarray]]:
    """The page key sets of earlier runs, from the index."""
    return index.doc_batches() if index is not None else ()


def group_step(
    shards: Sequence[Shard],
    prints: Sequence[ShardPrints],
    index: LineIndex | None,
    work_dir: Path,
    engine: Engine,
    config: Config,
) -> tuple[GroupTable, int]:
    """The corpus-wide line groups, from the shards' files (and the index's) in bounded
    memory, and the number of readable pages they span (the index's pages counted)."""
    n_pages = sum(p.n_pages for p in prints)
    lines = [
        ShardLines(
            str(shard_file(work_dir, s.index, SIG_KEYS)),
            str(shard_file(work_dir, s.index, SIGS)),
        )
        for s in shards
    ]
    n_entries = sum(p.n_entries for p in prints)
    if index is not None:
        lines.insert(0, ShardLines(*(str(p) for p in index.signature_files)))
        n_entries += len(index.docs)
        n_pages += index.n_docs
    table = build_groups_from_shards(
        lines,
        lambda: itertools.chain(earlier_flat_batches(index), flat_key_batches(work_dir, shards)),
        n_entries,
        config.lsh_bands,
        config.lsh_rows,
        config.similarity_threshold,
        work_dir,
        engine,
        config.group_memory_bytes,
    )
    return table, n_pages
