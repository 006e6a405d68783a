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
"""

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
    first_in_page: bool = True  # the first of those occurrences


_OWN_REASON = {LineClass.MARKUP: Reason.MARKUP, LineClass.DATETIME: Reason.DATETIME}

Decisions = list[Decision | None]

_TEMPLATE_REASONS = frozenset({Reason.TEMPLATE, Reason.TEMPLATE_BLOCK})


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


def _anchor(feats: Sequence[LineFeatures], out: Decisions, i: int, step: int) -> tuple[bool, int]:
    """Is the nearest decisive line in direction ``step`` body text, and how many visible
    characters stand between? Short and title-like lines are skipped, markup is transparent,
    the page's edge counts as not body."""
    gap = 0
    j = i + step
    while 0 <= j < len(feats):
        f = feats[j]
        d = out[j]
        if f.cls is LineClass.MARKUP:
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
    for i, f in enumerate(feats):
        if out[i] is not None:
            continue
        prev_good, _ = _anchor(feats, snapshot, i, -1)
        next_good, gap = _anchor(feats, snapshot, i, +1)
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


def _dated_gap(feats: Sequence[LineFeatures], out: Sequence[Decision], i: int) -> int | None:
    """The dropped lines (markup aside) between kept line ``i`` and the kept line before
    it when a date line stands among them (not one quoted with '> '), else None."""
    j = i - 1
    gap = 0
    dated = False
    while j >= 0 and not out[j].keep:
        f = feats[j]
        dated = dated or (f.cls is LineClass.DATETIME and not f.quoted)
        gap += f.cls is not LineClass.MARKUP
        j -= 1
    return gap if dated and j >= 0 else None


def _thread_starts(
    feats: Sequence[LineFeatures], out: Sequence[Decision], config: Config
) -> set[int]:
    """The kept lines that open a post of a thread: a dropped date line stands just above
    them, and at least ``thread_min_dates`` such posts follow each other, each of at most
    ``thread_max_post_lines`` kept lines and fewer than ``offbody_far_gap`` dropped lines
    apart (a comment section, a forum). Date lines far apart (tweets quoted in an article,
    a byline, dates in a sidebar) make no thread."""
    kept_before = [0] * (len(out) + 1)
    for i, d in enumerate(out):
        kept_before[i + 1] = kept_before[i] + d.keep
    found: set[int] = set()
    run: list[int] = []
    for s in range(1, len(out)):
        gap = _dated_gap(feats, out, s) if out[s].keep else None
        if gap is None:
            continue
        if run and (
            kept_before[s] - kept_before[run[-1]] > config.thread_max_post_lines
            or gap >= config.offbody_far_gap
        ):
            if len(run) >= config.thread_min_dates:
                found.update(run)
            run = []
        run.append(s)
    if len(run) >= config.thread_min_dates:
        found.update(run)
    return found


def _teaser_grid(
    feats: Sequence[LineFeatures], block: Sequence[int], words: int, config: Config
) -> bool:
    """Whether a block is a grid of teasers: at least ``teaser_min_headings`` headings, most
    of them under a picture (a few lines above), and fewer than ``teaser_max_words`` body
    words per heading (a headline and a line of summary each)."""
    heads = [i for i in block if feats[i].marked]
    if len(heads) < config.teaser_min_headings or words >= config.teaser_max_words * len(heads):
        return False
    pictured = sum(any(feats[j].image for j in range(max(0, i - 3), i)) for i in heads)
    return 2 * pictured >= len(heads)


