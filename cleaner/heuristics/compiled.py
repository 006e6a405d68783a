"""The features of a page's lines at once, compiled: what :func:`.classify.line_features`
gives, for the lines whose features reduce to counts and patterns over their characters.

Such a line is plain text (:func:`cleaner.text.is_plain`), or a heading's or list item's
mark before plain text, every character of it in :func:`feature_table` (characters the
line's fingerprint normalizes one by one to their lower case; see
:func:`cleaner.kernels.composes_alone`). Its visible text is its text after the mark, spaces
collapsed; its word tokens are its runs of word characters, and they are the word tokens
of its fingerprint (pass 1), whose word ids then say which are stopwords. The kernel (the
loops compiled at install, ``line_codes`` in ``cleaner/_compiled.pyx``; else numba's,
``cleaner/_numba_features.py``) counts words, CJK characters, visible characters and tokens
holding digits, reads the sentence ending and the marks, runs the date and time patterns of
:func:`.shape.is_datetime_line` as the regular expressions do, and classifies as the
reference does. It leaves to the reference (-1): a line holding another character, a web
address (the link rules), a second mark or other markup, a line whose word tokens are not
its fingerprint's, a line holding digits when a stopword holds one, and a line longer than
``max_feature_chars``.

The compiled loops also judge a line holding markdown or a web address, every character
of it in the table: they strip its markup step by step as :func:`cleaner.text.strip_markup`
does (images, links, the marks at its start, emphasis, pipes), keeping where each visible
character was, so that each visible word is known to be one whole word of the fingerprint
(else -1: emphasis inside a word, "__" beside one), and decide
:func:`.shape.is_markup_residue` on the line (links and addresses measured, a table row's
cells stripped one by one). They leave to the reference a line whose features hold a flag
a code does not: markup that shows an image or is one web address, a quoted date line.

The packed features (:func:`features_of`) hold the class, the words, the visible
characters and the flags; equal codes share one :class:`.classify.LineFeatures`.

The kernel loads lazily (see :class:`FeatureJudge`): the compiled loops in a millisecond,
from a worker's first line; numba's after a worker's first ``KERNEL_AFTER_LINES`` lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config
from ..fingerprint import word_id
from ..idset import IdSet
from ..segment import MAX_FINGERPRINT_CHARS
from ..text import _BULLET, _CJK, _MARKUP_CHARS
from .classify import LineClass, LineFeatures
from .shape import _CLOSERS, _QUESTION_OR_EXCLAIM, _TERMINAL

# Character flags of the kernel's table (cleaner/_numba_features.py and cleaner/_compiled.pyx
# hold the same values)
OK, SPACE, WORD, DECIMAL, DIGIT, CJK = 1, 2, 4, 8, 16, 32
CLOSER, TERMINAL, QE, MARKUP, BULLET = 64, 128, 256, 512, 1024
# The classes of a packed code, by number
CLASSES = (
    LineClass.GOOD,
    LineClass.NEAR,
    LineClass.TITLE,
    LineClass.BAD,
    LineClass.MARKUP,
    LineClass.DATETIME,
)
_NO_TABLE = np.zeros(1, np.uint64)
_UNSUPPORTED = "\ud800"  # a line the kernel leaves to the reference (a lone surrogate)
# The counts a code holds have 24 and 31 bits: the kernel leaves longer lines to the reference
MAX_CHARS = (1 << 23) - 1

_SPACE_RE, _WORD_RE, _DECIMAL_RE = re.compile(r"\s"), re.compile(r"\w"), re.compile(r"\d")
_WORD_TOKEN = re.compile(r"\w+")
# The one character whose lower case depends on its neighbours (str.lower's final sigma)
_FINAL_SIGMA = "\u03a3"


def _kind(ch: str) -> int:
    """SPACE, WORD or 0 (punctuation), as the reference's patterns and ``str.split`` see
    ``ch``; -1 when they disagree."""
    space = bool(_SPACE_RE.match(ch))
    if space != ch.isspace():
        return -1
    return SPACE if space else WORD if _WORD_RE.match(ch) else 0


def char_flags(ch: str, mapped: str) -> int:
    """The flags of ``ch``, whose fingerprint normalization (``cleaner.kernels.mapped``) is
    ``mapped``; 0 when the kernel leaves lines holding it to the reference: ``ch`` must
    normalize to its lower case (a word character) or to characters of its own kind (a
    space, a punctuation mark), and lower case must keep its kind.

    >>> from cleaner.kernels import mapped
    >>> [char_flags(c, mapped(c)) & OK for c in "aÉ’…\\u00a0"]
    [1, 1, 1, 1, 1]
    >>> [char_flags(c, mapped(c)) for c in ("ß", "½", "Σ", "１")]  # ss, 1⁄2, ς or σ, 1
    [0, 0, 0, 0]
    >>> f = char_flags("7", "7")
    >>> bool(f & WORD), bool(f & DECIMAL), bool(f & DIGIT), bool(f & SPACE)
    (True, True, True, False)
    """
    kind = _kind(ch)
    lower = ch.lower()
    if kind < 0 or ch == _FINAL_SIGMA or any(_kind(c) != kind for c in mapped + lower):
        return 0
    if kind == WORD and not (mapped == lower and len(lower) == 1):
        return 0
    flags = OK | kind
    if _DECIMAL_RE.match(ch):
        flags |= DECIMAL
    if any(c.isdigit() for c in lower):
        flags |= DIGIT
    if _CJK.match(ch):
        flags |= CJK
    if ch in _CLOSERS and kind != SPACE:
        flags |= CLOSER
    if ch in _TERMINAL:
        flags |= TERMINAL
    if ch in _QUESTION_OR_EXCLAIM:
        flags |= QE
    if _MARKUP_CHARS.match(ch) and ch != "!":  # "!" marks an image only before "[", markup
        flags |= MARKUP
    if _BULLET.match(ch + " ") and not _DECIMAL_RE.match(ch):
        flags |= BULLET
    return flags


@cache
def feature_table() -> np.ndarray:
    """The flags of every code point below 0x10000 (uint16): of the characters the
    fingerprint kernel's table holds (:func:`cleaner.kernels.char_table`), made from the
    reference's own patterns and character sets; 0 for the others and for the newline.

    Making it takes about 0.15 s of CPU, so it is kept in the cache folder as that table is,
    under a name hashed from the Unicode version and the source of the modules that define
    it, and read from there in a millisecond.

    >>> t = feature_table()
    >>> bool(t[ord("a")] & WORD), bool(t[ord("#")] & MARKUP), int(t[0x301]), int(t[10])
    (True, True, 0, 0)
    >>> bool(t[ord("!")] & MARKUP), bool(t[ord("!")] & TERMINAL)
    (False, True)
    """
    from ..cachedir import table_path, write_atomically

    here = Path(__file__)
    package = here.parent.parent
    sources = (here, here.with_name("shape.py"), package / "text.py", package / "kernels.py")
    path = table_path("featuretable", sources, ".npy")
    try:
        if path is not None and path.is_file():
            stored = np.load(path)
            if stored.shape == (0x10000,) and stored.dtype == np.uint16:
                return stored
    except (OSError, ValueError, EOFError):  # unreadable or damaged: made again
        pass
    table = built_feature_table()
    if path is not None:
        with suppress(OSError):  # not writable: made again by the next process
            write_atomically(path, lambda out: np.save(out, table))
    return table


def built_feature_table() -> np.ndarray:
    """:func:`feature_table`, made from the reference's patterns (not read from the cache)."""
    from ..kernels import char_table

    chars = char_table()
    table = np.zeros(0x10000, np.uint16)
    for cp in np.flatnonzero(chars.start >= 0).tolist():
        s = int(chars.start[cp])
        mapped = "".join(map(chr, chars.out_cp[s : s + int(chars.length[cp])].tolist()))
        table[cp] = char_flags(chr(cp), mapped)
    table[10] = 0
    return table


