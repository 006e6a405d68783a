# mypy: ignore-errors
"""The numba kernel of :mod:`cleaner.kernels` (imported by ``load_kernels`` only: importing
this module imports numba and compiles, or loads from numba's cache, the kernel).

Keys and word ids are hashed by the xxhash package's own ``XXH3_64bits`` (the C function
``xxhash.xxh3_64_intdigest`` calls), linked into the compiled code by name, so they are the
reference's values bit for bit and the compiled kernel can be cached.
"""

from __future__ import annotations

import ctypes

import llvmlite.binding as llvm
import numpy as np
import xxhash._xxhash
from numba import njit, types

_XXHASH = ctypes.CDLL(xxhash._xxhash.__file__)
llvm.add_symbol("XXH3_64bits", ctypes.cast(_XXHASH.XXH3_64bits, ctypes.c_void_p).value)
_xxh3 = types.ExternalFunction("XXH3_64bits", types.uint64(types.uintp, types.uintp))

_SPACE, _WORD, _DIGIT, _PUNCT = 0, 1, 2, 3  # cleaner.kernels' classes


@njit(cache=True, nogil=True)
def _token_id(base, lo, hi, kind):
    """``word_id`` of the token ``text[lo:hi]`` (0 for a punctuation token)."""
    if kind != _WORD:
        return np.uint64(0)
    h = _xxh3(base + lo, hi - lo)
    return h if h != 0 else np.uint64(1)


@njit(cache=True, nogil=True)
def _grown(a, used, size):
    """``a`` in an array of at least ``size`` items, twice its size or more (its first
    ``used`` items copied)."""
    b = np.empty(max(2 * a.size, size), a.dtype)
    b[:used] = a[:used]
    return b


@njit(cache=True, nogil=True)
def _decoded(buf, pos):
    """The code point whose UTF-8 starts at ``buf[pos]`` and its length in bytes; length 0
    for a code point of four bytes (none of them is in the table)."""
    b0 = np.int64(buf[pos])
    if b0 < 0x80:
        return b0, 1
    if b0 < 0xE0:
        return ((b0 & 0x1F) << 6) | (np.int64(buf[pos + 1]) & 0x3F), 2
    if b0 < 0xF0:
        cp = (
            ((b0 & 0x0F) << 12)
            | ((np.int64(buf[pos + 1]) & 0x3F) << 6)
            | (np.int64(buf[pos + 2]) & 0x3F)
        )
        return cp, 3
    return np.int64(0), 0


@njit(cache=True, nogil=True)
def _encoded(text, w, c):
    """Writes code point ``c`` as UTF-8 at ``text[w]``; returns the position after it."""
    if c < 0x80:
        text[w] = c
        return w + 1
    if c < 0x800:
        text[w] = 0xC0 | (c >> 6)
        text[w + 1] = 0x80 | (c & 0x3F)
        return w + 2
    if c < 0x10000:
        text[w] = 0xE0 | (c >> 12)
        text[w + 1] = 0x80 | ((c >> 6) & 0x3F)
        text[w + 2] = 0x80 | (c & 0x3F)
        return w + 3
    text[w] = 0xF0 | (c >> 18)
    text[w + 1] = 0x80 | ((c >> 12) & 0x3F)
    text[w + 2] = 0x80 | ((c >> 6) & 0x3F)
    text[w + 3] = 0x80 | (c & 0x3F)
    return w + 4


@njit(cache=True, nogil=True)
def page_prints(buf, n_lines, start, length, out_cp, out_cls, expansion):
    """Keys, token ids, tokens per line, normalized text, its line ends and the lines done
    (see ``cleaner.kernels.PagePrints``) of ``n_lines`` lines in ``buf``, UTF-8 separated
    by newlines."""
    n = buf.size
    # ``expansion`` bounds the bytes one input byte can become; the ids (8 bytes each) start
    # at a token per two bytes, and grow before a line that could outgrow them
    text = np.empty(n * expansion + 16, np.uint8)
    ids = np.empty(n // 2 + n_lines + 16, np.uint64)
    keys = np.zeros(n_lines, np.uint64)
    counts = np.zeros(n_lines, np.int64)
    ends = np.zeros(n_lines, np.int64)
    ok = np.ones(n_lines, np.bool_)
    base = text.ctypes.data
    pos = 0  # in buf
    w = 0  # bytes of text written
    t = 0  # token ids written
    for line in range(n_lines):
        end = pos
        while end < n and buf[end] != 10:
            end += 1
        need = ((end - pos) * expansion + 1) // 2 + 1  # tokens of this line, at most
        if t + need > ids.size:
            ids = _grown(ids, t, t + need)
        line_w = w
        line_t = t
        tok_start = 0
        tok_kind = _SPACE  # no token open
        last_digit = False
        good = True
        while pos < n and buf[pos] != 10:
            cp, size = _decoded(buf, pos)
            if size == 0:
                good = False
                break
            pos += size
            s = start[cp]
            if s < 0:
                good = False
                break
            for j in range(s, s + length[cp]):
                c = np.int64(out_cp[j])
                k = out_cls[j]
                if k == _SPACE:
                    if tok_kind != _SPACE:
                        ids[t] = _token_id(base, tok_start, w, tok_kind)
                        t += 1
                        tok_kind = _SPACE
                    last_digit = False
                    continue
                if k == _DIGIT:
                    if last_digit:
                        continue  # a run of digits is one zero
                    last_digit = True
                    c = 48
                    k = _WORD
                else:
                    last_digit = False
                if k != tok_kind:
                    if tok_kind != _SPACE:
                        ids[t] = _token_id(base, tok_start, w, tok_kind)
                        t += 1
                    if w > line_w:
                        text[w] = 32
                        w += 1
                    tok_start = w
                    tok_kind = k
                w = _encoded(text, w, c)
        if good:
            if tok_kind != _SPACE:
                ids[t] = _token_id(base, tok_start, w, tok_kind)
                t += 1
            keys[line] = _xxh3(base + line_w, w - line_w)
            counts[line] = t - line_t
        else:  # left to the reference: nothing of it is kept
            w = line_w
            t = line_t
            ok[line] = False
            while pos < n and buf[pos] != 10:
                pos += 1
        ends[line] = w
        pos += 1  # the newline
    return keys, ids[:t].copy(), counts, text[:w], ends, ok
