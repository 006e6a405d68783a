"""Combines line classes, cross-file groups and block context into one Decision per line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .config import Config
from .heuristics.classify import LineClass, LineFeatures
from .models import Decision, Reason


@dataclass(frozen=True, slots=True)
class LineGroup:
    """The cross-file group a line belongs to, as the group step saw it."""

    id: int | None  # None: the line occurs in one file only
    n_files: int


_NO_GROUP = LineGroup(None, 1)
_OWN_REASON = {LineClass.MARKUP: Reason.MARKUP, LineClass.DATETIME: Reason.DATETIME}


def _runs(feats: Sequence[LineFeatures], template: Sequence[bool]) -> list[range]:
    """Maximal runs of title-like or template lines; a top-level heading starts a new run."""
    runs: list[range] = []
    start: int | None = None
    for i, f in enumerate(feats):
        member = f.title_like or template[i]
        if start is not None and (not member or f.heading):
            runs.append(range(start, i))
            start = None
        if member and start is None:
            start = i
    if start is not None:
        runs.append(range(start, len(feats)))
    return runs


def _anchor(
    feats: Sequence[LineFeatures], out: Sequence[Decision | None], i: int, step: int
) -> tuple[bool, int]:
    """Is the nearest decisive line in direction ``step`` body text, and how many visible
    characters stand between? Short and title-like lines are skipped, markup is transparent,
    the page's edge counts as not body."""
    gap = 0
    j = i + step
    while 0 <= j < len(feats):
        f = feats[j]
        d = out[j]
        if d is not None and d.reason is Reason.MARKUP:
            pass
        elif d is not None:
            return d.keep, gap
        elif f.cls is LineClass.GOOD:
            return True, gap
        elif f.cls is LineClass.BAD:
            return False, gap
        else:
            gap += f.n_chars
        j += step
    return False, gap


def decide_lines(
    feats: Sequence[LineFeatures],
    groups: Sequence[LineGroup],
    template_min_files: int,
    config: Config,
    shape_filter: bool = True,
) -> list[Decision]:
    """One decision per line of a page.

    >>> from cleaner.heuristics.classify import LineFeatures as F, LineClass as C
    >>> good, title = F(C.GOOD, 20, 120, False, False), F(C.TITLE, 6, 40, False, True)
    >>> g = [LineGroup(None, 1)] * 4 + [LineGroup(7, 2)]
    >>> [d.reason.value for d in decide_lines([good, good, title, title, title], g, 2, Config())]
    ['body', 'body', 'template-block', 'template-block', 'template']
    """
    n = len(feats)
    template = [g.id is not None and g.n_files >= template_min_files for g in groups]
    out: list[Decision | None] = [None] * n

    for i, f in enumerate(feats):
        g = groups[i]
        if template[i]:
            quote = (
                f.cls is LineClass.GOOD
                and g.n_files < config.quote_max_files
                and 0 < i < n - 1
                and all(feats[j].cls is LineClass.GOOD and not template[j] for j in (i - 1, i + 1))
            )
            out[i] = Decision(quote, Reason.BODY if quote else Reason.TEMPLATE, g.id)
        elif f.cls in _OWN_REASON:
            out[i] = Decision(False, _OWN_REASON[f.cls], g.id)

    for run in _runs(feats, template):
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

    # Context: short and title-like lines follow the body lines around them. Decided in
    # one sweep over a snapshot, so the result does not depend on the order of the sweep.
    snapshot = list(out)
    for i, f in enumerate(feats):
        if out[i] is not None:
            continue
        prev_good, _ = _anchor(feats, snapshot, i, -1)
        next_good, gap = _anchor(feats, snapshot, i, +1)
        if f.cls is LineClass.NEAR:
            keep = prev_good or next_good
            reason = Reason.BODY if keep else Reason.SHORT
        else:
            keep = (prev_good and next_good) or (next_good and gap <= config.heading_max_chars)
            reason = Reason.BODY if keep else Reason.NO_SENTENCE
        out[i] = Decision(keep, reason, groups[i].id)
    return [d if d is not None else Decision(True, Reason.BODY) for d in out]
