"""Document clustering from stored prints: files read in chunks, bands in several passes,
and the same clusters as holding every print at once."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.docdedup import DocHasher, PrintArray, PrintFiles, cluster_documents

_rng = random.Random(0)
WORDS = ["".join(_rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(400)]


def corpus(seed: int = 5, n: int = 300) -> list[str | None]:
    """Originals, exact copies, copies with a few words changed, and unreadable pages."""
    rng = random.Random(seed)
    docs: list[str | None] = []
    for _ in range(n):
        roll = rng.random()
        originals = [d for d in docs if d]
        if roll < 0.15 and originals:
            docs.append(rng.choice(originals))
        elif roll < 0.3 and originals:
            words = rng.choice(originals).split()
            for _ in range(2):
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            docs.append(" ".join(words))
        elif roll < 0.35:
            docs.append(None)
        else:
            docs.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 200))))
    return docs


def as_files(rows: np.ndarray, tmp: Path, sizes: list[int]) -> PrintFiles:
    paths, counts, at = [], [], 0
    for k, size in enumerate(sizes):
        path = tmp / f"prints-{k}"
        rows[at : at + size].tofile(path)
        paths.append(path)
        counts.append(size)
        at += size
    assert at == len(rows)
    return PrintFiles(tuple(paths), tuple(counts), rows["sig"].shape[1], chunk=7)


@pytest.fixture(scope="module")
def prints() -> PrintArray:
    h = DocHasher(128, 1, 5)
    return PrintArray.of([None if d is None else h.doc_print(d) for d in corpus()], 128)


def summary(clusters: list) -> list[tuple[int, tuple[int, ...], int]]:
    return [(c.id, c.members, c.representative) for c in clusters]


def test_clusters_found(prints: PrintArray) -> None:
    clusters = cluster_documents(prints, 32, 4, 0.8)
    assert len(clusters) >= 20
    dead = np.flatnonzero(prints.rows["n_words"] == 0).tolist()
    assert dead and not any(m in dead for c in clusters for m in c.members)
    for c in clusters:
        rows = prints.rows[list(c.members)]
        assert c.representative in c.members
        assert prints.rows[c.representative]["n_words"] == rows["n_words"].max()
        assert c.id == rows["content"].min()


def test_files_and_band_passes_give_the_same_clusters(prints: PrintArray, tmp_path: Path) -> None:
    expected = summary(cluster_documents(prints, 32, 4, 0.8))
    files = as_files(prints.rows, tmp_path, [1, 120, 0, 179])
    assert summary(cluster_documents(files, 32, 4, 0.8)) == expected
    # a memory budget that holds one band's keys at a time: 32 passes over the files
    assert summary(cluster_documents(files, 32, 4, 0.8, memory=16 * len(files))) == expected
    assert summary(cluster_documents(prints, 32, 4, 0.8, memory=5 * 16 * len(prints))) == expected


def test_take_reads_rows_across_files(prints: PrintArray, tmp_path: Path) -> None:
    files = as_files(prints.rows, tmp_path, [50, 50, 200])
    pages = np.array([0, 49, 50, 51, 299])
    got = files.take(pages)
    assert (got["sig"] == prints.rows["sig"][pages]).all()
    assert (got["content"] == prints.rows["content"][pages]).all()
    chunks = list(files.chunks())  # of 7 rows, across the files
    assert [start for start, _ in chunks] == list(range(0, 300, 7))
    assert (np.concatenate([rows for _, rows in chunks]) == prints.rows).all()
    far = np.array([0, 1, 100, 299])  # rows far apart in one large file
    assert (as_files(prints.rows, tmp_path, [300]).take(far) == prints.rows[far]).all()


def test_a_file_cut_short_is_an_error(prints: PrintArray, tmp_path: Path) -> None:
    files = as_files(prints.rows, tmp_path, [300])
    raw = files.paths[0].read_bytes()
    files.paths[0].write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="cut short"):
        cluster_documents(files, 32, 4, 0.8)


@given(
    st.lists(st.lists(st.integers(1, 2**64 - 1), max_size=12), max_size=8),
    st.integers(1, 6),
    st.integers(1, 10),
)
@settings(max_examples=200, deadline=None)
def test_prints_of_a_batch_equal_each_page_signed_alone(
    docs: list[list[int]], ngram: int, max_words: int
) -> None:
    """The batch hashes all pages' n-grams at once (empty pages, pages shorter than an
    n-gram, pages cut at max_words): each print equals that of the page signed alone."""
    h = DocHasher(16, 3, ngram, max_words=max_words)
    batch = [(n, np.array(d, np.uint64)) for n, d in enumerate(docs)]
    made = h.doc_prints_of(batch)
    for (content, ids), doc in zip(batch, made, strict=True):
        alone = h.doc_print_of(content, ids)
        assert (doc.content, doc.n_words) == (alone.content, alone.n_words)
        assert doc.sig.tolist() == alone.sig.tolist()