def features_of(code: int) -> LineFeatures:
    """The features a packed code stands for: visible characters from bit 32, words from
    bit 8, markup that shows an image at bit 7, the class in bits 4 to 6, then a top-level
    heading, title-like, marked, lead-in.

    >>> features_of((31 << 32) | (6 << 8) | (2 << 4) | 0b1110)
    LineFeatures(cls=<LineClass.TITLE: 'title'>, n_words=6, n_chars=31, heading=True, \
title_like=True, bare_url=False, quoted=False, marked=True, image=False, lead_in=False)
    """
    return LineFeatures(
        CLASSES[(code >> 4) & 7],
        (code >> 8) & 0xFFFFFF,
        code >> 32,
        bool(code & 8),
        bool(code & 4),
        marked=bool(code & 2),
        image=bool(code & 128),
        lead_in=bool(code & 1),
    )


def stop_ids(stop: frozenset[str]) -> tuple[IdSet, bool]:
    """The ids of the stopwords a word token can be that hold no digit, and whether some
    stopword that a token can be holds a digit: its id is not the id of the token it
    equals (a fingerprint folds digits), so a line with digits is then left to the
    reference.

    >>> ids, digits = stop_ids(frozenset({"the", "l'", "2il"}))
    >>> ids.contains(np.array([word_id("the"), word_id("l'")], np.uint64)).tolist(), digits
    ([True, False], True)
    """
    words = [w for w in stop if _WORD_TOKEN.fullmatch(w)]
    plain = [w for w in words if not _DECIMAL_RE.search(w)]  # \d: str.isdecimal's characters
    ids = IdSet(np.fromiter(map(word_id, plain), np.uint64, len(plain)))
    return ids, len(plain) < len(words)