def _main_body(feats: Sequence[LineFeatures], out: list[Decision], config: Config) -> None:
    """Keep the page's main block of body lines and the blocks attached to it; drop the
    rest (teasers, comment threads, legal notices).

    Kept lines form one block while fewer than ``offbody_min_gap`` dropped lines (markup
    aside) separate them. Walking outwards from the main block, a neighbouring block is
    attached when it carries at least ``offbody_max_share`` of the main block's body words
    and fewer than ``offbody_far_gap`` dropped lines separate them; the walk stops at the
    first block that is not attached; the lines of teasers under pictures (dropped as
    template) do not count in that distance when the block beyond holds at least
    ``offbody_insert_min_share`` of the main block's words (the article goes on past an
    inserted headline list). Two boundaries are never crossed: a top-level
    heading with dropped lines above it (the title of the article below, or of another)
    and the date line above a post of a comment thread (see :func:`_thread_starts`).
    """
    posts = _thread_starts(feats, out, config)
    blocks: list[list[int]] = []
    gaps: list[int] = []  # gaps[k]: dropped lines between blocks[k] and blocks[k + 1]
    walls: list[bool] = []  # walls[k]: the walk does not cross from blocks[k] to blocks[k + 1]
    spans: list[int] = []  # spans[k]: gaps[k] without teaser lines under pictures
    gap = span = 0
    for i, d in enumerate(out):
        if d.keep:
            wall = i in posts or (feats[i].heading and gap > 0)
            if not blocks or gap >= config.offbody_min_gap or wall:
                if blocks:
                    gaps.append(gap)
                    spans.append(span)
                    walls.append(wall)
                blocks.append([])
            blocks[-1].append(i)
            gap = span = 0
        elif feats[i].cls is not LineClass.MARKUP:
            # the lines of teasers under pictures set in an article (a headline list,
            # dropped as template) do not count in the span beyond its first line
            pictured = d.reason in _TEMPLATE_REASONS and any(
                feats[j].image for j in range(max(0, i - 2), i)
            )
            gap += 1
            span += not (pictured and span > 0)
    if len(blocks) < 2:
        return
    weights = [sum(feats[i].n_words for i in b if feats[i].cls is LineClass.GOOD) for b in blocks]
    # A block with a heading for every few body words is a grid of teasers (a headline and
    # a line of summary each), not an article's sections: it is not the main block unless
    # every block is one, and the walk does not take it in.
    teasers = [_teaser_grid(feats, b, weights[k], config) for k, b in enumerate(blocks)]
    candidates = [k for k in range(len(blocks)) if not teasers[k]] or list(range(len(blocks)))
    main = max(candidates, key=lambda k: (weights[k], -k))
    # The page's top heading announces the article: the first substantial block after it
    # is the main block, even when a comment thread or a notice further down is larger,
    # unless offbody_far_gap dropped lines or more stand between them.
    title = next((i for i, f in enumerate(feats) if f.heading), None)
    if title is not None:
        after = [k for k, b in enumerate(blocks) if b[-1] > title]
        sizable = [
            k
            for k in after
            if weights[k] >= config.title_block_min_share * weights[main] and k in candidates
        ]
        # the title announces the text right below it, not a block far down the page
        sizable = [
            k
            for k in sizable[:1]
            if sum(
                feats[i].cls is not LineClass.MARKUP and not out[i].keep
                for i in range(title + 1, blocks[k][0])
            )
            < config.offbody_far_gap
        ]
        if sizable:
            main = sizable[0]
    floor = config.offbody_max_share * weights[main]
    keep = {main}
    for step in (-1, 1):
        k = main
        while 0 <= k + step < len(blocks):
            between = gaps[min(k, k + step)]
            if (
                between >= config.offbody_far_gap > spans[min(k, k + step)]
                and weights[k + step] >= config.offbody_insert_min_share * weights[main]
            ):
                between = 0  # far only for the teasers set in between: the article goes on
            if (
                weights[k + step] < floor
                or (teasers[k + step] and not teasers[main])
                or between >= config.offbody_far_gap
                or walls[min(k, k + step)]
            ):
                break
            k += step
            keep.add(k)
    for k, block in enumerate(blocks):
        if k not in keep:
            for i in block:
                if i == title and blocks[main][0] > title:
                    continue  # the heading that announces the main block is its title
                out[i] = Decision(False, Reason.OFF_BODY, out[i].group)


# dropped for their shape alone: what a page without prose may keep as its list
_LIST_REASONS = frozenset(
    {Reason.TEMPLATE_BLOCK, Reason.NO_SENTENCE, Reason.SHORT, Reason.LOW_STOPWORDS}
)


def _announced_lists(feats: Sequence[LineFeatures], out: list[Decision]) -> None:
    """A kept body line that ends with a colon announces what follows: the lines right
    after it that went for their shape alone (a list of items, of offers, of steps) are
    kept up to the first two other lines in a row or a top-level heading; markup between
    them is transparent."""
    for start, f in enumerate(feats):
        if not (f.lead_in and out[start].keep):
            continue
        items: list[int] = []
        other = 0
        for i in range(start + 1, len(feats)):
            g, d = feats[i], out[i]
            if g.heading or d.keep:
                break
            if g.cls is LineClass.MARKUP:
                continue
            if d.reason in _LIST_REASONS and g.cls is not LineClass.DATETIME:
                items.append(i)
                other = 0
            else:
                other += 1
                if other > 1 or not items:
                    break
        for i in items:
            out[i] = Decision(True, Reason.BODY, out[i].group)


def _list_page(feats: Sequence[LineFeatures], out: list[Decision], config: Config) -> None:
    """A page without a line of prose kept (results, a calendar, a price list): its largest
    run of lines dropped for their shape alone, below the page's top heading, is its
    content when it holds at least ``list_min_words`` words and ``list_min_line_words``
    words a line (a menu's items hold fewer). A run may step over one other line (a
    subheading); markup is transparent, a top-level heading ends it. The top heading
    stays with the list, as it stays with an article.
    """
    if any(d.keep and f.cls is LineClass.GOOD for f, d in zip(feats, out, strict=True)):
        return
    title = next((i for i, f in enumerate(feats) if f.heading), -1)
    runs: list[list[int]] = []
    other = 2  # lines since the last line of the run that is not one of its lines
    for i in range(title + 1, len(feats)):
        f, d = feats[i], out[i]
        if f.cls is LineClass.MARKUP and not f.heading:
            continue
        if f.heading:
            other = 2  # a top-level heading starts another part of the page
        elif not d.keep and d.reason in _LIST_REASONS and f.cls is not LineClass.DATETIME:
            if other > 1:
                runs.append([])
            runs[-1].append(i)
            other = 0
        else:
            other += 1
    best = max(runs, key=lambda r: (sum(feats[i].n_words for i in r), -r[0]), default=[])
    words = sum(feats[i].n_words for i in best)
    if words >= config.list_min_words and words >= config.list_min_line_words * len(best):
        for i in [title, *best] if title >= 0 else best:
            out[i] = Decision(True, Reason.BODY, out[i].group)


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
        _announced_lists(feats, decided)
        _main_body(feats, decided, config)
        _list_page(feats, decided, config)
    return decided
