"""From an input file to pages: read, decode, extract (HTML), segment into lines.

A text or HTML file is one page; a record container (JSONL, Parquet, WARC) holds one page
per record. Pages stream: a container is never read whole.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .compiled import compiled
from .config import Config
from .fingerprint import LinePrinter
from .heuristics.language import LanguageIdentifier, detect_language
from .io.decode import InputError, read_source
from .io.records import RecordKeys, container_format, iter_records, part_selector
from .models import Source
from .segment import fingerprint_view, segment
from .text import word_count


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
    # uint64 ids of the normalized tokens, all lines in order (0 for punctuation tokens),
    # and the tokens of each line
    words: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    word_counts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    # the lines joined by newlines, as UTF-8 (surrogates kept), where it was at hand (the
    # kernel encoded them, or the pages file held them): not encoded again; not pickled
    utf8: bytes | memoryview | None = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # arrays travel as bytes: pickling them as arrays costs more than the page's text
        arrays = (self.keys.tobytes(), self.words.tobytes(), self.word_counts.tobytes())
        head = (self.rel, self.id, self.kind, self.lines)
        return (_page, (*head, self.language, self.notes, self.error, *arrays))


def _page(
    rel: str,
    rid: str | None,
    kind: str,
    lines: tuple[str, ...],
    language: str | None,
    notes: tuple[str, ...],
    error: str | None,
    keys: bytes,
    words: bytes,
    counts: bytes,
) -> Page:
    return Page(
        rel,
        rid,
        kind,
        lines,
        np.frombuffer(keys, np.uint64),
        language,
        notes,
        error,
        np.frombuffer(words, np.uint64),
        np.frombuffer(counts, np.int64),
    )


def page_language(
    lines: Sequence[str],
    config: Config,
    langid: LanguageIdentifier,
    ascii_words: np.ndarray | None = None,
) -> str | None:
    """Language of a page, detected on its prose-like lines (or forced by the config);
    ``ascii_words``: see :func:`language_sample`."""
    if config.language:
        return config.language
    sample = language_sample(lines, config.langid_max_chars, ascii_words)
    return detect_language(sample, langid, config.langid_max_chars)


def line_word_counts(ids: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The word tokens of each line (its non-zero token ids), from the token ids of a
    page's lines in order (``LinePrinter.page``) and the number of tokens of each line.
    For an ASCII line this is :func:`cleaner.text.word_count`: a word token of a normalized
    ASCII line is a run of ``[A-Za-z0-9_]``, as ``\\w+`` finds them (folding a run of
    digits to one zero joins no runs).

    >>> line_word_counts(np.array([5, 0, 7, 9], np.uint64), np.array([2, 0, 2])).tolist()
    [1, 0, 2]
    """
    module = compiled()
    if module is not None:  # the same loop, compiled (a few array calls less per page)
        ids = np.ascontiguousarray(ids, np.uint64)
        found: np.ndarray = module.line_words(ids, np.ascontiguousarray(counts, np.int64))
        return found
    return line_word_counts_arrays(ids, counts)


