"""An HTML page's own text rendering: every visible text, a line per block."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..heuristics.shape import reads_as_prose
from ..text import (
    has_words,
    strip_markup,
    visible_line,
    visible_or_kept,
    word_count,
    words,
)
from .walk import compiled_quotes, compiled_rendering

# Elements that start a new line: blocks, list items, table rows and cells, breaks.
_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
     "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
     "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"}
)  # fmt: skip
# Marks of the text renderings text mode reads (html2text's): headings and list items.
_MARKS = {**{f"h{n}": "#" * n + " " for n in range(1, 7)}, "li": "* "}
_INVISIBLE = ("script", "style", "noscript", "template", "head", "title")


# The characters str.splitlines() breaks at: spaces in a text (only blocks break lines).
_BREAKS = dict.fromkeys(map(ord, "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), " ")


def render_text(html: str) -> str:
    """The visible text of a page, a line per block (paragraph, list item, table cell...),
    spaces collapsed, blank lines dropped, headings and list items marked as markdown;
    "" when the page does not parse.

    >>> render_text("<p>One <b>two</b></p><script>x()</script><table><tr><td>A</td>"
    ...             "<td>B<br>C</td></tr></table><!-- note -->tail")
    'One two\\nA\\nB\\nC\\ntail'
    >>> render_text("<div>A line\\nwrapped in the source</div>")
    'A line wrapped in the source'
    >>> render_text("<h1>Title</h1><ul><li>Home</li></ul>")
    '# Title\\n* Home'
    >>> render_text("")
    ''
    """
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        doc = lxml.html.document_fromstring(html, parser=parser)
    except (ValueError, lxml.etree.ParserError):
        return ""
    return render_tree(doc)


# Where the stylesheet below breaks a line: a character of Unicode's private use area, which
# a page's text does not hold (a page that holds it is rendered by the walk instead).
_BREAK = "\ue000"


@functools.cache
def _stylesheet() -> tuple[Any, Any]:
    """An XSLT stylesheet giving ``render_walk``'s text with a ``_BREAK`` where it would
    break a line (libxslt walks the tree in C: half the time of the walk in Python), and an
    XPath test of whether the page's text holds a ``_BREAK`` itself."""
    import lxml.etree

    br = "&#xE000;"
    templates = [
        '<xsl:template match="/"><xsl:apply-templates select="*"/></xsl:template>',
        '<xsl:template match="comment()|processing-instruction()">'
        '<xsl:value-of select="."/></xsl:template>',
        f'<xsl:template match="{"|".join(_INVISIBLE)}"/>',
        f'<xsl:template match="{"|".join(sorted(_BLOCKS - set(_MARKS)))}">'
        f"{br}<xsl:apply-templates/>{br}</xsl:template>",
        *(
            f'<xsl:template match="{tag}">{br}{mark}<xsl:apply-templates/>{br}</xsl:template>'
            for tag, mark in _MARKS.items()
        ),
    ]
    xsl = (
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:output method="text" encoding="UTF-8"/>' + "".join(templates) + "</xsl:stylesheet>"
    )
    holds_break = lxml.etree.XPath(f"contains(/, '{_BREAK}')")
    return lxml.etree.XSLT(lxml.etree.XML(xsl)), holds_break


def render_tree(tree: Any) -> str:
    """``render_text`` of a parsed page (any element of its tree; the tree is only read).
    Comments and processing instructions are expected removed by the parser (trafilatura's
    and ``render_text``'s remove them).

    >>> import lxml.html
    >>> render_tree(lxml.html.fromstring("<p>a<style>p {}</style>b</p><p>c\\u2028d</p>"))
    'ab\\nc d'
    >>> page = lxml.html.fromstring("<h2>A</h2><p>b\\ue000c</p><ul><li>d</li></ul>")
    >>> render_tree(page) == render_walk(page) == '## A\\nb\\ue000c\\n* d'
    True
    """
    import lxml.etree

    text = compiled_rendering(tree)
    if text is not None:
        return text
    doc = tree.getroottree()
    stylesheet, holds_break = _stylesheet()
    if not holds_break(doc):
        try:
            text = str(stylesheet(doc))
        except lxml.etree.XSLTError:
            pass
        else:  # a line between two breaks; spaces (and breaks in a text) collapsed
            lines = (" ".join(part.split()) for part in text.split(_BREAK))
            return "\n".join(line for line in lines if line)
    return render_walk(tree)


