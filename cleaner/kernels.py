"""Compiled per-line kernels: normalization, exact key and token ids of a page's lines at
once, over one UTF-8 buffer, exactly as :func:`cleaner.text.normal_tokens`,
:func:`cleaner.fingerprint.line_key` and :func:`cleaner.fingerprint.word_id` give them.

The kernel (numba, ``cleaner/_numba_kernels.py``) reads a table that maps each supported
character to what the reference makes of it on its own: quote variants unified, NFKC, case
folded (:func:`char_table`). That is exact for a whole line when normalizing a line is
normalizing each character on its own and joining the results, which holds for the
characters kept in the table (ASCII, Latin letters, Greek, Cyrillic, punctuation, spaces,
symbols, CJK, Hangul syllables, fullwidth forms; see :func:`composes_alone`): each
decomposes to a first character that composes with nothing before it. A line holding any
other character (a combining mark, a script outside the table, a lone surrogate) is
left to the Python reference. Runs of digits and the splitting into word and punctuation
tokens are done by the kernel on the mapped characters; keys and word ids are the
xxhash library's own ``XXH3_64bits``, called from the compiled code.

Everything here loads lazily: numba (a third of a second to import) only when a printer
asks for the kernel (see ``LinePrinter``), and never for ``clean --help``.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .compiled import compiled

# Blocks whose characters are candidates for the table (all in the Basic Multilingual
# Plane); a candidate stays only if :func:`composes_alone` holds for it.
SUPPORTED_BLOCKS = (
    (0x0000, 0x007F),  # ASCII
    (0x00A0, 0x024F),  # Latin-1 (NBSP, ©, «», ´, letters), Latin Extended-A and -B
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x0530, 0x058F),  # Armenian
    (0x0590, 0x05FF),  # Hebrew (its points, combining marks, are left out: see below)
    (0x0600, 0x06FF),  # Arabic (its harakat likewise)
    (0x0900, 0x097F),  # Devanagari (vowel signs of class 0 stay; nukta and virama do not)
    (0x0E00, 0x0E7F),  # Thai
    (0x10A0, 0x10FF),  # Georgian
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese letters)
    (0x2000, 0x206F),  # General Punctuation: spaces, dashes, curly quotes, bullets, …
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x20A0, 0x20CF),  # currency signs
    (0x2100, 0x218F),  # letterlike symbols (™, №) and number forms (½, Ⅻ)
    (0x2190, 0x23FF),  # arrows, mathematical operators, technical symbols
    (0x2500, 0x27BF),  # box drawing, blocks, geometric shapes (●, ▪, ►), symbols, dingbats
    (0x3000, 0x30FF),  # CJK punctuation, Hiragana, Katakana
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFB00, 0xFB06),  # Latin ligatures (ﬁ)
    (0xFF01, 0xFF5E),  # fullwidth ASCII forms
)

# classes of a mapped character, as the reference's patterns see it
SPACE, WORD, DIGIT, PUNCT = 0, 1, 2, 3


def char_class(ch: str) -> int:
    """How ``\\s``, ``\\d`` and ``\\w`` (the reference's patterns) see one character.

    >>> [char_class(c) for c in " a7_.\\u00a0é٣"]
    [0, 1, 2, 1, 3, 0, 1, 2]
    """
    if ch.isspace():
        return SPACE
    if ch.isdecimal():
        return DIGIT
    return WORD if ch.isalnum() or ch == "_" else PUNCT


def mapped(ch: str) -> str:
    """What the reference's unicode path makes of one character before digits are folded
    and tokens split: quote variants unified, NFKC, quote variants again, case folded.

    >>> mapped("É"), mapped("’"), mapped("Ｂ"), mapped("ß"), mapped("½"), mapped("\\u00a0")
    ('é', "'", 'b', 'ss', '1⁄2', ' ')
    """
    from .text import _QUOTES

    return unicodedata.normalize("NFKC", ch.translate(_QUOTES)).translate(_QUOTES).casefold()


def composes_alone(ch: str) -> bool:
    """Whether a line's normalization is that of its characters one by one around ``ch``:
    ``ch`` decomposes (NFKD) to a first character of combining class 0 (nothing before it
    is reordered or composed with it, unless it is the second of a composition pair: no
    character of :data:`SUPPORTED_BLOCKS` is, which a test checks over all of Unicode),
    and the lower case of its mapping is itself (the reference takes the word ids of the
    lower-cased normalized line). Combining marks and surrogates are not.

    >>> composes_alone("é"), composes_alone("\\u0301"), composes_alone("\\ud800")
    (True, False, False)
    """
    if unicodedata.category(ch) in ("Cs", "Cn", "Co"):
        return False
    decomposed = unicodedata.normalize("NFKD", ch)
    if not decomposed or unicodedata.combining(decomposed[0]):
        return False
    m = mapped(ch)
    return m.lower() == m


@dataclass(frozen=True)
class CharTable:
    """Per code point below 0x10000: where its mapping starts in ``out_cp`` (-1: not
    supported) and how many characters it has; ``out_cls`` is the class of each mapped
    character; ``expansion`` bounds the normalized bytes per input byte."""

    start: np.ndarray  # int32
    length: np.ndarray  # uint8
    out_cp: np.ndarray  # uint32
    out_cls: np.ndarray  # uint8
    expansion: int


_TABLE_ARRAYS = ("start", "length", "out_cp", "out_cls")


@cache
def char_table() -> CharTable:
    """The table of every supported character, made from the reference functions of this
    Python's ``unicodedata`` (so it follows its Unicode version).

    Making it takes about 0.2 s of CPU, so it is kept in the cache folder (see
    :func:`cleaner.cachedir.cache_root`) under a name hashed from the Unicode
    version and the source of the modules that define it (this one and ``cleaner.text``), and
    read from there in a millisecond; written atomically, and made in memory only when the
    folder cannot be read or written.

    >>> t = char_table()
    >>> int(t.length[ord("A")]), chr(int(t.out_cp[t.start[ord("A")]])), int(t.start[0x301])
    (1, 'a', -1)
    """
    from .cachedir import table_path, write_atomically

    here = Path(__file__)
    path = table_path("chartable", (here, here.with_name("text.py")), ".bin")
    if path is not None:
        with suppress(OSError):  # unreadable: made again
            kept = table_from_bytes(path.read_bytes())
            if kept is not None:
                return kept
    table = built_char_table()
    if path is not None:
        with suppress(OSError):  # not writable: made again by the next process
            write_atomically(path, lambda out: out.write(table_bytes(table)))
    return table


_TABLE_MAGIC = b"cleaner-chartable-1\n"
_TABLE_HEAD = 0x10000 * 5 + len(_TABLE_MAGIC) + 16  # the two fixed arrays, magic, 2 counts


def table_bytes(table: CharTable) -> bytes:
    """A character table as one file: a magic line, ``expansion`` and the number of
    mapped characters (int64), then ``start``, ``length``, ``out_cp`` and ``out_cls``
    as they are in memory (read back by :func:`table_from_bytes` with one read and no
    parsing: numpy's ``.npz`` archive cost 3 ms to open at every start)."""
    counts = np.array([table.expansion, len(table.out_cp)], "<i8")
    parts = (
        counts,
        table.start.astype("<i4"),
        table.length.astype(np.uint8),
        table.out_cp.astype("<u4"),
        table.out_cls.astype(np.uint8),
    )
    return _TABLE_MAGIC + b"".join(p.tobytes() for p in parts)


def table_from_bytes(data: bytes) -> CharTable | None:
    """The table :func:`table_bytes` wrote, its arrays read-only views of ``data``; None
    for anything else (another file, one cut short or too long).

    >>> t = built_char_table()
    >>> back = table_from_bytes(table_bytes(t))
    >>> back is not None and all(np.array_equal(getattr(back, n), getattr(t, n))
    ...                          for n in _TABLE_ARRAYS) and back.expansion == t.expansion
    True
    >>> table_from_bytes(table_bytes(t)[:-1]), table_from_bytes(b"PK" + bytes(600_000))
    (None, None)
    """
    if not data.startswith(_TABLE_MAGIC) or len(data) < _TABLE_HEAD:
        return None
    at = len(_TABLE_MAGIC)
    expansion, m = np.frombuffer(data, "<i8", 2, at).tolist()
    if m < 0 or len(data) != _TABLE_HEAD + 5 * m or expansion < 1:
        return None
    at += 16
    start = np.frombuffer(data, "<i4", 0x10000, at).astype(np.int32, copy=False)
    at += 4 * 0x10000
    length = np.frombuffer(data, np.uint8, 0x10000, at)
    at += 0x10000
    out_cp = np.frombuffer(data, "<u4", m, at).astype(np.uint32, copy=False)
    out_cls = np.frombuffer(data, np.uint8, m, at + 4 * m)
    if ((start < -1) | (start >= max(m, 1))).any() or (start + length > m).any():
        return None  # a mapping outside the characters: not a table this module wrote
    return CharTable(start, length, out_cp, out_cls, int(expansion))


def built_char_table() -> CharTable:
    """:func:`char_table`, made from ``unicodedata`` (not read from the cache)."""
    start = np.full(0x10000, -1, np.int32)
    length = np.zeros(0x10000, np.uint8)
    out_cp: list[int] = []
    out_cls: list[int] = []
    expansion = 2
    for lo, hi in SUPPORTED_BLOCKS:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if not composes_alone(ch):
                continue
            m = mapped(ch)
            if not 0 < len(m) < 256:
                continue
            start[cp] = len(out_cp)
            length[cp] = len(m)
            out_cp.extend(map(ord, m))
            out_cls.extend(map(char_class, m))
            # each mapped character may get a space before it
            need = len(m.encode("utf-8")) + len(m)
            expansion = max(expansion, -(-need // len(ch.encode("utf-8"))))
    return CharTable(
        start, length, np.array(out_cp, np.uint32), np.array(out_cls, np.uint8), expansion
    )


@dataclass(frozen=True)
class PagePrints:
    """What the kernel gives for a page's lines: the exact key of each line, the token ids
    of all lines in order (0 for a punctuation token), the tokens of each line, and the
    normalized lines as one UTF-8 buffer (line ``i`` ends at ``ends[i]``). ``ok`` is False
    for a line the kernel left to the reference (its key, ids and text are not set)."""

    keys: np.ndarray  # uint64
    ids: np.ndarray  # uint64
    counts: np.ndarray  # int64
    text: np.ndarray  # uint8
    ends: np.ndarray  # int64
    ok: np.ndarray  # bool
    whole: bool = False  # every line done by the kernel (``ok`` all True)
    utf8: bytes = b""  # the lines joined by newlines, as UTF-8 (surrogates kept)

    def normalized(self, i: int) -> str:
        lo = int(self.ends[i - 1]) if i else 0
        return self.text[lo : int(self.ends[i])].tobytes().decode("utf-8")

    def normalized_lines(self, at: Sequence[int]) -> list[str]:
        """:meth:`normalized` of each line of ``at``, decoded from the buffer in place."""
        ends = self.ends
        data = self.text.data
        return [str(data[int(ends[i - 1]) if i else 0 : int(ends[i])], "utf-8") for i in at]


class Kernels:
    """The compiled page kernel and its table, loaded once per process."""

    def __init__(self, page_kernel: Callable[..., Any], table: CharTable) -> None:
        self._kernel = page_kernel
        self.table = table

    def page(self, lines: Sequence[str]) -> PagePrints | None:
        """The prints of ``lines`` (None when a line holds a newline: lines are separated
        by newlines in the buffer)."""
        joined = "\n".join(lines)
        if joined.count("\n") != max(0, len(lines) - 1):
            return None
        utf8 = joined.encode("utf-8", "surrogatepass")
        t = self.table
        keys, ids, counts, text, ends, ok = self._kernel(
            np.frombuffer(utf8, np.uint8), len(lines), t.start, t.length, t.out_cp, t.out_cls,
            t.expansion,
        )  # fmt: skip
        whole = np.count_nonzero(ok) == len(ok)  # (cheaper than ok.all() on a page)
        return PagePrints(keys, ids, counts, text, ends, ok, whole, utf8)


def numba_module(name: str) -> Any:
    """The module ``cleaner.<name>`` of numba kernels, imported (numba compiles them, or
    reads them from its cache, on import). Where numba finds no writable cache folder (a
    read-only installation and no writable home), its cache goes to a temporary folder."""
    import importlib

    try:
        return importlib.import_module(f"{__package__}.{name}")
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        from numba.core import config as numba_config

        setattr(numba_config, "CACHE_DIR", cache_dir_fallback())  # noqa: B010
        return importlib.import_module(f"{__package__}.{name}")


def cache_dir_fallback() -> str:
    """A numba cache folder for a process that can write neither beside the installed
    package nor in the user's cache: one per user in the temporary folder."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    path = os.path.join(tempfile.gettempdir(), f"cleaner-numba-{uid}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


@cache
def load_kernels() -> Kernels | None:
    """The page kernel: the one compiled at install (:func:`compiled`), else numba's
    (:func:`numba_kernels`); None when neither can be had, and then the Python reference
    does all the work."""
    module = compiled()
    if module is not None:
        return Kernels(module.page_prints, char_table())
    return numba_kernels()


@cache
def numba_kernels() -> Kernels | None:
    """The kernels, compiled by numba (or read from its cache); None when numba cannot be
    imported or compile them, and then the Python reference does all the work. When
    numba finds no writable cache folder (a read-only installation and no writable home),
    the cache goes to a temporary folder instead."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return None
    table = char_table()
    try:
        kernels = Kernels(numba_module("_numba_kernels").page_prints, table)
        kernels.page(["a"])  # compiles it (or loads it from the cache) now
    except Exception:  # a numba or LLVM that cannot build the kernel: the reference runs
        return None
    return kernels