def line_word_counts_arrays(ids: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """:func:`line_word_counts` by array operations.

    >>> line_word_counts_arrays(np.array([5, 0, 7, 9], np.uint64), np.array([2, 0, 2])).tolist()
    [1, 0, 2]
    """
    ends = np.cumsum(counts)
    seen = np.zeros(len(ids) + 1, np.int64)
    np.cumsum(ids != 0, out=seen[1:])
    found: np.ndarray = seen[ends] - seen[ends - counts]
    return found


def language_sample(
    lines: Sequence[str], max_chars: int, ascii_words: np.ndarray | None = None
) -> str:
    """The head of the page's prose-like lines (6 words or more; every line when there is
    none), joined by newlines, that the language detector reads: at most ``max_chars``
    characters, so lines past them are not looked at. ``ascii_words``: the words of each
    line, used where the line is ASCII (:func:`line_word_counts`); other lines' words are
    counted here.

    >>> language_sample(["Home", "One two three four five six.", "News", "A b c d e f"], 40)
    'One two three four five six.\\nA b c d e f'
    >>> language_sample(["Home", "News"], 40), language_sample(["One two three four five six"], 9)
    ('Home\\nNews', 'One two t')
    >>> language_sample(["a", "b c d e f g"], 9, np.array([6, 1]))
    'a'
    """
    words = ascii_words.tolist() if ascii_words is not None else None
    prose = []
    length = -1  # the newlines between the lines
    for i, line in enumerate(lines):
        n = words[i] if words is not None and line.isascii() else word_count(line)
        if n >= 6:
            prose.append(line)
            length += len(line) + 1
            if length >= max_chars:
                break
    return "\n".join(prose or lines)[:max_chars]


RECOVERED = "no article found by the HTML extractor: judged as text from the page's rendering"


def html_text(
    html: str, config: Config, notes: tuple[str, ...] = ()
) -> tuple[str, str, tuple[str, ...]]:
    """The text a run judges of an HTML page, its kind ("html", or "text" when the extractor
    missed the article and the page's rendering is judged instead) and its notes: the
    extractor's text, with the prose that leads into it (before the line it leads into),
    the quotations it passed over and the prose that continues it, from the page's own
    rendering. ``NestingError`` for a page nested too deep to parse."""
    from .extract.html import html_page

    extracted, note, rendered = html_page(html, config, render=True)
    if note is not None:
        notes += (note,)
    if rendered is None:  # the fast extractor: its text as it is
        return extracted, "html", notes
    from .extract.render import (
        around,
        lead_at,
        lead_run,
        missed_article,
        trail_lines,
        with_quotes,
    )

    if missed_article(
        extracted, rendered.text, config.html_recover_max_words, config.html_recover_min_prose
    ):  # the extractor missed the article: judge the page's text as text
        return rendered.text, "text", (*notes, RECOVERED)
    page = around(extracted.splitlines(), rendered.text.splitlines())
    lead, into = lead_run(page, config.body_min_words, config.long_line_words)
    trail = trail_lines(
        page,
        config.body_min_words,
        config.long_line_words,
        config.html_trail_max_gap,
        config.html_trail_min_share,
    )
    # and the quotations it passed over inside the article
    quoted = with_quotes(page, rendered.quotes)
    kept = list(page.extracted) if quoted is None else quoted
    # the lead goes before the line it leads into, after what the extractor kept before it
    at = lead_at(kept, into)
    return "\n".join([*kept[:at], *lead, *kept[at:], *trail]), "html", notes


def make_page(
    rel: str,
    rid: str | None,
    text: str,
    is_html: bool,
    config: Config,
    notes: tuple[str, ...],
    printer: LinePrinter,
    langid: LanguageIdentifier,
) -> Page:
    kind = "html" if is_html else "text"
    try:
        if is_html:
            from .extract.html import NestingError

            try:
                text, kind, notes = html_text(text, config, notes)
            except NestingError as exc:
                return failed(rel, rid, kind, f"could not be parsed: {exc}", notes)
    except (ValueError, RecursionError, MemoryError) as exc:
        return failed(rel, rid, kind, f"could not be parsed: {type(exc).__name__}", notes)
    lines = tuple(segment(text))
    view = fingerprint_view(lines)  # a huge line is fingerprinted on its head
    keys, words, counts = printer.page(view)
    ascii_words = None if config.language else line_word_counts(words, counts)
    language = page_language(view, config, langid, ascii_words)
    utf8 = printer.utf8_of(view) if view is lines else None
    return Page(rel, rid, kind, lines, keys, language, notes, None, words, counts, utf8)


def failed(rel: str, rid: str | None, kind: str, message: str, notes: tuple[str, ...] = ()) -> Page:
    return Page(rel, rid, kind, (), np.empty(0, np.uint64), None, notes, message)


def load_pages(
    source: Source,
    config: Config,
    keys: RecordKeys,
    printer: LinePrinter | None = None,
    part: int = 0,
    parts: int = 1,
    langid: LanguageIdentifier | None = None,
) -> Iterator[Page]:
    """The pages of one input file; a failure becomes a page with an error. ``printer``
    fingerprints the lines (one per worker: it remembers lines seen before). A record file
    cleaned in ``parts`` parts gives the records of part ``part`` only (and, for part 0,
    the error page of a file that ends in unreadable data). ``langid`` detects languages
    (one per worker: its model loads once)."""
    printer = printer or LinePrinter(config.near_dup_max_chars)
    langid = langid or LanguageIdentifier()
    container = container_format(source.name)
    if container is None:
        try:
            text, note = read_source(source)
        except InputError as exc:
            yield failed(source.rel, None, source.kind, str(exc))
            return
        notes = (note,) if note else ()
        is_html = source.kind == "html"
        yield make_page(source.rel, None, text, is_html, config, notes, printer, langid)
        return
    fmt, compression = container
    try:
        select = part_selector(part, parts, config.record_block)
        for record, _fields in iter_records(source.location, fmt, compression, keys, select):
            if record.error is not None:
                yield failed(source.rel, record.id, "text", record.error)
            else:
                yield make_page(
                    source.rel, record.id, record.text, record.is_html, config, (), printer, langid
                )
    except InputError as exc:  # the file as a whole cannot be read as records
        if part == 0:
            yield failed(source.rel, None, fmt, str(exc))
    except (OSError, ValueError, EOFError) as exc:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise  # no room to write (the work folder, the temporary folder): not the input
        # a truncated or corrupt container: the records read so far stand
        if part == 0:
            yield failed(source.rel, None, fmt, f"unreadable {fmt} data: {exc}")
    except Exception as exc:  # third-party decoders raise their own error types
        if part == 0:
            yield failed(source.rel, None, fmt, f"unreadable {fmt} data: {type(exc).__name__}")
