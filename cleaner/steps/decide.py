"""Pass 2, per shard: decide every line of every page (``cleaner.decide`` over the
line features and the corpus-wide group table), tally the report's counts, make each
page's document print, and write single-page outputs when nothing else decides them.

A page travels as arrays (:mod:`cleaner.linecodes`): its lines' features and groups, then
a reason code per line, made by the compiled loops (:func:`decision_loops`) where they are
built; the tally, the cleaned text and the document words are read from the codes, and a
line's ``LineResult`` is made only for the results file (a report, or pass 3)."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xxhash

from ..arrays import first_copies
from ..compiled import compiled
from ..config import Config
from ..decide import LineGroup, decide_lines
from ..dedup import GroupTable
from ..heuristics.classify import LineFeatures, line_features
from ..heuristics.compiled import features_of
from ..idset import IdSet
from ..io.writers import WriteBatch
from ..linecodes import (
    BODY,
    CLASS_CODE,
    FIRST,
    GROUPED,
    LineArrays,
    Rules,
    decide_codes,
    decision_rules,
    decisions_of,
    feature_flags,
    reason_codes,
)
from ..models import FileResult, LineResult, Source
from ..pages import Page
from ..report.tally import ShardTally
from ..work import (
    DOC_PRINTS,
    GROUPS,
    PAGES,
    PASS2_DONE,
    RESULTS,
    TALLY,
    resume_or_run,
    save_marker,
    shard_file,
    stream_dump,
    stream_load,
)
from ..writing import output_file, writes_in_pass2
from .cleaned import cleaned_page
from .context import PageName, RunContext, Shard, WorkerMemo

DOC_SIGNATURE_CHUNK = 512  # pages whose document signatures are computed together in pass 2
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1  # what the compiled loops take


_UNGROUPED = (LineGroup(None, 1, True), LineGroup(None, 1, False))


def line_groups(keys: np.ndarray, table: GroupTable) -> list[LineGroup]:
    """The group of each line of a page, and whether it is the line's first copy on it."""
    found, idx = table.lookup(keys)
    first, seen = [], set()  # a few keys: a set beats sorting them
    for key in keys.tolist():
        first.append(key not in seen)
        seen.add(key)
    hits = np.flatnonzero(found)
    groups = [_UNGROUPED[0] if f else _UNGROUPED[1] for f in first]
    rows = idx[hits]
    for i, gid, n_files in zip(
        hits.tolist(), table.gid[rows].tolist(), table.n_files[rows].tolist(), strict=True
    ):
        groups[i] = LineGroup(gid, n_files, first[i])
    return groups


def token_counts(
    ids: np.ndarray, counts: np.ndarray, stop_ids: IdSet | None
) -> list[tuple[int, int]]:
    """Per line, from a page's token ids (0 for punctuation) and tokens per line: its word
    tokens and how many of them have an id of ``stop_ids`` (None: no stoplist).

    >>> ids = np.array([7, 0, 3, 7, 9], np.uint64)
    >>> token_counts(ids, np.array([3, 0, 2]), IdSet(np.array([7], np.uint64)))
    [(2, 1), (0, 0), (2, 1)]
    """
    ends = np.cumsum(counts)
    starts = ends - counts

    def per_line(mask: np.ndarray) -> list[int]:
        total = np.zeros(len(mask) + 1, np.int64)
        np.cumsum(mask, out=total[1:])
        return (total[ends] - total[starts]).tolist()

    n_words = per_line(ids != 0)
    if stop_ids is None:
        return [(n, 0) for n in n_words]
    return list(zip(n_words, per_line(stop_ids.contains(ids)), strict=True))


def page_features(page: Page, memo: WorkerMemo, config: Config) -> list[LineFeatures]:
    """The features of each line: by the compiled kernel where it is loaded
    (:mod:`cleaner.heuristics.compiled`; equal features share one object), else by
    :func:`line_features`, a short line's remembered per language and a long line's words
    and stopwords counted from the word ids of its fingerprint."""
    found: list[LineFeatures | None] = [None] * len(page.lines)
    codes: list[int] = []
    shared = memo.shared_features
    made = _kernel_codes(page, memo, config)
    if made is not None:
        codes = made.tolist()
        found = list(map(shared.get, codes))  # None for -1 (left here) and new codes
    todo: list[int] = []
    for n, f in enumerate(found):
        if f is not None:
            continue
        if codes and codes[n] >= 0:  # new to this worker, or met earlier on this page
            f = shared.get(codes[n])
            if f is None:
                if len(shared) >= memo.limit:
                    shared.clear()
                f = shared[codes[n]] = features_of(codes[n])
            found[n] = f
        else:
            todo.append(n)
    for n, f in zip(todo, reference_features(page, memo, config, todo), strict=True):
        found[n] = f
    return found  # type: ignore[return-value]


