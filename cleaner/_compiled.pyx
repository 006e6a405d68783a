# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# distutils: extra_compile_args = -O3
"""Compiled loops of :mod:`cleaner.kernels` and :mod:`cleaner.heuristics.language`, built
when the package is installed (a C compiler is needed then; without one the package installs
without this module and the Python reference does the work).

Keys and word ids are hashed by the xxhash package's own ``XXH3_64bits`` (the C function
``xxhash.xxh3_64_intdigest`` calls), whose address :func:`set_hash` is given when the module
is loaded, so they are the reference's values bit for bit.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy

import numpy as np

ctypedef uint64_t (*xxh3_fn)(const void *, size_t) noexcept

cdef xxh3_fn _xxh3 = NULL

# cleaner.kernels' classes of a mapped character
cdef enum:
    SPACE = 0
    WORD = 1
    DIGIT = 2


def set_hash(size_t address):
    """Take the address of xxhash's ``XXH3_64bits`` (from ctypes)."""
    global _xxh3
    _xxh3 = <xxh3_fn>address


cdef inline uint64_t token_id(const uint8_t *base, Py_ssize_t lo, Py_ssize_t hi, int kind) noexcept:
    """``word_id`` of the token ``text[lo:hi]`` (0 for a punctuation token)."""
    cdef uint64_t h
    if kind != WORD:
        return 0
    h = _xxh3(base + lo, <size_t>(hi - lo))
    return h if h != 0 else 1


cdef inline Py_ssize_t encoded(uint8_t *text, Py_ssize_t w, uint32_t c) noexcept:
    """Writes code point ``c`` as UTF-8 at ``text[w]``; returns the position after it."""
    if c < 0x80:
        text[w] = <uint8_t>c
        return w + 1
    if c < 0x800:
        text[w] = <uint8_t>(0xC0 | (c >> 6))
        text[w + 1] = <uint8_t>(0x80 | (c & 0x3F))
        return w + 2
    if c < 0x10000:
        text[w] = <uint8_t>(0xE0 | (c >> 12))
        text[w + 1] = <uint8_t>(0x80 | ((c >> 6) & 0x3F))
        text[w + 2] = <uint8_t>(0x80 | (c & 0x3F))
        return w + 3
    text[w] = <uint8_t>(0xF0 | (c >> 18))
    text[w + 1] = <uint8_t>(0x80 | ((c >> 12) & 0x3F))
    text[w + 2] = <uint8_t>(0x80 | ((c >> 6) & 0x3F))
    text[w + 3] = <uint8_t>(0x80 | (c & 0x3F))
    return w + 4


