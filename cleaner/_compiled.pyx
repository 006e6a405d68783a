# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# distutils: extra_compile_args = -O3
"""Compiled loops of :mod:`cleaner.kernels`, :mod:`cleaner.heuristics.compiled` and
:mod:`cleaner.heuristics.language`, built when the package is installed (a C compiler is
needed then; without one the package installs without this module and the Python reference,
or numba's version of a loop, does the work).

Keys and word ids are hashed by the xxhash package's own ``XXH3_64bits`` (the C function
``xxhash.xxh3_64_intdigest`` calls), whose address :func:`set_hash` is given when the module
is loaded, so they are the reference's values bit for bit.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcpy, memset

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


cdef struct Tokens:
    # where page_prints is in a line: text bytes and ids written, the open token
    Py_ssize_t w  # bytes of normalized text written
    Py_ssize_t t  # token ids written
    Py_ssize_t tok_start  # where the open token starts
    int tok_kind  # SPACE: no token open
    bint last_digit


cdef inline Tokens put_char(
    Tokens s, uint8_t *text, uint64_t *ids, Py_ssize_t line_w, uint32_t c, int k
) noexcept:
    """``s`` after the mapped character ``c`` of class ``k``: a space closes the open
    token, a run of digits becomes one zero, a change of class starts a token (after a
    space). (The state goes by value: held in registers, where a pointer to it would have
    the compiler reload it after every byte written to ``text``.)"""
    if k == SPACE:
        if s.tok_kind != SPACE:
            ids[s.t] = token_id(text, s.tok_start, s.w, s.tok_kind)
            s.t += 1
            s.tok_kind = SPACE
        s.last_digit = False
        return s
    if k == DIGIT:
        if s.last_digit:
            return s  # a run of digits is one zero
        s.last_digit = True
        c = 48
        k = WORD
    else:
        s.last_digit = False
    if k != s.tok_kind:
        if s.tok_kind != SPACE:
            ids[s.t] = token_id(text, s.tok_start, s.w, s.tok_kind)
            s.t += 1
        if s.w > line_w:
            text[s.w] = 32
            s.w += 1
        s.tok_start = s.w
        s.tok_kind = k
    s.w = encoded(text, s.w, c)
    return s


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
    # every line's entry is set below (np.empty: np.ones costs a call and a fill in Python)
    keys_a = np.empty(n_lines, np.uint64)
    counts_a = np.empty(n_lines, np.int64)
    ends_a = np.empty(n_lines, np.int64)
    ok_a = np.empty(n_lines, np.bool_)
    cdef uint8_t[::1] text_v = text_a
    cdef uint64_t[::1] ids = ids_a
    cdef uint64_t[::1] keys = keys_a
    cdef int64_t[::1] counts = counts_a
    cdef int64_t[::1] ends = ends_a
    cdef uint8_t[::1] ok = ok_a.view(np.uint8)
    cdef uint8_t *text = &text_v[0]
    cdef uint64_t *id_p
    cdef Tokens tok = Tokens(0, 0, 0, SPACE, False)
    cdef Py_ssize_t pos = 0, line, line_w, line_t, j, s, size
    cdef Py_ssize_t end, need
    cdef bint good
    cdef uint32_t cp, b0
    cdef const uint8_t *data = &buf[0] if n else NULL
    cdef const void *found
    # An ASCII character the table maps to one ASCII character (most of a page's): its
    # character and class from a small table, not the whole table's three arrays; 255
    # marks the others, which take the table's way
    cdef uint8_t ascii_char[128]
    cdef uint8_t ascii_cls[128]
    for j in range(128):
        ascii_char[j] = 255
        ascii_cls[j] = 0
        s = start[j]
        if s >= 0 and length[j] == 1 and out_cp[s] < 128:
            ascii_char[j] = <uint8_t>out_cp[s]
            ascii_cls[j] = out_cls[s]
    for line in range(n_lines):
        found = memchr(data + pos, 10, <size_t>(n - pos)) if pos < n else NULL
        end = (<const uint8_t *>found - data) if found != NULL else n
        need = ((end - pos) * expansion + 1) // 2 + 1  # tokens of this line, at most
        if tok.t + need > ids.shape[0]:
            grown = np.empty(max(2 * ids.shape[0], tok.t + need), np.uint64)
            grown[:tok.t] = ids_a[:tok.t]
            ids_a = grown
            ids = ids_a
        id_p = &ids[0]
        line_w = tok.w
        line_t = tok.t
        tok.tok_start = 0
        tok.tok_kind = SPACE  # no token open
        tok.last_digit = False
        good = True
        while pos < end:
            b0 = data[pos]
            if b0 < 0x80 and ascii_char[b0] != 255:
                pos += 1
                tok = put_char(tok, text, id_p, line_w, ascii_char[b0], ascii_cls[b0])
                continue
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
                tok = put_char(tok, text, id_p, line_w, out_cp[j], out_cls[j])
        if good:
            if tok.tok_kind != SPACE:
                id_p[tok.t] = token_id(text, tok.tok_start, tok.w, tok.tok_kind)
                tok.t += 1
            keys[line] = _xxh3(text + line_w, <size_t>(tok.w - line_w))
            counts[line] = tok.t - line_t
            ok[line] = 1
        else:  # left to the reference: nothing of it is kept
            tok.w = line_w
            tok.t = line_t
            keys[line] = 0
            counts[line] = 0
            ok[line] = 0
        pos = end
        ends[line] = tok.w
        pos += 1  # the newline
    return keys_a, ids_a[:tok.t].copy(), counts_a, text_a[:tok.w].copy(), ends_a, ok_a


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


def first_sight_counts(const int64_t[::1] found, int32_t[::1] slot):
    """The distinct values of ``found`` in the order of their first occurrence, and how
    often each occurs (two int64 arrays): ``np.unique``'s values and counts, reordered by
    first index. ``slot``: a zeroed scratch array with an entry for every value, left
    zeroed."""
    cdef Py_ssize_t n = found.shape[0], size = slot.shape[0], i, m = 0
    cdef int64_t v
    cdef int32_t s
    ids_a = np.empty(n, np.int64)
    counts_a = np.empty(n, np.int64)
    cdef int64_t[::1] ids = ids_a
    cdef int64_t[::1] counts = counts_a
    for i in range(n):
        v = found[i]
        if v < 0 or v >= size:
            for i in range(m):
                slot[ids[i]] = 0
            raise ValueError(f"value {v} outside the scratch array's {size} entries")
        s = slot[v]
        if s == 0:
            ids[m] = v
            counts[m] = 1
            m += 1
            slot[v] = <int32_t>m
        else:
            counts[s - 1] += 1
    for i in range(m):
        slot[ids[i]] = 0
    return ids_a[:m], counts_a[:m]


cdef inline uint64_t fmix64(uint64_t h) noexcept:
    h ^= h >> 33
    h *= 0xFF51AFD7ED558CCDULL
    h ^= h >> 33
    h *= 0xC4CEB9FE1A85EC53ULL
    return h ^ (h >> 33)


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


cdef extern from *:
    """
    /* The rows of minhash_rows, in C so that it can be built twice: for AVX2 (eight
       32-bit multiplies and minimums an instruction) and for the baseline instruction
       set, the loader picking the one the processor runs (GCC's or clang's
       target_clones, which needs the ifunc of glibc on x86-64). Elsewhere one build. */
    #include <stdint.h>
    #include <stddef.h>
    #if defined(__x86_64__) && defined(__GLIBC__) && !defined(__INTEL_COMPILER) && \
        ((defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 6) || \
         (defined(__clang__) && __clang_major__ >= 14))
    #define CLEANER_CLONES __attribute__((target_clones("avx2", "default")))
    #else
    #define CLEANER_CLONES
    #endif
    CLEANER_CLONES
    static void cleaner_minhash_rows(const uint32_t *hashes, const int64_t *owner,
                                     ptrdiff_t n, uint32_t *sig, ptrdiff_t n_perm,
                                     const uint32_t *a, const uint32_t *b) {
        for (ptrdiff_t i = 0; i < n; i++) {
            uint32_t h = hashes[i];
            h ^= h >> 16; h *= 0x85EBCA6BU; h ^= h >> 13; h *= 0xC2B2AE35U; h ^= h >> 16;
            uint32_t *row = sig + owner[i] * n_perm;
            for (ptrdiff_t p = 0; p < n_perm; p++) {
                uint32_t v = a[p] * h + b[p];
                row[p] = v < row[p] ? v : row[p];
            }
        }
    }
    """
    void cleaner_minhash_rows(
        const uint32_t *hashes, const int64_t *owner, Py_ssize_t n, uint32_t *sig,
        Py_ssize_t n_perm, const uint32_t *a, const uint32_t *b,
    ) noexcept nogil


def minhash_rows(
    const uint32_t[::1] hashes,
    const int64_t[::1] owner,
    Py_ssize_t n_rows,
    const uint32_t[::1] a,
    const uint32_t[::1] b,
):
    """``cleaner.fingerprint.minhash_rows``: the affine32 MinHash signature of each row's
    set of 32-bit hashes (a row without any keeps the all-max signature). ``owner`` is
    each hash's row, ``0 <= owner[i] < n_rows`` (checked: the C loop writes there)."""
    cdef Py_ssize_t n_perm = a.shape[0], n = hashes.shape[0], i
    if b.shape[0] != n_perm or owner.shape[0] != n:
        raise ValueError("minhash_rows: a, b and hashes, owner must be of equal lengths")
    for i in range(n):
        if owner[i] < 0 or owner[i] >= n_rows:
            raise ValueError("minhash_rows: a hash's row is out of range")
    sig_a = np.full((n_rows, n_perm), 0xFFFFFFFF, np.uint32)
    if n_perm == 0 or n == 0:
        return sig_a
    cdef uint32_t[:, ::1] sig = sig_a
    with nogil:
        cleaner_minhash_rows(&hashes[0], &owner[0], n, &sig[0, 0], n_perm, &a[0], &b[0])
    return sig_a


# The line features of cleaner.heuristics.compiled: the same loops as the numba kernel,
# cleaner/_numba_features.py, with its character flags, classes and characters

cdef enum:
    F_OK = 1
    F_SPACE = 2
    F_WORD = 4
    F_DECIMAL = 8
    F_DIGIT = 16
    F_CJK = 32
    F_CLOSER = 64
    F_TERMINAL = 128
    F_QE = 256
    F_MARKUP = 512
    F_BULLET = 1024

cdef enum:
    C_GOOD = 0
    C_NEAR = 1
    C_TITLE = 2
    C_BAD = 3
    C_MARKUP = 4
    C_DATETIME = 5

cdef enum:
    CH_HASH = 35
    CH_DOT = 46
    CH_PAREN = 41
    CH_COLON = 58
    CH_SLASH = 47
    CH_HYPHEN = 45
    CH_SPACE = 32
    CH_LOWER_W = 119
    CH_LOWER_H = 104
    CH_UPPER_H = 72
    CH_ZERO = 48
    CH_ONE = 49
    CH_TWO = 50
    CH_EIGHT = 56
    CH_NINE = 57


cdef struct Limits:
    int64_t max_chars, title_max, body_min, long_words, dt_max_words
    double min_density, dt_min_share


cdef struct Stops:
    const uint64_t *table  # an IdSet's table (mask != 0) or its sorted ids (mask 0)
    Py_ssize_t size
    uint64_t shift, mask
    bint has, digits  # a stoplist is given; one of its words holds a digit


cdef struct Mark:
    Py_ssize_t r  # where the visible text starts; -1: a second mark
    bint prefixed, marked, heading
    int64_t numbered


cdef inline Py_ssize_t bullet_end(
    const int32_t *cps, Py_ssize_t k, Py_ssize_t hi, const uint16_t *flags
) noexcept:
    """Where the list mark at ``k`` ends, before its spaces; -1 when there is none."""
    cdef Py_ssize_t d, e
    cdef uint16_t f
    if k >= hi:
        return -1
    f = flags[cps[k]]
    if f & F_BULLET:
        e = k + 1
    elif f & F_DECIMAL:
        d = 0
        while k + d < hi and (flags[cps[k + d]] & F_DECIMAL):
            d += 1
        if d > 3 or k + d >= hi or (cps[k + d] != CH_DOT and cps[k + d] != CH_PAREN):
            return -1
        e = k + d + 1
    else:
        return -1
    if e < hi and (flags[cps[e]] & F_SPACE):
        return e
    return -1