def render_walk(tree: Any) -> str:
    """``render_tree``, walking the tree in Python (as ``cleaner/_tree.pyx`` does in C).

    >>> import lxml.html
    >>> render_walk(lxml.html.fromstring("<p>a<style>p {}</style>b</p><p>c\\u2028d</p>"))
    'ab\\nc d'
    """
    import lxml.etree

    kinds: dict[Any, tuple[str, str, bool]] = {}  # tag -> (at its end, at its start, hidden)
    parts: list[str] = []
    add = parts.append
    walk = lxml.etree.iterwalk(tree.getroottree().getroot(), events=("start", "end"))
    for event, el in walk:
        tag = el.tag
        kind = kinds.get(tag)
        if kind is None:
            name = tag.lower() if isinstance(tag, str) else ""
            brk = "\n" if name in _BLOCKS else ""
            kind = kinds[tag] = (brk, brk + _MARKS.get(name, ""), name in _INVISIBLE)
        if event == "start":
            if kind[2]:  # not shown: neither it nor its children (its tail is)
                walk.skip_subtree()
                continue
            if kind[1]:
                add(kind[1])
            text = el.text
        else:
            if kind[0]:
                add(kind[0])
            text = el.tail
        if text:  # line breaks in the source are spaces; only blocks break lines
            add(text.translate(_BREAKS))
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def missed_article(extracted: str, rendered: str, max_words: int, min_prose_words: int) -> bool:
    """Whether the extractor missed a page's article: it returned fewer than ``max_words``
    words while the page's rendering holds at least ``min_prose_words`` words in lines that
    read as prose.

    >>> para = "The council said on Monday that the bridge over the river would open in May."
    >>> missed_article("", "\\n".join([para] * 3), 20, 40)
    True
    >>> missed_article("", "\\n".join([para] * 3), 20, 60), missed_article(para * 2, para, 20, 0)
    (False, False)
    """
    if has_words(extracted, max_words):
        return False
    prose = 0
    for line in rendered.splitlines():  # until there is enough
        if prose >= min_prose_words:
            return True
        if reads_as_prose(line):
            prose += word_count(line)
    return prose >= min_prose_words


@dataclass(frozen=True)
class Rendering:
    """A page's own text rendering (``render_tree``) and its quotations (``quoted_blocks``),
    made from the tree the extractor parsed."""

    text: str
    quotes: tuple[tuple[str, ...], ...] = ()


def rendering(tree: Any) -> Rendering:
    """The rendering and the quotations of a parsed page (the tree is only read).

    >>> import lxml.html
    >>> rendering(lxml.html.fromstring("<p>a</p><blockquote>b</blockquote>"))
    Rendering(text='a\\nb', quotes=(('b',),))
    """
    return Rendering(render_tree(tree), quoted_blocks(tree))


@dataclass(frozen=True)
class Around:
    """The extractor's lines beside the page's rendering, as ``lead_run`` and
    ``trail_lines`` both read them (made once per page by :func:`around`)."""

    extracted: tuple[str, ...]  # the extractor's lines as given
    visible: tuple[str, ...]  # the rendering's lines, visible text, spaces collapsed

    # made when first asked for: only a page with a prose line beside the extractor's
    # text needs them
    @functools.cached_property
    def kept(self) -> frozenset[str]:
        """The extractor's lines, visible text, spaces collapsed."""
        return frozenset(" ".join(strip_markup(line).split()) for line in self.extracted)

    @functools.cached_property
    def have(self) -> Counter[str]:
        """The words of the extractor's text."""
        return Counter(words("\n".join(self.extracted)))


def around(extracted: Sequence[str], rendered: Sequence[str]) -> Around:
    """The extractor's lines and the page's rendering, read once for both neighbours.

    >>> page = around(["**Kept** line"], ["* Menu", "Kept line"])
    >>> page.visible, page.kept, page.have
    (('Menu', 'Kept line'), frozenset({'Kept line'}), Counter({'kept': 1, 'line': 1}))
    """
    return Around(tuple(extracted), tuple(map(visible_or_kept, rendered)))


