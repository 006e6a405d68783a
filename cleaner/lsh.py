"""LSH over MinHash signatures, the part the line groups and the document clusters share:
banding (one bucket key per row and band), candidate pairs (each bucket joined as a star
around its first member), the signature-agreement check that verifies a candidate, and
connected components of the verified pairs, and the groups each page meets (a key of a
component stands for its group).

Everything here is a pure function over arrays; where the signatures live (in memory, in
the shards' files, in the document print files) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .arrays import distinct_rows

_BAND_MULT = np.uint64(0x9E3779B97F4A7C15)


def band_key(sigs: np.ndarray, band: int, rows: int) -> np.ndarray:
    """One uint64 bucket key per line for one band (only that band's columns are widened)."""
    return bucket_key(sigs[:, band * rows : (band + 1) * rows], band)


def bucket_key(columns: np.ndarray, band: int) -> np.ndarray:
    """:func:`band_key` from the band's own columns (all of ``columns``).

    >>> sigs = np.arange(12, dtype=np.uint32).reshape(2, 6)
    >>> (band_key(sigs, 1, 2) == bucket_key(sigs[:, 2:4], 1)).all()
    np.True_
    """
    h = np.full(columns.shape[0], band + 1, dtype=np.uint64)
    for r in range(columns.shape[1]):
        h = (h * _BAND_MULT) ^ columns[:, r].astype(np.uint64)
    return h


def candidate_pairs(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Pairs (i, j), i < j, of lines sharing at least one band bucket; each bucket is joined
    as a star around its first member. Shape (n_pairs, 2), unique rows.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 7, 7]], dtype=np.uint32)
    >>> candidate_pairs(sigs, 2, 2).tolist()
    [[0, 1]]
    """
    if sigs.shape[0] < 2:
        return np.empty((0, 2), dtype=np.int64)
    found = [p for band in range(bands) if (p := _band_candidates(sigs, band, rows)) is not None]
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    pairs.sort(axis=1)
    return distinct_rows(pairs)


def _band_candidates(sigs: np.ndarray, band: int, rows: int) -> np.ndarray | None:
    return star_pairs(band_key(sigs, band, rows), np.arange(len(sigs)))


def star_pairs(keys: np.ndarray, ids: np.ndarray) -> np.ndarray | None:
    """Pairs (first, other) of ``ids`` (increasing) sharing a bucket key: each bucket joined
    as a star around its first id. None when every key is alone.

    >>> star_pairs(np.array([7, 5, 7, 7, 5], np.uint64), np.array([1, 2, 4, 8, 9])).tolist()
    [[2, 9], [1, 4], [1, 8]]
    """
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    if starts.all():
        return None
    run_id = np.cumsum(starts) - 1
    first = order[np.flatnonzero(starts)][run_id]
    members = ~starts
    return np.stack([ids[first[members]], ids[order[members]]], axis=1)


def band_stars_loop() -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    """The compiled ``band_stars`` (``cleaner/_compiled.pyx``); None without the module."""
    from .compiled import compiled

    return getattr(compiled(), "band_stars", None)


def band_star_pairs(
    bucket: np.ndarray,
    line: np.ndarray,
    stars: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """The candidate pairs of one band: each bucket key's lines (``line[i]`` is in bucket
    ``bucket[i]``; a line may come more than once, from several shards) joined as a star
    around the smallest, as :func:`cleaner.lsh.star_pairs` over the distinct (bucket, line)
    rows. With ``stars`` (the compiled loop: a hash table of the buckets, no sort) a pair
    may come twice and in another order: the caller takes the distinct rows.

    >>> b = np.array([7, 5, 7, 7, 5, 9], np.uint64)
    >>> lines = np.array([4, 2, 3, 4, 8, 1], np.uint64)
    >>> band_star_pairs(b, lines).tolist()
    [[2, 8], [3, 4]]
    """
    if stars is not None:
        return stars(np.ascontiguousarray(bucket, np.uint64), np.ascontiguousarray(line, np.uint64))
    if not len(line):
        return np.empty((0, 2), np.uint64)
    order = np.lexsort((line, bucket))
    bucket, line = bucket[order], line[order]
    fresh = np.ones(len(line), bool)
    fresh[1:] = (bucket[1:] != bucket[:-1]) | (line[1:] != line[:-1])
    pairs = star_pairs(bucket[fresh], line[fresh])
    return np.empty((0, 2), np.uint64) if pairs is None else pairs


def agreement(sigs: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """For each pair (i, j) of rows of ``sigs``, the share of positions on which the two
    signatures agree: the estimate of the Jaccard similarity of their sets.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 4], [5, 6, 7, 8]], dtype=np.uint32)
    >>> agreement(sigs, np.array([[0, 1], [0, 2]])).tolist()
    [0.75, 0.0]
    """
    return (sigs[pairs[:, 0]] == sigs[pairs[:, 1]]).mean(axis=1)


def similar_pairs(sigs: np.ndarray, pairs: np.ndarray, threshold: float) -> np.ndarray:
    """The candidate pairs whose estimated Jaccard similarity reaches ``threshold``."""
    if len(pairs) == 0:
        return pairs
    keep = np.zeros(len(pairs), dtype=bool)
    step = 1 << 16
    for lo in range(0, len(pairs), step):
        keep[lo : lo + step] = agreement(sigs, pairs[lo : lo + step]) >= threshold
    return pairs[keep]


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes, numbered 0.. in the order of each
    component's smallest node: union-find over arrays. Each round hooks the root of every
    pair's larger end under the smaller root, then compresses every path to its root
    (pointer jumping), until no pair joins two roots.

    >>> components(5, np.array([[0, 3], [3, 4]])).tolist()
    [0, 1, 2, 0, 0]
    >>> components(6, np.array([[5, 4], [4, 3], [1, 2], [3, 2]])).tolist()
    [0, 1, 1, 1, 1, 1]
    """
    parent = np.arange(n, dtype=np.int64)
    if len(pairs) == 0:
        return parent
    a = np.asarray(pairs[:, 0], np.int64)
    b = np.asarray(pairs[:, 1], np.int64)
    while True:
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        if not apart.any():
            break
        ra, rb = ra[apart], rb[apart]
        # the smaller root wins; several hooks onto one root keep the smallest
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:  # path compression: every node straight to its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        a, b = a[apart], b[apart]  # pairs already joined stay joined
    # roots are each component's smallest node: number them in that order
    return np.unique(parent, return_inverse=True)[1].astype(np.int64)


