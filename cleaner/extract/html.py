"""HTML to body text with trafilatura."""

from __future__ import annotations

import re
from typing import Any

from ..config import Config
from ..heuristics.shape import split_layout_tables

# libxml2, which trafilatura parses with, stops reading a page at 256 nested elements and
# drops the rest of it without an error. A page whose tree reaches PARSER_DEPTH was cut
# there: it is parsed again with the wrappers of its deep nests unwrapped (their text
# kept; see flatten_html): the FLATTEN_TOP outer levels and the FLATTEN_BOTTOM levels
# next to the text keep their tags. Their sum leaves room below the limit for the
# elements the parser adds (html, body, tbody) and for the tags a page leaves open.
PARSER_DEPTH = 255
FLATTEN_TOP = 96
FLATTEN_BOTTOM = 32


class NestingError(ValueError):
    """A page still nested past the parser's limit after its deep tags were unwrapped."""


def html_to_text(html: str, config: Config) -> str:
    """The main text of an HTML page, one block per line ("" when nothing is found)."""
    return html_body(html, config)[0]


def html_body(html: str, config: Config) -> tuple[str, str | None]:
    """The main text of an HTML page, one block per line ("" when nothing is found), the
    rows of layout tables split into their cells (``split_layout_tables``), and a note
    when the page was nested too deep to be parsed as it is (see ``trafilatura_body``)."""
    text, note = trafilatura_body(html, config)
    if "|" not in text:
        return text, note
    lines = split_layout_tables(text.splitlines(), config.body_min_words, config.long_line_words)
    return "\n".join(lines), note


def trafilatura_text(html: str, config: Config) -> str:
    """trafilatura's main text of an HTML page with cleaner's extraction settings, one
    block per line ("" when nothing is found)."""
    return trafilatura_body(html, config)[0]


def trafilatura_body(html: str, config: Config) -> tuple[str, str | None]:
    """trafilatura's main text of an HTML page with cleaner's extraction settings, and a
    note when the page was nested too deep to be parsed as it is (see PARSER_DEPTH);
    :class:`NestingError` when unwrapping did not bring it within the parser's limit."""
    import trafilatura

    tree = trafilatura.load_html(html)
    note = None
    if tree is not None and too_deep(tree):
        note = f"HTML nested deeper than {PARSER_DEPTH} elements: the deeper tags unwrapped"
        tree = trafilatura.load_html(flatten_html(html, FLATTEN_TOP, FLATTEN_BOTTOM))
        if tree is not None and too_deep(tree):
            raise NestingError(f"HTML nested deeper than {PARSER_DEPTH} elements")
    if tree is None:  # not HTML enough for trafilatura: it finds nothing
        return "", note
    text = trafilatura.extract(
        tree,
        output_format="txt",
        include_comments=False,
        include_tables=config.html_include_tables,
        include_images=False,
        favor_precision=config.html_favor_precision,
        deduplicate=False,
        with_metadata=False,
    )
    return text or "", note


def too_deep(tree: Any, depth: int = PARSER_DEPTH) -> bool:
    """Whether a parsed tree has an element ``depth`` levels down (the root is level 1).

    >>> import lxml.html
    >>> page = lxml.html.fromstring("<div><p><b>x</b></p></div>")  # in html and body
    >>> too_deep(page, 5), too_deep(page, 6)
    (True, False)
    """
    return bool(tree.getroottree().xpath("boolean(" + "/*" * depth + ")"))


_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*?(/?)>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link",
                   "meta", "param", "source", "track", "wbr"})  # fmt: skip


def flatten_html(html: str, top: int, bottom: int, mark: str = "<br>") -> str:
    """``html`` with the wrapper tags of a deep nest replaced by ``mark``: an element
    opened deeper than ``top`` whose content nests ``bottom`` levels or more loses its
    tags (its text stays); the ``top`` outer levels and the elements near the leaves (the
    paragraphs, links and emphasis a text is in) keep theirs. Levels count tags (void
    elements aside; a tag left open counts until the end), so the result nests at most
    about ``top + bottom`` deep.

    >>> flatten_html("<div><div><div><div><p>a<br><b>b</b></p></div></div></div></div>", 1, 2)
    '<div><br><br><br><p>a<br><b>b</b></p><br><br><br></div>'
    >>> flatten_html("<p>a</p><p>b</p>", 1, 1)
    '<p>a</p><p>b</p>'
    """
    tags = [t for t in _TAG.finditer(html) if not t.group(3) and t.group(2).lower() not in _VOID]
    height = [0] * len(tags)  # levels nested inside an open tag's element
    level = [0] * len(tags)
    closer = [-1] * len(tags)  # the closing tag matched to an open one
    stack: list[int] = []

    def close(i: int, at: int) -> None:
        closer[i] = at
        if stack:
            height[stack[-1]] = max(height[stack[-1]], height[i] + 1)

    for i, tag in enumerate(tags):
        if tag.group(1):  # a closing tag
            if stack:
                close(stack.pop(), i)
        else:
            stack.append(i)
            level[i] = len(stack)
    while stack:
        close(stack.pop(), -1)
    drop = set()
    for i, tag in enumerate(tags):
        if not tag.group(1) and level[i] > top and height[i] >= bottom:
            drop.add(i)
            if closer[i] >= 0:
                drop.add(closer[i])
    out = []
    last = 0
    for i in sorted(drop):
        out.append(html[last : tags[i].start()])
        out.append(mark)
        last = tags[i].end()
    out.append(html[last:])
    return "".join(out)
