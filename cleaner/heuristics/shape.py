"""Sentence shape, markup residue and date/time stamps: pure functions on one line."""

from __future__ import annotations

import re

from ..text import image_count, is_table_row, strip_markup, word_count, words

# Sentence-final marks across scripts: Latin/Cyrillic/Greek, CJK full-width, Devanagari
# danda, Arabic question mark, Armenian full stop, ellipsis. A colon ends a lead-in sentence.
_TERMINAL = ".!?:;\u2026\u3002\uff01\uff1f\uff0e\u0964\u0965\u061f\u06d4\u0589"
_CLOSERS = "\"'\u201d\u2019\u00bb\u203a)]}*_\u300d\u300f\uff09 "
_QUESTION_OR_EXCLAIM = "?!\uff01\uff1f\u061f"


def ends_sentence(visible: str) -> bool:
    """True when the text ends like a sentence (closing quotes and brackets skipped).

    >>> ends_sentence('He said "yes."'), ends_sentence("Top stories"), ends_sentence("新闻。")
    (True, False, True)
    """
    tail = visible.rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _TERMINAL


def ends_question_or_exclamation(visible: str) -> bool:
    """
    >>> ends_question_or_exclamation("Why now?"), ends_question_or_exclamation("Now.")
    (True, False)
    """
    tail = visible.rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _QUESTION_OR_EXCLAIM


_LINK_SYNTAX = re.compile(r"\[[^\]]*\]\([^)]*\)|https?://\S+|www\.\S+")


def is_markup_residue(line: str, visible: str | None = None, n: int | None = None) -> bool:
    """A line that is mostly markup: image markers, table rules, bare links, a layout-table
    row (fewer than three filled cells) without a sentence in it, or nothing visible once
    markup is removed.

    >>> is_markup_residue("![]() |")
    True
    >>> is_markup_residue("| (Agency/Photographer Name) |")
    True
    >>> is_markup_residue("![A bridge](img.jpg)")
    True
    >>> is_markup_residue("[Read more](http://example.com/a)")
    True
    >>> is_markup_residue("| The committee approved the plan after a long debate on Tuesday. |")
    False
    >>> is_markup_residue("| 1 | Kyle Busch | 5040 | 5 |")
    False
    >>> is_markup_residue("The plan was approved.")
    False
    """
    if visible is None:
        visible = strip_markup(line)
    if n is None:
        n = word_count(visible)
    if n == 0:
        return True
    if not any(c in line for c in "/|![") and "www." not in line:
        return False  # no link, image or table syntax
    linked = sum(len(m) for m in _LINK_SYNTAX.findall(line))
    if linked and linked >= 0.5 * len(line.strip()) and not ends_sentence(visible):
        return True
    if image_count(line) and n < 3:
        return True
    if not is_table_row(line):
        return False
    cells = sum(1 for cell in line.split("|") if word_count(strip_markup(cell)))
    if cells >= 3:
        return False  # a row of a data table: content, judged like any line
    return not (ends_sentence(visible) and n >= 5)


_BARE_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_IMAGE_FILE = re.compile(r"\.(?:png|jpe?g|gif|webp|svg|bmp|ico)(?:[?#]\S*)?$", re.IGNORECASE)


def is_bare_url(visible: str) -> bool:
    """Whether a line's visible text is one web address and nothing else, and not the
    address of an image file: in an extracted body, an address the page prints for its
    readers (a source, an offer), which text mode calls markup like any link.

    >>> is_bare_url("http://example.com/2019/a-story.html"), is_bare_url("www.example.org")
    (True, True)
    >>> is_bare_url("https://example.com/logo.png"), is_bare_url("Read it at http://example.com")
    (False, False)
    """
    return bool(_BARE_URL.fullmatch(visible)) and not _IMAGE_FILE.search(visible)


def reads_as_prose(visible: str, min_words: int = 8, long_words: int = 40) -> bool:
    """Text shaped like body prose: a sentence of at least ``min_words`` words, or at least
    ``long_words`` words whatever its ending.

    >>> reads_as_prose("The council said on Monday that the bridge would open in May.")
    True
    >>> reads_as_prose("Print this story"), reads_as_prose("It is over.")
    (False, False)
    """
    n = word_count(visible)
    return n >= long_words or (n >= min_words and ends_sentence(visible))