def page_prints(
    const uint8_t[::1] buf,
    Py_ssize_t n_lines,
    const int32_t[::1] start,
    const uint8_t[::1] length,
    const uint32_t[::1] out_cp,
    const uint8_t[::1] out_cls,
    Py_ssize_t expansion,
):
    """Keys, token ids, tokens per line, normalized text, its line ends and the lines done
    (see ``cleaner.kernels.PagePrints``) of ``n_lines`` lines in ``buf``, UTF-8 separated
    by newlines: the same loop as the numba kernel, ``cleaner/_numba_kernels.py``."""
    if _xxh3 == NULL:
        raise RuntimeError("set_hash was not called")
    cdef Py_ssize_t n = buf.shape[0]
    # ``expansion`` bounds the bytes one input byte can become; the ids (8 bytes each) start
    # at a token per two bytes, and grow before a line that could outgrow them
    text_a = np.empty(n * expansion + 16, np.uint8)
    ids_a = np.empty(n // 2 + n_lines + 16, np.uint64)
    keys_a = np.zeros(n_lines, np.uint64)
    counts_a = np.zeros(n_lines, np.int64)
    ends_a = np.zeros(n_lines, np.int64)
    ok_a = np.ones(n_lines, np.bool_)
    cdef uint8_t[::1] text_v = text_a
    cdef uint64_t[::1] ids = ids_a
    cdef uint64_t[::1] keys = keys_a
    cdef int64_t[::1] counts = counts_a
    cdef int64_t[::1] ends = ends_a
    cdef uint8_t[::1] ok = ok_a.view(np.uint8)
    cdef uint8_t *text = &text_v[0]
    cdef Py_ssize_t pos = 0, w = 0, t = 0, line, line_w, line_t, tok_start, j, s, size
    cdef Py_ssize_t end, need
    cdef int tok_kind, k
    cdef bint last_digit, good
    cdef uint32_t cp, c, b0
    for line in range(n_lines):
        end = pos
        while end < n and buf[end] != 10:
            end += 1
        need = ((end - pos) * expansion + 1) // 2 + 1  # tokens of this line, at most
        if t + need > ids.shape[0]:
            grown = np.empty(max(2 * ids.shape[0], t + need), np.uint64)
            grown[:t] = ids_a[:t]
            ids_a = grown
            ids = ids_a
        line_w = w
        line_t = t
        tok_start = 0
        tok_kind = SPACE  # no token open
        last_digit = False
        good = True
        while pos < n and buf[pos] != 10:
            b0 = buf[pos]
            if b0 < 0x80:
                cp = b0
                size = 1
            elif b0 < 0xE0:
                cp = ((b0 & 0x1F) << 6) | (buf[pos + 1] & 0x3F)
                size = 2
            elif b0 < 0xF0:
                cp = ((b0 & 0x0F) << 12) | ((buf[pos + 1] & 0x3F) << 6) | (buf[pos + 2] & 0x3F)
                size = 3
            else:  # four bytes: no such code point is in the table
                good = False
                break
            pos += size
            s = start[cp]
            if s < 0:
                good = False
                break
            for j in range(s, s + length[cp]):
                c = out_cp[j]
                k = out_cls[j]
                if k == SPACE:
                    if tok_kind != SPACE:
                        ids[t] = token_id(text, tok_start, w, tok_kind)
                        t += 1
                        tok_kind = SPACE
                    last_digit = False
                    continue
                if k == DIGIT:
                    if last_digit:
                        continue  # a run of digits is one zero
                    last_digit = True
                    c = 48
                    k = WORD
                else:
                    last_digit = False
                if k != tok_kind:
                    if tok_kind != SPACE:
                        ids[t] = token_id(text, tok_start, w, tok_kind)
                        t += 1
                    if w > line_w:
                        text[w] = 32
                        w += 1
                    tok_start = w
                    tok_kind = k
                w = encoded(text, w, c)
        if good:
            if tok_kind != SPACE:
                ids[t] = token_id(text, tok_start, w, tok_kind)
                t += 1
            keys[line] = _xxh3(text + line_w, <size_t>(w - line_w))
            counts[line] = t - line_t
        else:  # left to the reference: nothing of it is kept
            w = line_w
            t = line_t
            ok[line] = 0
            while pos < n and buf[pos] != 10:
                pos += 1
        ends[line] = w
        pos += 1  # the newline
    return keys_a, ids_a[:t].copy(), counts_a, text_a[:w].copy(), ends_a, ok_a


def automaton_states(
    const uint8_t[::1] data,
    const uint32_t[::1] nextmove,
    const int64_t[::1] rowbase,
    Py_ssize_t depth,
):
    """The state of py3langid's byte automaton after each byte of ``data``, as
    ``cleaner.heuristics.language.LanguageIdentifier.features`` finds them with arrays: the
    first ``depth - 1`` bytes walked from the start, then every later position reached
    from the start ``depth`` bytes back (the state depends on the last ``depth`` bytes only),
    all positions stepped together. The steps of different positions do not wait for each
    other, so the processor overlaps their reads of the large transition table."""
    cdef Py_ssize_t n = data.shape[0], i, k, m, head
    if depth < 1:
        raise ValueError("an automaton's depth is at least 1")
    states_a = np.empty(n, np.int64)
    cdef int64_t[::1] states = states_a
    cdef int64_t state = 0
    head = depth - 1 if depth - 1 < n else n
    for i in range(head):
        state = nextmove[rowbase[state] + data[i]]
        states[i] = state
    m = n - depth + 1
    if m <= 0:
        return states_a
    cdef int64_t *cur = &states[depth - 1]
    for i in range(m):
        cur[i] = 0
    for k in range(depth):
        for i in range(m):
            cur[i] = nextmove[rowbase[cur[i]] + data[i + k]]
    return states_a


cdef inline uint64_t fmix64(uint64_t h) noexcept:
    h ^= h >> 33
    h *= 0xFF51AFD7ED558CCDULL
    h ^= h >> 33
    h *= 0xC4CEB9FE1A85EC53ULL
    return h ^ (h >> 33)


cdef inline uint32_t fmix32(uint32_t h) noexcept:
    h ^= h >> 16
    h *= 0x85EBCA6BU
    h ^= h >> 13
    h *= 0xC2B2AE35U
    return h ^ (h >> 16)


def shingle_hashes(const uint32_t[::1] codes, const int64_t[::1] offsets, Py_ssize_t k, uint64_t mult):
    """``cleaner.fingerprint._hash_windows`` over the code points of the lines (``codes``,
    line ``i`` at ``offsets[i]:offsets[i + 1]``): the 32-bit hash of each k-shingle (a
    shorter line is one shingle) and the line it belongs to."""
    cdef Py_ssize_t n_lines = offsets.shape[0] - 1, i, w, j, n_windows, width, at, length
    cdef Py_ssize_t total = 0
    for i in range(n_lines):
        length = offsets[i + 1] - offsets[i]
        total += length - k + 1 if length > k else 1
    hashes_a = np.empty(total, np.uint32)
    owner_a = np.empty(total, np.int64)
    cdef uint32_t[::1] hashes = hashes_a
    cdef int64_t[::1] owner = owner_a
    cdef uint64_t poly
    at = 0
    for i in range(n_lines):
        length = offsets[i + 1] - offsets[i]
        n_windows = length - k + 1 if length > k else 1
        width = length if length < k else k
        for w in range(n_windows):
            poly = 0
            for j in range(width):
                poly = poly * mult + (<uint64_t>codes[offsets[i] + w + j] + 1)
            hashes[at] = <uint32_t>(fmix64(poly) >> 32)
            owner[at] = i
            at += 1
    return hashes_a, owner_a


def minhash_rows(
    const uint32_t[::1] hashes,
    const int64_t[::1] owner,
    Py_ssize_t n_rows,
    const uint32_t[::1] a,
    const uint32_t[::1] b,
):
    """``cleaner.fingerprint.minhash_rows``: the affine32 MinHash signature of each row's
    set of 32-bit hashes (a row without any keeps the all-max signature)."""
    cdef Py_ssize_t n_perm = a.shape[0], i, p
    sig_a = np.full((n_rows, n_perm), 0xFFFFFFFF, np.uint32)
    if n_perm == 0 or hashes.shape[0] == 0:
        return sig_a
    cdef uint32_t[:, ::1] sig = sig_a
    cdef const uint32_t *pa = &a[0]
    cdef const uint32_t *pb = &b[0]
    cdef uint32_t h, v
    cdef uint32_t *row
    for i in range(hashes.shape[0]):
        h = fmix32(hashes[i])
        row = &sig[owner[i], 0]
        for p in range(n_perm):  # a loop the compiler turns into vector instructions
            v = pa[p] * h + pb[p]
            row[p] = v if v < row[p] else row[p]
    return sig_a
