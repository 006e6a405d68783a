"""What the report counts of a shard's pages, gathered by the worker that decided them and
merged in the main process: pages, lines by reason, the groups the lines fell in."""

from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import xxhash

from ..arrays import members
from ..models import FileResult, Reason

_REASON_NAMES = tuple(r.value for r in Reason)  # by reason code (cleaner.linecodes)
_BODY = _REASON_NAMES.index(Reason.BODY.value)

MAX_COUNTED_VARIANTS = 1000  # distinct texts counted per group (bounds memory)


@dataclass
class GroupAgg:
    """A group's texts and pages, as 4-byte page numbers (names are looked up at the end)."""

    variants: dict[str, int] = field(default_factory=dict)  # plain: made and pickled in C
    pages: array[int] = field(default_factory=lambda: array("I"))
    # once the group has MAX_COUNTED_VARIANTS texts: a heap of (-hash, text), largest on top
    heap: list[tuple[int, str]] | None = None


def text_hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))


# What the report keeps of one page: (file, record id, language, lines, kept, error, the
# most frequent reason a line of it was dropped)
PageTally = tuple[str, str | None, str | None, int, int, str | None, str | None]


def admit(agg: GroupAgg, text: str, count: int) -> None:
    """Count ``count`` more of a group's text. A group counts at most MAX_COUNTED_VARIANTS
    distinct texts (its memory stays bounded): the ones of smallest hash, so that which
    texts are counted does not depend on the order pages come in, and tallies of parts of
    the corpus merge into the tally of the whole. A text counted is counted in full.

    >>> agg = GroupAgg()
    >>> for t in ["Menu", "Top", "Menu", *(f"Menu {i}" for i in range(MAX_COUNTED_VARIANTS))]:
    ...     admit(agg, t, 1)
    >>> len(agg.variants) == MAX_COUNTED_VARIANTS, agg.variants.get("Menu") in (None, 2)
    (True, True)
    """
    counts = agg.variants
    if text in counts:
        counts[text] += count
    elif len(counts) < MAX_COUNTED_VARIANTS:
        counts[text] = count
    else:  # full: the text takes the place of the largest hash, if its own is smaller
        if agg.heap is None:
            agg.heap = [(-text_hash(t), t) for t in counts]
            heapq.heapify(agg.heap)
        h = text_hash(text)
        if h < -agg.heap[0][0]:
            _, top = heapq.heapreplace(agg.heap, (-h, text))
            del counts[top]
            counts[text] = count


def tally_groups(
    groups: dict[int, GroupAgg],
    texts: Sequence[str],
    group: np.ndarray,
    grouped: np.ndarray,
    page: int,
) -> None:
    """Count a page's grouped lines (``grouped``) in their groups (``group``, ids): each
    line's text in its group's variants (:func:`admit`), the page (its number) in each
    group's pages once; a group met for the first time is added to ``groups``.

    >>> groups: dict[int, GroupAgg] = {}
    >>> texts = ["Menu", "Home", "Menu", "x"]
    >>> grouped = np.array([True, True, True, False])
    >>> tally_groups(groups, texts, np.array([7, 8, 7, 0], np.uint64), grouped, 3)
    >>> [(gid, dict(a.variants), list(a.pages)) for gid, a in groups.items()]
    [(7, {'Menu': 2}, [3]), (8, {'Home': 1}, [3])]
    """
    at = np.flatnonzero(grouped)
    for i, gid in zip(at.tolist(), group[at].tolist(), strict=True):
        agg = groups.get(gid)
        if agg is None:
            agg = groups[gid] = GroupAgg()
        text = texts[i]
        variants = agg.variants
        if text in variants:
            variants[text] += 1
        else:
            admit(agg, text, 1)
        if not agg.pages or agg.pages[-1] != page:
            agg.pages.append(page)


