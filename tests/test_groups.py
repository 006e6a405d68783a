"""The group step from the shards' files (bounded memory) gives the table the in-memory
merge gives, whatever the memory budget."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.arrays import flat_batch
from cleaner.config import Config
from cleaner.dedup import ShardLines, build_groups, build_groups_from_shards
from cleaner.fingerprint import MinHasher, line_key
from cleaner.lsh import components
from cleaner.text import normalize_line

CONFIG = Config()


def pages(seed: int) -> list[list[str]]:
    """Pages with template lines and their variants, shared lines, one-page lines, long
    lines (never MinHashed) and exact copies of pages."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghij") for _ in range(5)) for _ in range(300)]

    def sentence(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    templates = [sentence(8) for _ in range(20)]
    out: list[list[str]] = []
    for _ in range(160):
        if out and rng.random() < 0.1:
            out.append(list(rng.choice(out)))  # an exact copy
            continue
        page = [sentence(rng.randint(6, 30)) for _ in range(rng.randint(3, 9))]
        for t in rng.sample(templates, 4):
            if rng.random() < 0.3:  # a near-duplicate variant
                w = t.split()
                w[rng.randrange(len(w))] = rng.choice(words)
                t = " ".join(w)
            page.append(t)
        if rng.random() < 0.2:
            page.append(sentence(80))  # longer than near_dup_max_chars
        out.append(page)
    return out


def write_shards(corpus: list[list[str]], tmp: Path, n_shards: int) -> tuple:
    hasher = MinHasher(CONFIG.num_perm, CONFIG.seed, CONFIG.shingle_size)
    short = CONFIG.near_dup_max_chars
    shards, docs = [], []
    all_keys: dict[int, str] = {}
    bounds = np.linspace(0, len(corpus), n_shards + 1).astype(int)
    signed: set[int] = set()
    for k in range(n_shards):
        mine: dict[int, str] = {}
        for page in corpus[bounds[k] : bounds[k + 1]]:
            norm = [normalize_line(line) for line in page]
            keys = {line_key(n): n for n in norm}
            docs.append(np.array(sorted(keys), np.uint64))
            all_keys.update(keys)
            for key, n in keys.items():
                # like a worker's memory: a line signed in an earlier shard is skipped,
                # unless this shard is the "other worker's" (odd shards forget)
                if len(n) <= short and (k % 2 or key not in signed):
                    mine[key] = n
        sig_keys = np.array(sorted(mine), np.uint64)
        signed.update(mine)
        np.save(tmp / f"k{k}.npy", sig_keys)
        np.save(tmp / f"s{k}.npy", hasher.signatures([mine[x] for x in sig_keys.tolist()]))
        shards.append(ShardLines(str(tmp / f"k{k}.npy"), str(tmp / f"s{k}.npy")))
    keys = np.array(sorted(all_keys), np.uint64)
    short_keys = np.array(sorted(k for k, n in all_keys.items() if len(n) <= short), np.uint64)
    sigs = hasher.signatures([all_keys[x] for x in short_keys.tolist()])
    return shards, docs, keys, short_keys, sigs


def as_tuple(table) -> tuple:
    return tuple(
        np.asarray(a).tolist() for a in (table.keys, table.gid, table.n_files, table.n_distinct)
    )


class InlineEngine:
    """Maps in this process, as a pool of ``jobs`` workers would deal tasks (``jobs`` None:
    an engine that tells no number of workers)."""

    def __init__(self, jobs: int | None) -> None:
        if jobs is not None:
            self.jobs = jobs
        self.items: list[object] = []

    def map(self, fn, items, context):  # type: ignore[no-untyped-def]
        for item in items:
            self.items.append(item)
            yield fn(context, item)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("memory", [256 << 20, 0, 4096, 64])
@pytest.mark.parametrize("jobs", [0, 1, 3, None])
def test_same_table_as_the_merged_fingerprints(
    tmp_path: Path, memory: int, jobs: int | None
) -> None:
    """The same table whatever the memory and however the bands are dealt to tasks (jobs 0:
    no engine; a task per band; a task per worker, each band once). Memory 0 stands for
    one that holds every line's bucket in one range, but not the buckets of two bands."""
    corpus = pages(11)
    shards, docs, keys, short_keys, sigs = write_shards(corpus, tmp_path, 5)
    if not memory:
        memory = 50 * sum(len(np.load(s.sig_keys)) for s in shards)

    def batches() -> Iterator[list[np.ndarray]]:
        for lo in range(0, len(docs), 7):
            yield docs[lo : lo + 7]

    bands, rows, threshold = CONFIG.lsh_bands, CONFIG.lsh_rows, CONFIG.similarity_threshold
    expected = build_groups(keys, sigs, batches(), bands, rows, threshold, sig_keys=short_keys)
    n_entries = sum(len(d) for d in docs)
    engine = InlineEngine(jobs) if jobs != 0 else None
    got = build_groups_from_shards(
        shards,
        lambda: map(flat_batch, batches()),
        n_entries,
        bands,
        rows,
        threshold,
        tmp_path,
        engine,
        memory=memory,
    )
    assert as_tuple(got) == as_tuple(expected)
    if engine is not None:
        dealt = [(b,) if isinstance(b, int) else b for b in engine.items]
        assert sorted(b for task in dealt for b in task) == list(range(bands))
        assert len(dealt) == (bands if jobs is None else jobs)
    # the corpus has what the comparison is about: near-duplicate groups of several lines
    assert (expected.n_distinct > 1).sum() >= 10
    assert len(expected.keys) >= 30
    assert not list(tmp_path.glob("groups-*"))  # partition files removed


@given(st.integers(1, 40), st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=60))
@settings(max_examples=300, deadline=None)
def test_components_label_the_connected_nodes(n: int, edges: list[tuple[int, int]]) -> None:
    """Labels equal a breadth-first search's, components numbered by their smallest node."""
    edges = [(a % n, b % n) for a, b in edges]
    pairs = np.array(edges, np.int64).reshape(-1, 2)
    near: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        near[a].add(b)
        near[b].add(a)
    expected = [-1] * n
    label = 0
    for start in range(n):
        if expected[start] >= 0:
            continue
        todo = [start]
        expected[start] = label
        while todo:
            for other in near[todo.pop()]:
                if expected[other] < 0:
                    expected[other] = label
                    todo.append(other)
        label += 1
    assert components(n, pairs).tolist() == expected


