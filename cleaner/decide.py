"""Combines line classes, cross-file groups and block context into one Decision per line.

Steps, each a small function over the whole page:

1. cross-file template lines, in-page repeats, markup and date stamps;
2. template blocks: runs of title-like lines that contain template lines;
3. line shape: body lines stay, lines without function words go;
4. context: short and title-like lines follow the body lines around them;
5. announced lists: the lines a body line ending with a colon announces stay, and so
   join the block of the text around them;
6. main body: small blocks of body text far from the page's main block go (teasers,
   comment threads), and so do grids of teasers and the posts of a thread;
7. a page without prose keeps its largest list.

Steps 5 to 7 are in :mod:`cleaner.mainbody`.

This is the reference: a run decides with its twin over arrays, ``decide_codes`` in
``cleaner/_compiled.pyx`` (see :mod:`cleaner.linecodes`), where the package was built with
its compiled loops. A change to a rule here or in :mod:`cleaner.mainbody` is made there
too; ``tests/test_decide_codes.py`` holds the two to the same decisions on generated pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .config import Config
from .heuristics.classify import LineClass, LineFeatures
from .mainbody import announced_lists, list_page, main_body
from .models import Decision, Reason


@dataclass(frozen=True, slots=True)
class LineGroup:
    """The cross-file group a line belongs to, as the group step saw it."""

    id: int | None  # None: the line occurs in one file only
    n_files: int
    first_in_page: bool = True  # the first of those occurrences


_OWN_REASON = {LineClass.MARKUP: Reason.MARKUP, LineClass.DATETIME: Reason.DATETIME}

Decisions = list[Decision | None]


def _neighbour(feats: Sequence[LineFeatures], i: int, step: int) -> int | None:
    """Index of the nearest line in direction ``step`` that is not markup."""
    j = i + step
    while 0 <= j < len(feats) and feats[j].cls is LineClass.MARKUP:
        j += step
    return j if 0 <= j < len(feats) else None


def _template_flags(
    feats: Sequence[LineFeatures], groups: Sequence[LineGroup], tmin: int, config: Config
) -> list[bool]:
    """Which lines are template noise: their group spans enough files. A body-like line
    (a sentence, or the page's top heading) that only a few files share is a quote or a
    shared story, not template, when body text adjoins it."""
    repeated = [g.id is not None and g.n_files >= tmin for g in groups]
    body_words = sum(f.n_words for f in feats if f.cls is LineClass.GOOD)
    shared_words = sum(
        f.n_words for f, r in zip(feats, repeated, strict=True) if r and f.cls is LineClass.GOOD
    )
    # Most of the page's body also stands in other files: the page is a copy (syndicated or
    # crawled twice), and its body is duplicate content for the document step, not template.
    copy = body_words > 0 and shared_words >= config.copy_min_share * body_words
    flags = []
    for i, (f, g) in enumerate(zip(feats, groups, strict=True)):
        if f.n_words == 0:
            flags.append(False)  # nothing visible: markup, not evidence of a template
            continue
        cross = repeated[i]
        if cross and (copy or g.n_files < config.quote_max_files):
            if f.heading:
                cross = False
            elif f.cls is LineClass.GOOD:
                near = [_neighbour(feats, i, -1), _neighbour(feats, i, +1)]
                cross = not any(j is not None and feats[j].cls is LineClass.GOOD for j in near)
        flags.append(cross)
    return flags


def _runs(feats: Sequence[LineFeatures], template: Sequence[bool]) -> list[range]:
    """Maximal runs of title-like or template lines; a top-level heading is never part of
    a run (it is the page's title) and so separates runs."""
    runs: list[range] = []
    start: int | None = None
    for i, f in enumerate(feats):
        member = (f.title_like or template[i]) and not f.heading
        if start is not None and not member:
            runs.append(range(start, i))
            start = None
        if member and start is None:
            start = i
    if start is not None:
        runs.append(range(start, len(feats)))
    return runs


def _anchors(feats: Sequence[LineFeatures], out: Decisions, step: int) -> list[tuple[bool, int]]:
    """For every line: is the nearest decisive line in direction ``step`` body text, and how
    many visible characters stand between? Short and title-like lines are skipped, markup is
    transparent, the page's edge counts as not body. One sweep against ``step`` (a page of
    many short lines is not scanned again from each of them).

    >>> from cleaner.heuristics.classify import LineFeatures as F, LineClass as C
    >>> good, title = F(C.GOOD, 20, 120, False, False), F(C.TITLE, 6, 40, False, True)
    >>> mark = F(C.MARKUP, 0, 3, False, True)
    >>> feats = [title, good, title, mark, title, title]
    >>> _anchors(feats, [None] * 6, 1)
    [(True, 0), (False, 120), (False, 80), (False, 80), (False, 40), (False, 0)]
    >>> _anchors(feats, [None] * 6, -1)
    [(False, 0), (False, 40), (True, 0), (True, 40), (True, 40), (True, 80)]
    """
    n = len(feats)
    found: list[tuple[bool, int]] = [(False, 0)] * n
    reach = (False, 0)  # what a scan that starts beyond the line about to be read finds
    order = range(n - 1, -1, -1) if step > 0 else range(n)
    for j in order:
        found[j] = reach  # the scan from line j starts at its neighbour in direction step
        f = feats[j]
        d = out[j]
        if f.cls is LineClass.MARKUP:
            continue
        if d is not None:
            reach = (d.keep, 0)
        elif f.cls is LineClass.GOOD:
            reach = (True, 0)
        elif f.cls is LineClass.BAD:
            reach = (False, 0)
        else:
            reach = (reach[0], reach[1] + f.n_chars)
    return found


def _context(
    feats: Sequence[LineFeatures], out: Decisions, groups: Sequence[LineGroup], config: Config
) -> None:
    """Decide the short and title-like lines still open from the lines around them. One
    sweep over a snapshot, so the result does not depend on the order of the sweep."""
    snapshot = list(out)
    # kept body lines only: a heading kept for a body line that is itself dropped (a template
    # sentence) would lose its reason once that line is gone, and a second cleaning drop it
    body_after = [False] * (len(feats) + 1)
    for i in range(len(feats) - 1, -1, -1):
        d = snapshot[i]
        body_after[i] = body_after[i + 1] or (
            feats[i].cls is LineClass.GOOD and d is not None and d.keep
        )
    before, after = _anchors(feats, snapshot, -1), _anchors(feats, snapshot, +1)
    for i, f in enumerate(feats):
        if out[i] is not None:
            continue
        prev_good, _ = before[i]
        next_good, gap = after[i]
        if f.cls is LineClass.NEAR:
            keep = prev_good or next_good
            reason = Reason.BODY if keep else Reason.SHORT
        else:
            keep = (
                (prev_good and next_good)
                or (next_good and gap <= config.heading_max_chars)
                or (f.heading and body_after[i + 1])
            )
            reason = Reason.BODY if keep else Reason.NO_SENTENCE
        out[i] = Decision(keep, reason, groups[i].id)


def decide_lines(
    feats: Sequence[LineFeatures],
    groups: Sequence[LineGroup],
    template_min_files: int,
    config: Config,
    shape_filter: bool = True,
) -> list[Decision]:
    """One decision per line of a page: the page's kept lines are decided again, without
    the dropped ones, until a round drops nothing (at most ``config.decide_max_rounds``
    rounds). A line dropped in a round keeps that round's reason. So a line is never kept
    only because of a line that goes (a short line between body lines that the main-body
    step then drops), and cleaning the page's output again keeps every line.

    >>> from cleaner.heuristics.classify import LineFeatures as F, LineClass as C
    >>> good, title = F(C.GOOD, 20, 120, False, False), F(C.TITLE, 6, 40, False, True)
    >>> g = [LineGroup(None, 1)] * 4 + [LineGroup(7, 2)]
    >>> [d.reason.value for d in decide_lines([good, good, title, title, title], g, 2, Config())]
    ['body', 'body', 'template-block', 'template-block', 'template']
    >>> feats = [good, good, title, title, title]
    >>> [d.reason.value for d in decide_lines(feats, g, 2, Config(), shape_filter=False)]
    ['body', 'body', 'body', 'body', 'template']

    A heading kept for the body line below it goes in the second round when the main-body
    step drops that line (a small block far from the main one):

    >>> head, bad = F(C.TITLE, 2, 10, True, True), F(C.BAD, 30, 200, False, False)
    >>> small = F(C.GOOD, 10, 60, False, False)
    >>> page = [good] * 6 + [head] + [bad] * 3 + [small]
    >>> [d.reason.value for d in decide_lines(page, [LineGroup(None, 1)] * 11, 2, Config())][6:]
    ['no-sentence', 'low-stopwords', 'low-stopwords', 'low-stopwords', 'off-body']
    """
    out = _decide_round(feats, groups, template_min_files, config, shape_filter)
    live = [i for i, d in enumerate(out) if d.keep]
    for _ in range(config.decide_max_rounds - 1):
        again = _decide_round(
            [feats[i] for i in live],
            [groups[i] for i in live],
            template_min_files,
            config,
            shape_filter,
        )
        if all(d.keep for d in again):
            break
        for i, d in zip(live, again, strict=True):
            if not d.keep:
                out[i] = d
        live = [i for i, d in zip(live, again, strict=True) if d.keep]
    return out


def _decide_round(
    feats: Sequence[LineFeatures],
    groups: Sequence[LineGroup],
    template_min_files: int,
    config: Config,
    shape_filter: bool,
) -> list[Decision]:
    """One round of decisions over the lines given, in the order of the module's steps."""
    template = _template_flags(feats, groups, template_min_files, config)
    out: Decisions = [None] * len(feats)

    for i, f in enumerate(feats):
        g = groups[i]
        if template[i]:
            out[i] = Decision(False, Reason.TEMPLATE, g.id)
        elif f.cls in _OWN_REASON and (shape_filter or not f.bare_url):
            # an address alone on its line in an extracted body is printed for the reader
            out[i] = Decision(False, _OWN_REASON[f.cls], g.id)
        elif shape_filter and not g.first_in_page and f.cls is not LineClass.GOOD:
            out[i] = Decision(False, Reason.REPEATED, g.id)

    # Template blocks rest on line shape (runs of title-like lines): with the shape rules
    # off (HTML, whose extractor chose the body), only the template lines themselves go.
    for run in _runs(feats, template) if shape_filter else ():
        if any(template[i] for i in run):
            for i in run:
                if out[i] is None:
                    out[i] = Decision(False, Reason.TEMPLATE_BLOCK, groups[i].id)

    for i, f in enumerate(feats):
        if out[i] is not None:
            continue
        if not shape_filter or f.cls is LineClass.GOOD:
            out[i] = Decision(True, Reason.BODY, groups[i].id)
        elif f.cls is LineClass.BAD:
            out[i] = Decision(False, Reason.LOW_STOPWORDS, groups[i].id)

    _context(feats, out, groups, config)
    decided = [d if d is not None else Decision(True, Reason.BODY) for d in out]
    if shape_filter:
        announced_lists(feats, decided)
        main_body(feats, decided, config)
        list_page(feats, decided, config)
    return decided