def _kernel_codes(page: Page, memo: WorkerMemo, config: Config) -> np.ndarray | None:
    """The packed features of the page's lines by the compiled kernel (-1: a line left to
    the reference); None where the kernel is not loaded or cannot take the page."""
    kernel = memo.judge.kernel(len(page.lines))
    if kernel is None:
        return None
    stops, digits = memo.feature_stops(page.language)
    return kernel.codes(page.lines, page.words, page.word_counts, stops, digits, config, page.utf8)


def reference_features(
    page: Page, memo: WorkerMemo, config: Config, todo: Sequence[int]
) -> list[LineFeatures]:
    """The features of the lines ``todo`` of a page by :func:`line_features`: a short line's
    remembered per language, a long line's words and stopwords counted from the word ids
    of its fingerprint."""
    stop = memo.stoplists.get(page.language)
    seen = memo.features(page.language)
    short = memo.short_chars
    counted: list[tuple[int, int]] | None = None
    found = []
    for n in todo:
        line = page.lines[n]
        if len(line) > short:
            if counted is None:
                usable, stop_ids = memo.stop_ids(page.language)
                counted = token_counts(page.words, page.word_counts, stop_ids) if usable else []
            f = line_features(line, stop, config, counted[n] if counted else None)
        else:
            f = seen.get(line)
            if f is None:
                f = line_features(line, stop, config)
                seen.put(line, f)
        found.append(f)
    return found


def page_lines(
    page: Page,
    table: GroupTable,
    memo: WorkerMemo,
    config: Config,
    loops: Loops | None = None,
    made: np.ndarray | None = None,
) -> LineArrays:
    """The features and groups of a page's lines as arrays (:mod:`cleaner.linecodes`): what
    :func:`page_features` and :func:`line_groups` give, without an object per line for the
    lines the compiled kernel judges. ``loops``: the compiled loops for ``table``
    (:func:`decision_loops`; None: numpy's); ``made``: the kernel's codes of the page's
    lines, where the caller has them (:func:`_kernel_codes`)."""
    n = len(page.lines)
    if made is None:
        made = _kernel_codes(page, memo, config)
    if made is None:
        made = np.full(n, -1, np.int64)
    if loops is not None:
        keys = np.ascontiguousarray(page.keys, np.uint64)
        cls, words, chars, flags, group, n_files = loops.module.line_arrays(
            made, keys, *loops.table
        )
    else:
        cls, words, chars, flags, group, n_files = _line_arrays(made, page.keys, table)
    todo = (made < 0).nonzero()[0].tolist()  # the lines left to the reference
    if not todo:
        return LineArrays(cls, words, chars, flags, group, n_files)
    for i, f in zip(todo, reference_features(page, memo, config, todo), strict=True):
        cls[i] = CLASS_CODE[f.cls]
        words[i] = f.n_words
        chars[i] = f.n_chars
        flags[i] |= feature_flags(f)
    return LineArrays(cls, words, chars, flags, group, n_files)


def _line_arrays(made: np.ndarray, keys: np.ndarray, table: GroupTable) -> tuple[np.ndarray, ...]:
    """The compiled ``line_arrays`` in numpy: the lines' arrays from their packed features
    (zeros for -1) and their keys."""
    judged = made >= 0
    cls = np.where(judged, (made >> 4) & 7, 0).astype(np.uint8)
    words = np.where(judged, (made >> 8) & 0xFFFFFF, 0)
    chars = np.where(judged, made >> 32, 0)
    flags = np.where(judged, (made & 15) | ((made & 128) >> 1), 0).astype(np.uint16)  # IMAGE
    found, idx = table.lookup(keys)
    rows = idx[found]
    group = np.zeros(len(keys), np.uint64)
    group[found] = table.gid[rows]
    n_files = np.zeros(len(keys), np.int64)
    n_files[found] = table.n_files[rows]
    flags |= found.astype(np.uint16) * np.uint16(GROUPED)
    flags |= first_copies(keys).astype(np.uint16) * np.uint16(FIRST)
    return cls, words, chars, flags, group, n_files