EDGE_U64 = st.sampled_from([0, 1, 2, 3, 1 << 63, (1 << 64) - 2, (1 << 64) - 1, 0x9E3779B97F4A7C15])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(EDGE_U64, EDGE_U64), max_size=40))
def test_compiled_band_stars_give_the_sorted_stars(rows: list[tuple[int, int]]) -> None:
    """A band's stars by the compiled hash table are the pairs the sort gives (each bucket
    joined around its smallest line; a line met twice in a bucket, as from two shards,
    adds no pair)."""
    from cleaner.arrays import distinct_rows
    from cleaner.lsh import band_star_pairs, band_stars_loop

    stars = band_stars_loop()
    if stars is None:
        pytest.skip("the compiled loops are off (CLEANER_KERNELS=0) or were not built")
    bucket = np.array([b for b, _ in rows], np.uint64)
    line = np.array([x for _, x in rows], np.uint64)
    want = band_star_pairs(bucket, line)
    got = distinct_rows(band_star_pairs(bucket, line, stars))
    assert got.dtype == np.uint64
    assert got.tolist() == distinct_rows(want).tolist()
    assert all(a < b for a, b in got.tolist())  # the star's centre is its smallest line


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(EDGE_U64 | st.integers(0, 40), max_size=45), max_size=8),
    st.lists(st.booleans(), min_size=8, max_size=8),
    st.sets(EDGE_U64 | st.integers(0, 40), max_size=12),
    st.randoms(use_true_random=False),
)
def test_compiled_page_groups_are_numpys(
    pages: list[list[int]], keep: list[bool], nodes: set[int], rng: random.Random
) -> None:
    """Each counted page's keys outside the nodes, then its node keys' groups once each,
    smallest first (a page of more than 32 of them is sorted another way), as numpy's."""
    from cleaner.compiled import compiled
    from cleaner.lsh import page_groups, page_groups_loop

    if compiled() is None or not hasattr(compiled(), "NodeGroups"):
        pytest.skip("the compiled loops are off (CLEANER_KERNELS=0) or were not built")
    pages = [list(dict.fromkeys(p)) for p in pages]  # a page's keys are distinct
    if nodes and rng.random() < 0.3:  # a page of many node keys
        pages.append(sorted(nodes | set(range(100, 140))))
        nodes |= set(range(100, 140))
    node_arr = np.array(sorted(nodes), np.uint64)
    gid = np.array([rng.choice(sorted(nodes)) for _ in nodes], np.uint64)
    flat = np.array([k for p in pages for k in p], np.uint64)
    lengths = np.array([len(p) for p in pages], np.int64)
    mask = np.array(keep[: len(pages)] + [True] * max(0, len(pages) - 8), bool)
    want = page_groups(flat, lengths, mask, node_arr, gid)
    got = page_groups_loop(node_arr, gid)(flat, lengths, mask)
    assert got.dtype == np.uint64 and got.tolist() == want.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(EDGE_U64 | st.integers(0, (1 << 64) - 1), max_size=300))
def test_compiled_repeated_values_are_numpys(values: list[int]) -> None:
    """The values met twice or more, sorted, and their counts: by the radix sort as by
    np.unique (every digit of the 64 bits is sorted on; a digit all values share is
    skipped)."""
    from cleaner.arrays import repeated_numpy
    from cleaner.compiled import compiled

    loop = getattr(compiled(), "repeated", None)
    if loop is None:
        pytest.skip("the compiled loops are off (CLEANER_KERNELS=0) or were not built")
    array = np.array(values + values[: len(values) // 3], np.uint64)
    before = array.copy()
    got, want = loop(array), repeated_numpy(array)
    assert array.tolist() == before.tolist()  # the input is left as it was
    assert got[0].dtype == np.uint64 and got[1].dtype == np.int64
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    mine = loop(array, True)  # sorted where it is
    assert mine[0].tolist() == want[0].tolist() and mine[1].tolist() == want[1].tolist()
    assert sorted(array.tolist()) == sorted(before.tolist())  # the same values, moved


@settings(max_examples=300, deadline=None)
@given(st.lists(EDGE_U64, max_size=40), st.randoms(use_true_random=False))
def test_compiled_page_stars_are_the_sorted_stars(keys: list[int], rng: random.Random) -> None:
    """A band's stars of documents (each page once, pages increasing) by the compiled hash
    table: the pairs the sort gives, in another order."""
    from cleaner.arrays import distinct_rows
    from cleaner.docdedup import page_stars
    from cleaner.lsh import band_stars_loop

    stars = band_stars_loop()
    if stars is None:
        pytest.skip("the compiled loops are off (CLEANER_KERNELS=0) or were not built")
    pages = np.array(sorted(rng.sample(range(1000), len(keys))), np.int64)
    bucket = np.array(keys, np.uint64)
    want, got = page_stars(bucket, pages), page_stars(bucket, pages, stars)
    if want is None:
        assert got is None
        return
    assert got is not None and got.dtype == np.int64 and len(got) == len(want)
    assert distinct_rows(got).tolist() == distinct_rows(want).tolist()
