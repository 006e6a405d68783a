"""What pass 2 makes of a judged page besides its tally: its cleaned text (the output of a
single-page file, and what its content hash is of) and the word ids of that text (what its
document print is made of)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from typing import Any

import numpy as np

from ..pages import Page


def kept_text(lines: Sequence[str], kept: Sequence[bool]) -> str:
    """The cleaned text of a page: its kept lines, in order, each ending in a newline
    (:func:`cleaner.writing.page_text` of its result).

    >>> kept_text(["A.", "b", "C."], [True, False, True]), kept_text([], [])
    ('A.\\nC.\\n', '')
    """
    return "\n".join([*compress(lines, kept), ""])


def kept_words(page: Page, kept: np.ndarray, loop: Any | None = None) -> np.ndarray:
    """The word ids of a page's kept lines (``kept``, a mask), in order (pass 1 computed
    them per line; words never span lines, so these are the words of the cleaned text).
    ``loop``: the compiled loop (``kept_ids`` of ``cleaner/_compiled.pyx``; None: numpy's).

    >>> page = Page("a.txt", None, "text", ("A b.", "c"), np.zeros(2, np.uint64), "en",
    ...             words=np.array([5, 6, 0, 7], np.uint64), word_counts=np.array([3, 1]))
    >>> kept_words(page, np.array([True, False])).tolist()
    [5, 6]
    """
    if not len(page.words):
        return page.words
    if loop is not None and page.words.dtype == np.uint64 and len(kept) == len(page.word_counts):
        try:
            found: np.ndarray = loop(
                np.ascontiguousarray(page.words),
                np.ascontiguousarray(page.word_counts, np.int64),
                np.ascontiguousarray(kept, bool).view(np.uint8),
            )
            return found
        except ValueError:
            pass  # counts that do not fit the ids: numpy's error says so
    ids = page.words[np.repeat(kept, page.word_counts)]
    return ids[ids != 0]  # punctuation tokens


def utf8(text: str) -> bytes | None:
    """The text as UTF-8; None when it holds a lone surrogate (which UTF-8 cannot hold).

    >>> utf8("é"), utf8("\\ud800")
    (b'\\xc3\\xa9', None)
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None
