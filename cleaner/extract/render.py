"""An HTML page's own text rendering: every visible text, a line per block."""

from __future__ import annotations

import re

# Elements that start a new line: blocks, list items, table rows and cells, breaks.
_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
     "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
     "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"}
)  # fmt: skip
# Marks of the text renderings text mode reads (html2text's): headings and list items.
_MARKS = {**{f"h{n}": "#" * n + " " for n in range(1, 7)}, "li": "* "}
_SPACES = re.compile(r"\s+")
_INVISIBLE = ("script", "style", "noscript", "template", "head", "title")


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

    try:
        doc = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    lxml.etree.strip_elements(doc, lxml.etree.Comment, *_INVISIBLE, with_tail=False)
    parts: list[str] = []
    for event, el in lxml.etree.iterwalk(doc, events=("start", "end")):
        block = isinstance(el.tag, str) and el.tag.lower() in _BLOCKS
        if block:
            parts.append("\n")
            if event == "start" and el.tag.lower() in _MARKS:
                parts.append(_MARKS[el.tag.lower()])
        text = el.text if event == "start" else el.tail
        if text:  # line breaks in the source are spaces; only blocks break lines
            parts.append(_SPACES.sub(" ", text))
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def recovered_text(html: str, extracted: str, max_words: int, min_prose_words: int) -> str | None:
    """The page's own text rendering, when the extractor missed its article: it returned
    fewer than ``max_words`` words while the rendering holds at least ``min_prose_words``
    words in lines that read as prose. None otherwise (the extractor's text stands).

    >>> para = "<p>The council said on Monday that the bridge over the river would open in May.</p>"
    >>> recovered_text("<div>" + para * 3 + "</div>", "", 20, 40) is not None
    True
    >>> recovered_text("<div>" + para * 3 + "</div>", "", 20, 60) is None
    True
    >>> recovered_text(para * 9, "Words " * 30, 20, 40) is None
    True
    """
    from ..heuristics.shape import reads_as_prose
    from ..text import word_count

    if word_count(extracted) >= max_words:
        return None
    rendered = render_text(html)
    prose = sum(word_count(line) for line in rendered.splitlines() if reads_as_prose(line))
    return rendered if prose >= min_prose_words else None
