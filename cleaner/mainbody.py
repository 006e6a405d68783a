"""The main-body steps of a page's decisions (steps 5 to 7 of :mod:`cleaner.decide`), each
over the decisions the earlier steps made:

- announced lists: the lines a body line ending with a colon announces stay;
- main body: small blocks of body text far from the page's main block go (teasers, comment
  threads), and so do grids of teasers and the posts of a thread;
- a page without prose keeps its largest list.

Like :mod:`cleaner.decide`, the reference of the compiled ``decide_codes``
(``cleaner/_compiled.pyx``): a change here is made there too.
"""

from __future__ import annotations

from collections.abc import Sequence

from .config import Config
from .heuristics.classify import LineClass, LineFeatures
from .models import Decision, Reason

_TEMPLATE_REASONS = frozenset({Reason.TEMPLATE, Reason.TEMPLATE_BLOCK})


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


def main_body(feats: Sequence[LineFeatures], out: list[Decision], config: Config) -> None:
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


def announced_lists(feats: Sequence[LineFeatures], out: list[Decision]) -> None:
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


def list_page(feats: Sequence[LineFeatures], out: list[Decision], config: Config) -> None:
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
