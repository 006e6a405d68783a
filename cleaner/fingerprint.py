"""Line fingerprints: a 64-bit exact key and a MinHash signature over character shingles.

Signatures use datasketch's ``affine32`` permutation scheme with its own permutation
parameters (same ``num_perm`` and ``seed``), so ``datasketch.MinHash(num_perm, seed,
hashfunc=shingle_hash)`` fed the strings from :func:`shingles` holds the same hash values as
:meth:`MinHasher.signatures`. Shingle hashing and the permutation minimum run vectorised over
all lines of a batch at once.

:class:`LinePrinter` turns the lines of a page into what the later steps need of them (exact
keys, the word ids of document signatures) and remembers short lines: on real sites most
template lines are exact repeats, and a repeat costs a dictionary look-up.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xxhash

from .compiled import compiled, kernels_setting
from .text import normal_tokens

if TYPE_CHECKING:
    from pathlib import Path

    from .kernels import Kernels, PagePrints

_MULT = np.uint64(0x100000001B3)  # FNV-64 prime, used as the polynomial base
_MASK64 = (1 << 64) - 1
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
# Permutation x shingle cells per vectorised chunk (4 bytes each): 1 MiB whatever the number
# of permutations, which a core's cache holds (8 MiB chunks ran a third slower).
_CHUNK_CELLS = 1 << 18
# Characters of lines whose shingles are hashed together (arrays of 8 bytes per shingle)
_PIECE_CHARS = 1 << 17
# Lines a printer fingerprints in Python before it loads numba's kernel, when the package
# was installed without its compiled loops (cleaner.kernels; with them the kernel loads in a
# millisecond and runs from the first line): loading numba's costs a process about 0.7 s
# (numba's import 0.3 s, the cached kernel 0.3 s; 2.1 s when it compiles), which the kernel
# wins back in about 80,000 lines (it saves about 9 µs a line). Loading after about as much
# Python time as loading costs: a small run never pays it, and a large run pays it and the
# Python lines before it (about 0.4 s) once per worker.
KERNEL_AFTER_LINES = 50_000


def line_key(normalized: str) -> int:
    """64-bit exact key of a normalized line.

    >>> line_key("abc") == line_key("abc") != line_key("abd")
    True
    """
    return xxhash.xxh3_64_intdigest(normalized.encode("utf-8", "surrogatepass"))


def word_tokens(normalized: str) -> list[str]:
    """The word tokens of a normalized line, lower-cased: its punctuation tokens left out
    (``cleaner.text.words`` of the line, without a regex scan).

    >>> word_tokens("l ' état , 0 ans _x")
    ['l', 'état', '0', 'ans', '_x']
    """
    return [t for t in normalized.lower().split(" ") if t and (t[0].isalnum() or t[0] == "_")]


def word_id(token: str) -> int:
    """64-bit id of a word token (document signatures hash n-grams of these).

    >>> word_id("état") == word_id("état") != word_id("etat")
    True
    """
    return xxhash.xxh3_64_intdigest(token.encode("utf-8", "surrogatepass")) or 1


class Memo:
    """A bounded map with two generations: when the young one fills, the old one is
    dropped and the young one ages. Recently used entries survive; memory stays bounded."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.young: dict[Any, Any] = {}
        self.old: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        value = self.young.get(key)
        if value is None:
            value = self.old.get(key)
            if value is not None:
                self.put(key, value)
        return value

    def put(self, key: Any, value: Any) -> None:
        if len(self.young) >= self.limit:
            self.old = self.young
            self.young = {}
        self.young[key] = value


