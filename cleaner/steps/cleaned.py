"""What pass 2 makes of a judged page besides its tally: its cleaned text (the output of a
single-page file, and what its content hash is of) and the word ids of that text (what its
document print is made of)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from typing import Any

import numpy as np

from ..linecodes import BODY
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


def cleaned_page(
    page: Page, codes: np.ndarray, loop: Any | None = None, words_loop: Any | None = None
) -> tuple[bytes, str | None, np.ndarray]:
    """A judged page's cleaned text (:func:`kept_text` of the lines its reason ``codes``
    keep) as UTF-8 with lone surrogates kept (what its content hash is of); that text as a
    string where it holds a lone surrogate (None else: UTF-8 cannot hold one, and writing
    it fails as it would); and :func:`kept_words`. ``loop``: the compiled ``kept_page``,
    which slices the text from the page's own bytes (``Page.utf8``); None, or a page without
    them: the lines are joined and encoded (``words_loop``: :func:`kept_words`'s loop).

    >>> page = Page("a.txt", None, "text", ("A b.", "c", "\\udc80"), np.zeros(3, np.uint64),
    ...             "en", words=np.array([5, 6, 0, 7, 8], np.uint64),
    ...             word_counts=np.array([3, 1, 1]))
    >>> cleaned_page(page, np.array([0, 4, 4], np.uint8))
    (b'A b.\\n', None, array([5, 6], dtype=uint64))
    >>> cleaned_page(page, np.array([4, 4, 0], np.uint8))[:2]
    (b'\\xed\\xb2\\x80\\n', '\\udc80\\n')
    """
    if loop is not None and page.utf8 is not None and page.words.dtype == np.uint64:
        found = loop(
            np.ascontiguousarray(codes, np.uint8),
            page.utf8,
            np.ascontiguousarray(page.words),
            np.ascontiguousarray(page.word_counts, np.int64),
        )
        if found is not None:
            data, surrogate, ids = found
            return data, (data.decode("utf-8", "surrogatepass") if surrogate else None), ids
    kept = codes == BODY
    text = kept_text(page.lines, kept.tolist())
    data = utf8(text)
    words = kept_words(page, kept, words_loop)
    if data is None:
        return text.encode("utf-8", "surrogatepass"), text, words
    return data, None, words
