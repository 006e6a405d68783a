"""Pass 2's document prints, made for a batch of pages at once (DocHasher.print_rows), are
the prints made page by page (DocHasher.doc_prints_of)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cleaner.docdedup import DocHasher

IDS = st.lists(st.integers(1, (1 << 64) - 1), max_size=30).map(lambda v: np.array(v, np.uint64))


@given(
    st.lists(st.tuples(st.integers(0, (1 << 64) - 1), IDS), max_size=12),
    st.integers(1, 6),
    st.integers(1, 25),
)
def test_rows_of_a_batch_are_the_prints_of_each_page(docs, ngram, max_words) -> None:
    hasher = DocHasher(16, 1, ngram, max_words)
    rows = hasher.print_rows(docs)
    made = hasher.doc_prints_of(docs)
    assert rows["content"].tolist() == [p.content for p in made]
    assert rows["n_words"].tolist() == [p.n_words for p in made]
    assert [row.tolist() for row in rows["sig"]] == [p.sig.tolist() for p in made]
