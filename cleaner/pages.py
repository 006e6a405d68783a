"""From an input file to pages: read, decode, extract (HTML), segment into lines.

A text or HTML file is one page; a record container (JSONL, Parquet, WARC) holds one page
per record. Pages stream: a container is never read whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .config import Config
from .fingerprint import line_key
from .heuristics.language import detect_language
from .io.formats import RecordKeys, container_format, iter_records
from .io.readers import InputError, read_source, segment
from .models import Source
from .text import normalize_line, word_count


@dataclass(frozen=True, slots=True)
class Page:
    """One document after extraction and segmentation."""

    rel: str  # the input file's relative name
    id: str | None  # record id within a container; None for a single-page file
    kind: str  # "text" or "html": what the lines were made from
    lines: tuple[str, ...]
    keys: np.ndarray  # uint64 exact key per line
    language: str | None
    notes: tuple[str, ...] = ()
    error: str | None = None


def page_language(lines: Sequence[str], config: Config) -> str | None:
    """Language of a page, detected on its prose-like lines (or forced by the config)."""
    if config.language:
        return config.language
    prose = [ln for ln in lines if word_count(ln) >= 6] or list(lines)
    return detect_language("\n".join(prose), config.langid_max_chars)


def make_page(
    rel: str, rid: str | None, text: str, is_html: bool, config: Config, notes: tuple[str, ...]
) -> Page:
    kind = "html" if is_html else "text"
    try:
        if is_html:
            from .extract.html import html_to_text

            text = html_to_text(text, config)
    except (ValueError, RecursionError, MemoryError) as exc:
        return failed(rel, rid, kind, f"could not be parsed: {type(exc).__name__}", notes)
    lines = tuple(segment(text))
    keys = np.fromiter((line_key(normalize_line(ln)) for ln in lines), np.uint64, len(lines))
    return Page(rel, rid, kind, lines, keys, page_language(lines, config), notes)


def failed(rel: str, rid: str | None, kind: str, message: str, notes: tuple[str, ...] = ()) -> Page:
    return Page(rel, rid, kind, (), np.empty(0, np.uint64), None, notes, message)


def load_pages(source: Source, config: Config, keys: RecordKeys) -> Iterator[Page]:
    """The pages of one input file; a failure becomes a page with an error."""
    container = container_format(source.path.name)
    if container is None:
        try:
            text, note = read_source(source)
        except InputError as exc:
            yield failed(source.rel, None, source.kind, str(exc))
            return
        notes = (note,) if note else ()
        yield make_page(source.rel, None, text, source.kind == "html", config, notes)
        return
    fmt, compression = container
    try:
        for record, _fields in iter_records(source.path, fmt, compression, keys):
            if record.error is not None:
                yield failed(source.rel, record.id, "text", record.error)
            else:
                yield make_page(source.rel, record.id, record.text, record.is_html, config, ())
    except (OSError, ValueError, EOFError) as exc:
        # a truncated or corrupt container: the records read so far stand
        yield failed(source.rel, None, fmt, f"unreadable {fmt} data: {exc}")
    except Exception as exc:  # third-party decoders raise their own error types
        yield failed(source.rel, None, fmt, f"unreadable {fmt} data: {type(exc).__name__}")