cdef inline bint address_at(const int32_t *cps, Py_ssize_t i, Py_ssize_t hi) noexcept:
    """Whether ``cps[i:]`` starts with "://" or "www."."""
    if cps[i] == CH_COLON:
        return i + 2 < hi and cps[i + 1] == CH_SLASH and cps[i + 2] == CH_SLASH
    return (
        i + 3 < hi and cps[i + 1] == CH_LOWER_W and cps[i + 2] == CH_LOWER_W
        and cps[i + 3] == CH_DOT
    )


cdef inline bint is_stopword(uint64_t v, const Stops *stops) noexcept:
    """Whether ``v`` is in the stopwords' ids: their table's slot, or a binary search."""
    cdef Py_ssize_t lo = 0, hi = stops.size, mid
    if stops.mask:
        return stops.table[(v >> stops.shift) & stops.mask] == v
    while lo < hi:  # numpy's searchsorted (side "left")
        mid = lo + (hi - lo) // 2
        if stops.table[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo < stops.size and stops.table[lo] == v


cdef inline Mark line_mark(
    const int32_t *cps, Py_ssize_t lo, Py_ssize_t hi, const uint16_t *flags
) noexcept:
    """Where the visible text of ``cps[lo:hi]`` starts after the line's mark, and what the
    mark is (see ``_numba_features._mark``)."""
    cdef Mark m
    cdef Py_ssize_t k = lo, h, r
    m.r = lo
    m.prefixed = False
    m.marked = False
    m.heading = False
    m.numbered = 0
    while k < hi and (flags[cps[k]] & F_SPACE):
        k += 1
    if k - lo <= 3 and k < hi and cps[k] == CH_HASH:
        h = 0
        while k + h < hi and h < 6 and cps[k + h] == CH_HASH:
            h += 1
        r = k + h
        m.marked = r < hi and (flags[cps[r]] & F_SPACE) != 0
        m.heading = m.marked and h == 1 and cps[k + 1] == CH_SPACE
    else:
        r = bullet_end(cps, k, hi, flags)
        if r < 0:
            return m
        if flags[cps[k]] & F_DECIMAL:
            m.numbered = 1
    while r < hi and (flags[cps[r]] & F_SPACE):
        r += 1
    m.prefixed = True
    m.r = -1 if bullet_end(cps, r, hi, flags) >= 0 else r
    return m


cdef inline Py_ssize_t visible(
    const int32_t *cps, Py_ssize_t r, Py_ssize_t hi, const uint16_t *flags, int32_t *vis
) noexcept:
    """Writes ``" ".join(text.split())`` of ``cps[r:hi]`` to ``vis``; returns its length."""
    cdef Py_ssize_t m = 0, i
    cdef int32_t c
    for i in range(r, hi):
        c = cps[i]
        if flags[c] & F_SPACE:
            if m and vis[m - 1] != CH_SPACE:
                vis[m] = CH_SPACE
                m += 1
        else:
            vis[m] = c
            m += 1
    if m and vis[m - 1] == CH_SPACE:
        m -= 1
    return m


cdef inline Py_ssize_t digit_run(
    const int32_t *vis, Py_ssize_t n, Py_ssize_t i, const uint16_t *flags
) noexcept:
    """The length of the run of decimal digits at ``vis[i]``."""
    cdef Py_ssize_t j = i
    while j < n and (flags[vis[j]] & F_DECIMAL):
        j += 1
    return j - i


cdef inline bint starts_word(const int32_t *vis, Py_ssize_t i, const uint16_t *flags) noexcept:
    return i == 0 or not (flags[vis[i - 1]] & F_WORD)


cdef inline bint ends_word(
    const int32_t *vis, Py_ssize_t n, Py_ssize_t j, const uint16_t *flags
) noexcept:
    return j >= n or not (flags[vis[j]] & F_WORD)


cdef inline bint time_at(
    const int32_t *vis, Py_ssize_t n, Py_ssize_t p, const uint16_t *flags
) noexcept:
    """``shape._TIME`` matches at ``p``, the start of a run of digits."""
    cdef Py_ssize_t q = p + digit_run(vis, n, p, flags)
    if q - p > 2 or q >= n:
        return False
    if vis[q] == CH_SPACE:
        q += 1
    if q >= n or not (vis[q] == CH_COLON or vis[q] == CH_LOWER_H or vis[q] == CH_UPPER_H):
        return False
    q += 1
    if q < n and vis[q] == CH_SPACE:
        q += 1
    return digit_run(vis, n, q, flags) >= 2 and ends_word(vis, n, q + 2, flags)


cdef inline Py_ssize_t date_at(
    const int32_t *vis, Py_ssize_t n, Py_ssize_t p, const uint16_t *flags
) noexcept:
    """Where ``shape._DATE`` matching at ``p`` ends; -1 when it does not match there."""
    cdef Py_ssize_t d1 = digit_run(vis, n, p, flags), d2, d3, e
    cdef Py_ssize_t q = p + d1
    if q >= n:
        return -1
    if d1 <= 2 and vis[q] == CH_SLASH:  # day/month[/year]
        d2 = digit_run(vis, n, q + 1, flags)
        e = q + 1 + d2
        if not 1 <= d2 <= 2:
            return -1
        if e < n and vis[e] == CH_SLASH:
            d3 = digit_run(vis, n, e + 1, flags)
            if 2 <= d3 <= 4 and ends_word(vis, n, e + 1 + d3, flags):
                return e + 1 + d3
        return e if ends_word(vis, n, e, flags) else -1
    if d1 <= 2 and (vis[q] == CH_DOT or vis[q] == CH_HYPHEN):  # day.month.year
        d2 = digit_run(vis, n, q + 1, flags)
        e = q + 1 + d2
        if not 1 <= d2 <= 2 or e >= n or not (vis[e] == CH_DOT or vis[e] == CH_HYPHEN):
            return -1
        d3 = digit_run(vis, n, e + 1, flags)
        return e + 1 + d3 if 2 <= d3 <= 4 and ends_word(vis, n, e + 1 + d3, flags) else -1
    if d1 == 4 and vis[q] == CH_HYPHEN:  # year-month-day
        d2 = digit_run(vis, n, q + 1, flags)
        e = q + 1 + d2
        if not 1 <= d2 <= 2 or e >= n or vis[e] != CH_HYPHEN:
            return -1
        d3 = digit_run(vis, n, e + 1, flags)
        return e + 1 + d3 if 1 <= d3 <= 2 and ends_word(vis, n, e + 1 + d3, flags) else -1
    return -1


cdef inline bint year_at(
    const int32_t *vis, Py_ssize_t n, Py_ssize_t p, const uint16_t *flags
) noexcept:
    """``shape._YEAR`` matches at ``p``, the start of a word."""
    cdef bint century
    if p + 4 > n or not ends_word(vis, n, p + 4, flags):
        return False
    century = (vis[p] == CH_ONE and (vis[p + 1] == CH_EIGHT or vis[p + 1] == CH_NINE)) or (
        vis[p] == CH_TWO and vis[p + 1] == CH_ZERO
    )
    return century and (flags[vis[p + 2]] & F_DECIMAL) != 0 and (flags[vis[p + 3]] & F_DECIMAL) != 0


cdef bint is_datetime(
    const int32_t *vis, Py_ssize_t n, bint terminal, const uint16_t *flags
) noexcept:
    """``shape.is_datetime_line``'s patterns on the visible text ``vis[:n]``."""
    cdef bint year = False, fraction
    cdef Py_ssize_t p = 0, e
    while p < n:
        if (flags[vis[p]] & F_WORD) and starts_word(vis, p, flags):
            if flags[vis[p]] & F_DECIMAL:
                if time_at(vis, n, p, flags):
                    return True
                e = date_at(vis, n, p, flags)
                if e >= 0:
                    fraction = (
                        e - p == 3
                        and vis[p + 1] == CH_SLASH
                        and CH_ONE <= vis[p] <= CH_EIGHT
                        and CH_TWO <= vis[p + 2] <= CH_NINE
                        and vis[p] < vis[p + 2]
                    )
                    if not fraction:
                        return True
                    p = e  # the search goes on after the match (re.finditer)
                    continue
            year = year or year_at(vis, n, p, flags)
        p += 1
    return year and not terminal


cdef struct Words:
    # what a line's visible characters add up to, one character at a time (word_count)
    Py_ssize_t n_tok  # word tokens
    Py_ssize_t runs  # runs of word characters outside CJK
    Py_ssize_t cjk  # CJK characters
    Py_ssize_t digit_toks  # tokens holding a digit
    bint has_decimal
    bint in_word
    bint in_run
    bint tok_digit


cdef inline bint count_char(Words *c, uint16_t f) noexcept:
    """Count one character of flags ``f``; whether it starts a word token (the caller
    counts it in ``n_tok``, after its own checks of the word)."""
    cdef bint starts = False
    if f & F_DECIMAL:
        c.has_decimal = True
    if f & F_CJK:
        c.cjk += 1
        c.in_run = False
    if f & F_WORD:
        if not c.in_word:
            starts = True
            c.in_word = True
            c.tok_digit = False
        if (f & F_DIGIT) and not c.tok_digit:
            c.digit_toks += 1
            c.tok_digit = True
        if not (f & F_CJK) and not c.in_run:
            c.runs += 1
            c.in_run = True
    else:
        c.in_word = False
        c.in_run = False
    return starts


cdef inline bint dated_shape(const Words *c, const Limits *lim) noexcept:
    """Few words, enough of them holding a digit: a date line's shape (is_datetime_line's
    first test)."""
    return (
        c.has_decimal and 0 < c.n_tok <= lim.dt_max_words
        and <double>c.digit_toks / <double>c.n_tok >= lim.dt_min_share
    )


cdef inline int64_t packed(int64_t n_chars, int64_t n, int64_t cls, int64_t bits) noexcept:
    return (n_chars << 32) | (n << 8) | (cls << 4) | bits


cdef inline int64_t classified(
    int64_t n, int64_t n_chars, bint terminal, bint qe, bint colon, bint marked, bint heading,
    bint stop_ok, const Limits *lim
) noexcept:
    """The packed features of a line by its shape (``classify.line_features``' last step)."""
    cdef int64_t cls
    cdef bint title_like = n < lim.title_max and (not terminal or qe), lead_in
    if marked:
        cls = C_TITLE
    elif stop_ok and ((terminal and n >= lim.body_min) or n >= lim.long_words):
        cls = C_GOOD
    elif terminal and stop_ok and n >= 2:
        cls = C_NEAR
    elif n < lim.title_max:
        cls = C_TITLE
    elif stop_ok:
        cls = C_NEAR
    else:
        cls = C_BAD
    title_like = title_like or cls == C_TITLE
    lead_in = cls == C_GOOD and colon
    return packed(n_chars, n, cls, 8 * heading + 4 * title_like + 2 * marked + lead_in)


# --- markdown lines: strip_markup, is_markup_residue and the features of what is left ----

cdef enum:
    CH_BANG = 33
    CH_LBRACKET = 91
    CH_RBRACKET = 93
    CH_LPAREN = 40
    CH_GT = 62
    CH_PIPE = 124
    CH_STAR = 42
    CH_UNDERSCORE = 95
    CH_TILDE = 126
    CH_PLUS = 43
    CH_EQUALS = 61
    CH_UPPER_W = 87
    CH_LOWER_T = 116
    CH_LOWER_P = 112
    CH_LOWER_S = 115
    # the longest markdown line the kernel judges: its bracket searches are quadratic
    MARKDOWN_MAX_CHARS = 4096


cdef struct Work:
    int32_t *a  # a line's text after a step of strip_markup, and where each character was
    int32_t *a_src
    int32_t *b
    int32_t *b_src
    int32_t *vis_src  # where each character of the visible text was (-1: a space)
    int32_t *cell  # a table cell's visible text
    int32_t *cell_src
    int32_t *run  # the raw word run each character of the line is in (-1: none)
    uint64_t *words  # the line's word ids, in order
    const uint16_t *char_flags  # the flags of each character of the page's lines, in order


cdef inline Py_ssize_t find(const int32_t *a, Py_ssize_t i, Py_ssize_t hi, int32_t c) noexcept:
    """The first ``j >= i`` below ``hi`` where ``a[j] == c``; -1 when there is none."""
    while i < hi:
        if a[i] == c:
            return i
        i += 1
    return -1


cdef inline Py_ssize_t bracket_end(const int32_t *a, Py_ssize_t i, Py_ssize_t hi) noexcept:
    """Where ``[text](url)`` at ``a[i]`` (a "[") ends, after its ")"; -1 when it does not
    match there (``text._LINK``: no search backtracks, as no class holds its delimiter)."""
    cdef Py_ssize_t j = find(a, i + 1, hi, CH_RBRACKET)
    if j < 0 or j + 1 >= hi or a[j + 1] != CH_LPAREN:
        return -1
    j = find(a, j + 2, hi, CH_PAREN)
    return j + 1 if j >= 0 else -1


cdef inline bint is_rule(
    const int32_t *cps, Py_ssize_t lo, Py_ssize_t hi, const uint16_t *flags
) noexcept:
    """``text._RULE`` matches ``cps[lo:hi]``: three or more of "-*_=|:+", spaces between."""
    cdef Py_ssize_t i, marks = 0
    cdef int32_t c
    for i in range(lo, hi):
        c = cps[i]
        if flags[c] & F_SPACE:
            continue
        if not (c == CH_HYPHEN or c == CH_STAR or c == CH_UNDERSCORE or c == CH_EQUALS
                or c == CH_PIPE or c == CH_COLON or c == CH_PLUS):
            return False
        marks += 1
    return marks >= 3


cdef inline bint is_plain(
    const int32_t *cps, Py_ssize_t lo, Py_ssize_t hi, const uint16_t *flags
) noexcept:
    """``text.is_plain``: no markup character ("!" among them) and no list mark at the start."""
    cdef Py_ssize_t i = lo
    while i < hi and (flags[cps[i]] & F_SPACE):
        i += 1
    if bullet_end(cps, i, hi, flags) >= 0:
        return False
    for i in range(lo, hi):
        if cps[i] == CH_BANG or (flags[cps[i]] & F_MARKUP):
            return False
    return True


cdef inline Py_ssize_t skip_spaces(
    const int32_t *a, Py_ssize_t i, Py_ssize_t hi, const uint16_t *flags
) noexcept:
    while i < hi and (flags[a[i]] & F_SPACE):
        i += 1
    return i


cdef Py_ssize_t stripped(
    const int32_t *cps, Py_ssize_t lo, Py_ssize_t hi, const uint16_t *flags, Work *w,
    int32_t *out, int32_t *out_src, bint *imaged,
) noexcept:
    """Writes ``text.strip_markup(cps[lo:hi])`` to ``out`` (and where each of its characters
    was in ``cps`` to ``out_src``, -1 for a space); returns its length. ``imaged``: whether
    the text shows an image (``text.image_count``). Each step is the reference's: images
    become a space, links their text, then the heading, quotation and list marks at the
    start go, then emphasis; pipes become spaces and spaces are collapsed."""
    cdef Py_ssize_t i, j, m = 0, mb = 0, s, d, run
    cdef int32_t c
    imaged[0] = False
    if is_plain(cps, lo, hi, flags):  # spaces collapsed, nothing stripped
        for i in range(lo, hi):
            if flags[cps[i]] & F_SPACE:
                if m and out[m - 1] != CH_SPACE:
                    out[m] = CH_SPACE
                    out_src[m] = -1
                    m += 1
            else:
                out[m] = cps[i]
                out_src[m] = <int32_t>i
                m += 1
        return m - 1 if m and out[m - 1] == CH_SPACE else m
    if is_rule(cps, lo, hi, flags):
        return 0
    i = lo
    while i < hi:  # images: _IMAGE.sub(" ")
        if cps[i] == CH_BANG and i + 1 < hi and cps[i + 1] == CH_LBRACKET:
            j = bracket_end(cps, i + 1, hi)
            if j >= 0:
                imaged[0] = True
                w.a[m] = CH_SPACE
                w.a_src[m] = -1
                m += 1
                i = j
                continue
        w.a[m] = cps[i]
        w.a_src[m] = <int32_t>i
        m += 1
        i += 1
    i = 0
    while i < m:  # links: _LINK.sub(r"\1")
        if w.a[i] == CH_LBRACKET:
            j = bracket_end(w.a, i, m)
            if j >= 0:
                s = find(w.a, i + 1, m, CH_RBRACKET)
                for d in range(i + 1, s):
                    w.b[mb] = w.a[d]
                    w.b_src[mb] = w.a_src[d]
                    mb += 1
                i = j
                continue
        w.b[mb] = w.a[i]
        w.b_src[mb] = w.a_src[i]
        mb += 1
        i += 1
    s = skip_spaces(w.b, 0, mb, flags)  # a heading's mark: _HEADING
    if s <= 3 and s < mb and w.b[s] == CH_HASH:
        d = 0
        while s < mb and d < 6 and w.b[s] == CH_HASH:
            s += 1
            d += 1
        s = skip_spaces(w.b, s, mb, flags)
    else:
        s = 0
    i = skip_spaces(w.b, s, mb, flags)  # quotation marks: _QUOTE_MARK
    if i < mb and w.b[i] == CH_GT:
        while i < mb and w.b[i] == CH_GT:
            i = skip_spaces(w.b, i + 1, mb, flags)
        s = i
    i = skip_spaces(w.b, s, mb, flags)  # a list mark: _BULLET
    j = bullet_end(w.b, i, mb, flags)
    if j >= 0:
        s = skip_spaces(w.b, j, mb, flags)
    m = 0
    i = s
    while i < mb:  # emphasis (_EMPHASIS), pipes, spaces collapsed
        c = w.b[i]
        if c == CH_STAR:
            i += 1
            continue
        if c == CH_UNDERSCORE or c == CH_TILDE:
            run = 1
            while i + run < mb and w.b[i + run] == c:
                run += 1
            i += run
            # runs of three then two underscores go, pairs of tildes go: one may be left
            if (run % 3 == 1) if c == CH_UNDERSCORE else (run % 2 == 1):
                out[m] = c
                out_src[m] = w.b_src[i - 1]
                m += 1
            continue
        i += 1
        if c == CH_PIPE or (flags[c] & F_SPACE):
            if m and out[m - 1] != CH_SPACE:
                out[m] = CH_SPACE
                out_src[m] = -1
                m += 1
            continue
        out[m] = c
        out_src[m] = w.b_src[i - 1]
        m += 1
    if m and out[m - 1] == CH_SPACE:
        m -= 1
    return m


cdef inline Py_ssize_t link_syntax(
    const int32_t *cps, Py_ssize_t lo, Py_ssize_t hi, const uint16_t *flags
) noexcept:
    """The characters of ``cps[lo:hi]`` that ``shape._LINK_SYNTAX`` finds: links, and
    addresses from "http://", "https://" or "www." to the next space."""
    cdef Py_ssize_t i = lo, j, total = 0
    cdef int32_t c
    while i < hi:
        c = cps[i]
        j = -1
        if c == CH_LBRACKET:
            j = bracket_end(cps, i, hi)
        elif c == CH_LOWER_H and i + 4 < hi and cps[i + 1] == CH_LOWER_T \
                and cps[i + 2] == CH_LOWER_T and cps[i + 3] == CH_LOWER_P:
            j = i + 4
            if cps[j] == CH_LOWER_S and j + 1 < hi and cps[j + 1] == CH_COLON \
                    and address_at(cps, j + 1, hi):
                j += 4
            elif cps[j] == CH_COLON and address_at(cps, j, hi):
                j += 3
            else:
                j = -1
        elif c == CH_LOWER_W and address_at(cps, i, hi):
            j = i + 4
        if j >= 0 and c != CH_LBRACKET:  # an address: one or more characters not spaces
            if j >= hi or (flags[cps[j]] & F_SPACE):
                j = -1
            else:
                while j < hi and not (flags[cps[j]] & F_SPACE):
                    j += 1
        if j < 0:
            i += 1
            continue
        total += j - i
        i = j
    return total


cdef inline bint sentence_end(const int32_t *a, Py_ssize_t n, const uint16_t *flags, uint16_t f) noexcept:
    """The last character of ``a[:n]`` neither a space nor a closer has the flag ``f``
    (``shape.ends_sentence`` with F_TERMINAL, ``ends_question_or_exclamation`` with F_QE)."""
    cdef Py_ssize_t i = n - 1
    while i >= 0 and (flags[a[i]] & (F_SPACE | F_CLOSER)):
        i -= 1
    return i >= 0 and (flags[a[i]] & f) != 0


cdef inline bint may_be_address(const int32_t *a, Py_ssize_t n) noexcept:
    """Whether ``a[:n]`` could be one web address (``shape._BARE_URL``, which ignores case):
    no space in it, and it starts with "http://", "https://" or "www.", or holds other
    than ASCII in its first eight characters (a letter that folds to an ASCII one)."""
    cdef Py_ssize_t i, k = 0
    cdef int32_t c
    cdef int32_t head[8]
    if find(a, 0, n, CH_SPACE) >= 0:
        return False
    for i in range(8 if n > 8 else n):
        c = a[i]
        if c >= 0x80:
            return True
        head[i] = c | 0x20 if 65 <= c <= 90 else c  # lower case
    if n >= 4 and head[0] == CH_LOWER_W and head[1] == CH_LOWER_W and head[2] == CH_LOWER_W \
            and head[3] == CH_DOT:
        return True
    if n < 7 or head[0] != CH_LOWER_H or head[1] != CH_LOWER_T or head[2] != CH_LOWER_T \
            or head[3] != CH_LOWER_P:
        return False
    k = 5 if head[4] == CH_LOWER_S else 4
    return n >= k + 3 and head[k] == CH_COLON and head[k + 1] == CH_SLASH \
        and head[k + 2] == CH_SLASH


cdef bint filled_cells(
    const int32_t *cps, Py_ssize_t lo, Py_ssize_t hi, const uint16_t *flags, Work *w
) noexcept:
    """Three or more of the cells of ``cps[lo:hi]`` split at "|" hold a word once their
    markup is stripped (``is_markup_residue``'s data table)."""
    cdef Py_ssize_t a = lo, b, m, i, cells = 0
    cdef bint imaged
    while a <= hi:
        b = find(cps, a, hi, CH_PIPE)
        if b < 0:
            b = hi
        m = stripped(cps, a, b, flags, w, w.cell, w.cell_src, &imaged)
        for i in range(m):
            if flags[w.cell[i]] & (F_WORD | F_CJK):  # word_count counts a CJK mark too
                cells += 1
                break
        if cells >= 3:
            return True
        a = b + 1
    return False


cdef int64_t markdown_code(
    const int32_t *cps, Py_ssize_t lo, Py_ssize_t hi, const uint16_t *flags,
    const uint64_t *ids, Py_ssize_t t0, Py_ssize_t t1, const Stops *stops, const Limits *lim,
    int32_t *vis, Work *w,
) noexcept:
    """The packed features of a line holding markup or a web address, every character of
    it in the table, or -1: ``classify.line_features`` of a line that is not plain. Left
    to the reference: a line whose visible words are not whole words of its fingerprint
    (emphasis inside a word, "__" beside one), markup that is one web address and a quoted
    date line (flags a code does not hold; an image is bit 7)."""
    cdef Py_ssize_t i, j, k, t, n_vis, n_runs = 0, n_ids = 0, n_stop = 0, n, edge, lead, trail
    cdef bint imaged, in_word = False
    cdef bint marked, heading, residue, terminal, stop_ok, table_row, linky, colon
    cdef Words words = Words(0, 0, 0, 0, False, False, False, False)
    cdef int32_t c, r
    cdef uint16_t f
    if hi - lo > MARKDOWN_MAX_CHARS:
        return -1
    # the line's word runs, each the fingerprint's next word id
    for t in range(t0, t1):
        if ids[t] != 0:
            w.words[n_ids] = ids[t]
            n_ids += 1
    in_word = False
    for i in range(lo, hi):
        if flags[cps[i]] & F_WORD:
            if not in_word:
                n_runs += 1
                in_word = True
            w.run[i - lo] = <int32_t>(n_runs - 1)
        else:
            in_word = False
            w.run[i - lo] = -1
    if n_runs != n_ids:
        return -1  # the fingerprint's tokens are not the line's words
    n_vis = stripped(cps, lo, hi, flags, w, vis, w.vis_src, &imaged)
    for i in range(n_vis):
        if count_char(&words, flags[vis[i]]):  # a word: one whole word run of the line, and its id
            k = w.vis_src[i]
            r = w.run[k - lo]
            if k > lo and w.run[k - 1 - lo] == r:
                return -1
            j = i + 1
            while j < n_vis and (flags[vis[j]] & F_WORD):
                if w.vis_src[j] != k + (j - i):
                    return -1
                j += 1
            k += j - i
            if k < hi and w.run[k - lo] == r:
                return -1
            if stops.has and is_stopword(w.words[r], stops):
                n_stop += 1
            words.n_tok += 1
    n = words.runs + (words.cjk + 1) // 2
    # the marks of the raw line: is_heading, and a top-level heading ("# ")
    lead = skip_spaces(cps, lo, hi, flags)
    k = lead
    while k < hi and k - lead < 7 and cps[k] == CH_HASH:
        k += 1
    marked = lead - lo <= 3 and 0 < k - lead <= 6 and k < hi and (flags[cps[k]] & F_SPACE) != 0
    heading = marked and k - lead == 1 and cps[k] == CH_SPACE
    terminal = sentence_end(vis, n_vis, flags, F_TERMINAL)
    # is_markup_residue
    residue = n == 0
    if not residue:
        linky = False
        table_row = False
        trail = hi
        while trail > lead and (flags[cps[trail - 1]] & F_SPACE):
            trail -= 1
        for i in range(lo, hi):
            c = cps[i]
            if c == CH_SLASH or c == CH_PIPE or c == CH_BANG or c == CH_LBRACKET:
                linky = True
            if c == CH_LOWER_W and address_at(cps, i, hi):
                linky = True
            if c == CH_PIPE and i > lo and i + 1 < hi and cps[i - 1] == CH_SPACE \
                    and cps[i + 1] == CH_SPACE:
                table_row = True  # " | " in the line is " | " in it stripped, or a pipe at an end
        if lead < trail and (cps[lead] == CH_PIPE or cps[trail - 1] == CH_PIPE):
            table_row = True
        if linky:
            k = link_syntax(cps, lo, hi, flags)
            if k and 2 * k >= trail - lead and not terminal:
                residue = True
            elif imaged and n < 3:
                residue = True
            elif table_row and not filled_cells(cps, lo, hi, flags, w):
                residue = not (terminal and n >= 5)
    if residue:
        if may_be_address(vis, n_vis):
            return -1  # one web address: a flag the code does not hold
        # title-like; an image is bit 7 (the class takes bits 4 to 6)
        return packed(n_vis, n, C_MARKUP, 8 * heading + 4 + 2 * marked + 128 * imaged)
    if dated_shape(&words, lim) and is_datetime(vis, n_vis, terminal, flags):
        if lead < hi and cps[lead] == CH_GT:
            return -1  # quoted: a flag the code does not hold
        return packed(n_vis, n, C_DATETIME, 8 * heading + 4 + 2 * marked)  # title-like
    stop_ok = True
    if stops.has and words.n_tok:
        if words.has_decimal and stops.digits:
            return -1  # a stopword holding a digit could be one of its words
        stop_ok = <double>n_stop / <double>words.n_tok >= lim.min_density
    edge = n_vis - 1  # lead_in: visible.rstrip(" *_").endswith(":")
    while edge >= 0 and (vis[edge] == CH_SPACE or vis[edge] == CH_UNDERSCORE
                         or vis[edge] == CH_STAR):
        edge -= 1
    colon = edge >= 0 and vis[edge] == CH_COLON
    return classified(
        n, n_vis, terminal, sentence_end(vis, n_vis, flags, F_QE), colon, marked, heading,
        stop_ok, lim,
    )


cdef int64_t line_code(
    const int32_t *cps, Py_ssize_t lo, Py_ssize_t hi, const uint16_t *flags,
    const uint64_t *ids, Py_ssize_t t0, Py_ssize_t t1, const Stops *stops, const Limits *lim,
    int32_t *vis, Work *w, bint unsupported,
) noexcept:
    """The packed features of the line ``cps[lo:hi]``, or -1 (``_numba_features._line_code``);
    a line holding markup, a web address or a second mark, by :func:`markdown_code`.
    ``unsupported``: the line holds a character outside the flags' table (or outside the
    Basic Multilingual Plane), which its caller found as it decoded the line."""
    cdef Py_ssize_t i, t, nonspace = 0, chunks = 0, id_words = 0, n_stop = 0, n_chars, n
    cdef bint in_chunk = False, colon = False, terminal, stop_ok
    cdef Words words = Words(0, 0, 0, 0, False, False, False, False)
    cdef uint16_t f, last_sig = 0  # flags of the last character neither a space nor a closer
    cdef int32_t c
    cdef Mark m
    if unsupported or hi - lo > lim.max_chars:
        return -1
    m = line_mark(cps, lo, hi, flags)
    if m.r < 0:
        return markdown_code(cps, lo, hi, flags, ids, t0, t1, stops, lim, vis, w)
    cdef const uint16_t *char_flags = w.char_flags
    for i in range(m.r, hi):
        f = char_flags[i]
        if f & F_MARKUP:
            return markdown_code(cps, lo, hi, flags, ids, t0, t1, stops, lim, vis, w)
        if f & F_SPACE:
            count_char(&words, f)  # a space ends a word and a run
            in_chunk = False
            continue
        c = cps[i]
        if (c == CH_COLON or c == CH_LOWER_W) and address_at(cps, i, hi):
            return markdown_code(cps, lo, hi, flags, ids, t0, t1, stops, lim, vis, w)
        nonspace += 1
        if not in_chunk:
            chunks += 1
            in_chunk = True
        colon = c == CH_COLON
        if not (f & F_CLOSER):
            last_sig = f
        if count_char(&words, f):
            words.n_tok += 1
    n_chars = nonspace + chunks - 1 if chunks else 0
    n = words.runs + (words.cjk + 1) // 2
    for t in range(t0, t1):
        if ids[t] != 0:
            id_words += 1
            if stops.has and is_stopword(ids[t], stops):
                n_stop += 1
    if id_words != words.n_tok + m.numbered:
        return -1  # the fingerprint's tokens are not the line's words
    if n == 0:
        if m.prefixed:  # a rule of marks, or a mark alone
            return markdown_code(cps, lo, hi, flags, ids, t0, t1, stops, lim, vis, w)
        return packed(n_chars, 0, C_MARKUP, 4)  # title-like
    terminal = (last_sig & F_TERMINAL) != 0
    if dated_shape(&words, lim) and is_datetime(
        vis, visible(cps, m.r, hi, flags, vis), terminal, flags
    ):
        return packed(n_chars, n, C_DATETIME, 8 * m.heading + 4 + 2 * m.marked)  # title-like
    stop_ok = True
    if stops.has and words.n_tok:
        if words.has_decimal and stops.digits:
            return -1  # a stopword holding a digit could be one of its words
        stop_ok = <double>n_stop / <double>words.n_tok >= lim.min_density
    return classified(
        n, n_chars, terminal, (last_sig & F_QE) != 0, colon, m.marked, m.heading, stop_ok, lim
    )


def line_codes(
    buf, Py_ssize_t n_lines, flags, ids, counts, tuple stops, bint has_stop,
    bint digit_stops, tuple limits, tuple shares,
):
    """The packed features of each of ``n_lines`` lines in ``buf`` (UTF-8, separated by
    newlines), -1 for a line left to the reference: the numba kernel's ``line_codes``
    (``cleaner/_numba_features.py``), with the same arguments. ``ids``: the word ids of
    the lines' fingerprints (0 for punctuation), ``counts`` per line; ``stops``: the
    stopwords' ``cleaner.fingerprint.IdSet`` as (table, shift, mask), or (sorted ids, 0,
    0); unread without ``has_stop``."""
    cdef const uint16_t[::1] fl = np.ascontiguousarray(flags, np.uint16)
    cdef const uint64_t[::1] table = np.ascontiguousarray(stops[0], np.uint64)
    cdef Stops st
    cdef Limits lim
    set_stops(&st, table, stops, has_stop, digit_stops)
    set_limits(&lim, limits, shares)
    return coded_lines(np.ascontiguousarray(buf, np.uint8), n_lines, fl, ids, counts, &st, &lim)


cdef int set_stops(Stops *st, const uint64_t[::1] table, tuple stops, bint has_stop,
                   bint digit_stops) except -1:
    st.table = &table[0] if table.shape[0] else NULL
    st.size = table.shape[0]
    st.shift = stops[1]
    st.mask = stops[2]
    st.has = has_stop
    st.digits = digit_stops
    return 0


cdef int set_limits(Limits *lim, tuple limits, tuple shares) except -1:
    lim.max_chars, lim.title_max, lim.body_min, lim.long_words, lim.dt_max_words = limits
    lim.min_density, lim.dt_min_share = shares
    return 0


cdef class LineCoder:
    """:func:`line_codes` with its flags table, stopwords, limits and shares taken once (a
    worker makes one for each stoplist and run settings), so that a page's call costs its
    lines and little more: ``codes(buf, n_lines, ids, counts)``."""

    cdef const uint16_t[::1] flags
    cdef const uint64_t[::1] table
    cdef Stops st
    cdef Limits lim

    def __init__(self, flags, tuple stops, bint has_stop, bint digit_stops, tuple limits,
                 tuple shares):
        self.flags = np.ascontiguousarray(flags, np.uint16)
        self.table = np.ascontiguousarray(stops[0], np.uint64)
        set_stops(&self.st, self.table, stops, has_stop, digit_stops)
        set_limits(&self.lim, limits, shares)

    def codes(self, const uint8_t[::1] buf, Py_ssize_t n_lines, ids, counts):
        """:func:`line_codes` of ``n_lines`` lines in ``buf`` (UTF-8, separated by
        newlines), their word ids and counts per line."""
        return coded_lines(buf, n_lines, self.flags, ids, counts, &self.st, &self.lim)


cdef object coded_lines(
    const uint8_t[::1] b, Py_ssize_t n_lines, const uint16_t[::1] fl, ids, counts,
    const Stops *stops_p, const Limits *lim_p,
):
    """The body of :func:`line_codes`, its tables and settings given."""
    cdef const uint64_t[::1] id_v = np.ascontiguousarray(ids, np.uint64)
    cdef const int64_t[::1] count_v = np.ascontiguousarray(counts, np.int64)
    cdef Py_ssize_t n = b.shape[0], pos = 0, k = 0, line = 0, t = 0, t1
    cdef uint32_t b0
    cdef int32_t cp
    cdef Stops st = stops_p[0]
    cdef Limits lim = lim_p[0]
    cdef Work work
    out_a = np.empty(n_lines, np.int64)  # every line's code is set below
    if n_lines <= 0:
        return out_a
    if fl.shape[0] < 0x10000:
        raise ValueError("the flags table covers the Basic Multilingual Plane")
    if count_v.shape[0] < n_lines:
        raise ValueError("a count of word ids per line is needed")
    for line in range(n_lines):
        if count_v[line] < 0:
            raise ValueError("a negative count of word ids")
        t += count_v[line]
    if t > id_v.shape[0]:
        raise ValueError("the lines' counts of word ids exceed the ids")
    t = 0
    line = 0
    # the scratch arrays, carved from one block (numpy's allocations cost more than the
    # loops on a short page): 8-byte values first, then 4-, 2- and 1-byte ones
    cdef Py_ssize_t m = n + 1, n_ids = id_v.shape[0] + 1
    cdef char *block = <char *>malloc(
        8 * (n_lines + 1 + n_ids) + 4 * 10 * m + 2 * m + (n_lines + 1)
    )
    if block == NULL:
        raise MemoryError()
    cdef int64_t *starts = <int64_t *>block
    work.words = <uint64_t *>(starts + n_lines + 1)
    cdef int32_t *cps = <int32_t *>(work.words + n_ids)
    cdef int32_t *vis = cps + m
    work.a, work.a_src, work.b, work.b_src = vis + m, vis + 2 * m, vis + 3 * m, vis + 4 * m
    work.vis_src, work.cell, work.cell_src = vis + 5 * m, vis + 6 * m, vis + 7 * m
    work.run = vis + 8 * m
    cdef uint16_t *char_flags = <uint16_t *>(vis + 9 * m)
    cdef uint8_t *bad = <uint8_t *>(char_flags + m)
    memset(starts, 0, 8 * (n_lines + 1))
    memset(bad, 0, n_lines + 1)
    cdef uint16_t f
    cdef const uint16_t *flag_p = &fl[0]
    cdef int64_t[::1] out = out_a
    work.char_flags = char_flags
    cdef const int32_t *cp_p
    cdef const uint64_t *id_p
    try:
        # the code points of the lines (-1 outside the Basic Multilingual Plane), each line's
        # start, and the lines with a character the table does not take
        while pos < n:
            b0 = b[pos]
            if b0 == 10:
                line += 1
                if line <= n_lines:
                    starts[line] = k
                pos += 1
                continue
            if b0 < 0x80:
                cp = <int32_t>b0
                pos += 1
            elif b0 < 0xE0 and pos + 1 < n:
                cp = <int32_t>(((b0 & 0x1F) << 6) | (b[pos + 1] & 0x3F))
                pos += 2
            elif b0 < 0xF0 and pos + 2 < n:
                cp = <int32_t>(((b0 & 0x0F) << 12) | ((b[pos + 1] & 0x3F) << 6) | (b[pos + 2] & 0x3F))
                pos += 3
            else:
                cp = -1
                pos += 4
            f = flag_p[cp] if cp >= 0 else 0
            if not (f & F_OK):
                if line <= n_lines:
                    bad[line] = 1
            char_flags[k] = f
            cps[k] = cp
            k += 1
        starts[n_lines] = k
        cp_p = cps
        id_p = &id_v[0] if id_v.shape[0] else NULL
        for line in range(n_lines):
            t1 = t + count_v[line]
            out[line] = line_code(
                cp_p, starts[line], starts[line + 1], flag_p, id_p, t, t1, &st, &lim, &vis[0], &work,
                bad[line],
            )
            t = t1
    finally:
        free(block)
    return out_a


# --- pass 1: the words of each line, from the page's word ids (cleaner.pages) --------------


def line_words(const uint64_t[::1] ids, const int64_t[::1] counts):
    """The non-zero ids among each line's ``counts[i]`` ids of ``ids`` (the lines' ids in
    order): ``cleaner.pages.line_word_counts``'s loop."""
    cdef Py_ssize_t n_lines = counts.shape[0], line, t = 0, end
    cdef int64_t found
    for line in range(n_lines):
        if counts[line] < 0:
            raise ValueError("a negative count of word ids")
        t += counts[line]
    if t != ids.shape[0]:
        raise ValueError("the lines' counts of word ids are not the ids")
    out_a = np.empty(n_lines, np.int64)
    cdef int64_t[::1] out = out_a
    t = 0
    for line in range(n_lines):
        end = t + counts[line]
        found = 0
        while t < end:
            found += ids[t] != 0
            t += 1
        out[line] = found
    return out_a


def short_unsigned(lines, const uint64_t[::1] keys, Py_ssize_t short, const uint64_t[::1] signed):
    """The positions of the lines of at most ``short`` characters whose key is not in
    ``signed`` (sorted), and their keys, as two lists: the loop of
    ``cleaner.steps.fingerprint.short_unsigned_arrays``."""
    cdef Py_ssize_t n = len(lines), i, lo, hi, mid, n_signed = signed.shape[0]
    cdef uint64_t key
    if keys.shape[0] != n:
        raise ValueError("one key per line is needed")
    at = []
    found = []
    for i in range(n):
        if len(lines[i]) > short:
            continue
        key = keys[i]
        lo = 0
        hi = n_signed
        while lo < hi:  # the first signed key not below ``key``
            mid = (lo + hi) >> 1
            if signed[mid] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < n_signed and signed[lo] == key:
            continue
        at.append(i)
        found.append(key)
    return at, found


def distinct_keys(const uint64_t[::1] keys):
    """``cleaner.arrays.distinct`` of a page's line keys: sorted (by insertion, for the few
    dozen keys of a page; numpy's sort past 64) and without repeats, in one call."""
    cdef Py_ssize_t n = keys.shape[0], i, j, m
    cdef uint64_t v
    if n > 64:
        ordered = np.sort(np.asarray(keys))
    else:
        ordered = np.empty(n, np.uint64)
    cdef uint64_t[::1] out = ordered
    if n <= 64:
        for i in range(n):  # insertion sort
            v = keys[i]
            j = i
            while j > 0 and out[j - 1] > v:
                out[j] = out[j - 1]
                j -= 1
            out[j] = v
    m = 0
    for i in range(n):
        if m == 0 or out[i] != out[m - 1]:
            out[m] = out[i]
            m += 1
    return ordered[:m]


# A page's decisions (cleaner.decide.decide_lines and cleaner.mainbody) over arrays: the
# reference's steps in its order, line for line; cleaner.linecodes calls it and holds the
# codes (classes as above; flags and reasons below, as cleaner.linecodes numbers them)

from libc.stdlib cimport free, malloc, qsort

cdef enum:
    L_LEAD_IN = 1
    L_MARKED = 2
    L_TITLE_LIKE = 4
    L_HEADING = 8
    L_BARE_URL = 16
    L_QUOTED = 32
    L_IMAGE = 64
    L_GROUPED = 128
    L_FIRST = 256

cdef enum:
    R_BODY = 0
    R_TEMPLATE = 1
    R_TEMPLATE_BLOCK = 2
    R_NO_SENTENCE = 3
    R_SHORT = 4
    R_LOW_STOPWORDS = 5
    R_MARKUP = 6
    R_DATETIME = 7
    R_REPEATED = 8
    R_OFF_BODY = 9
    R_NONE = 255


cdef struct Rules:
    int64_t tmin, quote_max, heading_max_chars, rounds, min_gap, far_gap
    int64_t thread_min_dates, thread_max_post, teaser_min_heads, teaser_max_words
    int64_t list_min_words, list_min_line_words
    double copy_share, max_share, insert_share, title_share
    bint shape


cdef inline bint list_reason(uint8_t r) noexcept:
    return r == R_TEMPLATE_BLOCK or r == R_NO_SENTENCE or r == R_SHORT or r == R_LOW_STOPWORDS


cdef inline bint pictured_before(const uint16_t *flags, Py_ssize_t i, Py_ssize_t back) noexcept:
    """Whether one of the ``back`` lines above line ``i`` shows an image."""
    cdef Py_ssize_t j = i - back
    if j < 0:
        j = 0
    while j < i:
        if flags[j] & L_IMAGE:
            return True
        j += 1
    return False


cdef void main_body_codes(
    Py_ssize_t m, const uint8_t *cls, const int64_t *words, const uint16_t *flags,
    const Rules *p, uint8_t *out, int64_t *s,
) noexcept:
    """cleaner.mainbody.main_body; ``s``: 12 x (m + 1) int64 of scratch."""
    cdef int64_t *kept_before = s
    cdef int64_t *posts = s + (m + 1)
    cdef int64_t *run = s + 2 * (m + 1)
    cdef int64_t *bfirst = s + 3 * (m + 1)
    cdef int64_t *blast = s + 4 * (m + 1)
    cdef int64_t *gaps = s + 5 * (m + 1)
    cdef int64_t *spans = s + 6 * (m + 1)
    cdef int64_t *walls = s + 7 * (m + 1)
    cdef int64_t *weight = s + 8 * (m + 1)
    cdef int64_t *teaser = s + 9 * (m + 1)
    cdef int64_t *keepb = s + 10 * (m + 1)
    cdef Py_ssize_t i, j, k, r = 0, nb = 0, main, title, sk, lo, step, t, nheads, pictured
    cdef int64_t gap, span, between, cnt
    cdef bint dated, wall, pic, any_candidate
    cdef double floor
    kept_before[0] = 0
    for i in range(m):
        kept_before[i + 1] = kept_before[i] + (out[i] == R_BODY)
        posts[i] = 0
    # the posts of a thread (cleaner.mainbody._thread_starts)
    for i in range(1, m):
        if out[i] != R_BODY:
            continue
        j = i - 1
        gap = 0
        dated = False
        while j >= 0 and out[j] != R_BODY:
            dated = dated or (cls[j] == C_DATETIME and not (flags[j] & L_QUOTED))
            gap += cls[j] != C_MARKUP
            j -= 1
        if not (dated and j >= 0):
            continue
        if r > 0 and (
            kept_before[i] - kept_before[run[r - 1]] > p.thread_max_post or gap >= p.far_gap
        ):
            if r >= p.thread_min_dates:
                for k in range(r):
                    posts[run[k]] = 1
            r = 0
        run[r] = i
        r += 1
    if r >= p.thread_min_dates:
        for k in range(r):
            posts[run[k]] = 1
    # the blocks of kept lines
    gap = span = 0
    for i in range(m):
        if out[i] == R_BODY:
            wall = posts[i] or ((flags[i] & L_HEADING) and gap > 0)
            if nb == 0 or gap >= p.min_gap or wall:
                if nb > 0:
                    gaps[nb - 1] = gap
                    spans[nb - 1] = span
                    walls[nb - 1] = wall
                bfirst[nb] = i
                nb += 1
            blast[nb - 1] = i
            gap = span = 0
        elif cls[i] != C_MARKUP:
            pic = (out[i] == R_TEMPLATE or out[i] == R_TEMPLATE_BLOCK) and pictured_before(
                flags, i, 2
            )
            gap += 1
            span += not (pic and span > 0)
    if nb < 2:
        return
    any_candidate = False
    for k in range(nb):
        weight[k] = 0
        nheads = 0
        for i in range(bfirst[k], blast[k] + 1):
            if out[i] == R_BODY:
                if cls[i] == C_GOOD:
                    weight[k] += words[i]
                nheads += (flags[i] & L_MARKED) != 0
        teaser[k] = 0
        if nheads >= p.teaser_min_heads and weight[k] < p.teaser_max_words * nheads:
            pictured = 0
            for i in range(bfirst[k], blast[k] + 1):
                if out[i] == R_BODY and (flags[i] & L_MARKED) and pictured_before(flags, i, 3):
                    pictured += 1
            teaser[k] = 2 * pictured >= nheads
        any_candidate = any_candidate or not teaser[k]
    main = -1
    for k in range(nb):
        if (teaser[k] and any_candidate) or (main >= 0 and weight[k] <= weight[main]):
            continue
        main = k
    title = -1
    for i in range(m):
        if flags[i] & L_HEADING:
            title = i
            break
    if title >= 0:
        sk = -1
        for k in range(nb):
            if (
                blast[k] > title
                and <double>weight[k] >= p.title_share * <double>weight[main]
                and not (teaser[k] and any_candidate)
            ):
                sk = k
                break
        if sk >= 0:
            cnt = 0
            for i in range(title + 1, bfirst[sk]):
                cnt += cls[i] != C_MARKUP and out[i] != R_BODY
            if cnt < p.far_gap:
                main = sk
    floor = p.max_share * <double>weight[main]
    for k in range(nb):
        keepb[k] = k == main
    for t in range(2):
        step = -1 if t == 0 else 1
        k = main
        while 0 <= k + step < nb:
            lo = k if step > 0 else k - 1
            between = gaps[lo]
            if (
                between >= p.far_gap > spans[lo]
                and <double>weight[k + step] >= p.insert_share * <double>weight[main]
            ):
                between = 0
            if (
                <double>weight[k + step] < floor
                or (teaser[k + step] and not teaser[main])
                or between >= p.far_gap
                or walls[lo]
            ):
                break
            k += step
            keepb[k] = 1
    for k in range(nb):
        if keepb[k]:
            continue
        for i in range(bfirst[k], blast[k] + 1):
            if out[i] != R_BODY or (i == title and bfirst[main] > title):
                continue
            out[i] = R_OFF_BODY


cdef void list_page_codes(
    Py_ssize_t m, const uint8_t *cls, const int64_t *words, const uint16_t *flags,
    const Rules *p, uint8_t *out, int64_t *s,
) noexcept:
    """cleaner.mainbody.list_page; ``s``: m + 1 int64 of scratch."""
    cdef int64_t *runid = s
    cdef Py_ssize_t i, title = -1, nruns = 0, best = -1
    cdef int64_t other = 2, rwords = 0, rcount = 0, bwords = 0, bcount = 0
    for i in range(m):
        if out[i] == R_BODY and cls[i] == C_GOOD:
            return
    for i in range(m):
        runid[i] = -1
        if title < 0 and (flags[i] & L_HEADING):
            title = i
    for i in range(title + 1, m):
        if cls[i] == C_MARKUP and not (flags[i] & L_HEADING):
            continue
        if flags[i] & L_HEADING:
            other = 2
        elif out[i] != R_BODY and list_reason(out[i]) and cls[i] != C_DATETIME:
            if other > 1:
                if nruns > 0 and (best < 0 or rwords > bwords):
                    best, bwords, bcount = nruns - 1, rwords, rcount
                nruns += 1
                rwords = rcount = 0
            runid[i] = nruns - 1
            rwords += words[i]
            rcount += 1
            other = 0
        else:
            other += 1
    if nruns > 0 and (best < 0 or rwords > bwords):
        best, bwords, bcount = nruns - 1, rwords, rcount
    if bwords >= p.list_min_words and bwords >= p.list_min_line_words * bcount:
        if title >= 0:
            out[title] = R_BODY
        if best >= 0:
            for i in range(title + 1, m):
                if runid[i] == best:
                    out[i] = R_BODY


cdef void decide_round(
    Py_ssize_t m, const uint8_t *cls, const int64_t *words, const int64_t *chars,
    const uint16_t *flags, const int64_t *nf, const Rules *p, uint8_t *out, int64_t *s,
) noexcept:
    """cleaner.decide._decide_round over m lines; ``s``: 16 x (m + 1) int64 of scratch."""
    cdef int64_t *tpl = s
    cdef int64_t *rep = s + (m + 1)
    cdef int64_t *body_after = s + 2 * (m + 1)
    cdef int64_t *bg = s + 3 * (m + 1)
    cdef int64_t *ag = s + 4 * (m + 1)
    cdef int64_t *agap = s + 5 * (m + 1)
    cdef int64_t *items = s + 6 * (m + 1)
    cdef Py_ssize_t i, j, k, start, nitems
    cdef int64_t body = 0, shared = 0, reach_gap, other
    cdef bint copy, cross, anyt, reach_good, keep
    # cross-file template lines (cleaner.decide._template_flags)
    for i in range(m):
        rep[i] = (flags[i] & L_GROUPED) != 0 and nf[i] >= p.tmin
        if cls[i] == C_GOOD:
            body += words[i]
            if rep[i]:
                shared += words[i]
    copy = body > 0 and <double>shared >= p.copy_share * <double>body
    for i in range(m):
        cross = rep[i] != 0
        if words[i] == 0:
            cross = False
        elif cross and (copy or nf[i] < p.quote_max):
            if flags[i] & L_HEADING:
                cross = False
            elif cls[i] == C_GOOD:
                j = i - 1
                while j >= 0 and cls[j] == C_MARKUP:
                    j -= 1
                k = i + 1
                while k < m and cls[k] == C_MARKUP:
                    k += 1
                cross = not ((j >= 0 and cls[j] == C_GOOD) or (k < m and cls[k] == C_GOOD))
        tpl[i] = cross
    # template lines, markup and dates, in-page repeats
    for i in range(m):
        if tpl[i]:
            out[i] = R_TEMPLATE
        elif (cls[i] == C_MARKUP or cls[i] == C_DATETIME) and (
            p.shape or not (flags[i] & L_BARE_URL)
        ):
            out[i] = R_MARKUP if cls[i] == C_MARKUP else R_DATETIME
        elif p.shape and not (flags[i] & L_FIRST) and cls[i] != C_GOOD:
            out[i] = R_REPEATED
        else:
            out[i] = R_NONE
    # template blocks: runs of title-like lines holding a template line
    if p.shape:
        i = 0
        while i < m:
            if not ((flags[i] & L_TITLE_LIKE) or tpl[i]) or (flags[i] & L_HEADING):
                i += 1
                continue
            start = i
            anyt = False
            while i < m and ((flags[i] & L_TITLE_LIKE) or tpl[i]) and not (flags[i] & L_HEADING):
                anyt = anyt or tpl[i] != 0
                i += 1
            if anyt:
                for j in range(start, i):
                    if out[j] == R_NONE:
                        out[j] = R_TEMPLATE_BLOCK
    # line shape
    for i in range(m):
        if out[i] == R_NONE:
            if not p.shape or cls[i] == C_GOOD:
                out[i] = R_BODY
            elif cls[i] == C_BAD:
                out[i] = R_LOW_STOPWORDS
    # context (cleaner.decide._context, _anchors)
    body_after[m] = 0
    for i in range(m - 1, -1, -1):
        body_after[i] = body_after[i + 1] or (cls[i] == C_GOOD and out[i] == R_BODY)
    reach_good = False
    for j in range(m):
        bg[j] = reach_good
        if cls[j] == C_MARKUP:
            continue
        if out[j] != R_NONE:
            reach_good = out[j] == R_BODY
        elif cls[j] == C_GOOD:
            reach_good = True
        elif cls[j] == C_BAD:
            reach_good = False
    reach_good = False
    reach_gap = 0
    for j in range(m - 1, -1, -1):
        ag[j] = reach_good
        agap[j] = reach_gap
        if cls[j] == C_MARKUP:
            continue
        if out[j] != R_NONE:
            reach_good = out[j] == R_BODY
            reach_gap = 0
        elif cls[j] == C_GOOD:
            reach_good = True
            reach_gap = 0
        elif cls[j] == C_BAD:
            reach_good = False
            reach_gap = 0
        else:
            reach_gap += chars[j]
    for i in range(m):
        if out[i] != R_NONE:
            continue
        if cls[i] == C_NEAR:
            out[i] = R_BODY if (bg[i] or ag[i]) else R_SHORT
        else:
            keep = (
                (bg[i] and ag[i])
                or (ag[i] and agap[i] <= p.heading_max_chars)
                or ((flags[i] & L_HEADING) and body_after[i + 1])
            )
            out[i] = R_BODY if keep else R_NO_SENTENCE
    if not p.shape:
        return
    # announced lists (cleaner.mainbody.announced_lists)
    for start in range(m):
        if not ((flags[start] & L_LEAD_IN) and out[start] == R_BODY):
            continue
        nitems = 0
        other = 0
        for i in range(start + 1, m):
            if (flags[i] & L_HEADING) or out[i] == R_BODY:
                break
            if cls[i] == C_MARKUP:
                continue
            if list_reason(out[i]) and cls[i] != C_DATETIME:
                items[nitems] = i
                nitems += 1
                other = 0
            else:
                other += 1
                if other > 1 or nitems == 0:
                    break
        for k in range(nitems):
            out[items[k]] = R_BODY
    main_body_codes(m, cls, words, flags, p, out, s + 7 * (m + 1))
    list_page_codes(m, cls, words, flags, p, out, s + 7 * (m + 1))


cdef int decided(
    Py_ssize_t n, const uint8_t *cls, const int64_t *words, const int64_t *chars,
    const uint16_t *flags, const int64_t *n_files, const Rules *p, uint8_t *out,
) noexcept:
    """:func:`decide_codes` of ``n`` lines (n > 0) into ``out``; -1 when its scratch
    memory cannot be had."""
    cdef Py_ssize_t m, k, i, r
    # scratch: the round's 19 columns, then the live lines' features and decisions
    cdef int64_t *s = <int64_t *>malloc(sizeof(int64_t) * (19 * (n + 1) + 4 * n) + 4 * n)
    if s == NULL:
        return -1
    cdef int64_t *live = s + 19 * (n + 1)
    cdef int64_t *g_words = live + n
    cdef int64_t *g_chars = g_words + n
    cdef int64_t *g_nf = g_chars + n
    cdef uint16_t *g_flags = <uint16_t *>(g_nf + n)
    cdef uint8_t *g_cls = <uint8_t *>(g_flags + n)
    cdef uint8_t *again = g_cls + n
    cdef bint all_kept
    decide_round(n, cls, words, chars, flags, n_files, p, out, s)
    m = 0
    for i in range(n):
        if out[i] == R_BODY:
            live[m] = i
            m += 1
    for r in range(p.rounds - 1):
        for k in range(m):
            i = live[k]
            g_cls[k] = cls[i]
            g_words[k] = words[i]
            g_chars[k] = chars[i]
            g_flags[k] = flags[i]
            g_nf[k] = n_files[i]
        decide_round(m, g_cls, g_words, g_chars, g_flags, g_nf, p, again, s)
        all_kept = True
        for k in range(m):
            if again[k] != R_BODY:
                all_kept = False
                out[live[k]] = again[k]
        if all_kept:
            break
        i = 0
        for k in range(m):
            if again[k] == R_BODY:
                live[i] = live[k]
                i += 1
        m = i
    free(s)
    return 0


cdef int set_rules(Rules *p, int64_t template_min_files, bint shape_filter, tuple ints,
                   tuple shares) except -1:
    p.tmin = template_min_files
    p.shape = shape_filter
    (p.quote_max, p.heading_max_chars, p.rounds, p.min_gap, p.far_gap, p.thread_min_dates,
     p.thread_max_post, p.teaser_min_heads, p.teaser_max_words, p.list_min_words,
     p.list_min_line_words) = ints
    p.copy_share, p.max_share, p.insert_share, p.title_share = shares
    return 0


def decide_codes(
    const uint8_t[::1] cls,
    const int64_t[::1] words,
    const int64_t[::1] chars,
    const uint16_t[::1] flags,
    const int64_t[::1] n_files,
    int64_t template_min_files,
    bint shape_filter,
    tuple ints,
    tuple shares,
):
    """The reason code of each line of a page (cleaner.linecodes: 0 is body, kept; the
    others dropped), as cleaner.decide.decide_lines decides, rounds included. ``ints``: the
    Config's quote_max_files, heading_max_chars, decide_max_rounds, offbody_min_gap,
    offbody_far_gap, thread_min_dates, thread_max_post_lines, teaser_min_headings,
    teaser_max_words, list_min_words, list_min_line_words; ``shares``: copy_min_share,
    offbody_max_share, offbody_insert_min_share, title_block_min_share."""
    cdef Py_ssize_t n = cls.shape[0]
    cdef Rules p
    if words.shape[0] != n or chars.shape[0] != n or flags.shape[0] != n or n_files.shape[0] != n:
        raise ValueError("the features of every line are needed")
    set_rules(&p, template_min_files, shape_filter, ints, shares)
    result = np.empty(n, np.uint8)
    cdef uint8_t[::1] out = result
    if n == 0:
        return result
    if decided(n, &cls[0], &words[0], &chars[0], &flags[0], &n_files[0], &p, &out[0]) < 0:
        raise MemoryError()
    return result


cdef struct KeyAt:
    uint64_t key
    Py_ssize_t at


cdef int key_at_order(const void *a, const void *b) noexcept nogil:
    """qsort's order of KeyAt: by key, then by position."""
    cdef const KeyAt *x = <const KeyAt *>a
    cdef const KeyAt *y = <const KeyAt *>b
    if x.key != y.key:
        return -1 if x.key < y.key else 1
    return -1 if x.at < y.at else (1 if x.at > y.at else 0)


cdef int line_rows(
    Py_ssize_t n, const int64_t *made, const uint64_t *keys, const uint64_t *table_keys,
    const uint64_t *table_gid, const int64_t *table_files, Py_ssize_t t, uint8_t *cls,
    int64_t *words, int64_t *chars, uint16_t *flags, uint64_t *group, int64_t *files,
) noexcept:
    """:func:`line_arrays` of ``n`` lines into the arrays given; -1 when its scratch memory
    cannot be had."""
    cdef Py_ssize_t i, lo, hi, mid
    cdef int64_t code
    cdef uint64_t key
    # the lines by key, then position: the first of each key's run is its first copy
    cdef KeyAt *order = <KeyAt *>malloc(sizeof(KeyAt) * (n if n > 0 else 1))
    if order == NULL:
        return -1
    for i in range(n):
        code = made[i]
        if code >= 0:
            cls[i] = <uint8_t>((code >> 4) & 7)
            words[i] = (code >> 8) & 0xFFFFFF
            chars[i] = code >> 32
            flags[i] = <uint16_t>((code & 15) | ((code & 128) >> 1))  # bit 7: L_IMAGE
        else:
            cls[i] = 0
            words[i] = 0
            chars[i] = 0
            flags[i] = 0
        key = keys[i]
        lo = 0
        hi = t
        while lo < hi:
            mid = (lo + hi) >> 1
            if table_keys[mid] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < t and table_keys[lo] == key:
            flags[i] |= L_GROUPED
            group[i] = table_gid[lo]
            files[i] = table_files[lo]
        else:
            group[i] = 0
            files[i] = 0
        order[i].key = key
        order[i].at = i
    qsort(order, n, sizeof(KeyAt), key_at_order)
    for i in range(n):
        if i == 0 or order[i].key != order[i - 1].key:
            flags[order[i].at] |= L_FIRST
    free(order)
    return 0


def line_arrays(
    const int64_t[::1] made,
    const uint64_t[::1] keys,
    const uint64_t[::1] table_keys,
    const uint64_t[::1] table_gid,
    const int64_t[::1] table_files,
):
    """The arrays of cleaner.linecodes.LineArrays of a page's lines: class, words, visible
    characters and flags from each line's packed features (``made``; a line of code -1 gets
    zeros and its group's flags only, for the caller to fill), group id and files from the
    group table (sorted ``table_keys``), and whether the line is its key's first on the
    page."""
    cdef Py_ssize_t n = made.shape[0], t = table_keys.shape[0]
    if keys.shape[0] != n or table_gid.shape[0] != t or table_files.shape[0] != t:
        raise ValueError("a key for every line and a group for every table key are needed")
    cls_a = np.empty(n, np.uint8)
    words_a = np.empty(n, np.int64)
    chars_a = np.empty(n, np.int64)
    flags_a = np.empty(n, np.uint16)
    group_a = np.empty(n, np.uint64)
    files_a = np.empty(n, np.int64)
    cdef uint8_t[::1] cls = cls_a
    cdef int64_t[::1] words = words_a
    cdef int64_t[::1] chars = chars_a
    cdef uint16_t[::1] flags = flags_a
    cdef uint64_t[::1] group = group_a
    cdef int64_t[::1] files = files_a
    if n and line_rows(
        n, &made[0], &keys[0], &table_keys[0] if t else NULL, &table_gid[0] if t else NULL,
        &table_files[0] if t else NULL, t, &cls[0], &words[0], &chars[0], &flags[0], &group[0],
        &files[0],
    ) < 0:
        raise MemoryError()
    return cls_a, words_a, chars_a, flags_a, group_a, files_a


# ---- pass 2's tally (cleaner.report.tally) ----

from cpython.dict cimport PyDict_GetItem, PyDict_SetItem
from cpython.ref cimport PyObject


def tally_page(
    reasons,
    dict groups,
    tuple texts,
    const uint8_t[::1] codes,
    const uint64_t[::1] group,
    const uint8_t[::1] grouped,
    page,
    tuple names,
    Py_ssize_t body,
    Py_ssize_t max_variants,
    new_group,
    admit,
):
    """``ShardTally.add_codes`` of a page but its summary, which it returns: the lines of
    each reason counted in ``reasons`` (a Counter; by reason name, ``names`` by code; in
    the order the page first meets them), each grouped line's text counted in its group's
    variants (a text new to a group that holds ``max_variants`` texts is left to
    ``admit``), the page (its number) added to each of its groups' pages once, a group met
    for the first time made by ``new_group()`` and added to ``groups``. Returns the lines
    kept (code ``body``) and the reason most lines were dropped for (the first met of
    ties; None when none was)."""
    cdef Py_ssize_t i, n = codes.shape[0], n_names = len(names), met = 0
    cdef Py_ssize_t counts[256]
    cdef uint8_t order[256]
    cdef Py_ssize_t most = 0
    cdef PyObject *found
    cdef uint64_t last = 0
    cdef bint have_last = False
    cdef uint8_t c
    if group.shape[0] != n or grouped.shape[0] != n or len(texts) != n:
        raise ValueError("a text, a code, a group and a flag for every line are needed")
    for i in range(256):
        counts[i] = 0
    for i in range(n):
        c = codes[i]
        if c >= n_names:
            raise IndexError("a reason code beyond the reasons")
        if counts[c] == 0:
            order[met] = c
            met += 1
        counts[c] += 1
    top = None
    for i in range(met):
        c = order[i]
        name = names[c]
        found = PyDict_GetItem(reasons, name)
        PyDict_SetItem(reasons, name, counts[c] + (0 if found == NULL else <object>found))
        if c != body and counts[c] > most:
            top = name
            most = counts[c]
    agg = None
    for i in range(n):
        if not grouped[i]:
            continue
        if not have_last or group[i] != last:  # runs of one group need one look-up
            gid = group[i]
            found = PyDict_GetItem(groups, gid)
            if found == NULL:
                agg = new_group()
                groups[gid] = agg
            else:
                agg = <object>found
            pages = agg.pages
            if not pages or pages[len(pages) - 1] != page:  # (no wraparound here)
                pages.append(page)
            variants = agg.variants
            last = group[i]
            have_last = True
        text = texts[i]
        found = PyDict_GetItem(variants, text)
        if found != NULL:
            PyDict_SetItem(variants, text, <object>found + 1)
        elif len(variants) < max_variants:  # admit's own first case
            PyDict_SetItem(variants, text, 1)
        else:
            admit(agg, text, 1)
    return counts[body] if body < 256 else 0, top


# ---- pass 2's document prints (cleaner.docdedup) ----

def ngram_hashes(const uint64_t[::1] flat, const int64_t[::1] lengths, Py_ssize_t k):
    """``DocHasher.ngram_hashes_of`` over sequences of word ids given one after another in
    ``flat`` (``lengths`` ids each): the 32-bit hashes of each sequence's n-grams of ``k``
    ids (one of all its ids when it is shorter, none when it is empty), all in one array
    (uint32), and how many each has (int64)."""
    cdef Py_ssize_t d, n_docs = lengths.shape[0], at = 0, o = 0, i, j, size, m
    cdef int64_t length, total = 0
    cdef uint64_t acc
    cdef uint64_t mult = 0x9E3779B97F4A7C15ULL
    if k < 1:
        raise ValueError("an n-gram holds one id or more")
    counts_a = np.empty(n_docs, np.int64)
    cdef int64_t[::1] counts = counts_a
    for d in range(n_docs):
        length = lengths[d]
        if length < 0:
            raise ValueError("a sequence's length is never negative")
        counts[d] = length - k + 1 if length >= k else (1 if length > 0 else 0)
        total += counts[d]
        at += length
    if at != flat.shape[0]:
        raise ValueError("the lengths must add up to the ids given")
    out_a = np.empty(total, np.uint32)
    cdef uint32_t[::1] out = out_a
    at = 0
    for d in range(n_docs):
        length = lengths[d]
        size = k if length >= k else length
        m = counts[d]
        for i in range(m):
            acc = 0
            for j in range(size):
                acc = acc * mult + flat[at + i + j]
            out[o] = <uint32_t>(acc >> 32)
            o += 1
        at += length
    return out_a, counts_a


cdef Py_ssize_t counted_ids(const int64_t[::1] counts) noexcept:
    """The ids that lines of ``counts`` ids each hold in all; -1 when a count is negative."""
    cdef Py_ssize_t i, total = 0
    for i in range(counts.shape[0]):
        if counts[i] < 0:
            return -1
        total += counts[i]
    return total


cdef inline Py_ssize_t put_words(
    const uint64_t *ids, Py_ssize_t at, Py_ssize_t count, uint64_t *out, Py_ssize_t o
) noexcept:
    """Copies the word ids (nonzero) of ``ids[at:at + count]`` to ``out[o:]``; returns the
    position after them."""
    cdef Py_ssize_t j
    for j in range(at, at + count):
        if ids[j] != 0:
            out[o] = ids[j]
            o += 1
    return o


def kept_ids(const uint64_t[::1] ids, const int64_t[::1] counts, const uint8_t[::1] kept):
    """The word ids (nonzero: punctuation tokens are 0) of the lines ``kept`` (nonzero)
    holds, in order, from a page's token ids and tokens per line (uint64)."""
    cdef Py_ssize_t n = counts.shape[0], i, at = 0, o = 0
    if kept.shape[0] != n:
        raise ValueError("a flag for every line is needed")
    cdef Py_ssize_t total = counted_ids(counts)
    if total < 0:
        raise ValueError("a line's tokens are never fewer than none")
    if total != ids.shape[0]:
        raise ValueError("the tokens per line must add up to the ids given")
    out_a = np.empty(total, np.uint64)
    cdef uint64_t[::1] out = out_a
    cdef const uint64_t *id_p = &ids[0] if total else NULL
    cdef uint64_t *out_p = &out[0] if total else NULL
    for i in range(n):
        if kept[i]:
            o = put_words(id_p, at, counts[i], out_p, o)
        at += counts[i]
    return out_a[:o]


# ---- pass 2: a page's codes in one call (cleaner.steps.decide.judge_page) ----


def page_codes(
    const int64_t[::1] made,
    keys,
    table_keys,
    table_gid,
    table_files,
    int64_t template_min_files,
    bint shape_filter,
    tuple rules,
):
    """``line_arrays`` then ``decide_codes`` of a page whose every line the features kernel
    judged (``made``, no -1): its lines' reason codes, group ids and whether each is in a
    group (a bool array); None when a line was left to the reference (the caller fills its
    features first). A run's pages are judged by a :class:`PageJudge`, which takes the
    table and the thresholds once."""
    judge = PageJudge(table_keys, table_gid, table_files, template_min_files, rules)
    return judge.codes(made, keys, shape_filter)


cdef class PageJudge:
    """:func:`page_codes` for the pages of a run: the group table (sorted keys, group ids,
    files) and the thresholds (``rules``: the Config's integers and shares, as
    :func:`decide_codes` takes them) are taken once, so that a page's call costs its lines
    and little more."""

    cdef const uint64_t[::1] table_keys
    cdef const uint64_t[::1] table_gid
    cdef const int64_t[::1] table_files
    cdef Rules rules

    def __init__(self, table_keys, table_gid, table_files, int64_t template_min_files,
                 tuple rules):
        self.table_keys = np.ascontiguousarray(table_keys, np.uint64)
        self.table_gid = np.ascontiguousarray(table_gid, np.uint64)
        self.table_files = np.ascontiguousarray(table_files, np.int64)
        cdef Py_ssize_t t = self.table_keys.shape[0]
        if self.table_gid.shape[0] != t or self.table_files.shape[0] != t:
            raise ValueError("a group for every table key is needed")
        set_rules(&self.rules, template_min_files, True, rules[0], rules[1])

    def codes(self, const int64_t[::1] made, keys, bint shape_filter):
        """The codes, group ids and grouped flags of a page's lines, as :func:`page_codes`
        gives them; None when a line was left to the reference."""
        cdef Py_ssize_t n = made.shape[0], i, t = self.table_keys.shape[0]
        cdef const uint64_t[::1] key_v = np.ascontiguousarray(keys, np.uint64)
        if key_v.shape[0] != n:
            raise ValueError("a key for every line is needed")
        for i in range(n):
            if made[i] < 0:
                return None
        codes_a = np.empty(n, np.uint8)
        group_a = np.empty(n, np.uint64)
        grouped_a = np.empty(n, np.bool_)
        if n == 0:
            return codes_a, group_a, grouped_a
        cdef uint8_t[::1] codes = codes_a
        cdef uint64_t[::1] group = group_a
        cdef uint8_t[::1] grouped = grouped_a.view(np.uint8)
        cdef Rules p = self.rules
        p.shape = shape_filter
        # the lines' features, carved from one block: 8-byte columns, then 2- and 1-byte
        cdef char *block = <char *>malloc(27 * n)
        if block == NULL:
            raise MemoryError()
        cdef int64_t *words = <int64_t *>block
        cdef int64_t *chars = words + n
        cdef int64_t *files = chars + n
        cdef uint16_t *flags = <uint16_t *>(files + n)
        cdef uint8_t *cls = <uint8_t *>(flags + n)
        cdef int failed = 0
        try:
            failed = line_rows(
                n, &made[0], &key_v[0], &self.table_keys[0] if t else NULL,
                &self.table_gid[0] if t else NULL, &self.table_files[0] if t else NULL, t,
                cls, words, chars, flags, &group[0], files,
            )
            if not failed:
                failed = decided(n, cls, words, chars, flags, files, &p, &codes[0])
            for i in range(n):
                grouped[i] = (flags[i] & L_GROUPED) != 0
        finally:
            free(block)
        if failed:
            raise MemoryError()
        return codes_a, group_a, grouped_a


# ---- the group step: a band's buckets as stars (cleaner.dedup.band_pairs_from_shards) ----


def band_stars(const uint64_t[::1] bucket, const uint64_t[::1] line):
    """The pairs (first, other) of each bucket of one band: ``first`` the smallest of the
    bucket's lines, ``other`` each of its other lines, as ``cleaner.lsh.star_pairs`` gives
    them over the distinct (bucket, line) rows sorted by bucket and line; here by a hash
    table of the buckets instead of the sort. A line met twice in a bucket (from two
    shards) gives its pair twice: the caller takes the distinct rows. Shape (m, 2), uint64,
    in the order of the rows. The table holds 17 bytes a slot, 1.5 to 3 slots a row: with
    the rows' own 16 bytes, no more than the sort it replaces held."""
    cdef Py_ssize_t n = bucket.shape[0], i, m = 0, cap = 16, bits = 4
    cdef Py_ssize_t s
    if line.shape[0] != n:
        raise ValueError("a line for every bucket key is needed")
    while 2 * cap < 3 * n:
        cap <<= 1
        bits += 1
    cdef char *block = <char *>malloc(cap * 17)
    if block == NULL:
        raise MemoryError()
    cdef uint64_t *keys = <uint64_t *>block
    cdef uint64_t *least = keys + cap
    cdef uint8_t *used = <uint8_t *>(least + cap)
    memset(used, 0, cap)
    try:
        for i in range(n):  # each bucket's slot, and its smallest line
            s = _bucket_slot(keys, used, cap, bits, bucket[i])
            if not used[s]:
                used[s] = 1
                keys[s] = bucket[i]
                least[s] = line[i]
            elif line[i] < least[s]:
                least[s] = line[i]
        for i in range(n):
            if line[i] != least[_bucket_slot(keys, used, cap, bits, bucket[i])]:
                m += 1
        out_a = np.empty((m, 2), np.uint64)
        _fill_stars(out_a.reshape(-1), bucket, line, keys, least, used, cap, bits)
    finally:
        free(block)
    return out_a


cdef inline Py_ssize_t _bucket_slot(
    const uint64_t *keys, const uint8_t *used, Py_ssize_t cap, Py_ssize_t bits, uint64_t b
) noexcept:
    """The slot of bucket key ``b``: where it is, or the free slot where it goes."""
    cdef Py_ssize_t s = <Py_ssize_t>((b * 0x9E3779B97F4A7C15ULL) >> (64 - bits))
    while used[s] and keys[s] != b:
        s = (s + 1) & (cap - 1)
    return s


cdef void _fill_stars(
    uint64_t[::1] out, const uint64_t[::1] bucket, const uint64_t[::1] line,
    const uint64_t *keys, const uint64_t *least, const uint8_t *used, Py_ssize_t cap,
    Py_ssize_t bits,
) noexcept:
    cdef Py_ssize_t i, k = 0
    cdef uint64_t first
    for i in range(line.shape[0]):
        first = least[_bucket_slot(keys, used, cap, bits, bucket[i])]
        if line[i] != first:
            out[k] = first
            out[k + 1] = line[i]
            k += 2


# ---- the group step: each page's groups (cleaner.dedup.page_groups) ----


cdef int u64_order(const void *a, const void *b) noexcept nogil:
    cdef uint64_t x = (<const uint64_t *>a)[0], y = (<const uint64_t *>b)[0]
    return -1 if x < y else (1 if x > y else 0)


cdef class NodeGroups:
    """The keys in near-duplicate pairs (``nodes``, distinct) and the group of each
    (``node_gid``), in a hash table, for :meth:`page_groups`: ``cleaner.dedup.page_groups``
    without a search of the sorted nodes for every key of every page."""

    cdef uint64_t[::1] keys
    cdef uint64_t[::1] gid
    cdef uint8_t[::1] used
    cdef Py_ssize_t cap, bits

    def __init__(self, nodes, node_gid):
        cdef const uint64_t[::1] node_v = np.ascontiguousarray(nodes, np.uint64)
        cdef const uint64_t[::1] gid_v = np.ascontiguousarray(node_gid, np.uint64)
        cdef Py_ssize_t n = node_v.shape[0], i, s
        if gid_v.shape[0] != n:
            raise ValueError("a group for every node is needed")
        self.cap, self.bits = 16, 4
        while self.cap < 2 * n:  # at most half full
            self.cap <<= 1
            self.bits += 1
        self.keys = np.zeros(self.cap, np.uint64)
        self.gid = np.zeros(self.cap, np.uint64)
        self.used = np.zeros(self.cap, np.uint8)
        for i in range(n):
            s = _bucket_slot(&self.keys[0], &self.used[0], self.cap, self.bits, node_v[i])
            if self.used[s]:
                raise ValueError("the nodes must be distinct")
            self.used[s] = 1
            self.keys[s] = node_v[i]
            self.gid[s] = gid_v[i]

    def page_groups(self, const uint64_t[::1] flat, const int64_t[::1] lengths, keep):
        """The groups of each page of a batch that ``keep`` counts, each once a page, as
        ``cleaner.dedup.page_groups`` gives them, in its order: the counted pages' keys
        that are not nodes, then each page's groups of its node keys, smallest first."""
        cdef const uint8_t[::1] keep_v = np.ascontiguousarray(keep, np.bool_).view(np.uint8)
        cdef Py_ssize_t n_pages = lengths.shape[0], p, j, at = 0, o = 0, g = 0, start, total = 0
        cdef Py_ssize_t s, a, b
        cdef uint64_t k, v
        if keep_v.shape[0] != n_pages:
            raise ValueError("a flag for every page is needed")
        for p in range(n_pages):
            if lengths[p] < 0:
                raise ValueError("a page's keys are never fewer than none")
            at += lengths[p]
            if keep_v[p]:
                total += lengths[p]
        if at != flat.shape[0]:
            raise ValueError("the pages' lengths must add up to the keys given")
        out_a = np.empty(total, np.uint64)
        near_a = np.empty(total, np.uint64)
        cdef uint64_t[::1] out = out_a
        cdef uint64_t[::1] near = near_a
        cdef const uint64_t *keys = &self.keys[0]
        cdef const uint8_t *used = &self.used[0]
        at = 0
        for p in range(n_pages):
            if keep_v[p]:
                start = g
                for j in range(at, at + lengths[p]):
                    k = flat[j]
                    s = _bucket_slot(keys, used, self.cap, self.bits, k)
                    if used[s]:
                        near[g] = self.gid[s]
                        g += 1
                    else:
                        out[o] = k
                        o += 1
                # the page's groups sorted (an insertion sort for the few most pages have),
                # each once
                if g - start > 32:
                    qsort(&near[start], g - start, sizeof(uint64_t), u64_order)
                else:
                    for a in range(start + 1, g):
                        v = near[a]
                        b = a - 1
                        while b >= start and near[b] > v:
                            near[b + 1] = near[b]
                            b -= 1
                        near[b + 1] = v
                b = start
                for a in range(start, g):
                    if a == start or near[a] != near[b - 1]:
                        near[b] = near[a]
                        b += 1
                g = b
            at += lengths[p]
        out_a[o : o + g] = near_a[:g]
        return out_a[: o + g]


# ---- the group step: the files of each group (cleaner.arrays.repeated) ----


def repeated(values, bint in_place=False):
    """The values met two or more times in ``values`` (uint64), sorted, and how many times
    each (int64): ``np.unique(values, return_counts=True)`` less its values met once, by
    a radix sort (six passes of 11 bits, a pass skipped where every value has one digit)
    rather than numpy's comparison sort. ``in_place``: ``values`` (a writable uint64 array
    the caller has no more use for) is the sort's own space, not copied."""
    if in_place and isinstance(values, np.ndarray) and values.dtype == np.uint64 and (
        values.flags.c_contiguous and values.flags.writeable
    ):
        a_arr = values.reshape(-1)
    else:
        a_arr = np.array(values, np.uint64, copy=True, order="C").reshape(-1)
    cdef Py_ssize_t n = a_arr.shape[0], i, d, run, m = 0
    b_arr = np.empty(n, np.uint64)
    cdef uint64_t[::1] a = a_arr
    cdef uint64_t[::1] b = b_arr
    cdef uint64_t *src
    cdef uint64_t *dst
    cdef uint64_t *tmp
    cdef uint64_t v
    cdef int shift, p
    cdef Py_ssize_t *hist = <Py_ssize_t *>malloc(6 * 2048 * sizeof(Py_ssize_t))
    if hist == NULL:
        raise MemoryError()
    cdef Py_ssize_t total, c
    try:
        memset(hist, 0, 6 * 2048 * sizeof(Py_ssize_t))
        for i in range(n):
            v = a[i]
            for p in range(6):
                hist[p * 2048 + ((v >> (11 * p)) & 2047)] += 1
        src = &a[0] if n else NULL
        dst = &b[0] if n else NULL
        for p in range(6):
            shift = 11 * p
            if n == 0 or hist[p * 2048 + ((src[0] >> shift) & 2047)] == n:
                continue  # one digit for all: this pass would move nothing
            total = 0
            for d in range(2048):  # each digit's first place
                c = hist[p * 2048 + d]
                hist[p * 2048 + d] = total
                total += c
            for i in range(n):
                v = src[i]
                d = (v >> shift) & 2047
                dst[hist[p * 2048 + d]] = v
                hist[p * 2048 + d] += 1
            tmp = src
            src = dst
            dst = tmp
    finally:
        free(hist)
    out_a = np.empty(n // 2, np.uint64)
    counts_a = np.empty(n // 2, np.int64)
    cdef uint64_t[::1] out = out_a
    cdef int64_t[::1] counts = counts_a
    i = 0
    while i < n:
        v = src[i]
        run = 1
        while i + run < n and src[i + run] == v:
            run += 1
        if run >= 2:
            out[m] = v
            counts[m] = run
            m += 1
        i += run
    return out_a[:m].copy(), counts_a[:m].copy()


# ---- pass 2: a judged page's cleaned text and its words (cleaner.steps.cleaned) ----


def kept_page(const uint8_t[::1] codes, utf8, const uint64_t[::1] ids, const int64_t[::1] counts):
    """The cleaned text of a page whose lines are ``utf8`` (joined by newlines, as UTF-8
    with lone surrogates kept) and whose reason codes are ``codes`` (0: kept): its kept
    lines' bytes, each line ending in a newline; whether those hold a lone surrogate; and
    the word ids of the kept lines (nonzero) from the page's word ids and their count per
    line. None when ``utf8`` does not hold one line per code, or the counts do not fit the
    ids (the caller's reference says why)."""
    cdef const uint8_t[::1] buf = utf8
    cdef Py_ssize_t n = codes.shape[0], size = buf.shape[0], i, j, pos = 0, end, w = 0, o = 0
    cdef Py_ssize_t at = 0, total
    cdef const uint8_t *data = &buf[0] if size else NULL
    cdef const void *found
    cdef bint surrogate = False
    if counts.shape[0] != n:
        return None
    total = counted_ids(counts)  # (-1: a negative count)
    if total != ids.shape[0] or (n == 0) != (size == 0):
        return None
    text_a = np.empty(size + 1, np.uint8)
    ids_a = np.empty(total, np.uint64)
    cdef uint8_t[::1] text = text_a
    cdef uint64_t[::1] out = ids_a
    cdef const uint64_t *id_p = &ids[0] if total else NULL
    cdef uint64_t *out_p = &out[0] if total else NULL
    for i in range(n):
        if pos > size:
            return None  # fewer lines than codes
        found = memchr(data + pos, 10, <size_t>(size - pos)) if pos < size else NULL
        end = (<const uint8_t *>found - data) if found != NULL else size
        if i == n - 1 and end != size:
            return None  # more lines than codes
        if codes[i] == R_BODY:
            for j in range(pos, end):
                if data[j] == 0xED and j + 1 < end and data[j + 1] >= 0xA0:
                    surrogate = True
            if end > pos:
                memcpy(&text[w], data + pos, <size_t>(end - pos))
            w += end - pos
            text[w] = 10
            w += 1
            o = put_words(id_p, at, counts[i], out_p, o)
        at += counts[i]
        pos = end + 1
    return text_a[:w].tobytes(), surrogate, ids_a[:o]