def page_groups(
    flat: np.ndarray,
    lengths: np.ndarray,
    keep: np.ndarray,
    nodes: np.ndarray,
    node_gid: np.ndarray,
) -> np.ndarray:
    """The groups of each page of a batch that ``keep`` counts, each once a page: the
    pages' distinct keys (``flat``, ``lengths`` of each page), a key of ``nodes`` (sorted:
    the keys in near-duplicate pairs) as its group ``node_gid``, any other as itself. Only
    the keys of ``nodes`` can meet their group again on a page: only they are sorted.

    >>> nodes, gid = np.array([4, 6], np.uint64), np.array([4, 4], np.uint64)
    >>> flat = np.array([4, 6, 9, 6, 1, 2], np.uint64)
    >>> page_groups(flat, np.array([3, 1, 2]), np.array([True, True, False]), nodes, gid)
    array([9, 4, 4], dtype=uint64)
    """
    mask = np.repeat(keep, lengths)
    keys = flat[mask]
    if not len(nodes) or not len(keys):
        return keys
    at = np.minimum(np.searchsorted(nodes, keys), len(nodes) - 1)
    near = nodes[at] == keys
    gid = node_gid[at[near]]
    owner = np.repeat(np.arange(len(lengths)), lengths)[mask][near]
    order = np.lexsort((gid, owner))
    gid, owner = gid[order], owner[order]
    once = np.ones(len(gid), bool)  # a group counts once per page
    once[1:] = (gid[1:] != gid[:-1]) | (owner[1:] != owner[:-1])
    return np.concatenate([keys[~near], gid[once]])


def page_groups_loop(
    nodes: np.ndarray, node_gid: np.ndarray
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """:func:`page_groups` for ``nodes`` and their groups, as a function of a batch
    (``flat``, ``lengths``, ``keep``): the compiled ``NodeGroups`` (a hash table of the
    nodes, made once), else numpy's."""
    from .compiled import compiled

    module = compiled()
    if module is not None and hasattr(module, "NodeGroups"):
        table = module.NodeGroups(nodes, node_gid)
        return lambda flat, lengths, keep: table.page_groups(
            np.ascontiguousarray(flat, np.uint64), np.ascontiguousarray(lengths, np.int64), keep
        )
    return lambda flat, lengths, keep: page_groups(flat, lengths, keep, nodes, node_gid)