def table_cells(line: str) -> list[str]:
    """The filled cells of a table row, spaces collapsed.

    >>> table_cells("| Rovers |  | 12 |"), table_cells("|---|---|")
    (['Rovers', '12'], [])
    """
    cells = [" ".join(cell.split()) for cell in line.split("|")]
    return [cell for cell in cells if word_count(strip_markup(cell))]


def split_layout_tables(lines: list[str], min_words: int = 8, long_words: int = 40) -> list[str]:
    """Lines with the rows of layout tables split into their cells.

    A run of table rows in which some cell reads as prose (:func:`reads_as_prose`) is a
    layout table: the page's text set out in cells. Each of its rows becomes one line per
    filled cell, to be judged like any other line, except a row of three or more short
    cells, which is a row of a data table (results, a schedule) and stays whole. Other
    lines are returned as they are.

    >>> split_layout_tables([
    ...     "| Home | News | Sport |",
    ...     "| Archive |  |",
    ...     "| The council said on Monday that the bridge would open in May. |  |",
    ...     "| The repairs were paid for by the contractor | Print this story |",
    ...     "| Team | Played | Points |",
    ...     "Just text",
    ...     "| Rovers | 12 |",
    ... ])  # doctest: +NORMALIZE_WHITESPACE
    ['| Home | News | Sport |', 'Archive',
     'The council said on Monday that the bridge would open in May.',
     'The repairs were paid for by the contractor', 'Print this story',
     '| Team | Played | Points |', 'Just text', '| Rovers | 12 |']
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and is_table_row(lines[j]):
            j += 1
        if j == i:
            out.append(lines[i])
            i += 1
            continue
        rows = [(row, table_cells(row)) for row in lines[i:j]]
        prose = [[reads_as_prose(strip_markup(c), min_words, long_words) for c in cells]
                 for _, cells in rows]  # fmt: skip
        if not any(any(p) for p in prose):
            out.extend(lines[i:j])
        else:
            for (row, cells), is_prose in zip(rows, prose, strict=True):
                out.extend([row] if len(cells) >= 3 and not any(is_prose) else cells)
        i = j
    return out


_ANY_DIGIT = re.compile(r"\d")
_TIME = re.compile(r"\b\d{1,2}\s?[:hH]\s?\d{2}\b")
# day/month[/year], day.month.year, year-month-day; not decimals like 12.9
_DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}[.\-]\d{1,2}[.\-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
)
_YEAR = re.compile(r"\b(?:1[89]|20)\d{2}\b")
# a vulgar fraction (1/2, 3/4): one digit over a larger one, not part of a longer number
_FRACTION = re.compile(r"[1-8]/[2-9]")


def has_date(visible: str) -> bool:
    """Whether the text holds a numeric date. A vulgar fraction such as 1/2 or 3/4 (a
    quantity in a recipe or a measure) is not read as a day and month without a year.

    >>> has_date("Updated 16/06"), has_date("2019-11-04"), has_date("Published 3/4/2019")
    (True, True, True)
    >>> has_date("1 1/2 cups flour"), has_date("1/4 tsp salt")
    (False, False)
    """
    for m in _DATE.finditer(visible):
        text = m.group()
        if not (_FRACTION.fullmatch(text) and text[0] < text[2]):
            return True
    return False


def is_datetime_line(
    visible: str,
    min_digit_share: float = 0.2,
    max_words: int = 12,
    toks: list[str] | None = None,
) -> bool:
    """A short line whose content is a date or time stamp (with a few words around it).

    >>> is_datetime_line("Last updated at 08h22 on 16/06")
    True
    >>> is_datetime_line("17 February 2013 Last updated at 22:15 GMT")
    True
    >>> is_datetime_line("Posted March 3, 2013")
    True
    >>> is_datetime_line("In 2012, the couple published a book about their home.")
    False
    >>> is_datetime_line("Top 10 stories")
    False
    >>> is_datetime_line("The 12.9-inch model drops to $799")
    False
    >>> is_datetime_line("2019-11-04")
    True
    >>> is_datetime_line("- 1/2 tsp ground cloves")
    False
    """
    if toks is not None and len(toks) > max_words:
        return False  # before the scan for digits: most long lines stop here
    if not _ANY_DIGIT.search(visible):
        return False
    if toks is None:
        toks = words(visible)
    if not toks or len(toks) > max_words:
        return False
    with_digits = sum(any(c.isdigit() for c in t) for t in toks)
    if with_digits / len(toks) < min_digit_share:
        return False
    if _TIME.search(visible) or has_date(visible):
        return True
    return bool(_YEAR.search(visible)) and not ends_sentence(visible)
