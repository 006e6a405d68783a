"""The compiled loops of pass 2's document prints and cleaned pages give what their numpy
references give, whatever the word ids; an output's name made as a string is the one made
as a Path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaner.compiled import compiled
from cleaner.docdedup import DocHasher
from cleaner.io.writers import safe_join, safe_join_text
from cleaner.pages import Page
from cleaner.steps.cleaned import kept_words

IDS = st.lists(st.integers(0, (1 << 64) - 1), max_size=12)


def loops() -> object:
    module = compiled()
    if module is None or not hasattr(module, "ngram_hashes"):
        pytest.skip("the compiled loops are off (CLEANER_KERNELS=0) or were not built")
    return module


@given(st.lists(IDS, max_size=8), st.integers(1, 6), st.integers(1, 10))
def test_compiled_ngram_hashes_are_numpys(docs, k, max_words) -> None:
    loops()
    h = DocHasher(8, 1, k, max_words)
    ids = [np.array(d, np.uint64)[:max_words] for d in docs]
    lengths = np.fromiter(map(len, ids), np.int64, len(ids))
    got = h.ngram_hashes_of(ids, lengths)
    want = h.ngram_hashes_arrays(ids, lengths)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()


def test_lengths_that_do_not_add_up_are_refused() -> None:
    module = loops()
    with pytest.raises(ValueError):
        module.ngram_hashes(np.arange(3, dtype=np.uint64), np.array([2, 2], np.int64), 2)


LINE_WORDS = st.lists(
    st.tuples(st.lists(st.integers(0, 3), max_size=5), st.booleans()), max_size=10
)


@given(LINE_WORDS)
def test_compiled_kept_words_are_numpys(lines) -> None:
    module = loops()
    words = np.array([w for ws, _ in lines for w in ws], np.uint64)
    counts = np.array([len(ws) for ws, _ in lines], np.int64)
    kept = np.array([k for _, k in lines], bool)
    page = Page("a.txt", None, "text", tuple("x" for _ in lines), np.zeros(len(lines), np.uint64),
                "en", words=words, word_counts=counts)  # fmt: skip
    got = kept_words(page, kept, module.kept_ids)
    want = kept_words(page, kept)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()
    assert want.tolist() == [w for ws, k in lines if k for w in ws if w]


def test_counts_that_do_not_fit_the_ids_fail_as_numpys() -> None:
    module = loops()
    page = Page("a.txt", None, "text", ("x", "y"), np.zeros(2, np.uint64), "en",
                words=np.array([5, 6, 7], np.uint64), word_counts=np.array([1, 1]))  # fmt: skip
    with pytest.raises(IndexError):  # numpy's: the mask has two tokens, the ids three
        kept_words(page, np.array([True, True]), module.kept_ids)


ROOTS = st.sampled_from([".", "/", "out", "/tmp/out", "a b/c", "//srv"])


@given(ROOTS, st.text(st.sampled_from("ab./\\ é"), max_size=12))
def test_output_names_as_strings_are_pathlibs(root, rel) -> None:
    assert safe_join_text(os.fspath(Path(root)), rel) == str(safe_join(Path(root), rel))


@given(
    st.lists(st.integers(0, (1 << 64) - 1), max_size=150)
    | st.lists(st.integers(0, 5), max_size=90)  # repeats, and pages past the insertion sort
)
def test_compiled_distinct_keys_are_numpys(keys: list[int]) -> None:
    """A page's distinct line keys (pass 1 writes them for the group step), compiled and
    by numpy: sorted, each once, of the same type."""
    from cleaner.arrays import distinct

    module = loops()
    values = np.array(keys, np.uint64)
    got = module.distinct_keys(values)  # type: ignore[attr-defined]
    want = distinct(values)
    assert got.dtype == want.dtype == np.uint64 and got.tolist() == want.tolist()
    assert values.tolist() == keys  # the page's keys are left as they were


LINE = st.text(
    st.characters(blacklist_categories=("Cc",), blacklist_characters="\n")
    | st.sampled_from(["\ud800", "\udcff", "\udfff", "é", "\u00a0", "€", "😀"]),
    min_size=1,
    max_size=12,
)


@given(
    st.lists(st.tuples(LINE, IDS, st.sampled_from([0, 0, 1, 4, 9])), max_size=8),
    st.booleans(),
)
def test_compiled_cleaned_page_is_the_references(lines, from_bytes) -> None:
    """The cleaned text sliced from the page's bytes, its surrogate flag and its kept words
    are what joining and encoding the kept lines gives; a page whose bytes do not hold its
    lines is left to the reference."""
    from cleaner.steps.cleaned import cleaned_page

    module = loops()
    texts = tuple(t for t, _, _ in lines)
    words = np.array([w for _, ids, _ in lines for w in ids], np.uint64)
    counts = np.array([len(ids) for _, ids, _ in lines], np.int64)
    codes = np.array([c for _, _, c in lines], np.uint8)
    utf8 = "\n".join(texts).encode("utf-8", "surrogatepass")
    if not from_bytes:
        utf8 = utf8 + b"\nextra line"  # more lines than codes: the reference's way
    page = Page("a.txt", None, "text", texts, np.zeros(len(texts), np.uint64), "en",
                words=words, word_counts=counts, utf8=memoryview(utf8))  # fmt: skip
    got = cleaned_page(page, codes, module.kept_page)
    want = cleaned_page(page, codes)
    assert got[0] == want[0] and got[1] == want[1]
    assert got[2].dtype == want[2].dtype == np.uint64 and got[2].tolist() == want[2].tolist()
    if not from_bytes:
        assert module.kept_page(codes, page.utf8, words, counts) is None