def quoted_blocks(tree: Any) -> tuple[tuple[str, ...], ...]:
    """The visible lines of each quotation of a parsed page (each outermost ``blockquote``:
    a cited passage, an embedded post), as its rendering gives them.

    >>> import lxml.html
    >>> page = lxml.html.fromstring("<p>Said:</p><blockquote><p>We are <b>open</b>.</p>"
    ...     "<blockquote>Inner</blockquote>Someone</blockquote>after<blockquote> </blockquote>")
    >>> quoted_blocks(page)
    (('We are open.', 'Inner', 'Someone'),)
    """
    import copy

    found = compiled_quotes(tree)  # their renderings, or a quotation to render here
    if found is None:
        found = tree.xpath("//blockquote[not(ancestor::blockquote)]")
    out = []
    for el in found:
        text = el if isinstance(el, str) else render_tree(copy.deepcopy(el))  # without its tail
        lines = tuple(filter(None, map(visible_line, text.splitlines())))
        if lines:
            out.append(lines)
    return tuple(out)


def with_quotes(page: Around, quotes: Sequence[Sequence[str]]) -> list[str] | None:
    """The extractor's lines with the quotations it left out of the article put back (None
    when there is none). A
    quotation (see :func:`quoted_blocks`) whose lines stand once in the rendering, between
    two lines the extractor kept one after the other (each once in its text), goes between
    them: the extractor read the article on both sides and passed over the quotation alone
    (an embedded post in a container it takes for a share widget). A quotation with a line
    kept already, or whose words mostly stand in the kept text (a pull quote), is left out.

    >>> one = "The council met on Monday to discuss the plan for the new bridge."
    >>> two = "Its members will vote on the plan next week, the mayor said."
    >>> quote = ("The bridge will be open by May.", "A Member (@member) May 1, 2019")
    >>> page = around([one, two], ["* Home", one, *quote, two, "* Share"])
    >>> with_quotes(page, [quote]) == [one, *quote, two]
    True
    >>> page = around([one, two], [one, two, *quote])  # after the article: not put back
    >>> with_quotes(page, [quote]) is None
    True
    """
    if not quotes:
        return None
    extracted = page.extracted
    kept = [" ".join(strip_markup(line).split()) for line in extracted]
    once = Counter(kept)
    at = {line: i for i, line in enumerate(kept) if once[line] == 1}
    visible = page.visible
    after: dict[int, list[str]] = {}
    for quote in map(tuple, quotes):
        if any(line in page.kept for line in quote) or repeats(words(" ".join(quote)), page.have):
            continue
        n = len(quote)
        starts = [i for i in range(len(visible) - n + 1) if visible[i : i + n] == quote]
        if len(starts) != 1:
            continue
        before = next((v for v in reversed(visible[: starts[0]]) if v in page.kept), None)
        beyond = next((v for v in visible[starts[0] + n :] if v in page.kept), None)
        if before in at and beyond in at and at[beyond] == at[before] + 1:
            after.setdefault(at[before], []).extend(quote)
    if not after:
        return None
    out: list[str] = []
    for i, line in enumerate(extracted):
        out.append(line)
        out.extend(after.get(i, ()))
    return out


def repeats(toks: Sequence[str], have: Counter[str], share: float = 0.8) -> bool:
    """Whether most of a line's words (``share`` of them) stand in ``have`` already: a
    teaser of the kept text.

    >>> repeats(["a", "b", "c", "d", "e"], Counter("abcd")), repeats(["a", "z"], Counter("a"))
    (True, False)
    """
    return sum((Counter(toks) & have).values()) >= share * len(toks)


