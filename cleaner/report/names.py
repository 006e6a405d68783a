"""How the reports name things: pages (a file, a record in it), group ids, and text from
the input made safe to print (valid UTF-8; for the terminal, controls escaped)."""

from __future__ import annotations

import contextlib
import re


def group_hex(gid: int) -> str:
    """
    >>> group_hex(255)
    '00000000000000ff'
    """
    return f"{gid:016x}"


def printable(name: str) -> str:
    r"""A file name as valid UTF-8 text: bytes that were not UTF-8 become U+FFFD.

    >>> printable("caf\udce9.txt") == "caf\ufffd.txt"
    True
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# characters a terminal acts on instead of showing: C0 controls (tab and newline too: a
# shown name or line stays on its line), DEL, C1 controls, bidirectional marks, embeddings,
# overrides and isolates (they reorder what follows), line and paragraph separators, and
# surrogates that are not a file name's undecodable bytes. Compiled at its first use (then
# taken from re's cache): a class reaching past U+00FF costs 0.6 ms to compile, and a quiet
# run shows no name.
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    r"""Text from the input (a file name, a record id, a line, an error naming them) as the
    terminal shows it: control characters and bidirectional overrides escaped, so that it
    cannot move the cursor, retitle or clear the terminal, or reorder what follows; bytes
    of a file name that were not UTF-8 become U+FFFD (as in :func:`printable`).

    >>> print(terminal_text("x\x1b]0;PWNED\x07\x1b[2J"))
    x\x1b]0;PWNED\x07\x1b[2J
    >>> print(terminal_text("abc\u202edef\x85 a\tb\x7f"))
    abc\u202edef\x85 a\x09b\x7f
    >>> terminal_text("caf\udce9.txt") == "caf\ufffd.txt"
    True
    >>> terminal_text("plain café [bold]")
    'plain café [bold]'
    """
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: escaped below
        text = printable(text)
    return re.sub(_UNSAFE, _escape, text)


def natural_key(text: str) -> tuple[tuple[tuple[int, str], ...], str]:
    """Orders names as people count: runs of digits by their value (``#2`` before ``#10``),
    the rest by text; names equal in that order (``a01``, ``a1``) by their text.

    >>> sorted(["a.jsonl#10", "a.jsonl#2", "a.jsonl#1", "b.txt", "a.jsonl#x"], key=natural_key)
    ['a.jsonl#1', 'a.jsonl#2', 'a.jsonl#10', 'a.jsonl#x', 'b.txt']
    >>> sorted(["p9" + "0" * 5000, "p10" + "0" * 5000, "p007"], key=natural_key)[0]
    'p007'
    """
    parts = re.split("([0-9]+)", text)
    # a number by its length less leading zeros, then its digits: its value's order,
    # without converting thousands of digits to an int
    key = tuple(
        (len(p.lstrip("0")), p.lstrip("0")) if i % 2 else (-1, p) for i, p in enumerate(parts)
    )
    return key, text


def page_name(rel: str, rid: str | None) -> str:
    """How a page is named in reports: its file, and the record id within a record file.

    >>> page_name("a.txt", None), page_name("c.jsonl", "7")
    ('a.txt', 'c.jsonl#7')
    """
    return printable(rel if rid is None else f"{rel}#{rid}")
