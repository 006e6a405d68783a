"""Segment: a page's text to its lines, and the view of them fingerprinting gets."""

from __future__ import annotations

from collections.abc import Sequence

# Fingerprints (exact key, word ids) and language detection see at most this much of a
# line: a single 50 MB line then costs a few copies of itself, not hundreds of bytes per
# word. Two lines that share their first 65,536 characters count as the same line.
MAX_FINGERPRINT_CHARS = 1 << 16


def fingerprint_view(lines: Sequence[str], limit: int = MAX_FINGERPRINT_CHARS) -> Sequence[str]:
    """The lines as fingerprinting sees them: each cut to its first ``limit`` characters
    (the output keeps every line whole); ``lines`` themselves when none is longer.

    >>> fingerprint_view(["ok", "x" * 10], limit=4)
    ['ok', 'xxxx']
    >>> lines = ("ok", "fine"); fingerprint_view(lines, limit=4) is lines
    True
    """
    if max(map(len, lines), default=0) <= limit:
        return lines
    return [line if len(line) <= limit else line[:limit] for line in lines]


def segment(text: str) -> list[str]:
    """Split a page into its non-blank lines, line endings removed.

    >>> segment("a\\r\\n\\n  b  \\n\\t\\nc")
    ['a', '  b  ', 'c']
    """
    # a line that is neither empty nor all whitespace: what ``line.strip()`` keeps, without
    # making the stripped copy
    return [line for line in text.splitlines() if line and not line.isspace()]
