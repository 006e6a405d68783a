"""HTML to body text with trafilatura."""

from __future__ import annotations

from ..config import Config
from ..heuristics.shape import split_layout_tables


def trafilatura_text(html: str, config: Config) -> str:
    """trafilatura's main text of an HTML page with cleaner's extraction settings, one
    block per line ("" when nothing is found)."""
    import trafilatura

    text = trafilatura.extract(
        html,
        output_format="txt",
        include_comments=False,
        include_tables=config.html_include_tables,
        include_images=False,
        favor_precision=config.html_favor_precision,
        deduplicate=False,
        with_metadata=False,
    )
    return text or ""


def html_to_text(html: str, config: Config) -> str:
    """The main text of an HTML page, one block per line ("" when nothing is found); the
    rows of layout tables split into their cells (``split_layout_tables``)."""
    text = trafilatura_text(html, config)
    if "|" not in text:
        return text
    lines = split_layout_tables(text.splitlines(), config.body_min_words, config.long_line_words)
    return "\n".join(lines)
