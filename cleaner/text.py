"""Line normalization, word tokens and markup stripping: small pure functions."""

from __future__ import annotations

import functools
import re
import unicodedata

_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # left single quote
        "\u2019": "'",  # right single quote / apostrophe
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u00b4": "'",  # acute accent used as apostrophe
        "`": "'",
        "\u2039": "'",
        "\u203a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_DIGITS = re.compile(r"\d+")
_NORM_TOKEN = re.compile(r"\w+|[^\w\s]+")
_PUNCT_RUN = re.compile(r"([^\w\s]+)")  # captured: split keeps the runs
_WORD = re.compile(r"\w+")
# In ASCII, \w is [A-Za-z0-9_] and \s also holds the separators \x1c-\x1f (str.isspace)
_ASCII_PUNCT_RUN = re.compile(rb"([^A-Za-z0-9_ \t\n\r\f\v\x1c-\x1f]+)")
_ASCII_FOLD = bytes.maketrans(b"123456789`", b"000000000'")
# Han, Hiragana, Katakana: scripts written without spaces between words.
_CJK_CLASS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_CJK_FIRST = "\u3040"  # the class's first character: a text below it holds none


class _LazyCJK:
    """The pattern of one character of :data:`_CJK_CLASS`, compiled at its first use (then
    taken from ``re``'s cache): its ranges span 40,000 characters, which ``re`` takes 3 ms
    to compile, and a run that meets no CJK text never needs it.

    >>> _CJK.findall("a中b国"), _CJK.sub(" ", "a中b"), bool(_CJK.match("x"))
    (['中', '国'], 'a b', False)
    """

    __slots__ = ()

    def match(self, text: str) -> re.Match[str] | None:
        return re.match(_CJK_CLASS, text)

    def findall(self, text: str) -> list[str]:
        return re.findall(_CJK_CLASS, text)

    def sub(self, repl: str, text: str) -> str:
        return re.sub(_CJK_CLASS, repl, text)


_CJK = _LazyCJK()


def normalize_line(text: str) -> str:
    """The form of a line used for comparison across files: its :func:`normal_tokens`
    joined by single spaces.

    Unicode NFKC, quote and apostrophe variants unified, case folded, every run of digits
    mapped to ``0``, words and punctuation runs separated by single spaces.

    >>> normalize_line("Dernière  mise à jour à 08h22 le 16/06")
    'dernière mise à jour à 0h0 le 0 / 0'
    >>> normalize_line("L’État,  «le» ＢＩＧ") == normalize_line("L'état, \\"le\\" big")
    True
    >>> normalize_line("  ![]() |  ")
    '![]() |'
    """
    return " ".join(normal_tokens(text)[0])


def normal_tokens(text: str) -> tuple[list[str], bool]:
    """The tokens of :func:`normalize_line` (word and punctuation runs), and whether they
    are lower case already (ASCII text; case folding leaves some other letters upper case).

    >>> normal_tokens("It's 08:00."), normal_tokens("ÉTÉ")
    ((['it', "'", 's', '0', ':', '0', '.'], True), (['été'], False))
    """
    if not text.isascii():
        return _unicode_tokens(text), False
    # NFKC leaves ASCII as it is, casefold is lower, and of the quote variants only the
    # backtick is ASCII. On bytes: every digit becomes a zero, then each run of zeros (a
    # run of digits) one zero, by replacing (no regex scan); the punctuation runs are
    # found by a bytes pattern (its classes are bitmaps, not Unicode look-ups).
    raw = text.lower().encode("ascii").translate(_ASCII_FOLD)
    while b"00" in raw:
        raw = raw.replace(b"00", b"0")
    return b" ".join(_ASCII_PUNCT_RUN.split(raw)).decode("ascii").split(), True


def _unicode_tokens(text: str) -> list[str]:
    """:func:`normal_tokens` of any text (the ASCII path is a faster equivalent)."""
    # quote variants unified before NFKC (it turns ´ and ″ into other characters) and
    # after it (it makes ` and ′ of fullwidth and compatibility forms)
    text = unicodedata.normalize("NFKC", text.translate(_QUOTES)).translate(_QUOTES)
    text = _DIGITS.sub("0", text.casefold())
    # the tokens of _NORM_TOKEN: a space put on each side of every punctuation run (split
    # on the runs, joined with spaces: no replacement template called per run), then split
    # on whitespace (str.split and \s agree on what is whitespace)
    return " ".join(_PUNCT_RUN.split(text)).split()


def words(text: str) -> list[str]:
    """Lower-cased word tokens.

    >>> words("Hello, World! Ça va?")
    ['hello', 'world', 'ça', 'va']
    """
    return _WORD.findall(text.lower())


def word_count(text: str) -> int:
    """Words in ``text``; in scripts written without spaces, two characters count as one word.

    >>> word_count("The cat sat on the mat.")
    6
    >>> word_count("中国和美国举行了第二次对话")
    7
    """
    if text.isascii() or max(text) < _CJK_FIRST:  # isascii is a flag: no scan
        return len(_WORD.findall(text))
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(_WORD.findall(text))
    rest = _CJK.sub(" ", text)
    return len(_WORD.findall(rest)) + (cjk + 1) // 2


