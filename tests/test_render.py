"""The page's own text rendering: from trafilatura's parse, and its visible lines."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import lxml.etree
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.compiled import KERNELS_ENV
from cleaner.config import Config
from cleaner.extract.html import html_page
from cleaner.extract.render import (
    quoted_blocks,
    render_text,
    render_tree,
    render_walk,
    visible_line,
)
from cleaner.extract.walk import built_for, tree_walk
from cleaner.text import strip_markup

# characters the markup rules look at, spaces and line breaks of several kinds, letters
MARKUP_ALPHABET = "ab #*_>|~![]()-+=:09.) \t\n\x0b\u2022\u25cf\u25aa\u00a0\u3000\u2028"


@settings(max_examples=3000, deadline=None)
@given(
    st.sampled_from(["", "* ", "*  ", "# ", "### ", "###### ", "####### ", "#"]),
    st.text(MARKUP_ALPHABET, max_size=12),
)
def test_visible_line_is_strip_markup(mark: str, text: str) -> None:
    line = mark + text
    assert visible_line(line) == " ".join(strip_markup(line).split())


PAGE = (
    "<!DOCTYPE html><html><head><title>T</title><style>p {color: red}</style></head><body>"
    "<nav><ul><li><a href='/'>Home</a></li><li>News</li></ul></nav>"
    "<h1>The bridge</h1><!-- a comment --><p>The new bridge over the river will open to "
    "traffic in May,\ntwo months late, the council said.</p><script>var x = 1;</script>"
    "<table><tr><td>A</td><td>B<br>C</td></tr></table><p>Its engineers said that the delay "
    "was caused by the floods of last winter.</p><footer>Contact</footer></body></html>"
)


def test_rendering_from_trafilaturas_parse_is_render_text() -> None:
    """html_page renders the tree trafilatura parsed; the result is what rendering the
    page's HTML on its own gives (hidden elements and comments left out, the tree not
    changed for the extraction)."""
    text, note, rendering = html_page(PAGE, Config(), render=True)
    assert rendering is not None
    rendered = rendering.text
    assert rendered == render_text(PAGE)
    assert rendered.splitlines()[:3] == ["* Home", "* News", "# The bridge"]
    assert "var x" not in rendered and "color" not in rendered and "comment" not in rendered
    assert text == html_page(PAGE, Config())[0]  # rendering does not change the extraction
    assert note is None
    assert html_page(PAGE, Config(extractor="resiliparse"), render=True)[2] is None


TAGS = ["p", "div", "span", "b", "li", "ul", "h1", "h3", "h6", "br", "td", "tr", "table",
        "script", "style", "title", "a", "section", "pre", "blockquote", "noscript", "template",
        "head", "figcaption", "dd", "my-el", "P", "DIV", "Script", "BlockQuote"]  # fmt: skip
# spaces of every kind Python's str.split() knows, a space it does not (U+200B), characters
# of two to four bytes in UTF-8 and the markup marks
TEXTS = st.text(
    "ab \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\u00a0\u1680\u2000\u200a\u202f"
    "\u205f\u3000\u200b\ue000\u00e9\U0001f600*#",
    max_size=6,
)
# the stylesheet's break character as the source may write it
BREAKS = st.sampled_from(["\ue000", "&#xE000;", "&#xe000", "&#57344;", "&#x0e000;", "&#0057344"])
# values of the attributes that hide an element: spaces of any kind, any case, non-ASCII
# letters that lower to ASCII ones (the Kelvin sign) or to two letters (a dotted capital I)
HIDDEN_VALUES = st.sampled_from(["", "hidden", "until-found", "UNTIL-Found", " until-found",
                                 "until-foun", "unt\u0130l-found", "x"])  # fmt: skip
STYLES = st.one_of(
    st.sampled_from(["display:none", "DISPLAY : None", "color: red; display:\tnone ;",
                     "display:block", "visibility:hidden", "display:\u3000none", "dis play:n\none",
                     "display:non", "ddisplay:none", "d\u0130splay:none", "display:none\u212a",
                     "font-family: \u5fae\u8f6f; display: none", "displaydisplay:none"]),
    st.text("dispayDISPLAY:noneNONE; \t\n\u3000\u00a0\u0130\u212a", max_size=16),
)  # fmt: skip


def attribute(name: str, value: str) -> str:
    return f' {name}="{value.replace("&", "&amp;").replace(chr(34), "&quot;")}"'


@st.composite
def attributes(draw: st.DrawFn) -> str:
    out = ""
    if draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(["hidden", "HIDDEN", "Hidden"]))
        out += draw(st.sampled_from([f" {name}", attribute(name, draw(HIDDEN_VALUES))]))
    if draw(st.integers(0, 2)) == 0:
        out += attribute(draw(st.sampled_from(["style", "STYLE"])), draw(STYLES))
    return out


@st.composite
def html_fragments(draw: st.DrawFn, depth: int = 3) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        what = draw(st.integers(0, 5)) if depth else 0
        if what >= 3:
            tag = draw(st.sampled_from(TAGS))
            inner = draw(html_fragments(depth - 1))
            parts.append(f"<{tag}{draw(attributes())}>{inner}</{tag}>")
        elif what == 2:  # a comment (a parser may keep them), the break character in it
            text = draw(TEXTS).replace("-", "").replace(">", "")
            parts.append(f"<!--{text}-->")
        else:
            text = draw(TEXTS).replace("&", "&amp;").replace("<", "&lt;")
            parts.append(text.replace("\ue000", draw(BREAKS)))
    return "".join(parts)


@settings(max_examples=500, deadline=None)
@given(html_fragments())
def test_rendering_by_stylesheet_is_the_walks(body: str) -> None:
    """render_tree's stylesheet gives what the walk in Python gives, line breaks and spaces
    of every kind in the texts (a page holding the stylesheet's own break character is
    rendered by the walk)."""
    import lxml.html

    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    source = f"<html><body>{body}x</body></html>"
    tree = lxml.html.document_fromstring(source, parser=parser)
    assert render_tree(tree) == render_walk(tree)


@contextlib.contextmanager
def reference() -> Iterator[None]:
    """The Python reference in place of the compiled walk of trees."""
    before = os.environ.get(KERNELS_ENV)
    os.environ[KERNELS_ENV] = "0"
    try:
        yield
    finally:
        del os.environ[KERNELS_ENV]
        os.environ.update({} if before is None else {KERNELS_ENV: before})


def parsed(body: str, comments: bool) -> tuple[Any, str]:
    import lxml.html

    parser = lxml.html.HTMLParser(remove_comments=not comments, remove_pis=not comments)
    source = f"<html><body>{body}x</body></html>"
    return lxml.html.document_fromstring(source, parser=parser), source


WALK = tree_walk()
compiled_only = pytest.mark.skipif(WALK is None, reason="the compiled walk is not built")


@compiled_only
@settings(max_examples=1500, deadline=None)
@given(html_fragments(), st.booleans())
def test_compiled_rendering_is_the_references(body: str, comments: bool) -> None:
    """The walk in C renders a page and its quotations as the stylesheet and the walk in
    Python do: spaces of every kind, the break character in a text (rendered as a letter)
    and in a comment (where the stylesheet breaks a line: left to the reference), names in
    upper case in the source, invisible elements in one another, nested quotations."""
    tree, _ = parsed(body, comments)
    with reference():
        expected = render_tree(tree), quoted_blocks(tree)
    assert (render_tree(tree), quoted_blocks(tree)) == expected
    # the walk in C gave them, but where it leaves a page with comments to the reference
    if next(tree.iter(lxml.etree.Comment), None) is not None:
        return
    assert WALK.render(tree) is not None
    found = WALK.quotes(tree)
    assert found is not None
    if "\ue000" not in lxml.etree.tostring(tree, encoding=str):
        assert all(isinstance(quote, str) for quote in found)


@compiled_only
def test_compiled_quotation_takes_the_reference_for_its_tail() -> None:
    """A quotation is rendered from a copy, which takes its tail along: the walk in Python,
    which renders it when the break character is in the copy's text, reads the tail too."""
    tree, _ = parsed("<blockquote>a<script>\ue000</script></blockquote>tail", False)
    with reference():
        expected = quoted_blocks(tree)
    assert quoted_blocks(tree) == expected == (("a", "tailx"),)
    assert not isinstance(WALK.quotes(tree)[0], str)  # left to the reference
    tree, _ = parsed("<blockquote>a\ue000</blockquote> <p>b</p>", False)
    assert WALK.quotes(tree) == ["a\ue000"]


@compiled_only
def test_compiled_walk_collapses_spaces_as_python() -> None:
    """Every character Python's str.split() splits at, and no other, is a space."""
    every = "".join(chr(c) for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000)
    text = "a" + "b".join(every) + "c"
    assert WALK.collapse(text) == " ".join(text.split())


def test_compiled_walk_is_used_only_with_the_lxml_it_was_built_for() -> None:
    import lxml

    assert not built_for("0.0", ".".join(map(str, lxml.etree.LIBXML_VERSION)))
    with reference():
        assert tree_walk() is None