@dataclass(frozen=True)
class GroupColumns:
    """A shard's groups as its pass 2 saves them for the report: a few arrays and one list
    of texts (where a pickled :class:`GroupAgg` each cost an object with a dict and an array
    to save and to read back), turned back into aggregates only for the groups a report
    asks for (:meth:`select`).

    >>> a, b = GroupAgg({"Menu": 2, "Home": 1}, array("I", [0, 3])), GroupAgg({"x": 1})
    >>> cols = GroupColumns.of({7: a, 9: b})
    >>> [(gid, agg == {7: a, 9: b}[gid]) for gid, agg in cols.select(None)]
    [(7, True), (9, True)]
    >>> [gid for gid, _ in cols.select({9, 4})], len(cols)
    ([9], 2)
    """

    ids: np.ndarray  # uint64: each group's id
    n_texts: np.ndarray  # int64: how many of ``texts`` (and ``counts``) are each group's
    texts: list[str]  # the groups' counted texts, group after group
    counts: np.ndarray  # int64: how often each text was counted
    n_pages: np.ndarray  # int64: how many of ``pages`` are each group's
    pages: np.ndarray  # uint32: the page numbers of each group, group after group

    @classmethod
    def of(cls, groups: dict[int, GroupAgg]) -> GroupColumns:
        aggs = list(groups.values())
        n = len(aggs)
        return cls(
            np.fromiter(groups, np.uint64, n),
            np.fromiter(map(len, (a.variants for a in aggs)), np.int64, n),
            [text for a in aggs for text in a.variants],
            np.fromiter((c for a in aggs for c in a.variants.values()), np.int64),
            np.fromiter(map(len, (a.pages for a in aggs)), np.int64, n),
            np.frombuffer(b"".join(a.pages for a in aggs), np.uint32),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def select(self, wanted: set[int] | None) -> Iterator[tuple[int, GroupAgg]]:
        """The groups of ``wanted`` (None: every group), in saved order, as aggregates."""
        if wanted is None:
            at = range(len(self.ids))
        else:
            want = np.fromiter(wanted, np.uint64, len(wanted))
            at = np.flatnonzero(members(self.ids, want)).tolist()
        text_ends = np.cumsum(self.n_texts).tolist()
        page_ends = np.cumsum(self.n_pages).tolist()
        for i in at:
            t0 = text_ends[i - 1] if i else 0
            p0 = page_ends[i - 1] if i else 0
            variants = dict(
                zip(self.texts[t0 : text_ends[i]], self.counts[t0 : text_ends[i]].tolist(),
                    strict=True)
            )  # fmt: skip
            pages = array("I", self.pages[p0 : page_ends[i]].tobytes())
            yield int(self.ids[i]), GroupAgg(variants, pages)


@dataclass
class ShardTally:
    """What the report needs of a shard's pages, gathered by the worker that decided them:
    a summary per page, line counts by reason, and the groups the pages' lines fell in
    (pages numbered within the shard). The main process merges one tally per shard instead
    of reading every line of every page.

    >>> from ..models import Decision, LineResult
    >>> t = ShardTally()
    >>> body, tpl = Decision(True, Reason.BODY), Decision(False, Reason.TEMPLATE, 7)
    >>> t.add(FileResult("a.txt", "text", (LineResult(1, "Menu", tpl), LineResult(2, "x", body))))
    >>> t.add(FileResult("b.txt", "text", (LineResult(1, "Menu", tpl),)))
    >>> t.pages[1], dict(t.reasons), t.groups[7].variants["Menu"], list(t.groups[7].pages)
    (('b.txt', None, None, 1, 0, None, 'template'), {'template': 2, 'body': 1}, 2, [0, 1])
    """

    pages: list[PageTally] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    groups: dict[int, GroupAgg] = field(default_factory=dict)
    # each group's id and number of pages (uint64, int64), set by :meth:`split`
    sizes: tuple[np.ndarray, np.ndarray] | None = None

    def group_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """The id of each group and how many of the shard's pages it spans."""
        if self.sizes is not None:
            return self.sizes
        n = len(self.groups)
        ids = np.fromiter(self.groups, np.uint64, n)
        return ids, np.fromiter((len(a.pages) for a in self.groups.values()), np.int64, n)

    def split(self) -> tuple[ShardTally, GroupColumns]:
        """The tally with its groups' sizes in place of their texts and pages, and the
        groups as columns: saved apart, so that a report can count every group and read the
        texts of only those it lists.

        >>> from ..models import Decision, LineResult
        >>> t = ShardTally()
        >>> menu = LineResult(1, "Menu", Decision(False, Reason.TEMPLATE, 7))
        >>> t.add(FileResult("a.txt", "text", (menu,)))
        >>> head, groups = t.split()
        >>> head.groups, [a.tolist() for a in head.group_sizes()], groups.ids.tolist()
        ({}, [[7], [1]], [7])
        """
        columns = GroupColumns.of(self.groups)  # its ids and page counts are the sizes
        sizes = self.sizes if self.sizes is not None else (columns.ids, columns.n_pages)
        return ShardTally(self.pages, self.reasons, {}, sizes), columns

    def add_page(
        self,
        rel: str,
        rid: str | None,
        language: str | None,
        n_lines: int,
        kept: int,
        error: str | None,
        top: str | None,
    ) -> None:
        """Count a page's summary (no lines: those are counted by the caller)."""
        self.pages.append((rel, rid, language, n_lines, kept, error, top))

    def add_codes(
        self,
        rel: str,
        rid: str | None,
        language: str | None,
        texts: Sequence[str],
        codes: np.ndarray,
        group: np.ndarray,
        grouped: np.ndarray,
        loop: Callable[..., tuple[int, str | None]] | None = None,
    ) -> None:
        """:meth:`add` of a readable page given as arrays: its lines' texts, their reason
        codes (:mod:`cleaner.linecodes`), group ids, and whether each is in a group.
        ``loop``: the compiled loop (``tally_page`` of ``cleaner/_compiled.pyx``; None: the
        Python below and :func:`tally_groups`, its reference).

        >>> t, u = ShardTally(), ShardTally()
        >>> from ..models import Decision, LineResult
        >>> body, tpl = Decision(True, Reason.BODY), Decision(False, Reason.TEMPLATE, 7)
        >>> lines = (LineResult(1, "Menu", tpl), LineResult(2, "x", body))
        >>> t.add(FileResult("a.txt", "text", lines))
        >>> u.add_codes("a.txt", None, None, ["Menu", "x"], np.array([1, 0], np.uint8),
        ...             np.array([7, 0], np.uint64), np.array([True, False]))
        >>> t == u
        True
        """
        page = len(self.pages)
        if loop is not None:
            kept, top = loop(
                self.reasons,
                self.groups,
                texts if type(texts) is tuple else tuple(texts),
                np.ascontiguousarray(codes, np.uint8),
                np.ascontiguousarray(group, np.uint64),
                np.ascontiguousarray(grouped, bool).view(np.uint8),
                page,
                _REASON_NAMES,
                _BODY,
                MAX_COUNTED_VARIANTS,
                GroupAgg,
                admit,
            )
            self.pages.append((rel, rid, language, len(codes), kept, None, top))
            return
        order = codes.tolist()
        by_code = {c: order.count(c) for c in dict.fromkeys(order)}  # first met first
        reasons = self.reasons
        kept = 0
        top = None
        most = 0
        for c, n in by_code.items():  # the most frequent reason dropped, the first met of ties
            name = _REASON_NAMES[c]
            reasons[name] = reasons.get(name, 0) + n  # Counter.update's order, without its cost
            if c == _BODY:
                kept = n
            elif n > most:
                top, most = name, n
        tally_groups(self.groups, texts, group, grouped, page)
        self.pages.append((rel, rid, language, len(order), kept, None, top))

    def add(self, result: FileResult) -> None:
        page = len(self.pages)
        kept = 0
        by_reason: Counter[Reason] = Counter()
        groups = self.groups
        for line in result.lines:
            d = line.decision
            by_reason[d.reason] += 1
            kept += d.keep
            if d.group is not None:
                agg = groups.get(d.group)
                if agg is None:
                    agg = groups[d.group] = GroupAgg()
                admit(agg, line.text, 1)
                if not agg.pages or agg.pages[-1] != page:
                    agg.pages.append(page)
        counts = {r.value: c for r, c in by_reason.items()}
        self.reasons.update(counts)
        dropped = Counter({r: c for r, c in counts.items() if r != Reason.BODY.value})
        top = dropped.most_common(1)[0][0] if dropped else None
        n = len(result.lines)
        self.pages.append((result.rel, result.id, result.language, n, kept, result.error, top))
