"""The corpus-wide step: exact and near-duplicate line groups from fingerprints alone.

Input: the distinct line keys with their MinHash signatures, and which keys each file
holds. LSH banding proposes candidate pairs (a sort-based bucket join per band), each
candidate is verified by its estimated Jaccard similarity, connected components of the
verified pairs are the groups, and a group's id is the smallest key in it, so ids depend
on content only. Then each group learns how many distinct files it spans. The LSH steps
themselves (banding, agreement, components) are in :mod:`cleaner.lsh`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .arrays import (
    distinct,
    distinct_rows,
    flat_batch,
    load_npy,
    npy_layout,
    repeated,
    set_digests,
)
from .lsh import (
    agreement,
    band_star_pairs,
    band_stars_loop,
    bucket_key,
    candidate_pairs,
    components,
    page_groups_loop,
    similar_pairs,
)
from .work import GROUP_PARTITION

if TYPE_CHECKING:
    from .engines import Engine


@dataclass(frozen=True)
class GroupTable:
    """Lines that occur in two or more files, with their group: sorted ``keys``, and for
    each its group's ``gid`` (smallest key of the group), files spanned and distinct lines."""

    keys: np.ndarray  # uint64, sorted
    gid: np.ndarray  # uint64
    n_files: np.ndarray  # int64
    n_distinct: np.ndarray  # int64

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each key: (found, index into the table)."""
        if len(self.keys) == 0:
            return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.int64)
        idx = np.searchsorted(self.keys, keys)
        idx = np.minimum(idx, len(self.keys) - 1)
        return self.keys[idx] == keys, idx


def build_groups(
    keys: np.ndarray,
    sigs: np.ndarray,
    doc_key_batches: Iterable[Sequence[np.ndarray]],
    bands: int,
    rows: int,
    threshold: float,
    sig_keys: np.ndarray | None = None,
) -> GroupTable:
    """Group the distinct lines ``keys`` (sorted, unique) and count the files of each group.

    ``sigs`` are the signatures of ``sig_keys`` (sorted, a subset of ``keys``; by default
    all of them): only those lines can join near-duplicates, the others group with exact
    copies only. ``doc_key_batches`` yields batches (one per shard) of per-file arrays of
    distinct keys; they are consumed one batch at a time. Everything is held in memory:
    the reference that :func:`build_groups_from_shards` (what runs use) must equal.

    >>> k = np.array([1, 2, 3], dtype=np.uint64)
    >>> s = np.array([[1, 2], [1, 2], [5, 6]], dtype=np.uint32)
    >>> t = build_groups(k, s, [[k[:2]], [k[1:]]], 1, 2, 0.9)
    >>> t.keys.tolist(), t.gid.tolist(), t.n_files.tolist()
    ([1, 2], [1, 1], [2, 2])
    """
    n = len(keys)
    pairs = similar_pairs(sigs, candidate_pairs(sigs, bands, rows), threshold)
    if sig_keys is not None and len(pairs):
        pairs = np.searchsorted(keys, sig_keys)[pairs]
    labels = components(n, pairs)
    n_labels = int(labels.max()) + 1 if n else 0
    # content-derived id: the smallest key of each component
    gid_of_label = np.full(n_labels, np.iinfo(np.uint64).max, np.uint64)
    np.minimum.at(gid_of_label, labels, keys)
    n_distinct = np.bincount(labels, minlength=n_labels)

    files_per_label = np.zeros(n_labels, dtype=np.int64)
    seen_docs: set[int] = set()
    for batch in doc_key_batches:
        # a file whose set of lines equals another's is a copy: it counts once, so that a
        # page crawled twice does not make its own body look like a template
        fresh = []
        for doc, digest in zip(batch, set_digests(*flat_batch(batch)).tolist(), strict=True):
            if digest not in seen_docs:
                seen_docs.add(digest)
                fresh.append(doc)
        batch = fresh
        if not len(batch) or not n:
            continue
        flat = np.concatenate(batch)
        doc_ids = np.repeat(np.arange(len(batch), dtype=np.int64), [len(b) for b in batch])
        lab = labels[np.searchsorted(keys, flat)]
        pair_ids = distinct(lab * len(batch) + doc_ids)
        # the labels a batch touches, not a pass over all labels: batches are small
        np.add.at(files_per_label, pair_ids // len(batch), 1)

    spans = files_per_label[labels] >= 2 if n else np.zeros(0, dtype=bool)
    return GroupTable(
        keys=keys[spans],
        gid=gid_of_label[labels[spans]],
        n_files=files_per_label[labels[spans]].astype(np.int64),
        n_distinct=n_distinct[labels[spans]].astype(np.int64),
    )


# --- the group step from the shards' files, in bounded memory ------------------------------

# What the group step may hold beyond what its work needs, to read its files fewer times: a
# share of its memory (``Config.group_memory_bytes`` / 32, 8 MiB at the default), so a small
# corpus is read once where a large one is read again rather than held
SPARE_SHARE = 32


@dataclass(frozen=True)
class ShardLines:
    """Where pass 1 left one shard's MinHashed lines: their sorted keys and, row for row,
    their signatures (two ``.npy`` files every worker can read)."""

    sig_keys: str
    sigs: str


@dataclass(frozen=True)
class BandScan:
    """What a task needs to find one LSH band's similar pairs from the shards' files."""

    shards: tuple[ShardLines, ...]
    rows: int
    threshold: float
    # bytes held at once: about 48 per MinHashed line of a range of buckets (keys, sorting),
    # then two signatures and their bookkeeping per candidate pair of a block being verified
    memory: int
    chunk: int = 1 << 16  # signature rows read at a time
    lines: int = -1  # MinHashed lines of all shards (a line once per shard); -1: not counted


def _rows_in(path: str) -> int:
    layout = npy_layout(path)
    return layout[1][0] if layout is not None else int(np.load(path, mmap_mode="r").shape[0])


def band_pairs_from_shards(job: BandScan, bands: int | tuple[int, ...]) -> np.ndarray:
    """The verified pairs of line keys that one band, or each of several, proposes,
    reading the shards' files (their keys once for all the bands given, when one range of
    buckets holds every line).

    The bands' bucket keys are taken a range of bucket keys at a time (their top bits), as
    many ranges as keep ``memory``: each range reads every shard's signatures again, so
    memory stays bounded whatever the corpus; when one range holds every line and the
    bucket keys of all the bands given are spare memory, one read of each shard takes them.
    A line MinHashed in several shards counts once; each bucket is joined as a star around
    its smallest key, as in the merged matrix. A pair two bands of one call propose is
    verified once.

    >>> import tempfile, pathlib
    >>> k = np.array([3, 5, 8], np.uint64)
    >>> s = np.array([[1, 2, 3, 4], [1, 2, 3, 5], [7, 8, 9, 9]], dtype=np.uint32)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     np.save(f"{d}/k.npy", k); np.save(f"{d}/s.npy", s)
    ...     shard = ShardLines(f"{d}/k.npy", f"{d}/s.npy")
    ...     job = BandScan((shard, shard), 2, 0.7, 64)
    ...     band_pairs_from_shards(job, 0).tolist(), band_pairs_from_shards(job, (0, 1)).tolist()
    ([[3, 5]], [[3, 5]])
    """
    todo = (bands,) if isinstance(bands, int) else tuple(bands)
    total = job.lines if job.lines >= 0 else sum(_rows_in(s.sig_keys) for s in job.shards)
    bits = 0
    while total * 48 > job.memory << bits and bits < 16:
        bits += 1
    # the shards' keys, read once for the bands' buckets and the pairs' verification when
    # one range of buckets holds every line (8 of its 48 bytes a line); else read again
    held: list[np.ndarray] | None = [] if bits == 0 else None
    # the bands whose buckets one read of the shards takes: all of the call's when one range
    # holds every line and their bucket keys (8 bytes a line and band) are spare memory,
    # else one (read again for each band)
    spare = bits == 0 and 8 * len(todo) * total <= job.memory // SPARE_SHARE
    together = len(todo) if spare else 1
    candidates = [np.empty((0, 2), np.uint64)]
    stars = band_stars_loop()
    for first in range(0, len(todo), together):
        group = todo[first : first + together]
        for part in range(1 << bits):
            bucket_parts: list[list[np.ndarray]] = [[np.empty(0, np.uint64)] for _ in group]
            key_parts: list[list[np.ndarray]] = [[np.empty(0, np.uint64)] for _ in group]
            for i, shard in enumerate(job.shards):
                if held is not None and first > 0:
                    keys = held[i]
                else:
                    keys = load_npy(shard.sig_keys)
                    if held is not None:
                        held.append(keys)
                sigs = load_npy(shard.sigs, mapped=True)
                for lo in range(0, len(keys), job.chunk):
                    for j, band in enumerate(group):
                        # the band's columns only: a copy of an eighth of the rows' bytes
                        cols = np.asarray(
                            sigs[lo : lo + job.chunk, band * job.rows : (band + 1) * job.rows]
                        )
                        bucket = bucket_key(cols, band)
                        mine = (bucket >> np.uint64(64 - bits)) == part if bits else slice(None)
                        bucket_parts[j].append(bucket[mine])
                        key_parts[j].append(keys[lo : lo + job.chunk][mine])
                del sigs
            for j in range(len(group)):  # a band's buckets sorted at a time
                bucket = np.concatenate(bucket_parts[j])
                line = np.concatenate(key_parts[j])
                bucket_parts[j] = key_parts[j] = []
                candidates.append(band_star_pairs(bucket, line, stars))
    pairs = np.concatenate(candidates)
    if (len(todo) > 1 or stars is not None) and len(pairs):
        pairs = distinct_rows(pairs)
    if not len(pairs):
        return pairs
    # a pair several bands propose is verified once, in blocks of a band's share of the
    # pairs: as many signatures held at once as when each band verified its own
    return _verified_keys(job, pairs, held, -(-len(pairs) // len(todo)))


def band_sets(bands: int, tasks: int) -> list[tuple[int, ...]]:
    """The bands dealt to ``tasks`` tasks (at most one task a band), in turn.

    >>> band_sets(8, 1), band_sets(8, 3), band_sets(2, 4)
    ([(0, 1, 2, 3, 4, 5, 6, 7)], [(0, 3, 6), (1, 4, 7), (2, 5)], [(0,), (1,)])
    """
    tasks = max(1, min(tasks, bands))
    return [tuple(range(t, bands, tasks)) for t in range(tasks)]


def _verified_keys(
    job: BandScan,
    pairs: np.ndarray,
    held: Sequence[np.ndarray] | None = None,
    most: int | None = None,
) -> np.ndarray:
    """The pairs of line keys whose signatures (read from the shards) reach the threshold.

    The pairs are verified a block at a time, the block's keys' signatures gathered from
    the shards (each shard's keys looked up among the keys needed, not the other way round,
    so the cost grows with the corpus, not with the corpus times the shards); a block holds
    as many pairs as keep their signatures within ``memory``, so each further block reads
    every shard's keys again rather than holding more (``held``: the shards' keys, when
    the caller holds them already; ``most``: a smaller block, in pairs, for pairs that are
    not spare memory: see :data:`SPARE_SHARE`)."""
    width = int(load_npy(job.shards[0].sigs, mapped=True).shape[1])
    # per pair: two signature rows, and the keys, positions and flags that find them
    per_pair = 2 * (4 * width + 48)
    block = max(1, job.memory // per_pair)
    # and at most ``most`` pairs a block, unless all of them are spare memory: one block
    # then (each block reads every shard's files again)
    if most is not None and len(pairs) * per_pair > job.memory // SPARE_SHARE:
        block = max(1, min(block, most))
    kept = [pairs[:0]]
    for lo in range(0, len(pairs), block):
        part = pairs[lo : lo + block]
        need, local = np.unique(part, return_inverse=True)
        sigs = _signatures_of(job, need, width, held)
        local = local.reshape(-1, 2)
        agree = np.empty(len(part), np.float64)
        for at in range(0, len(part), job.chunk):  # compared a chunk of pairs at a time
            agree[at : at + job.chunk] = agreement(sigs, local[at : at + job.chunk])
        kept.append(part[agree >= job.threshold])
    return np.concatenate(kept)


def _signatures_of(
    job: BandScan, need: np.ndarray, width: int, held: Sequence[np.ndarray] | None = None
) -> np.ndarray:
    """The signature of each of ``need`` (sorted distinct keys), from the shards' files
    (their keys from ``held`` when given)."""
    sigs = np.empty((len(need), width), np.uint32)
    found = np.zeros(len(need), bool)
    for i, shard in enumerate(job.shards):
        keys = held[i] if held is not None else load_npy(shard.sig_keys)
        if not len(keys):
            continue
        at = np.minimum(np.searchsorted(need, keys), len(need) - 1)
        rows = np.flatnonzero(need[at] == keys)
        rows = rows[~found[at[rows]]]
        if len(rows):
            stored = load_npy(shard.sigs, mapped=True)
            sigs[at[rows]] = stored[rows]
            found[at[rows]] = True
            del stored
            if found.all():
                break
    assert found.all(), "a MinHashed line without its signature"
    return sigs


def build_groups_from_shards(
    shards: Sequence[ShardLines],
    page_key_batches: Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]],
    n_entries: int,
    bands: int,
    rows: int,
    threshold: float,
    work_dir: Path,
    engine: Engine | None = None,
    memory: int = 256 << 20,
) -> GroupTable:
    """:func:`build_groups` from the shards' files, in memory bounded by ``memory`` (plus
    8 bytes per page, and what the similar pairs take): the same table.

    Near-duplicate pairs come band by band (:func:`band_pairs_from_shards`, the bands
    dealt to as many tasks as the engine has workers); components are taken over the lines
    in pairs only. Files per group: every page (a page whose set of lines repeats
    another's counts once) writes the distinct groups of its lines to partition files by
    group id; each partition is then counted alone.
    ``page_key_batches()`` yields the pages' distinct keys a batch at a time, each batch as
    one array and each page's number of keys (:func:`cleaner.arrays.flat_batch`); it is
    called once when they are spare memory, :data:`SPARE_SHARE`, and its batches held; else
    twice. ``n_entries`` is their total length (it sizes the partitions).
    """
    lines = sum(_rows_in(s.sig_keys) for s in shards)
    job = BandScan(tuple(shards), rows, threshold, memory, lines=lines)
    # one task per worker of a local pool (each reads every shard's files once for its
    # bands), a band a task elsewhere; the pairs are the same however the bands are dealt
    tasks = bands if engine is None else getattr(engine, "jobs", bands)
    if engine is not None:
        found = list(engine.map(band_pairs_from_shards, band_sets(bands, tasks), job))
    else:
        found = [band_pairs_from_shards(job, band) for band in range(bands)]
    pairs = distinct_rows(np.concatenate(found))
    del found
    nodes, local = np.unique(pairs, return_inverse=True)
    labels = components(len(nodes), local.reshape(-1, 2))
    n_labels = int(labels.max()) + 1 if len(nodes) else 0
    gid_of_label = np.full(n_labels, np.iinfo(np.uint64).max, np.uint64)
    np.minimum.at(gid_of_label, labels, nodes)
    node_gid = gid_of_label[labels]  # nodes sorted: node_gid[i] is nodes[i]'s group
    del pairs, local, gid_of_label  # (before the page groups' table of the nodes is made)

    # each batch as its keys and their pages' lengths; held for the second pass when they
    # are spare memory (8 bytes an entry), else read again
    bits = 0
    while n_entries * 24 > memory << bits and bits < 12:  # 8 B an entry, 16 to sort it
        bits += 1
    held: list[tuple[np.ndarray, np.ndarray]] | None = None
    if 8 * n_entries <= memory // SPARE_SHARE:
        held = []

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if held:
            yield from held
            return
        yield from page_key_batches()

    # pages whose set of lines repeats an earlier one's count once
    digests = []
    for flat, lengths in batches():
        digests.append(set_digests(flat, lengths))
        if held is not None:
            held.append((flat, lengths))
    _, first = np.unique(np.concatenate([np.empty(0, np.uint64), *digests]), return_index=True)
    counted = np.zeros(sum(map(len, digests)), bool)
    counted[first] = True
    del digests, first

    groups_of = page_groups_loop(nodes, node_gid)
    paths = [work_dir / GROUP_PARTITION.format(p) for p in range(1 << bits)]
    handles = [p.open("wb") for p in paths]
    try:
        page = 0
        for flat, lengths in batches():
            keep = counted[page : page + len(lengths)]
            page += len(lengths)
            met = groups_of(flat, lengths, keep)
            part = met >> np.uint64(64 - bits) if bits else np.zeros(len(met), np.uint64)
            for p in distinct(part).tolist():
                handles[p].write(met[part == p].tobytes())
    finally:
        for h in handles:
            h.close()
    held = None  # (the batches are not needed past here)

    gid_parts, file_parts = [np.empty(0, np.uint64)], [np.empty(0, np.int64)]
    for path in paths:
        # a group of one file is not among them; the partition's array is sorted in place
        gid, n_files = repeated(np.fromfile(path, np.uint64), in_place=True)
        path.unlink()
        gid_parts.append(gid)
        file_parts.append(n_files)
    gid = np.concatenate(gid_parts)  # sorted: the partitions are ranges of ids
    n_files = np.concatenate(file_parts)
    keys = gid.copy()  # a group of one distinct line: the line itself
    n_distinct = np.ones(len(gid), np.int64)
    if len(nodes) and len(gid):
        # a group of near-duplicates: a row for each of its lines
        at = np.minimum(np.searchsorted(gid, node_gid), len(gid) - 1)
        hit = gid[at] == node_gid
        row = at[hit]
        single = np.ones(len(gid), bool)
        single[row] = False
        size_of_label = np.bincount(labels, minlength=n_labels)
        keys = np.concatenate([keys[single], nodes[hit]])
        n_files = np.concatenate([n_files[single], n_files[row]])
        n_distinct = np.concatenate([n_distinct[single], size_of_label[labels[hit]]])
        gid = np.concatenate([gid[single], node_gid[hit]])
    order = np.argsort(keys)
    return GroupTable(keys[order], gid[order], n_files[order].astype(np.int64), n_distinct[order])
