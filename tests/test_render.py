"""The page's own text rendering: from trafilatura's parse, and its visible lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import Config
from cleaner.extract.html import html_page
from cleaner.extract.render import render_text, render_tree, render_walk, visible_line
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


TAGS = ["p", "div", "span", "b", "li", "ul", "h1", "h3", "br", "td", "tr", "table", "script",
        "style", "title", "a", "section", "pre"]  # fmt: skip
TEXTS = st.text("ab \t\n\r\x0b\x0c\x1c\x85\u2028\u2029\u00a0\u200b\ue000*#", max_size=6)


@st.composite
def html_fragments(draw: st.DrawFn, depth: int = 3) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth and draw(st.booleans()):
            tag = draw(st.sampled_from(TAGS))
            parts.append(f"<{tag}>{draw(html_fragments(depth - 1))}</{tag}>")
        else:
            text = draw(TEXTS)
            parts.append(text.replace("&", "&amp;").replace("<", "&lt;"))
    return "".join(parts)


@settings(max_examples=500, deadline=None)
@given(html_fragments())
def test_rendering_by_stylesheet_is_the_walks(body: str) -> None:
    """render_tree's stylesheet gives what the walk in Python gives, line breaks and spaces
    of every kind in the texts (a page holding the stylesheet's own break character is
    rendered by the walk)."""
    import lxml.html

    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    tree = lxml.html.document_fromstring(f"<html><body>{body}x</body></html>", parser=parser)
    assert render_tree(tree) == render_walk(tree)
