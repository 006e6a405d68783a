"""A page's lines as arrays: each line's features and group as numbers, its decision as a
reason code, so that pass 2 judges, tallies and writes a page without an object per line.

The codes: a class is its place in :data:`CLASSES`, a reason its place in :data:`REASONS`
(0 is ``body``, the one reason a kept line has: a line is kept when its code is 0), and the
features' flags are the bits below (the low four as :func:`.heuristics.compiled.features_of`
packs them). :func:`decide_codes` decides as :func:`cleaner.decide.decide_lines` does, by
the loop compiled at install (``decide_codes`` in ``cleaner/_compiled.pyx``), or by the
reference itself where that is not had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Config
from .decide import LineGroup, decide_lines
from .heuristics.classify import LineClass, LineFeatures
from .models import Decision, Reason

REASONS = tuple(Reason)  # a reason code is its place here
BODY = REASONS.index(Reason.BODY)
REASON_CODE = {r: i for i, r in enumerate(REASONS)}
CLASSES = tuple(LineClass)  # a class code is its place here
CLASS_CODE = {c: i for i, c in enumerate(CLASSES)}

# flags of a line
LEAD_IN, MARKED, TITLE_LIKE, HEADING = 1, 2, 4, 8  # as a packed feature code holds them
BARE_URL, QUOTED, IMAGE = 16, 32, 64
GROUPED, FIRST = 128, 256  # in a cross-file group; the first copy of its text on the page

# Config fields the compiled loop reads, as whole numbers and as shares
INT_FIELDS = (
    "quote_max_files",
    "heading_max_chars",
    "decide_max_rounds",
    "offbody_min_gap",
    "offbody_far_gap",
    "thread_min_dates",
    "thread_max_post_lines",
    "teaser_min_headings",
    "teaser_max_words",
    "list_min_words",
    "list_min_line_words",
)
SHARE_FIELDS = (
    "copy_min_share",
    "offbody_max_share",
    "offbody_insert_min_share",
    "title_block_min_share",
)
_INT64 = (-(1 << 63), (1 << 63) - 1)
Rules = tuple[tuple[int, ...], tuple[float, ...]]  # what decision_rules gives


@dataclass(frozen=True, slots=True)
class LineArrays:
    """The features of a page's lines (class codes, words, visible characters, flags) and
    their groups (the group id, 0 for none, and the files it spans)."""

    cls: np.ndarray  # uint8
    words: np.ndarray  # int64
    chars: np.ndarray  # int64
    flags: np.ndarray  # uint16
    group: np.ndarray  # uint64; meaningful where flags hold GROUPED
    n_files: np.ndarray  # int64; 0 where not grouped

    def features(self) -> list[LineFeatures]:
        """The features of each line as :func:`.heuristics.classify.line_features` gives
        them (equal features, equal objects).

        >>> f = LineFeatures(LineClass.TITLE, 3, 12, True, True, marked=True, image=True)
        >>> arrays_of([f], [LineGroup(None, 1)]).features() == [f]
        True
        """
        columns = zip(
            self.cls.tolist(),
            self.words.tolist(),
            self.chars.tolist(),
            self.flags.tolist(),
            strict=True,
        )
        return [
            LineFeatures(
                CLASSES[c],
                w,
                n,
                bool(b & HEADING),
                bool(b & TITLE_LIKE),
                bool(b & BARE_URL),
                bool(b & QUOTED),
                bool(b & MARKED),
                bool(b & IMAGE),
                bool(b & LEAD_IN),
            )
            for c, w, n, b in columns
        ]

    def groups(self) -> list[LineGroup]:
        """The groups of each line as :func:`cleaner.steps.decide.line_groups` gives them."""
        return [
            LineGroup(g if b & GROUPED else None, n if b & GROUPED else 1, bool(b & FIRST))
            for g, n, b in zip(
                self.group.tolist(), self.n_files.tolist(), self.flags.tolist(), strict=True
            )
        ]


def feature_flags(f: LineFeatures) -> int:
    """The flags of a line's features.

    >>> feature_flags(LineFeatures(LineClass.MARKUP, 0, 3, False, True, True, image=True))
    84
    """
    return (
        f.lead_in * LEAD_IN
        | f.marked * MARKED
        | f.title_like * TITLE_LIKE
        | f.heading * HEADING
        | f.bare_url * BARE_URL
        | f.quoted * QUOTED
        | f.image * IMAGE
    )


def group_flags(g: LineGroup) -> int:
    return (g.id is not None) * GROUPED | g.first_in_page * FIRST


def arrays_of(feats: Sequence[LineFeatures], groups: Sequence[LineGroup]) -> LineArrays:
    """The arrays of a page's features and groups, one line each."""
    n = len(feats)
    return LineArrays(
        np.fromiter((CLASS_CODE[f.cls] for f in feats), np.uint8, n),
        np.fromiter((f.n_words for f in feats), np.int64, n),
        np.fromiter((f.n_chars for f in feats), np.int64, n),
        np.fromiter(
            (feature_flags(f) | group_flags(g) for f, g in zip(feats, groups, strict=True)),
            np.uint16,
            n,
        ),
        np.fromiter((g.id or 0 for g in groups), np.uint64, n),
        np.fromiter((g.n_files if g.id is not None else 0 for g in groups), np.int64, n),
    )


