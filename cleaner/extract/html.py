"""HTML to body text with trafilatura or resiliparse (``Config.extractor``)."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..heuristics.shape import split_layout_tables

if TYPE_CHECKING:
    from .render import Rendering

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
    text, note, _ = html_page(html, config)
    return text, note


def html_page(
    html: str, config: Config, render: bool = False
) -> tuple[str, str | None, Rendering | None]:
    """``html_body``'s text and note, and with ``render`` the page's own text rendering and
    its quotations (``render.rendering``) made from the tree trafilatura parsed, so the page
    is parsed once (None with resiliparse, which parses the page its own way)."""
    if config.extractor == "resiliparse":
        fast = resiliparse_text(html, config.html_max_depth)
        if fast is not None:
            return fast, None, None
    text, note, rendered = trafilatura_body(html, config, render, config.html_hidden_max_share)
    if config.extractor == "resiliparse":  # too deep for resiliparse: trafilatura unwraps it
        depth = f"HTML nested deeper than {config.html_max_depth} elements"
        note = f"{depth}: extracted with trafilatura" + (f" ({note})" if note else "")
        rendered = None
    if "|" not in text:
        return text, note, rendered
    lines = split_layout_tables(text.splitlines(), config.body_min_words, config.long_line_words)
    return "\n".join(lines), note, rendered


def trafilatura_text(html: str, config: Config) -> str:
    """trafilatura's main text of an HTML page with cleaner's extraction settings, one
    block per line ("" when nothing is found). The page is given as it is: hidden
    elements stay (``html_page`` removes them first)."""
    return trafilatura_body(html, config)[0]


def trafilatura_body(
    html: str, config: Config, render: bool = False, hidden_max_share: float = 0.0
) -> tuple[str, str | None, Rendering | None]:
    """trafilatura's main text of an HTML page with cleaner's extraction settings, a note
    when the page was nested too deep to be parsed as it is (see PARSER_DEPTH), and with
    ``render`` the page's own text rendering and its quotations from the same parse (else
    None); :class:`NestingError` when unwrapping did not bring it within the parser's limit.
    The elements a reader does not see are removed first, from the extraction and from
    the rendering, when they hold at most ``hidden_max_share`` of the page's text (see
    :func:`drop_hidden`; 0 removes none)."""
    import trafilatura

    from .render import Rendering, render_text, rendering

    tree = trafilatura.load_html(html)
    note = None
    if tree is not None and too_deep(tree):
        note = f"HTML nested deeper than {PARSER_DEPTH} elements: the deeper tags unwrapped"
        tree = trafilatura.load_html(flatten_html(html, FLATTEN_TOP, FLATTEN_BOTTOM))
        if tree is not None and too_deep(tree):
            raise NestingError(f"HTML nested deeper than {PARSER_DEPTH} elements")
    if tree is None:  # not HTML enough for trafilatura: it finds nothing
        return "", note, Rendering(render_text(html)) if render else None
    if hidden_max_share > 0:
        drop_hidden(tree, hidden_max_share)
    # rendered before extracting: trafilatura works on a copy of the tree it is given, and
    # the rendering only reads it
    rendered = rendering(tree) if render else None
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
    return text or "", note, rendered


def hides(el: Any) -> bool:
    """Whether a browser shows neither an element nor anything inside it: the hidden
    attribute (but hidden="until-found", which the browser's find in page reveals), or an
    inline style of display:none (in any case, spaces anywhere). Not visibility:hidden,
    which a child can undo with visibility:visible.

    >>> import lxml.html
    >>> [hides(lxml.html.fromstring(x)) for x in ["<p hidden>a</p>", "<p hidden='until-found'>"
    ...     "a</p>", "<p style='color: red; DISPLAY : None'>a</p>", "<p style='display:block'>"
    ...     "a</p>", "<p style='visibility:hidden'>a</p>"]]
    [True, False, True, False, False]
    """
    value = el.get("hidden")
    if value is not None and value.lower() != "until-found":
        return True
    style = el.get("style")
    return style is not None and "display:none" in "".join(style.split()).lower()


# Elements whose text no reader sees, even when shown.
_UNSEEN = ("script", "style", "template")


def _text_chars(el: Any) -> int:
    """Characters of an element's text, those of its scripts, styles and templates aside."""
    n = len(el.text_content())
    for inner in el.iter(*_UNSEEN):
        n -= len(inner.text_content())
    return max(n, 0)


@functools.cache
def _styled() -> Any:
    """An XPath of an element's descendants that carry a style or the hidden attribute."""
    import lxml.etree

    return lxml.etree.XPath("descendant::*[@hidden or @style]")


def drop_hidden(tree: Any, max_share: float) -> bool:
    """Remove from a parsed page the elements its reader does not see (:func:`hides`; their
    tails stay), unless they hold more than ``max_share`` of the body's text: such a page
    is shown by a script once loaded, and its hidden text is its content. Whether anything
    was removed.

    Pages hide copies of their article for search engines (schema.org markup), menus and
    dialogs that a click opens: none of it is what a reader reads, and an extractor that
    falls back on another algorithm may take it for the article (a second copy, or the
    copy without its visible parts).

    >>> import lxml.html
    >>> page = lxml.html.fromstring(
    ...     "<html><body><p>Shown text here.</p><div style='Display: None'>Metadata copy</div>"
    ...     "tail<p hidden>Dialog</p><p hidden='until-found'>Folded</p></body></html>")
    >>> drop_hidden(page, 0.5), page.text_content()
    (True, 'Shown text here.tailFolded')
    >>> page = lxml.html.fromstring(
    ...     "<html><body><div style='display:none'><p>All of the page's text.</p></div>"
    ...     "<p>Loading</p></body></html>")
    >>> drop_hidden(page, 0.5), page.text_content()
    (False, "All of the page's text.Loading")
    """
    from .walk import tree_walk

    body = tree.getroottree().getroot().find("body")
    if body is None:
        return False
    walk = tree_walk()
    read = walk.hidden(body, hides) if walk is not None else None
    if read is not None:
        outer, hidden, shown = read
    else:
        outer = hidden_outer(body)
        hidden = sum(map(_text_chars, outer))
        shown = None  # counted when asked for
    if not outer:
        return False
    if hidden and hidden > max_share * (_text_chars(body) if shown is None else shown):
        return False
    for el in outer:
        el.drop_tree()
    return True


def hidden_outer(body: Any) -> list[Any]:
    """The elements in a page's body that :func:`hides`, those inside another one aside, in
    the page's order (the reference of the walk in C, ``cleaner/_tree.pyx``).

    >>> import lxml.html
    >>> body = lxml.html.fromstring("<div hidden><p hidden>a</p></div><p>b<b hidden>c</b>")
    >>> [el.tag for el in hidden_outer(body)]
    ['div', 'b']
    """
    found = [el for el in _styled()(body) if hides(el)]
    inside = set(found)
    return [el for el in found if not any(up in inside for up in el.iterancestors())]


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


def resiliparse_text(html: str, max_depth: int = 256) -> str | None:
    """The main-content text of an HTML page by resiliparse, one block per line, list items
    with a bullet (judged as text-mode list items are).

    Comment sections and post metadata (bylines, dates) are left out (kept, each scored
    lower on both evaluation sets), and so are image alt texts (kept: 0.017 lower F1 alone
    on scrapinghub, 0.002 higher on cleanportaleval).

    >>> print(resiliparse_text("<nav><a href=/>Home</a></nav><h1>Title</h1><p>One.</p>"))
    Title
    <BLANKLINE>
    One.
    >>> "\\ufffd" in resiliparse_text("<p>a lone surrogate " + chr(0xD800) + " is replaced</p>")
    True

    A page nested deeper than ``max_depth`` elements gives None (the main-content choice
    costs the square of the depth; ``html_body`` hands such a page to trafilatura):

    >>> nest = lambda depth: "<div>" * depth + "<p>Deep inside.</p>" + "</div>" * depth
    >>> resiliparse_text(nest(250)), resiliparse_text(nest(2000)), resiliparse_text(nest(9), 8)
    ('Deep inside.', None, None)
    """
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    try:
        data = html.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (from JSON escapes): resiliparse refuses them
        data = html.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")
    tree = HTMLTree.parse_from_bytes(data, "utf-8")  # from the bytes: not encoded again
    # an element with max_depth ancestors; matched from each element upwards, so a page of
    # ordinary depth costs a few steps per element
    deep = " > ".join(["*"] * (max_depth + 1))
    if tree.document is not None and tree.document.query_selector(deep) is not None:
        return None
    return str(
        extract_plain_text(
            tree,
            preserve_formatting=True,
            main_content=True,
            list_bullets=True,
            alt_texts=False,
            links=False,
            form_fields=False,
            noscript=False,
            comments=False,
            post_meta=False,
        )
    )