class LinePrinter:
    """Exact keys and word ids of the lines of pages, with a memo of short lines.

    Results are pure functions of the line, so the memo never changes them; it holds at most
    ``2 x limit`` lines of at most ``short_chars`` characters, and as many word ids.

    >>> p = LinePrinter(300)
    >>> keys, ids, counts = p.page(["Top stories", "Top  STORIES", "It's 08:00."])
    >>> bool(keys[0] == keys[1] == line_key("top stories")), counts.tolist()
    (True, [2, 2, 7])
    >>> [bool(i) for i in ids[4:]]
    [True, False, True, True, False, True, False]
    >>> p.normalized("It's 08:00.")
    "it ' s 0 : 0 ."
    """

    def __init__(
        self, short_chars: int, limit: int = 1 << 16, kernel_after: int | None = None
    ) -> None:
        self.short_chars = short_chars
        self.limit = limit
        self._lines = Memo(limit)  # raw line -> (key, normalized, token ids)
        self._tokens: dict[str, int] = {}  # token -> word id, 0 for punctuation tokens
        # lines printed in Python before the kernel loads; -1: never
        self.kernel_after = kernel_after if kernel_after is not None else kernel_after_setting()
        self._printed = 0
        self._kernels: Kernels | None = None
        self._last: tuple[Sequence[str], PagePrints] | None = None  # the last page's prints

    def __getstate__(self) -> dict[str, Any]:
        # a printer sent to another process loads the kernel there
        state = self.__dict__.copy()
        state["_kernels"] = state["_last"] = None
        return state

    def _word_ids(self, tokens: list[str]) -> list[int]:
        """The id of each lower-case token of a normalized line: 0 for a punctuation token."""
        known = self._tokens
        ids = list(map(known.get, tokens))
        if None in ids:
            if len(known) >= 4 * self.limit:
                known.clear()
            for i, token in enumerate(tokens):
                if ids[i] is None:
                    word = bool(token) and (token[0].isalnum() or token[0] == "_")
                    ids[i] = known[token] = word_id(token) if word else 0
        return ids  # type: ignore[return-value]

    def line(self, line: str) -> tuple[int, str, list[int]]:
        """(key, normalized form, token ids) of one line."""
        short = len(line) <= self.short_chars
        hit: tuple[int, str, list[int]] | None = self._lines.get(line) if short else None
        if hit is None:
            tokens, lowered = normal_tokens(line)
            normalized = " ".join(tokens)
            if not lowered:
                tokens = normalized.lower().split()
            hit = (line_key(normalized), normalized, self._word_ids(tokens))
            if short:
                self._lines.put(line, hit)
        return hit

    def normalized(self, line: str, at: int | None = None) -> str:
        """The normalized form of ``line``; ``at``: its position on the page printed last,
        whose normalized lines the kernel has already made."""
        if at is not None and self._last is not None:
            view, prints = self._last
            if at < len(view) and view[at] == line and prints.ok[at]:
                return prints.normalized(at)
        return self.line(line)[1]

    def normalized_at(self, lines: Sequence[str], at: Sequence[int]) -> list[str]:
        """:meth:`normalized` of ``lines[i]`` for each ``i`` of ``at``, ``lines`` being the
        page printed last: the kernel's normalized lines are read in one go.

        >>> p = LinePrinter(300)
        >>> lines = ("Top stories", "It's 08:00.")
        >>> _ = p.page(lines)
        >>> p.normalized_at(lines, [1, 0]) == [p.normalized(lines[1]), "top stories"]
        True
        """
        last = self._last
        if last is not None and last[0] is lines:
            prints = last[1]
            if prints.whole:
                return prints.normalized_lines(at)
        return [self.normalized(lines[i], i) for i in at]

    def utf8_of(self, lines: Sequence[str]) -> bytes | None:
        """The newline-joined UTF-8 of ``lines`` if the kernel printed them last, or None."""
        last = self._last
        return (last[1].utf8 or None) if last is not None and last[0] is lines else None

    def kernels(self, n_lines: int) -> Kernels | None:
        """The compiled kernel, once this printer has printed ``kernel_after`` lines in
        Python (``n_lines`` more are about to be printed); None before, and where numba is
        missing or cannot build it."""
        if self._kernels is None and self.kernel_after >= 0:
            if self._printed >= self.kernel_after:
                from .kernels import load_kernels

                self._kernels = load_kernels()
                if self._kernels is None:
                    self.kernel_after = -1  # never again
            self._printed += n_lines
        return self._kernels

    def page(self, lines: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keys (uint64, one per line), token ids (uint64, all lines' tokens in order; 0 for
        punctuation) and the number of tokens of each line (int64)."""
        kernels = self.kernels(len(lines))
        if kernels is not None:
            fast = kernels.page(lines)
            if fast is not None:
                self._last = (lines, fast)
                return self._completed(lines, fast)
        prints = [self.line(line) for line in lines]
        n = len(prints)
        keys = np.fromiter((p[0] for p in prints), dtype=np.uint64, count=n)
        counts = np.fromiter((len(p[2]) for p in prints), dtype=np.int64, count=n)
        ids = np.fromiter(
            itertools.chain.from_iterable(p[2] for p in prints),
            dtype=np.uint64,
            count=int(counts.sum()),
        )
        return keys, ids, counts

    def _completed(
        self, lines: Sequence[str], prints: PagePrints
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The kernel's keys, ids and counts, with the lines it left to the reference
        printed here."""
        if prints.whole:
            return prints.keys, prints.ids, prints.counts
        keys, counts = prints.keys.copy(), prints.counts.copy()
        at = np.concatenate([[0], np.cumsum(counts)])
        where: list[int] = []
        values: list[int] = []
        for i in np.flatnonzero(~prints.ok).tolist():
            keys[i], _, line_ids = self.line(lines[i])
            counts[i] = len(line_ids)
            where += [int(at[i])] * len(line_ids)
            values += line_ids
        ids = np.insert(prints.ids, np.array(where, np.int64), np.array(values, np.uint64))
        return keys, ids, counts


def kernel_after_setting() -> int:
    """Lines a worker handles in Python before it loads a compiled kernel: 0 (from the
    first line) with the loops compiled at install, else :data:`KERNEL_AFTER_LINES`; or
    what ``CLEANER_KERNELS`` asks for (-1: never)."""
    from .compiled import compiled  # looked up at the call (a test stands in for it)

    setting = kernels_setting()
    if setting is False:
        return -1
    if setting or compiled() is not None:
        return 0
    return KERNEL_AFTER_LINES


def shingles(normalized: str, k: int) -> list[str]:
    """Character k-shingles of a line; a line shorter than k is one shingle.

    >>> shingles("abcdef", 4)
    ['abcd', 'bcde', 'cdef']
    >>> shingles("ab", 4)
    ['ab']
    """
    if len(normalized) <= k:
        return [normalized]
    return [normalized[i : i + k] for i in range(len(normalized) - k + 1)]


def _fmix64(h: np.ndarray) -> np.ndarray:
    s, m1, m2 = _FMIX64
    h = h ^ (h >> s)
    h = h * m1
    h = h ^ (h >> s)
    h = h * m2
    return h ^ (h >> s)


def shingle_hash(shingle: str) -> int:
    """32-bit hash of one shingle: the scalar twin of the vectorised hashing, usable as
    ``datasketch.MinHash(hashfunc=shingle_hash)``.

    >>> shingle_hash("abcde") == int(_hash_windows(["abcde"], 5)[0][0])
    True
    """
    poly = 0
    for ch in shingle:
        poly = (poly * int(_MULT) + ord(ch) + 1) & _MASK64
    arr = np.array([poly], dtype=np.uint64)
    return int(_fmix64(arr)[0] >> np.uint64(32))


def _hash_windows(lines: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every k-shingle of every line, and the index of the line each belongs to
    (by the compiled loop when the package has it: the same numbers, tested)."""
    lengths = np.fromiter((len(s) for s in lines), dtype=np.int64, count=len(lines))
    code_points = np.frombuffer(
        "".join(lines).encode("utf-32-le", "surrogatepass"), dtype=np.uint32
    )
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    module = compiled()
    if module is not None:
        hashes, owner = module.shingle_hashes(code_points, offsets, k, int(_MULT))
        return hashes, owner
    return _hash_windows_arrays(code_points, lengths, offsets, k)


def _hash_windows_arrays(
    code_points: np.ndarray, lengths: np.ndarray, offsets: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_hash_windows` by array operations, a shingle position at a time."""
    n_lines = len(lengths)
    codes = code_points.astype(np.uint64) + np.uint64(1)
    n_windows = np.maximum(lengths - k + 1, 1)
    owner = np.repeat(np.arange(n_lines, dtype=np.int64), n_windows)
    # start of each window: line offset + position within the line
    first = np.zeros(n_lines + 1, dtype=np.int64)
    np.cumsum(n_windows, out=first[1:])
    starts = offsets[owner] + (np.arange(len(owner), dtype=np.int64) - first[owner])
    width = np.minimum(lengths, k)[owner]
    poly = np.zeros(len(owner), dtype=np.uint64)
    padded = np.concatenate([codes, np.zeros(k, dtype=np.uint64)])
    for j in range(k):
        active = width > j
        poly = np.where(active, poly * _MULT + padded[starts + j], poly)
    return (_fmix64(poly) >> np.uint64(32)).astype(np.uint32), owner


def affine32_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The permutation parameters ``(a, b)`` of ``datasketch.MinHash(num_perm, seed,
    scheme="affine32")``, drawn the way datasketch draws them (without importing it, which
    costs most of a second); ``tests/test_fingerprint.py`` compares the signatures. Kept
    in the cache folder (:func:`cleaner.cachedir.cache_root`) once drawn.

    >>> a, b = affine32_permutations(4, 1)
    >>> a.dtype, bool((a % 2 == 1).all())
    (dtype('uint32'), True)
    """
    from .cachedir import cache_root, write_atomically

    try:
        path: Path | None = cache_root() / f"affine32-{num_perm}-{seed}.npy"
    except RuntimeError:  # no home folder to be found
        path = None
    if path is not None:
        try:
            kept = np.load(path)
            if kept.shape == (2, num_perm) and kept.dtype == np.uint32 and (kept[0] % 2).all():
                return kept[0], kept[1]
        except (OSError, ValueError, EOFError):
            pass
    a, b = drawn_permutations(num_perm, seed)
    if path is not None:
        with contextlib.suppress(OSError):  # numpy's random module costs 18 ms to import
            write_atomically(path, lambda out: np.save(out, np.stack([a, b])))
    return a, b


def drawn_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`affine32_permutations` drawn from numpy's legacy generator (whose stream
    numpy keeps the same from version to version), without the cache folder."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def minhash_rows(
    hashes: np.ndarray, owner: np.ndarray, n_rows: int, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """MinHash signatures (affine32 scheme, uint32) of ``n_rows`` sets at once: ``hashes``
    are the 32-bit element hashes of all sets, ``owner`` the row of each (nondecreasing).
    A row that owns no element keeps the all-max signature.

    >>> a, b = affine32_permutations(4, 1)
    >>> h = np.array([7, 9, 7], dtype=np.uint32)
    >>> sig = minhash_rows(h, np.array([0, 0, 2]), 3, a, b)
    >>> bool((sig[1] == np.iinfo(np.uint32).max).all()), bool((sig[2] >= sig[0]).all())
    (True, True)
    """
    module = compiled()
    if module is not None:
        hashes = np.ascontiguousarray(hashes, np.uint32)
        owner = np.ascontiguousarray(owner, np.int64)
        a, b = np.ascontiguousarray(a, np.uint32), np.ascontiguousarray(b, np.uint32)
        return module.minhash_rows(hashes, owner, n_rows, a, b)
    return minhash_rows_arrays(hashes, owner, n_rows, a, b)


def minhash_rows_arrays(
    hashes: np.ndarray, owner: np.ndarray, n_rows: int, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """:func:`minhash_rows` by array operations, a chunk of hashes at a time."""
    sig = np.full((n_rows, len(a)), np.iinfo(np.uint32).max, dtype=np.uint32)
    if not len(hashes):
        return sig
    s1, m1, s2, m2 = _FMIX32
    h = hashes ^ (hashes >> s1)
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s1
    a, b = a[:, None], b[:, None]
    chunk = max(1, _CHUNK_CELLS // len(a))
    # one buffer for every chunk's permuted hashes: no fresh pages to fault in per chunk
    buffer = np.empty((len(a), min(chunk, len(h))), dtype=np.uint32)
    for lo in range(0, len(h), chunk):
        # permutations x shingles: the reduction runs along contiguous rows
        part = h[lo : lo + chunk]
        phv = buffer[:, : len(part)]
        np.multiply(a, part[None, :], out=phv)
        phv += b
        own = owner[lo : lo + chunk]
        starts = np.concatenate([[0], np.flatnonzero(own[1:] != own[:-1]) + 1])
        rows = own[starts]
        sig[rows] = np.minimum(sig[rows], np.minimum.reduceat(phv, starts, axis=1).T)
    return sig


class MinHasher:
    """MinHash signatures of lines, compatible with ``datasketch.MinHash(scheme="affine32")``."""

    def __init__(self, num_perm: int, seed: int, shingle_size: int) -> None:
        self.a, self.b = affine32_permutations(num_perm, seed)
        self.num_perm = num_perm
        self.shingle_size = shingle_size

    def signatures(self, lines: Sequence[str]) -> np.ndarray:
        """One uint32 signature row per (non-empty, normalized) line."""
        sig = np.full((len(lines), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        # a piece of lines at a time, whose shingle arrays a core's cache holds (8,192 lines
        # at once ran half as slow again as pieces of 1,024)
        lo = 0
        while lo < len(lines):
            hi, chars = lo, 0
            while hi < len(lines) and chars < _PIECE_CHARS:
                chars += len(lines[hi]) + 1
                hi += 1
            hashes, owner = _hash_windows(lines[lo:hi], self.shingle_size)
            sig[lo:hi] = minhash_rows(hashes, owner, hi - lo, self.a, self.b)
            lo = hi
        return sig
