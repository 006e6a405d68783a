"""The compiled loop of the tally (cleaner._compiled.tally_page) counts a page's lines as
its Python reference (cleaner.report.tally: ShardTally.add_codes, tally_groups) does,
whatever the pages: the same reasons, summaries and groups in the same order, the same
texts counted in the same order, the same pages, also once a group holds more texts than
it counts."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaner.compiled import compiled
from cleaner.models import Reason
from cleaner.report import tally
from cleaner.report.tally import GroupAgg, ShardTally

LINE = st.tuples(
    st.sampled_from(["Menu", "Home", "About us", "é", "x", "Menu "]),  # text
    st.integers(0, 4),  # group id
    st.booleans(),  # grouped
)
PAGE = st.tuples(
    st.lists(LINE, max_size=30), st.lists(st.integers(0, len(Reason) - 1), min_size=30)
)


def tally_loop() -> object:
    module = compiled()
    if module is None or not hasattr(module, "tally_page"):
        pytest.skip("the compiled loops are off (CLEANER_KERNELS=0) or were not built")
    return module.tally_page


def state(t: ShardTally) -> list[object]:
    """Everything a tally holds, its orders included."""

    def agg(a: GroupAgg) -> tuple[object, ...]:
        return list(a.variants.items()), a.pages.tolist(), a.heap

    return [t.pages, list(t.reasons.items()), [(g, agg(a)) for g, a in t.groups.items()]]


@given(st.lists(PAGE, max_size=12), st.sampled_from([1, 2, 3, 1000]))
def test_compiled_tally_is_the_reference(pages, max_variants) -> None:
    loop = tally_loop()
    by_python, by_loop = ShardTally(), ShardTally()
    with mock.patch.object(tally, "MAX_COUNTED_VARIANTS", max_variants):
        for n, (lines, codes) in enumerate(pages):
            texts = tuple(t for t, _, _ in lines)
            group = np.array([g for _, g, _ in lines], np.uint64)
            grouped = np.array([b for _, _, b in lines], bool)
            reason = np.array(codes[: len(lines)], np.uint8)
            for t, how in ((by_python, None), (by_loop, loop)):
                t.add_codes(f"p{n}", None, "en", texts, reason, group, grouped, how)
    assert state(by_loop) == state(by_python)


def test_a_list_of_texts_and_strided_arrays_are_taken() -> None:
    loop = tally_loop()
    t, u = ShardTally(), ShardTally()
    group = np.array([7, 0, 8, 0, 7, 0], np.uint64)[::2]
    grouped = np.array([1, 0, 1, 0, 1, 0], bool)[::2]
    codes = np.array([1, 0, 1], np.uint8)
    t.add_codes("a", None, None, ["Menu", "Home", "Menu"], codes, group, grouped)
    u.add_codes("a", None, None, ["Menu", "Home", "Menu"], codes, group, grouped, loop)
    assert state(t) == state(u)
    assert dict(u.groups[7].variants) == {"Menu": 2}