def has_words(text: str, n: int) -> bool:
    """Whether ``text`` holds at least ``n`` words (:func:`word_count`), read no further than
    needed: a head of the text never counts more words than the whole, so a long text whose
    head holds them is not counted to its end.

    >>> has_words("The cat sat on the mat.", 6), has_words("The cat sat.", 4)
    (True, False)
    >>> has_words("word " * 1000, 50), has_words("中国" * 40, 40), has_words("中国" * 40, 41)
    (True, True, False)
    """
    head = text[: 16 * n + 64]
    if len(head) < len(text) and word_count(head) >= n:
        return True
    return word_count(text) >= n


_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_ATX_HEADING = re.compile(r"\s{0,3}#{1,6}\s")  # a heading mark and its space
_BULLET = re.compile(r"^\s*(?:[*+\-\u2022\u25cf\u25aa]|\d{1,3}[.)])\s+")
_QUOTE_MARK = re.compile(r"^\s*(?:>\s*)+")
_EMPHASIS = re.compile(r"\*{1,3}|_{2,3}|~~")
_MARKUP_CHARS = re.compile(r"[!\[\]#*_>|~]")
_RULE = re.compile(r"^\s*(?:[-*_=|:+]\s*){3,}$")


def is_plain(line: str) -> bool:
    """A line without markup: :func:`strip_markup` only collapses its spaces.

    >>> is_plain("Top stories"), is_plain("* [Home](/)"), is_plain("1. First")
    (True, False, False)
    """
    return not _MARKUP_CHARS.search(line) and not _BULLET.match(line)


def strip_markup(line: str) -> str:
    """The visible text of a rendered line: markdown images, link syntax, heading and list
    marks, emphasis and table pipes removed.

    >>> strip_markup("## Running a *business*")
    'Running a business'
    >>> strip_markup("  * [Home](/index.html)")
    'Home'
    >>> strip_markup("![logo](a.png) | **Top story** |")
    'Top story'
    >>> strip_markup("---|---")
    ''
    """
    if is_plain(line):
        return " ".join(line.split())  # nothing to strip
    if _RULE.match(line):
        return ""
    text = _IMAGE.sub(" ", line)
    text = _LINK.sub(r"\1", text)
    text = _HEADING.sub("", text)
    text = _QUOTE_MARK.sub("", text)
    text = _BULLET.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = text.replace("|", " ")
    return " ".join(text.split())


def is_heading(line: str) -> bool:
    """
    >>> is_heading("# Title"), is_heading("#hashtag"), is_heading("Title")
    (True, False, False)
    """
    return bool(_ATX_HEADING.match(line))


def is_list_item(line: str) -> bool:
    """
    >>> is_list_item("  * Home"), is_list_item("3. Step"), is_list_item("Home")
    (True, True, False)
    """
    return bool(_BULLET.match(line))


def image_count(line: str) -> int:
    """
    >>> image_count("![a](b.png) text ![](c.gif)")
    2
    """
    return len(_IMAGE.findall(line))


def is_table_row(line: str) -> bool:
    """A line of a pipe table (or a table fragment).

    >>> is_table_row("| (Photo: Agency) |"), is_table_row("a | b"), is_table_row("Just text")
    (True, True, False)
    """
    stripped = line.strip()
    return stripped.startswith("|") or stripped.endswith("|") or " | " in stripped


# A site's menus, headings and footers stand on all its pages: the visible text of a short
# line is remembered (a pure function's results, at most SHORT_LINES_KEPT lines of at most
# SHORT_LINE_CHARS characters, about 10 MB), a long line worked out each time.
SHORT_LINE_CHARS = 160
SHORT_LINES_KEPT = 1 << 15


def visible_or_kept(line: str) -> str:
    """:func:`visible_line`, remembered for short lines.

    >>> visible_or_kept("* Home"), visible_or_kept("* Home")
    ('Home', 'Home')
    """
    return _visible_short(line) if len(line) <= SHORT_LINE_CHARS else visible_line(line)


_HEADING_MARKS = tuple("#" * n + " " for n in range(6, 0, -1))


def visible_line(line: str) -> str:
    """``strip_markup`` of a line, spaces collapsed; a line that is a list item's or a
    heading's mark (as ``render_text`` writes them) before plain text is its text, found
    without the markup rules (most lines of a rendering).

    >>> [visible_line(x) for x in ["* Home", "## A  title", "* [a](b)", "* -=-", "* - x"]]
    ['Home', 'A title', 'a', '', '- x']
    """
    if line.startswith("* "):
        rest = line[2:]
        # not a rule of dashes and the like, which strip_markup empties
        words = rest.split()
        if is_plain(rest) and "".join(words).strip("-=:+"):
            return " ".join(words)
    elif line.startswith("#"):
        for mark in _HEADING_MARKS:
            if line.startswith(mark):
                rest = line[len(mark) :]
                if is_plain(rest) and not rest[:1].isspace():
                    return " ".join(rest.split())
                break
    elif is_plain(line):  # strip_markup only collapses its spaces
        return " ".join(line.split())
    return " ".join(strip_markup(line).split())


_visible_short = functools.lru_cache(maxsize=SHORT_LINES_KEPT)(visible_line)
