"""A page's decisions as codes (cleaner.linecodes) are the reference's (cleaner.decide.
decide_lines) on any lines: by the loop compiled at install (cleaner._compiled.decide_codes)
and by the fallback that calls the reference; under other thresholds and in both modes
(shape rules on and off). Pass 2's arrays of a page are what page_features and line_groups
give, and the tally of a page's codes is the tally of its results."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import Config
from cleaner.compiled import compiled
from cleaner.decide import LineGroup, decide_lines
from cleaner.dedup import GroupTable
from cleaner.fingerprint import LinePrinter
from cleaner.heuristics.classify import LineClass, LineFeatures
from cleaner.heuristics.compiled import CLASSES as PACKED_CLASSES
from cleaner.linecodes import (
    BODY,
    CLASSES,
    GROUPED,
    INT_FIELDS,
    REASONS,
    SHARE_FIELDS,
    arrays_of,
    decide_codes,
    decision_rules,
    decisions_of,
)
from cleaner.models import FileResult, LineResult, Reason
from cleaner.pages import Page
from cleaner.report.tally import ShardTally
from cleaner.steps.context import WorkerMemo
from cleaner.steps.decide import (
    Loops,
    PageCodes,
    _line_arrays,
    decision_loops,
    judge_page,
    line_groups,
    page_features,
    page_lines,
)


def kernel() -> object:
    module = compiled()
    if module is None or not hasattr(module, "decide_codes"):
        pytest.skip("the compiled loops are off (CLEANER_KERNELS=0) or were not built")
    return module.decide_codes


def _rarely(one_in: int) -> st.SearchStrategy[bool]:
    return st.sampled_from([True] + [False] * (one_in - 1))


# body lines and headings often, pictures and marks now and then: pages of blocks, teaser
# grids, threads and lists, on which every rule can go either way
FEATURES = st.builds(
    LineFeatures,
    st.sampled_from([LineClass.GOOD] * 3 + [LineClass.TITLE] * 2 + list(LineClass)),
    st.one_of(st.integers(0, 12), st.integers(0, 60)),
    st.integers(0, 300),
    _rarely(8),
    _rarely(2),
    _rarely(6),
    _rarely(3),
    _rarely(4),
    _rarely(5),
    _rarely(6),
)
# few ids and small file counts: lines share groups, and thresholds fall on both sides
GROUPS = st.builds(
    LineGroup,
    st.sampled_from([None] * 4 + [1, 2, 3]),
    st.integers(1, 6),
    st.sampled_from([True] * 4 + [False]),
)


def _line(cls: LineClass, words: st.SearchStrategy[int], **flags: bool) -> st.SearchStrategy:
    return st.builds(
        lambda n, heading, title_like, lead_in: LineFeatures(
            cls, n, 6 * n, heading, title_like, **{"lead_in": lead_in, **flags}
        ),
        words,
        _rarely(10),
        st.just(cls is LineClass.TITLE) | _rarely(4),
        _rarely(8) if cls is LineClass.GOOD else st.just(False),
    )


_PARAGRAPH = st.lists(_line(LineClass.GOOD, st.integers(8, 60)), min_size=1, max_size=6)
_TEASER = st.tuples(
    _line(LineClass.MARKUP, st.just(0), image=True),
    st.lists(FEATURES, max_size=2),
    _line(LineClass.TITLE, st.integers(1, 8), marked=True),
    _line(LineClass.GOOD, st.integers(8, 20)) | _line(LineClass.NEAR, st.integers(2, 8)),
)
_TEASERS = st.lists(_TEASER, min_size=1, max_size=5).map(
    lambda ts: [f for image, between, head, text in ts for f in (image, *between, head, text)]
)
_TITLE = st.builds(
    lambda n: [LineFeatures(LineClass.TITLE, n, 6 * n, True, True, marked=True)],
    st.integers(1, 9),
)
_POST = st.tuples(
    _line(LineClass.DATETIME, st.integers(1, 4)),
    st.lists(_line(LineClass.GOOD, st.integers(8, 30)), min_size=1, max_size=3),
).map(lambda t: [t[0], *t[1]])
_HEADLINES = st.lists(_line(LineClass.TITLE, st.integers(1, 9)), min_size=1, max_size=6)
# pages made of the parts pages have (paragraphs, teasers under pictures, dated posts,
# headline lists) and of any lines between them
_PARTS = st.lists(
    st.one_of(_TITLE, _PARAGRAPH, _TEASERS, _POST, _HEADLINES, st.lists(FEATURES, max_size=3)),
    max_size=12,
).map(lambda parts: [f for part in parts for f in part])
LINES = _PARTS.flatmap(
    lambda feats: st.lists(GROUPS, min_size=len(feats), max_size=len(feats)).map(
        lambda groups: list(zip(feats, groups, strict=True))
    )
)
# thresholds near the counts generated, so that every rule can go either way
CONFIGS = st.builds(
    lambda *v: replace(Config(), **dict(zip(FIELDS, v, strict=True))),
    st.integers(1, 5),
    st.integers(0, 400),
    st.integers(1, 8),
    st.integers(1, 5),
    st.integers(1, 14),
    st.integers(1, 4),
    st.integers(1, 7),
    st.integers(1, 4),
    st.integers(1, 60),
    st.integers(0, 60),
    st.integers(0, 8),
    st.floats(0, 1.2),
    st.floats(0, 1.2),
    st.floats(0, 1.2),
    st.floats(0, 1.2),
)
# the fields the loop reads, in the order of the strategies above (a field added to them
# fails the zip until it gets a strategy)
FIELDS = INT_FIELDS + SHARE_FIELDS


def reference(lines: list[tuple[LineFeatures, LineGroup]], tmin: int, config: Config, shape: bool):
    feats, groups = [f for f, _ in lines], [g for _, g in lines]
    return [d.reason for d in decide_lines(feats, groups, tmin, config, shape)]


@settings(max_examples=1500)
@given(LINES, st.integers(1, 5), CONFIGS, st.booleans())
def test_compiled_decisions_are_the_reference(lines, tmin, config, shape) -> None:
    arrays = arrays_of([f for f, _ in lines], [g for _, g in lines])
    codes = decide_codes(arrays, tmin, config, shape, kernel())
    assert [REASONS[c] for c in codes.tolist()] == reference(lines, tmin, config, shape)


@settings(max_examples=50)
@given(LINES, st.integers(1, 5), st.booleans())
def test_fallback_decisions_are_the_reference(lines, tmin, shape) -> None:
    arrays = arrays_of([f for f, _ in lines], [g for _, g in lines])
    codes = decide_codes(arrays, tmin, Config(), shape, None)
    assert [REASONS[c] for c in codes.tolist()] == reference(lines, tmin, Config(), shape)


@given(LINES)
def test_arrays_give_back_features_and_groups(lines) -> None:
    arrays = arrays_of([f for f, _ in lines], [g for _, g in lines])
    assert arrays.features() == [f for f, _ in lines]
    assert arrays.groups() == [
        g if g.id is not None else LineGroup(None, 1, g.first_in_page) for _, g in lines
    ]


def test_codes_name_reasons_and_classes_in_the_kernels_order() -> None:
    assert REASONS[BODY] is Reason.BODY and REASONS[0] is Reason.BODY
    assert CLASSES == PACKED_CLASSES


def test_thresholds_the_loop_cannot_take_go_to_the_reference() -> None:
    assert decision_rules(Config()) is not None
    odd = replace(Config(), teaser_max_words=2.5)  # a fraction where a count is meant
    assert decision_rules(odd) is None
    good, title = (
        LineFeatures(LineClass.GOOD, 20, 120, False, False),
        LineFeatures(LineClass.TITLE, 6, 40, True, True, marked=True),
    )
    lines = [(title, LineGroup(None, 1))] + [(good, LineGroup(None, 1))] * 3
    arrays = arrays_of([f for f, _ in lines], [g for _, g in lines])
    got = decide_codes(arrays, 2, odd, True, kernel())
    assert [REASONS[c] for c in got.tolist()] == reference(lines, 2, odd, True)


def _page_and_table() -> tuple[Page, GroupTable]:
    lines = (
        "# A headline for the page",
        "Menu",
        "The council met on Tuesday to discuss the harbour and agreed to repair the walls.",
        "![](photo.jpg)",
        "Menu",
        "Updated 08:22 16/06",
        "It is over.",
        "A second sentence of the article says that the work will start in the spring.",
        "[Read more](https://example.com/more)",
    )
    keys, ids, counts = LinePrinter(-1, kernel_after=-1).page(list(lines))
    page = Page("a.txt", None, "text", lines, keys, "en", words=ids, word_counts=counts)
    order = np.argsort(keys[[1, 2]])
    table = GroupTable(
        keys[[1, 2]][order],
        keys[[1, 2]][order],
        np.array([5, 2], np.int64)[order],
        np.ones(2, np.int64),
    )
    return page, table


@pytest.mark.parametrize("kernel_after", [0, -1])
@pytest.mark.parametrize("loops", ["compiled", "numpy"])
def test_page_arrays_are_page_features_and_line_groups(kernel_after: int, loops: str) -> None:
    from cleaner.heuristics.compiled import FeatureJudge

    page, table = _page_and_table()
    memo = WorkerMemo(300)
    memo.judge = FeatureJudge(kernel_after)
    compiled_loops = loops_of(table) if loops == "compiled" else None
    arrays = page_lines(page, table, memo, Config(), compiled_loops)
    assert arrays.features() == page_features(page, WorkerMemo(300), Config())
    assert arrays.groups() == line_groups(page.keys, table)
    assert ((arrays.flags & GROUPED) != 0).tolist() == [
        False, True, True, False, True, False, False, False, False,
    ]  # fmt: skip


def loops_of(table: GroupTable) -> Loops:
    from cleaner.io.records import RecordKeys
    from cleaner.steps.context import RunContext

    loops = decision_loops(RunContext(Config(), Path("."), RecordKeys(), table=table))
    if loops is None:
        pytest.skip("the compiled loops are off (CLEANER_KERNELS=0) or were not built")
    return loops


CODES = st.one_of(
    st.just(-1),
    st.builds(
        lambda chars, words, cls, bits: (chars << 32) | (words << 8) | (cls << 4) | bits,
        st.integers(0, (1 << 23) - 1),
        st.integers(0, (1 << 24) - 1),
        st.integers(0, 5),
        st.integers(0, 15),
    ),
)


@given(
    st.lists(st.tuples(CODES, st.integers(0, 9)), max_size=80),
    st.sets(st.integers(0, 12), max_size=8),
)
def test_compiled_line_arrays_are_numpys(lines, table_keys) -> None:
    made = np.array([c for c, _ in lines], np.int64)
    keys = np.array([k for _, k in lines], np.uint64)
    tk = np.array(sorted(table_keys), np.uint64)
    table = GroupTable(tk, tk + np.uint64(100), np.arange(len(tk), dtype=np.int64) + 2, tk)
    got = loops_of(table).module.line_arrays(made, keys, table.keys, table.gid, table.n_files)
    want = _line_arrays(made, keys, table)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()


@given(
    st.lists(st.tuples(CODES, st.integers(0, 9)), max_size=80),
    st.sets(st.integers(0, 12), max_size=8),
    st.integers(1, 4),
    st.booleans(),
)
def test_the_run_judge_decides_as_the_arrays_and_the_decisions_apart(
    lines, table_keys, tmin, shape
) -> None:
    made = np.array([c for c, _ in lines], np.int64)
    keys = np.array([k for _, k in lines], np.uint64)
    tk = np.array(sorted(table_keys), np.uint64)
    table = GroupTable(tk, tk + np.uint64(100), np.arange(len(tk), dtype=np.int64) + 2, tk)
    loops = loops_of(table)
    if not hasattr(loops.module, "PageJudge") or loops.rules is None:
        pytest.skip("the compiled module has no PageJudge")
    judge = loops.module.PageJudge(table.keys, table.gid, table.n_files, tmin, loops.rules)
    got = judge.codes(made, keys, shape)
    if (made < 0).any():
        assert got is None  # the caller fills those lines' features first
        return
    cls, words, chars, flags, group, files = loops.module.line_arrays(
        made, keys, table.keys, table.gid, table.n_files
    )
    want = loops.module.decide_codes(cls, words, chars, flags, files, tmin, shape, *loops.rules)
    assert got is not None
    assert got[0].dtype == np.uint8 and got[0].tolist() == want.tolist()
    assert got[1].dtype == np.uint64 and got[1].tolist() == group.tolist()
    assert got[2].dtype == bool and got[2].tolist() == ((flags & GROUPED) != 0).tolist()


def test_tally_of_codes_is_the_tally_of_results() -> None:
    page, table = _page_and_table()
    arrays = page_lines(page, table, WorkerMemo(300), Config())
    codes = decide_codes(arrays, 2, Config(), True, None)
    decisions = decisions_of(codes, arrays.group, (arrays.flags & GROUPED) != 0)
    results = tuple(
        LineResult(n + 1, t, d) for n, (t, d) in enumerate(zip(page.lines, decisions, strict=True))
    )
    by_results, by_codes = ShardTally(), ShardTally()
    for _ in range(2):
        by_results.add(FileResult(page.rel, page.kind, results, page.language))
        by_codes.add_codes(
            page.rel, None, page.language, page.lines, codes, arrays.group,
            (arrays.flags & GROUPED) != 0,
        )  # fmt: skip
    assert by_codes == by_results
    assert list(by_codes.reasons) == list(by_results.reasons)
    assert by_codes.pages[0][6] == by_results.pages[0][6] is not None


def test_a_page_is_judged_alike_with_and_without_the_compiled_loops() -> None:
    from cleaner.io.records import RecordKeys
    from cleaner.steps.context import RunContext

    page, table = _page_and_table()
    ctx = RunContext(Config(), Path("."), RecordKeys(), table=table)
    fast = judge_page(page, ctx, WorkerMemo(300), loops_of(table))
    slow = judge_page(page, ctx, WorkerMemo(300), None)
    for field in ("codes", "group", "grouped"):
        a, b = getattr(fast, field), getattr(slow, field)
        assert a.dtype == b.dtype and a.tolist() == b.tolist()
    assert {REASONS[c] for c in fast.codes.tolist()} >= {Reason.BODY, Reason.TEMPLATE}


@pytest.mark.parametrize("template_min_files", [2, 6, 1 << 70])
def test_a_page_the_kernel_judges_whole_is_decided_in_one_call_alike(template_min_files) -> None:
    from cleaner.io.records import RecordKeys
    from cleaner.steps.context import RunContext
    from cleaner.steps.decide import _kernel_codes

    page, table = _page_and_table()
    lines = [page.lines[i] for i in (0, 1, 2, 4, 5, 6, 7)]  # no image, no link
    keys, ids, counts = LinePrinter(-1, kernel_after=-1).page(lines)
    page = Page("a.txt", None, "text", tuple(lines), keys, "en", words=ids, word_counts=counts)
    ctx = RunContext(
        Config(), Path("."), RecordKeys(), table=table, template_min_files=template_min_files
    )
    loops = decision_loops(ctx)  # the run's, with its judge
    if loops is None or not hasattr(loops.module, "page_codes"):
        pytest.skip("the compiled module has no page_codes")
    made = _kernel_codes(page, WorkerMemo(300), Config())
    assert made is not None and (made >= 0).all()  # the one-call path is taken
    fused = judge_page(page, ctx, WorkerMemo(300), loops)
    apart = judge_page(page, ctx, WorkerMemo(300), replace(loops, judge=None))
    slow = judge_page(page, ctx, WorkerMemo(300), None)
    assert (loops.judge is not None) == (template_min_files < 1 << 63)  # 64 bits at most
    got = [fused, apart, slow]
    if loops.rules is not None and template_min_files < 1 << 63:  # the one call, made apart
        found = loops.module.page_codes(
            made, page.keys, *loops.table, template_min_files, True, loops.rules
        )
        got.append(PageCodes(*found))
    for field in ("codes", "group", "grouped"):
        arrays = [getattr(x, field) for x in got]
        assert len({a.dtype for a in arrays}) == 1
        assert len({tuple(a.tolist()) for a in arrays}) == 1
    left = made.copy()
    left[3] = -1  # a line left to the reference: the caller fills its features first
    assert loops.module.page_codes(left, page.keys, *loops.table, 2, True, loops.rules) is None