def judge_page(
    page: Page, ctx: RunContext, memo: WorkerMemo | None = None, loops: Loops | None = None
) -> PageCodes:
    """The decisions of a readable page's lines, as codes (:mod:`cleaner.linecodes`), by the
    compiled loops (``loops``, :func:`decision_loops`); without them (None), by the
    reference's features, groups and decisions (:func:`page_features`, :func:`line_groups`,
    :func:`cleaner.decide.decide_lines`)."""
    config = ctx.config
    memo = memo or ctx.memo or WorkerMemo(config.near_dup_max_chars)
    assert ctx.table is not None
    shape_filter = page.kind != "html" or config.html_shape_filter
    tmin = ctx.template_min_files
    if loops is None:  # the reference's objects, as they are
        groups = line_groups(page.keys, ctx.table)
        decided = decide_lines(
            page_features(page, memo, config), groups, tmin, config, shape_filter
        )
        n = len(groups)
        return PageCodes(
            reason_codes(decided),
            np.fromiter((g.id or 0 for g in groups), np.uint64, n),
            np.fromiter((g.id is not None for g in groups), bool, n),
        )
    made = _kernel_codes(page, memo, config)
    if made is not None and loops.judge is not None and tmin == loops.judge_tmin:
        # every line judged by the kernel: the arrays and the decisions in one call
        found = loops.judge.codes(made, page.keys, shape_filter)
        if found is not None:
            return PageCodes(*found)
    lines = page_lines(page, ctx.table, memo, config, loops, made)
    codes = decide_codes(lines, tmin, config, shape_filter, loops.module.decide_codes, loops.rules)
    return PageCodes(codes, lines.group, (lines.flags & GROUPED) != 0)


@dataclass(frozen=True)
class Loops:
    """Pass 2's compiled loops (``line_arrays``, ``decide_codes``) and what they take from
    the run: the group table's arrays, the thresholds (None: the reference decides)."""

    module: Any
    table: tuple[np.ndarray, np.ndarray, np.ndarray]  # keys, gid, n_files
    rules: Rules | None
    # ``line_arrays`` then ``decide_codes`` of a page the kernel judged whole, in one call
    # (the module's ``PageJudge``, which takes the group table and the thresholds once;
    # None: the two are called apart, or the reference decides), and the files a template
    # needs that it was made for (a threshold beyond 64 bits: none is made)
    judge: Any = None
    judge_tmin: int | None = None


def decision_loops(ctx: RunContext) -> Loops | None:
    """The compiled loops for a run's pages, when the compiled module holds them and
    ``CLEANER_KERNELS`` does not turn it off; else None."""
    module = compiled()
    if module is None or not hasattr(module, "decide_codes") or ctx.table is None:
        return None
    table = (
        np.ascontiguousarray(ctx.table.keys, np.uint64),
        np.ascontiguousarray(ctx.table.gid, np.uint64),
        np.ascontiguousarray(ctx.table.n_files, np.int64),
    )
    rules = decision_rules(ctx.config)
    judge = None
    tmin = ctx.template_min_files
    if rules is not None and hasattr(module, "PageJudge") and _INT64_MIN <= tmin <= _INT64_MAX:
        judge = module.PageJudge(*table, tmin, rules)
    return Loops(module, table, rules, judge, None if judge is None else tmin)


@dataclass(frozen=True, slots=True)
class PageCodes:
    """The reason code of each line of a page, and its group (id; whether it has one)."""

    codes: np.ndarray  # uint8, 0 (body) for a kept line
    group: np.ndarray  # uint64
    grouped: np.ndarray  # bool

    def kept(self) -> np.ndarray:
        """Which lines are kept (a mask)."""
        return self.codes == BODY


def file_result(page: Page, judged: PageCodes | None) -> FileResult:
    """The page's result with a LineResult per line (for the results file and the reports);
    an unreadable page (``judged`` None) has its error and no lines."""
    if page.error is not None or judged is None:
        return FileResult(page.rel, page.kind, (), None, page.error, page.notes, page.id)
    decisions = decisions_of(judged.codes, judged.group, judged.grouped)
    lines = tuple(
        LineResult(n + 1, text, d)
        for n, (text, d) in enumerate(zip(page.lines, decisions, strict=True))
    )
    return FileResult(page.rel, page.kind, lines, page.language, None, page.notes, page.id)


def decide_page(page: Page, ctx: RunContext, memo: WorkerMemo | None = None) -> FileResult:
    if page.error is not None:
        return file_result(page, None)
    return file_result(page, judge_page(page, ctx, memo, decision_loops(ctx)))


def needs_results(ctx: RunContext, shard: Shard) -> bool:
    """Whether pass 2 keeps a shard's results file: for the caller (``keep_results``), or
    for pass 3 to write the shard's outputs from (record files; all files when near-duplicate
    documents are dropped). Single-page files written in pass 2 need none."""
    if ctx.keep_results:
        return True
    if ctx.out_dir is None:
        return False
    if not writes_in_pass2(ctx.config):
        return True
    return any(s.is_record_file for s in shard.sources)


