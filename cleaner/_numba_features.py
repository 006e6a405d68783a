# mypy: ignore-errors
"""The numba kernel of :mod:`cleaner.heuristics.compiled` (imported by its loader only:
importing this module imports numba; the kernel compiles, or loads from numba's cache, on
its first call).

It reads a page's lines as one UTF-8 buffer and, per line, gives the packed features that
``cleaner.heuristics.classify.line_features`` gives, or -1 for a line it leaves to that
reference. The flag values are those of ``cleaner.heuristics.compiled``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# cleaner.heuristics.compiled's character flags
_OK, _SPACE, _WORD, _DECIMAL, _DIGIT, _CJK = 1, 2, 4, 8, 16, 32
_CLOSER, _TERMINAL, _QE, _MARKUP, _BULLET = 64, 128, 256, 512, 1024
# cleaner.heuristics.compiled's classes: GOOD, NEAR, TITLE, BAD, MARKUP, DATETIME
_GOOD, _NEAR, _TITLE, _BAD, _MARKUP_CLS, _DATETIME = 0, 1, 2, 3, 4, 5
_HASH, _DOT, _PAREN, _COLON, _SLASH, _HYPHEN, _SPACE_CHAR = 35, 46, 41, 58, 47, 45, 32
_LOWER_W, _LOWER_H, _UPPER_H = 119, 104, 72
_ZERO, _ONE, _TWO, _EIGHT, _NINE = 48, 49, 50, 56, 57


@njit(cache=True, nogil=True)
def _code_points(buf, n_lines):
    """The code points of ``n_lines`` lines in ``buf`` (UTF-8, separated by newlines; -1
    for a code point outside the Basic Multilingual Plane) and where each line starts in
    them (``n_lines + 1`` offsets)."""
    n = buf.size
    cps = np.empty(n, np.int32)
    starts = np.zeros(n_lines + 1, np.int64)
    pos = 0
    k = 0
    line = 0
    while pos < n:
        b0 = np.int32(buf[pos])
        if b0 == 10:
            line += 1
            starts[line] = k
            pos += 1
            continue
        if b0 < 0x80:
            cp = b0
            pos += 1
        elif b0 < 0xE0:
            cp = ((b0 & 0x1F) << 6) | (np.int32(buf[pos + 1]) & 0x3F)
            pos += 2
        elif b0 < 0xF0:
            cp = (
                ((b0 & 0x0F) << 12)
                | ((np.int32(buf[pos + 1]) & 0x3F) << 6)
                | (np.int32(buf[pos + 2]) & 0x3F)
            )
            pos += 3
        else:
            cp = -1
            pos += 4
        cps[k] = cp
        k += 1
    starts[n_lines] = k
    return cps, starts


@njit(cache=True, nogil=True)
def _bullet_end(cps, k, hi, flags):
    """Where the list mark at ``k`` (``cleaner.text._BULLET`` after its leading spaces)
    ends, before its spaces; -1 when there is none."""
    if k >= hi:
        return -1
    f = flags[cps[k]]
    if f & _BULLET:
        e = k + 1
    elif f & _DECIMAL:
        d = 0
        while k + d < hi and flags[cps[k + d]] & _DECIMAL:
            d += 1
        if d > 3 or k + d >= hi or (cps[k + d] != _DOT and cps[k + d] != _PAREN):
            return -1
        e = k + d + 1
    else:
        return -1
    if e < hi and flags[cps[e]] & _SPACE:
        return e
    return -1


@njit(cache=True, nogil=True)
def _address_at(cps, i, hi):
    """Whether ``cps[i:]`` starts with "://" or "www." (``shape._LINK_SYNTAX``'s links)."""
    if cps[i] == _COLON:
        return i + 2 < hi and cps[i + 1] == _SLASH and cps[i + 2] == _SLASH
    return i + 3 < hi and cps[i + 1] == _LOWER_W and cps[i + 2] == _LOWER_W and cps[i + 3] == _DOT


@njit(cache=True, nogil=True)
def _is_stopword(v, stops):
    """Whether ``v`` is in the ``cleaner.fingerprint.IdSet`` of ``stops``: its table, shift
    and mask, or (mask 0) its sorted ids."""
    table, shift, mask = stops
    if mask:
        return table[(v >> shift) & mask] == v
    at = np.searchsorted(table, v)
    return at < table.size and table[at] == v


@njit(cache=True, nogil=True)
def _mark(cps, lo, hi, flags):
    """Where the visible text of ``cps[lo:hi]`` starts after the line's mark (a heading's,
    ``cleaner.text._HEADING``, or a list item's, ``_BULLET``), and whether it has one, is a
    heading of any level (``is_heading``), a top-level heading, and a number (a word token
    of the line that is not visible); start -1 for a second mark after the first."""
    k = lo
    while k < hi and flags[cps[k]] & _SPACE:
        k += 1
    marked = heading = False
    numbered = 0
    if k - lo <= 3 and k < hi and cps[k] == _HASH:
        h = 0
        while k + h < hi and h < 6 and cps[k + h] == _HASH:
            h += 1
        r = k + h
        marked = r < hi and flags[cps[r]] & _SPACE != 0
        heading = marked and h == 1 and cps[k + 1] == _SPACE_CHAR
    else:
        r = _bullet_end(cps, k, hi, flags)
        if r < 0:
            return lo, False, False, False, 0
        if flags[cps[k]] & _DECIMAL:
            numbered = 1
    while r < hi and flags[cps[r]] & _SPACE:
        r += 1
    if _bullet_end(cps, r, hi, flags) >= 0:
        return -1, True, marked, heading, numbered  # left to the reference's markup rules
    return r, True, marked, heading, numbered


@njit(cache=True, nogil=True)
def _visible(cps, r, hi, flags):
    """``" ".join(text.split())`` of the text ``cps[r:hi]``."""
    vis = np.empty(hi - r, np.int32)
    m = 0
    for i in range(r, hi):
        c = cps[i]
        if flags[c] & _SPACE:
            if m and vis[m - 1] != _SPACE_CHAR:
                vis[m] = _SPACE_CHAR
                m += 1
        else:
            vis[m] = c
            m += 1
    if m and vis[m - 1] == _SPACE_CHAR:
        m -= 1
    return vis[:m]


@njit(cache=True, nogil=True)
def _run(vis, i, flags):
    """The length of the run of decimal digits at ``vis[i]``."""
    j = i
    while j < vis.size and flags[vis[j]] & _DECIMAL:
        j += 1
    return j - i


@njit(cache=True, nogil=True)
def _starts_word(vis, i, flags):
    """``\\b`` before the word character ``vis[i]``."""
    return i == 0 or not flags[vis[i - 1]] & _WORD


@njit(cache=True, nogil=True)
def _ends_word(vis, j, flags):
    """``\\b`` after the word character ``vis[j - 1]``."""
    return j >= vis.size or not flags[vis[j]] & _WORD


@njit(cache=True, nogil=True)
def _time_at(vis, p, flags):
    """``shape._TIME`` matches at ``p``, the start of a run of digits."""
    q = p + _run(vis, p, flags)
    if q - p > 2 or q >= vis.size:
        return False
    if vis[q] == _SPACE_CHAR:
        q += 1
    if q >= vis.size or vis[q] not in (_COLON, _LOWER_H, _UPPER_H):
        return False
    q += 1
    if q < vis.size and vis[q] == _SPACE_CHAR:
        q += 1
    return _run(vis, q, flags) >= 2 and _ends_word(vis, q + 2, flags)


@njit(cache=True, nogil=True)
def _date_at(vis, p, flags):
    """Where ``shape._DATE`` matching at ``p`` (the start of a run of digits) ends; -1
    when it does not match there."""
    n = vis.size
    d1 = _run(vis, p, flags)
    q = p + d1
    if q >= n:
        return -1
    if d1 <= 2 and vis[q] == _SLASH:  # day/month[/year]
        d2 = _run(vis, q + 1, flags)
        e = q + 1 + d2
        if not 1 <= d2 <= 2:
            return -1
        if e < n and vis[e] == _SLASH:
            d3 = _run(vis, e + 1, flags)
            if 2 <= d3 <= 4 and _ends_word(vis, e + 1 + d3, flags):
                return e + 1 + d3
        return e if _ends_word(vis, e, flags) else -1
    if d1 <= 2 and vis[q] in (_DOT, _HYPHEN):  # day.month.year
        d2 = _run(vis, q + 1, flags)
        e = q + 1 + d2
        if not 1 <= d2 <= 2 or e >= n or vis[e] not in (_DOT, _HYPHEN):
            return -1
        d3 = _run(vis, e + 1, flags)
        return e + 1 + d3 if 2 <= d3 <= 4 and _ends_word(vis, e + 1 + d3, flags) else -1
    if d1 == 4 and vis[q] == _HYPHEN:  # year-month-day
        d2 = _run(vis, q + 1, flags)
        e = q + 1 + d2
        if not 1 <= d2 <= 2 or e >= n or vis[e] != _HYPHEN:
            return -1
        d3 = _run(vis, e + 1, flags)
        return e + 1 + d3 if 1 <= d3 <= 2 and _ends_word(vis, e + 1 + d3, flags) else -1
    return -1


@njit(cache=True, nogil=True)
def _year_at(vis, p, flags):
    """``shape._YEAR`` matches at ``p``, the start of a word."""
    if p + 4 > vis.size or not _ends_word(vis, p + 4, flags):
        return False
    century = (vis[p] == _ONE and vis[p + 1] in (_EIGHT, _NINE)) or (
        vis[p] == _TWO and vis[p + 1] == _ZERO
    )
    return century and flags[vis[p + 2]] & _DECIMAL != 0 and flags[vis[p + 3]] & _DECIMAL != 0


@njit(cache=True, nogil=True)
def _is_datetime(vis, terminal, flags):
    """``shape.is_datetime_line``'s patterns on the visible text ``vis`` (its word and digit
    counts tested already): a time, a date that is not a fraction (``has_date``), or a
    year in a line that does not end like a sentence."""
    year = False
    p = 0
    while p < vis.size:
        if flags[vis[p]] & _WORD and _starts_word(vis, p, flags):
            if flags[vis[p]] & _DECIMAL:
                if _time_at(vis, p, flags):
                    return True
                e = _date_at(vis, p, flags)
                if e >= 0:
                    fraction = (
                        e - p == 3
                        and vis[p + 1] == _SLASH
                        and _ONE <= vis[p] <= _EIGHT
                        and _TWO <= vis[p + 2] <= _NINE
                        and vis[p] < vis[p + 2]
                    )
                    if not fraction:
                        return True
                    p = e  # the search goes on after the match (re.finditer)
                    continue
            year = year or _year_at(vis, p, flags)
        p += 1
    return year and not terminal


@njit(cache=True, nogil=True)
def _line_code(cps, lo, hi, flags, ids, stops, t0, t1, has_stop, digit_stops, limits, shares):
    """The packed features of the line ``cps[lo:hi]`` (see ``compiled.features_of``), or -1."""
    max_chars, dt_max_words = limits[0], limits[4]
    min_density, dt_min_share = shares
    if hi - lo > max_chars:
        return -1
    for i in range(lo, hi):
        c = cps[i]
        if c < 0 or not flags[c] & _OK:
            return -1
    r, prefixed, marked, heading, numbered = _mark(cps, lo, hi, flags)
    if r < 0:
        return -1
    # the visible text cps[r:hi]: nothing more to strip when it holds no markup character
    n_tok = 0  # word tokens (cleaner.text.words)
    runs = 0  # word runs once CJK characters are spaces (cleaner.text.word_count)
    cjk = 0
    nonspace = 0
    chunks = 0  # runs of non-space characters: words of str.split()
    digit_toks = 0  # tokens holding a digit (shape.is_datetime_line)
    has_decimal = False
    in_word = in_run = in_chunk = tok_digit = False
    last_sig = 0  # flags of the last character that is neither a space nor a closer
    colon = False  # the last non-space character is a colon
    for i in range(r, hi):
        c = cps[i]
        f = flags[c]
        if f & _MARKUP:
            return -1
        if f & _SPACE:
            in_word = in_run = in_chunk = False
            continue
        if c in (_COLON, _LOWER_W) and _address_at(cps, i, hi):
            return -1  # a web address: left to the reference's link rules
        nonspace += 1
        if not in_chunk:
            chunks += 1
            in_chunk = True
        colon = c == _COLON
        if not f & _CLOSER:
            last_sig = f
        if f & _DECIMAL:
            has_decimal = True
        if f & _CJK:
            cjk += 1
            in_run = False
        if f & _WORD:
            if not in_word:
                n_tok += 1
                in_word = True
                tok_digit = False
            if f & _DIGIT and not tok_digit:
                digit_toks += 1
                tok_digit = True
            if not f & _CJK and not in_run:
                runs += 1
                in_run = True
        else:
            in_word = in_run = False
    n_chars = nonspace + chunks - 1 if chunks else 0
    n = runs + (cjk + 1) // 2
    # the word ids of the line's fingerprint: its words, and how many are stopwords
    id_words = 0
    n_stop = 0
    for t in range(t0, t1):
        if ids[t] != 0:
            id_words += 1
            if has_stop and _is_stopword(ids[t], stops):
                n_stop += 1
    if id_words != n_tok + numbered:
        return -1  # the fingerprint's tokens are not the line's words
    if n == 0:
        if prefixed:
            return -1  # a rule of marks, or a mark alone
        return (np.int64(n_chars) << 32) | (_MARKUP_CLS << 4) | 4  # title-like
    terminal = last_sig & _TERMINAL != 0
    dated = has_decimal and 0 < n_tok <= dt_max_words and digit_toks / n_tok >= dt_min_share
    if dated and _is_datetime(_visible(cps, r, hi, flags), terminal, flags):
        bits = heading * 8 + 4 + marked * 2  # title-like
        return (np.int64(n_chars) << 32) | (np.int64(n) << 8) | (_DATETIME << 4) | bits
    stop_ok = True
    if has_stop and n_tok:
        if has_decimal and digit_stops:
            return -1  # a stopword holding a digit could be one of its words
        stop_ok = n_stop / n_tok >= min_density
    return _classified(n, n_chars, terminal, last_sig & _QE != 0, colon, marked, heading,
                       stop_ok, limits)  # fmt: skip


@njit(cache=True, nogil=True)
def _classified(n, n_chars, terminal, qe, colon, marked, heading, stop_ok, limits):
    """The packed features of a line by its shape (``classify.line_features``' last step)."""
    title_max, body_min, long_words = limits[1], limits[2], limits[3]
    title_like = n < title_max and (not terminal or qe)
    if marked:
        cls = _TITLE
    elif stop_ok and ((terminal and n >= body_min) or n >= long_words):
        cls = _GOOD
    elif terminal and stop_ok and n >= 2:
        cls = _NEAR
    elif n < title_max:
        cls = _TITLE
    elif stop_ok:
        cls = _NEAR
    else:
        cls = _BAD
    title_like = title_like or cls == _TITLE
    lead_in = cls == _GOOD and colon
    bits = heading * 8 + title_like * 4 + marked * 2 + lead_in
    return (np.int64(n_chars) << 32) | (np.int64(n) << 8) | (cls << 4) | bits


@njit(cache=True, nogil=True)
def line_codes(buf, n_lines, flags, ids, counts, stops, has_stop, digit_stops, limits, shares):
    """The packed features of each of ``n_lines`` lines in ``buf`` (UTF-8, separated by
    newlines), -1 for a line left to the reference. ``ids``: the word ids of the lines'
    fingerprints (0 for punctuation), ``counts`` per line; ``stops``: the stopwords'
    ``cleaner.fingerprint.IdSet`` (see ``_is_stopword``; unread without ``has_stop``)."""
    out = np.full(n_lines, -1, np.int64)
    if n_lines == 0:
        return out
    cps, starts = _code_points(buf, n_lines)
    t = 0
    for line in range(n_lines):
        t1 = t + counts[line]
        out[line] = _line_code(
            cps,
            starts[line],
            starts[line + 1],
            flags,
            ids,
            stops,
            t,
            t1,
            has_stop,
            digit_stops,
            limits,
            shares,
        )
        t = t1
    return out
