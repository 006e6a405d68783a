"""Line fingerprints: a 64-bit exact key and a MinHash signature over character shingles.

Signatures use datasketch's ``affine32`` permutation scheme with its own permutation
parameters (same ``num_perm`` and ``seed``), so ``datasketch.MinHash(num_perm, seed,
hashfunc=shingle_hash)`` fed the strings from :func:`shingles` holds the same hash values as
:meth:`MinHasher.signatures`. Shingle hashing and the permutation minimum run vectorised over
all lines of a batch at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xxhash

_MULT = np.uint64(0x100000001B3)  # FNV-64 prime, used as the polynomial base
_MASK64 = (1 << 64) - 1
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
# Shingles per vectorised chunk: bounds memory at chunk x num_perm x 4 bytes.
_CHUNK = 1 << 16


def line_key(normalized: str) -> int:
    """64-bit exact key of a normalized line.

    >>> line_key("abc") == line_key("abc") != line_key("abd")
    True
    """
    return xxhash.xxh3_64_intdigest(normalized.encode("utf-8", "surrogatepass"))


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
    """Hashes of every k-shingle of every line, and the index of the line each belongs to."""
    lengths = np.fromiter((len(s) for s in lines), dtype=np.int64, count=len(lines))
    codes = np.frombuffer(
        "".join(lines).encode("utf-32-le", "surrogatepass"), dtype=np.uint32
    ).astype(np.uint64) + np.uint64(1)
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    n_windows = np.maximum(lengths - k + 1, 1)
    owner = np.repeat(np.arange(len(lines), dtype=np.int64), n_windows)
    # start of each window: line offset + position within the line
    first = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(n_windows, out=first[1:])
    starts = offsets[owner] + (np.arange(len(owner), dtype=np.int64) - first[owner])
    width = np.minimum(lengths, k)[owner]
    poly = np.zeros(len(owner), dtype=np.uint64)
    padded = np.concatenate([codes, np.zeros(k, dtype=np.uint64)])
    for j in range(k):
        active = width > j
        poly = np.where(active, poly * _MULT + padded[starts + j], poly)
    return (_fmix64(poly) >> np.uint64(32)).astype(np.uint32), owner


class MinHasher:
    """MinHash signatures of lines, compatible with ``datasketch.MinHash(scheme="affine32")``."""

    def __init__(self, num_perm: int, seed: int, shingle_size: int) -> None:
        from datasketch import MinHash  # the permutation parameters come from datasketch itself

        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self.a = np.asarray(a, dtype=np.uint32)
        self.b = np.asarray(b, dtype=np.uint32)
        self.num_perm = num_perm
        self.shingle_size = shingle_size

    def signatures(self, lines: Sequence[str]) -> np.ndarray:
        """One uint32 signature row per (non-empty, normalized) line."""
        sig = np.full((len(lines), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        if not lines:
            return sig
        hashes, owner = _hash_windows(lines, self.shingle_size)
        s1, m1, s2, m2 = _FMIX32
        h = hashes ^ (hashes >> s1)
        h = h * m1
        h = h ^ (h >> s2)
        h = h * m2
        h = h ^ (h >> s1)
        a, b = self.a[:, None], self.b[:, None]
        for lo in range(0, len(h), _CHUNK):
            hi = min(lo + _CHUNK, len(h))
            # permutations x shingles: the reduction runs along contiguous rows
            phv = a * h[None, lo:hi]
            phv += b
            own = owner[lo:hi]
            cuts = np.flatnonzero(np.diff(own)) + 1
            starts = np.concatenate([[0], cuts])
            partial = np.minimum.reduceat(phv, starts, axis=1).T
            rows = own[starts]
            sig[rows] = np.minimum(sig[rows], partial)
        return sig