@dataclass(frozen=True)
class FeatureKernel:
    """The compiled kernel and its table, loaded once per process."""

    kernel: Callable[..., Any]
    table: np.ndarray
    # the compiled module's ``LineCoder`` (None: the kernel is called with every setting),
    # and the coders made, by stoplist and settings (each entry holds the two it was made
    # for, so that their ids stay theirs)
    coder: Callable[..., Any] | None = None
    coders: dict[tuple[int, int, bool], tuple[Any, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def settings(self, stop: IdSet | None, digit_stops: bool, config: Config) -> tuple[Any, ...]:
        """What the kernel takes besides a page, for a stoplist and a run's settings: the
        characters a line may have, the stopwords' table, the limits and shares, and the
        coder that holds them (None without one); made once, then remembered."""
        key = (id(stop), id(config), digit_stops)
        found = self.coders.get(key)
        if found is not None:
            return found[2:]
        # a line whose fingerprint saw only its head is never counted from it
        max_chars = min(config.max_feature_chars, MAX_FINGERPRINT_CHARS, MAX_CHARS)
        if stop is None:
            stops = (_NO_TABLE, np.uint64(0), np.uint64(0))
        elif stop.table is None:  # several ids per slot: a binary search of the ids
            stops = (stop.ids, np.uint64(0), np.uint64(0))
        else:
            stops = (stop.table, stop.shift, stop.mask)
        limits = (
            max_chars,
            config.title_max_words,
            config.body_min_words,
            config.long_line_words,
            config.datetime_max_words,
        )
        shares = (float(config.min_stopword_density), float(config.datetime_min_digit_share))
        made = None
        if self.coder is not None:
            made = self.coder(self.table, stops, stop is not None, digit_stops, limits, shares)
        if len(self.coders) >= 64:  # (runs of many settings in one process)
            self.coders.clear()
        self.coders[key] = (stop, config, max_chars, stops, limits, shares, made)
        return max_chars, stops, limits, shares, made

    def codes(
        self,
        lines: Sequence[str],
        ids: np.ndarray,
        counts: np.ndarray,
        stop: IdSet | None,
        digit_stops: bool,
        config: Config,
        utf8: bytes | memoryview | None = None,
    ) -> np.ndarray | None:
        """The packed features of each line, -1 for a line left to the reference; None when
        a line holds a newline. ``ids`` and ``counts``: the word ids of the lines' fingerprints
        (``Page.words``, ``Page.word_counts``); ``stop``: the ids of the stopwords and
        ``digit_stops`` whether a stopword holds a digit (:func:`stop_ids`; None: no
        stoplist); ``utf8``: the lines joined by newlines, as UTF-8 with surrogates kept,
        where the caller has them (not encoded again)."""
        max_chars, stops, limits, shares, coder = self.settings(stop, digit_stops, config)
        if len(counts) != len(lines):
            return None
        if utf8 is not None and len(utf8) <= max_chars:
            pass  # no line holds more characters than the page has bytes
        elif lines and max(map(len, lines)) > max_chars:  # left to the reference, never copied
            lines = [line if len(line) <= max_chars else _UNSUPPORTED for line in lines]
            utf8 = None
        if utf8 is None:
            joined = "\n".join(lines)
            if joined.count("\n") != max(0, len(lines) - 1):
                return None
            utf8 = joined.encode("utf-8", "surrogatepass")
        buf = np.frombuffer(utf8, np.uint8)
        if coder is not None:
            found: np.ndarray = coder.codes(buf, len(lines), ids, counts)
            return found
        return self.kernel(
            buf, len(lines), self.table, ids, counts, stops, stop is not None, digit_stops,
            limits, shares,
        )  # fmt: skip


@cache
def load_feature_kernel() -> FeatureKernel | None:
    """The kernel: the one compiled at install (:func:`cleaner.compiled.compiled`), else
    numba's (:func:`numba_feature_kernel`); None when neither can be had (the reference
    then judges every line). Cached as the fingerprint kernel is
    (:func:`cleaner.kernels.load_kernels`)."""
    from ..compiled import compiled

    module = compiled()
    if module is not None and hasattr(module, "line_codes"):
        return FeatureKernel(module.line_codes, feature_table(), getattr(module, "LineCoder", None))
    return numba_feature_kernel()


@cache
def numba_feature_kernel() -> FeatureKernel | None:
    """The kernel, compiled by numba (or read from its cache); None when numba cannot be
    imported or build it."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return None
    from ..kernels import numba_module

    try:
        kernel = FeatureKernel(numba_module("_numba_features").line_codes, feature_table())
        # compiled (or loaded) now, for read-only arrays: a page's, read from its shard file
        no_words = np.frombuffer(bytes(8), np.uint64)
        one = np.frombuffer(np.ones(1, np.int64).tobytes(), np.int64)
        kernel.codes(["a"], no_words, one, None, False, Config())
    except Exception:  # a numba or LLVM that cannot build the kernel: the reference runs
        return None
    return kernel


class FeatureJudge:
    """Whether a worker judges lines with the kernel: after ``kernel_after`` lines judged
    by the reference (as :class:`cleaner.fingerprint.LinePrinter` prints them: 0, from the
    first line, with the loops compiled at install; -1: never)."""

    def __init__(self, kernel_after: int) -> None:
        self.kernel_after = kernel_after
        self._judged = 0
        self._kernel: FeatureKernel | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_kernel"] = None  # loaded again in the process it is sent to
        return state

    def kernel(self, n_lines: int) -> FeatureKernel | None:
        """The kernel, once ``kernel_after`` lines were judged (``n_lines`` more are about
        to be); None before, and where neither the compiled loops nor numba's are had."""
        if self._kernel is None and self.kernel_after >= 0:
            if self._judged >= self.kernel_after:
                self._kernel = load_feature_kernel()
                if self._kernel is None:
                    self.kernel_after = -1
            self._judged += n_lines
        return self._kernel