def decision_rules(config: Config) -> Rules | None:
    """The thresholds the compiled loop takes (whole numbers, shares); None when a field
    holds what it cannot take as the reference does (a fraction where a count is meant, a
    number beyond 64 bits): then the reference decides."""
    ints = tuple(getattr(config, name) for name in INT_FIELDS)
    shares = tuple(getattr(config, name) for name in SHARE_FIELDS)
    if not all(type(v) is int and _INT64[0] <= v <= _INT64[1] for v in ints):
        return None
    if not all(type(v) in (int, float) and abs(v) < 1 << 53 for v in shares):
        return None
    return ints, tuple(float(v) for v in shares)


def decide_codes(
    lines: LineArrays,
    template_min_files: int,
    config: Config,
    shape_filter: bool = True,
    kernel: Any | None = None,
    rules: Rules | None = None,
) -> np.ndarray:
    """The reason code of each line (uint8), as :func:`cleaner.decide.decide_lines`
    decides: by ``kernel`` (the compiled module's ``decide_codes``) when given and the
    thresholds suit it (``rules``: :func:`decision_rules` of ``config``, when the caller
    has them), else by the reference.

    >>> good = LineFeatures(LineClass.GOOD, 20, 120, False, False)
    >>> title = LineFeatures(LineClass.TITLE, 6, 40, False, True)
    >>> g = [LineGroup(None, 1)] * 4 + [LineGroup(7, 2)]
    >>> lines = arrays_of([good, good, title, title, title], g)
    >>> [REASONS[c].value for c in decide_codes(lines, 2, Config())]
    ['body', 'body', 'template-block', 'template-block', 'template']
    """
    if kernel is not None and rules is None:
        rules = decision_rules(config)
    if kernel is not None and rules is not None and _INT64[0] <= template_min_files <= _INT64[1]:
        return kernel(
            lines.cls, lines.words, lines.chars, lines.flags, lines.n_files,
            template_min_files, shape_filter, *rules,
        )  # fmt: skip
    return reason_codes(
        decide_lines(lines.features(), lines.groups(), template_min_files, config, shape_filter)
    )


def decisions_of(codes: np.ndarray, group: np.ndarray, grouped: np.ndarray) -> list[Decision]:
    """The decision of each line from its reason code, its group id and whether it has a
    group; equal decisions are one object.

    >>> a, b = decisions_of(np.array([1, 1], np.uint8), np.array([7, 7]), np.array([1, 1]))
    >>> a, a is b
    (Decision(keep=False, reason=<Reason.TEMPLATE: 'template'>, group=7), True)
    """
    shared: dict[tuple[int, int | None], Decision] = {}
    out = []
    for code, gid, has in zip(codes.tolist(), group.tolist(), grouped.tolist(), strict=True):
        key = (code, gid if has else None)
        d = shared.get(key)
        if d is None:
            d = shared[key] = Decision(code == BODY, REASONS[code], key[1])
        out.append(d)
    return out


def reason_codes(decisions: Sequence[Decision]) -> np.ndarray:
    """The reason code of each decision.

    >>> reason_codes([Decision(True, Reason.BODY), Decision(False, Reason.OFF_BODY)]).tolist()
    [0, 9]
    """
    return np.fromiter((REASON_CODE[d.reason] for d in decisions), np.uint8, len(decisions))