def decide_shard(ctx: RunContext, shard: Shard) -> list[PageName]:
    """Pass 2 over one shard: results streamed to the shard's results file (when
    :func:`needs_results`), document
    prints (one row per page; no words for a page that could not be read) appended to its
    document-print file a batch at a time (so a large record file's prints are never all
    held); returns the name of each page.

    Unless near-duplicate documents are dropped, the output of a single-page file depends
    on nothing else, so it is written here (pass 3 then only writes record files). Skipped
    when the shard's done-marker exists (a rerun of an interrupted run)."""
    marker = shard_file(ctx.work_dir, shard.index, PASS2_DONE)
    pages = shard_file(ctx.work_dir, shard.index, PAGES)  # pass 1's: read once
    return resume_or_run(marker, lambda: _decide_shard(ctx, shard), used_up=(pages,))


def _decide_shard(ctx: RunContext, shard: Shard) -> list[PageName]:
    """:func:`decide_shard`'s work, its marker aside."""
    index = shard.index
    config = ctx.config
    memo = ctx.memo or WorkerMemo(config.near_dup_max_chars)
    hasher = ctx.doc_hasher  # None: no document prints wanted (no dedup, no index)
    # pages waiting for their document signature, in page order: (content hash, word ids);
    # every page gets a row, so a page's row number in the file is its position
    waiting: list[tuple[int, np.ndarray]] = []
    prints_file = shard_file(ctx.work_dir, index, DOC_PRINTS).open("wb")

    def sign_waiting() -> None:
        assert hasher is not None
        prints_file.write(hasher.print_rows(waiting).tobytes())
        waiting.clear()

    singles: dict[str, Source] = {}  # pages written here, by rel
    out_dir = ""  # the output folder as a string: a page's output is named without a Path
    if ctx.out_dir is not None and writes_in_pass2(config):
        singles = {s.rel: s for s in shard.sources if not s.is_record_file}
        out_dir = os.fspath(ctx.out_dir)

    tally = ShardTally()
    outputs = WriteBatch()

    keep = needs_results(ctx, shard)
    loops = decision_loops(ctx)
    tally_loop = None if loops is None else getattr(loops.module, "tally_page", None)
    words_loop = None if loops is None else getattr(loops.module, "kept_ids", None)
    kept_loop = None if loops is None else getattr(loops.module, "kept_page", None)

    def results() -> Iterator[FileResult]:
        for page in stream_load(shard_file(ctx.work_dir, index, PAGES)):
            judged = None if page.error is not None else judge_page(page, ctx, memo, loops)
            if judged is None:
                tally.add_page(page.rel, page.id, None, 0, 0, page.error, None)
            else:
                tally.add_codes(page.rel, page.id, page.language, page.lines, judged.codes,
                                judged.group, judged.grouped, tally_loop)  # fmt: skip
            # the cleaned page (its kept lines, each ending in a newline) as UTF-8, for the
            # output and the content hash; as a string where it holds a lone surrogate
            data = text = words = None
            if judged is not None and (hasher is not None or page.rel in singles):
                data, text, words = cleaned_page(page, judged.codes, kept_loop, words_loop)
                if page.id is None and page.rel in singles:
                    target = output_file(out_dir, singles[page.rel], config)
                    # a lone surrogate: the writing fails on the text, as it would
                    outputs.add(target, data if text is None else text)
            if hasher is not None:
                if data is None or words is None:  # unreadable: a row without words
                    waiting.append((0, np.empty(0, np.uint64)))
                else:
                    waiting.append((xxhash.xxh3_64_intdigest(data), words))
                if len(waiting) >= DOC_SIGNATURE_CHUNK:
                    sign_waiting()
            del text, data, words
            if keep:
                yield file_result(page, judged)

    with prints_file:
        if keep:
            stream_dump(results(), shard_file(ctx.work_dir, index, RESULTS))
        else:
            deque(results(), maxlen=0)  # judged, tallied and written; nothing kept
        if waiting:
            sign_waiting()
    outputs.flush()
    head, groups = tally.split()  # apart: a report may read the texts of a few groups only
    save_marker(shard_file(ctx.work_dir, index, GROUPS), groups)
    save_marker(shard_file(ctx.work_dir, index, TALLY), head)
    names: list[PageName] = [(rel, rid) for rel, rid, *_ in tally.pages]
    return names


def decide_shard_task(ctx: RunContext, shard: Shard) -> list[PageName]:
    """:func:`decide_shard` as an engine task: the document prints stay in the shard's
    file under the work folder; only the page names go back."""
    return decide_shard(ctx, shard)