def lead_run(page: Around, min_words: int = 8, long_words: int = 40) -> tuple[list[str], str]:
    """The prose that leads into the extractor's text on the page, and the line it leads
    into ("" when there is none): in the rendering, the run of lines that read as prose just
    before the first prose line the extractor kept (a lead paragraph the extractor's choice
    of container cut off). A line whose words mostly stand in the extractor's text already
    (a teaser of the article) ends the run. Visible text, markup removed.

    >>> body = "The repairs were paid for by the contractor, the council said on Monday."
    >>> lead = "The new bridge over the river will open to traffic in May, two months late."
    >>> page = around([body], ["* Home", "# Bridge to open", lead, body, "More news"])
    >>> lead_run(page) == ([lead], body)
    True
    >>> lead_run(around([body], [lead, "Bridge to open", body]))
    ([], '')
    >>> lead_run(around(["Menu"], [lead]))
    ([], '')
    >>> lead_run(around([body], [body.replace("Monday", "Monday..."), body]))
    ([], '')
    """
    extracted, visible = page.extracted, page.visible
    where = {line: i for i, line in reversed(list(enumerate(visible)))}
    first = next(
        (where[v] for v in map(" ".join, map(str.split, extracted)) if v in where and
         reads_as_prose(v, min_words, long_words)),
        None,
    )  # fmt: skip
    if first is None:
        return [], ""

    def new_prose(line: str) -> bool:  # prose, and not a teaser repeating the kept text
        if not reads_as_prose(line, min_words, long_words) or line in page.kept:
            return False
        return not repeats(words(line), page.have)

    start = first
    while start > 0 and new_prose(visible[start - 1]):
        start -= 1
    return list(visible[start:first]), visible[first] if start < first else ""


def lead_at(lines: Sequence[str], into: str) -> int:
    """Where a lead goes among the extractor's ``lines``: before ``into``, the line it leads
    into (see :func:`lead_run`), so that the lines the extractor kept above it (a title, a
    link) stay above the lead, as on the page; the end when no line is ``into``.

    >>> body = "The repairs were paid for by the contractor, the council said on Monday."
    >>> lead = "The new bridge over the river will open to traffic in May, two months late."
    >>> lead_run(around(["Read more", body], ["Read more", lead, body])) == ([lead], body)
    True
    >>> lead_at(["Read more", body], body), lead_at(["Read more"], body)
    (1, 1)
    """
    return next((i for i, line in enumerate(lines) if " ".join(line.split()) == into), len(lines))


def trail_lines(
    page: Around,
    min_words: int = 8,
    long_words: int = 40,
    max_gap: int = 1,
    min_share: float = 0.5,
) -> list[str]:
    """The prose that continues the extractor's text on the page: in the rendering, the
    lines that read as prose after the last prose line the extractor kept, each at most
    ``max_gap`` other lines (an advert's label, a rule) after the one before (the second
    half of an article that the page sets in another container). A line already in the
    extractor's text ends it; a line whose words mostly stand there (a teaser of the
    article) is passed over like a label. The lines are given only when they hold at least
    ``min_share`` of the extractor's words: a note or a prompt after a whole article is
    small beside it. Visible text, markup removed.

    >>> one = "The repairs were paid for by the contractor, the council said on Monday."
    >>> two = "The new bridge over the river will open to traffic in May, two months late."
    >>> three = "Its engineers said that the delay was caused by the floods of last winter."
    >>> page = ["# Bridge", one, "Advertisement", two, three, "* Home", "* News"]
    >>> trail_lines(around([one], page))
    ['The new bridge over the river will open to traffic in May, two months late.', \
'Its engineers said that the delay was caused by the floods of last winter.']
    >>> trail_lines(around([one], [one, "Advertisement", "Share", two]))
    []
    >>> trail_lines(around(["Menu"], [one]))
    []
    >>> note = "The author is a reporter who has covered the city council for ten years."
    >>> trail_lines(around([one, two, three], [one, two, three, "Advertisement", note]))
    []
    """
    if max_gap < 0:
        return []
    extracted, visible = page.extracted, page.visible
    where = {line: i for i, line in enumerate(visible)}
    last = next(
        (where[v] for v in map(" ".join, map(str.split, reversed(extracted))) if v in where and
         reads_as_prose(v, min_words, long_words)),
        None,
    )  # fmt: skip
    if last is None:
        return []
    out: list[str] = []
    gap = 0
    for line in visible[last + 1 :]:
        if not reads_as_prose(line, min_words, long_words):
            gap += 1
            if gap > max_gap:
                break
            continue
        if line in page.kept:
            break
        if repeats(words(line), page.have):
            gap += 1  # a teaser of the kept text: not added, passed over like a label
            if gap > max_gap:
                break
            continue
        out.append(line)
        gap = 0
    if not out:
        return out
    if sum(map(word_count, out)) < min_share * word_count("\n".join(extracted)):
        return []
    return out
