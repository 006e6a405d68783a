"""Page files to text: read (within limits) and decoded, as browsers decode web pages."""

from __future__ import annotations

import errno
import os
import re
import stat
from typing import IO, TYPE_CHECKING

from .location import LocationError, open_binary

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..models import Source


class InputError(Exception):
    """A file that cannot be read as a page; the message names the problem, not the file."""


# Encoding labels as browsers read them (WHATWG Encoding Standard): pages that declare
# Latin-1 or ASCII are Windows-1252 in practice, and so on.
_WEB_LABELS = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "latin1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "iso8859-9": "cp1254",
    "big5": "big5hkscs",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HIGH_BYTES = bytes(range(128, 256))
_ALL_BYTES = bytes(range(256))
# Latin-script code pages by use on the web: the first wins a tie.
_COMMON = ("cp1252", "cp1250", "iso8859_2", "iso8859_15", "cp1257", "cp1254", "iso8859_9")
# A page is processed whole: its memory grows with its size (about 6 bytes per byte of a
# long line) and its lines (about 700 bytes per line). Page files beyond these limits are
# refused with a named reason; record files stream, a record at a time.
MAX_PAGE_BYTES = 256 << 20
MAX_PAGE_LINES = 2_000_000


def web_codec(label: str) -> str | None:
    """The Python codec for an encoding label found in a page or a header, as browsers
    read it; None for a label Python does not know.

    >>> web_codec("ISO-8859-1"), web_codec("utf8"), web_codec("Shift_JIS"), web_codec("x")
    ('cp1252', 'utf-8', 'cp932', None)
    """
    import codecs

    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _WEB_LABELS.get(name, name)


def declared_charset(data: bytes) -> str | None:
    """The encoding label an HTML page declares in a ``<meta>`` near its start.

    >>> declared_charset(b'<html><head><meta charset="windows-1251">')
    'windows-1251'
    >>> declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8">')
    'utf-8'
    >>> declared_charset(b"<p>no declaration</p>") is None
    True
    """
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii") if found else None


def decode(data: bytes, html: bool = False, declared: str | None = None) -> tuple[str, str | None]:
    """Bytes to text; returns the text and a note when anything but plain UTF-8 was assumed.

    A byte-order mark wins; then valid UTF-8; then (HTML) the charset the page declares
    (``declared``, e.g. from an HTTP header, or its ``<meta>``) when the bytes decode in
    it; then detection with charset-normalizer. Text that is UTF-8 but for a few invalid
    bytes stays UTF-8, the bad bytes replaced. A NUL byte in the first 8 KiB (outside
    UTF-16) means binary content: :class:`InputError`.

    >>> decode("héllo".encode())
    ('héllo', None)
    >>> decode("héllo".encode("utf-16"))
    ('héllo', 'decoded as utf-16')
    >>> decode(b"\\xef\\xbb\\xbfhi")
    ('hi', 'decoded as utf-8 with BOM')
    >>> decode("caf\\u00e9 cr\\u00e8me br\\u00fbl\\u00e9e".encode("cp1252"))[1]
    'decoded as cp1252'
    >>> decode("d\\u00e9j\\u00e0 vu".encode() + b"\\xff") == (
    ...     "d\\u00e9j\\u00e0 vu\\ufffd", "decoded as utf-8, 1 invalid byte(s) replaced")
    True
    >>> decode('<meta charset="utf-8"><p>caf\\u00e9 cr\\u00e8me br\\u00fbl\\u00e9e'
    ...        .encode("cp1252"), html=True)[1]
    'declares utf-8 but is not valid utf-8: decoded as cp1252'
    """
    for bom, bom_codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            body = data[len(bom) :] if bom_codec == "utf-8" else data
            return body.decode(bom_codec, "replace"), f"decoded as {bom_codec}" + (
                " with BOM" if bom_codec == "utf-8" else ""
            )
    if data.find(b"\x00", 0, 8192) >= 0:  # (a slice would copy)
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise InputError("binary content (NUL bytes)")
        return data.decode(utf16, "replace"), f"decoded as {utf16} (no BOM)"
    if html and declared is None:
        declared = declared_charset(data)
    codec = web_codec(declared) if declared else None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if codec in (None, "utf-8") or data.isascii():
            return text, None
        return text, f"declares {declared} but is valid utf-8: decoded as utf-8"
    repaired, invalid = _mostly_utf8(data)
    if repaired is not None:
        return repaired, f"decoded as utf-8, {invalid} invalid byte(s) replaced"
    if codec is not None and codec != "utf-8":
        try:
            return data.decode(codec), f"decoded as {codec}, as the page declares"
        except UnicodeDecodeError:
            pass
    encoding = _detect(data)
    note = f"decoded as {encoding}"
    if declared:
        note = f"declares {declared} but is not valid {codec or declared}: {note}"
    return data.decode(encoding, "replace"), note


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when NUL bytes sit where UTF-16 puts them in mostly
    Latin text (every other byte), else None.

    >>> _utf16_without_bom("plain text".encode("utf-16-le")), _utf16_without_bom(b"\\x7fELF\\x00")
    ('utf-16-le', None)
    """
    head = data[:8192]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.9 * len(zeros) and other.count(0) <= 0.01 * len(other):
            return codec
    return None


def _mostly_utf8(data: bytes) -> tuple[str | None, int]:
    """UTF-8 with a few invalid bytes (a damaged file, a spliced page): the text with the
    bad bytes replaced and their number, when the valid multi-byte characters outnumber
    them; (None, 0) when the bytes look like a legacy code page instead.

    >>> _mostly_utf8("été".encode() + b"\\xff") == ("été\\ufffd", 1)
    True
    >>> _mostly_utf8("été".encode("cp1252"))
    (None, 0)
    """
    text = data.decode("utf-8", "replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    valid_high = high - invalid  # about: an invalid sequence is usually one byte
    if invalid > 0 and valid_high >= 2 * invalid:
        return text, invalid
    return None, 0


def _detect(data: bytes) -> str:
    """A legacy encoding for bytes that are not UTF-8, with charset-normalizer. Latin-script
    code pages are hard to tell apart on little text: among the plausible ones, the one
    whose reading puts the fewest symbols inside words wins, Windows-1252 (the web's most
    common) on ties and when the text is too short to tell.

    >>> _detect("Привет, как дела? Это обычный текст на русском языке.".encode("cp1251"))
    'cp1251'
    >>> _detect("Die Größe der Straße überrascht die Bürger.".encode("cp1252"))
    'cp1252'
    >>> _detect("Zażółć gęślą jaźń. Wczoraj w Krakowie odbyło się spotkanie.".encode("cp1250"))
    'cp1250'
    """
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[: 1 << 20]))
    if not matches:
        return "cp1252"
    best = matches[0]
    if best.encoding.startswith(("utf_16", "utf_32")):  # without NULs: a guess on too little
        return "cp1252" if _fits_cp1252(data) else "utf-8"
    if not _fits_cp1252(data) or not _single_byte(best.encoding):
        return str(best.encoding)  # multi-byte (CJK) structure is reliable evidence
    sample = data[: 1 << 16]
    if best.coherence >= 0.1 and not _latin(sample.decode(best.encoding, "replace")):
        return str(best.encoding)  # Cyrillic, Greek, Hebrew...
    candidates = ["cp1252"] + [
        m.encoding for m in matches if _single_byte(m.encoding) and m.chaos <= best.chaos + 0.01
    ]

    def rank(enc: str) -> tuple[int, int]:
        common = _COMMON.index(enc) if enc in _COMMON else len(_COMMON)
        return _misfits(sample.decode(enc, "replace")), common

    return min(candidates, key=rank)


_IN_WORD_SYMBOL = re.compile(r"(?<=[^\W\d_])[^\w\s\x00-\x7f](?=[^\W\d_])|[\x80-\x9f]")


def _misfits(text: str) -> int:
    """Signs of a wrong code page: non-ASCII symbols inside words, C1 control characters.

    >>> _misfits("Zażółć"), _misfits("Za¿ó³æ"), _misfits("l'avenir")
    (0, 1, 0)
    """
    return len(_IN_WORD_SYMBOL.findall(text))


def _latin(text: str) -> bool:
    """Whether most non-ASCII letters of ``text`` are Latin ones.

    >>> _latin("Größe"), _latin("Привет"), _latin("plain")
    (True, False, True)
    """
    import unicodedata

    letters = [c for c in text if ord(c) > 127 and c.isalpha()]
    latin = sum(unicodedata.name(c, "").startswith("LATIN") for c in letters)
    return latin * 2 >= len(letters)


def _single_byte(encoding: str) -> bool:
    """Whether a codec reads one byte as one character.

    >>> _single_byte("cp1250"), _single_byte("iso8859_2"), _single_byte("utf_16")
    (True, True, False)
    >>> _single_byte("gb18030"), _single_byte("utf_8"), _single_byte("koi8_r")
    (False, False, True)
    """
    name = encoding.lower().replace("-", "_")
    if name.startswith(("utf", "iso2022")):
        return False
    try:
        return len(_ALL_BYTES.decode(name, "replace")) == 256
    except LookupError:
        return False


def _fits_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def read_capped(handle: IO[bytes], limit: int) -> bytes:
    """At most ``limit`` bytes of ``handle``, read without a ``limit``-sized buffer: a read
    of n bytes allocates n bytes first, and most pages are a tiny share of the cap.

    >>> import io
    >>> read_capped(io.BytesIO(b"x" * 5000), 10_000) == b"x" * 5000
    True
    >>> len(read_capped(io.BytesIO(b"x" * 5000), 100))
    100
    """
    try:
        size = os.fstat(handle.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # not a file (a stream, a remote file)
        size = 1 << 16
    return _read_upto(handle.read, size, limit)


def _read_upto(read: Callable[[int], bytes], size: int, limit: int) -> bytes:
    """At most ``limit`` bytes by ``read``, its first read of ``size`` + 1 (the size the
    source says it has; it may grow, or be a guess), then on to its end in pieces.

    >>> import io
    >>> _read_upto(io.BytesIO(b"abcdef").read, 0, 4), _read_upto(io.BytesIO(b"ab").read, 9, 9)
    (b'abcd', b'ab')
    """
    want = min(size + 1, limit)
    parts = []
    got = 0
    while got < limit:
        part = read(want)
        if not part:
            break
        parts.append(part)
        got += len(part)
        want = min(max(want, 1 << 16), limit - got)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_file_capped(path: str, limit: int) -> bytes:
    """At most ``limit`` bytes of the local file ``path``: :func:`read_capped` by file
    descriptor (an unbuffered read of the file's size, then reads to its end), which spares
    the buffered file object's own system calls and allocations. A folder raises
    :class:`IsADirectoryError` as ``open`` does.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with open(os.path.join(d, "a"), "wb") as out:
    ...         _ = out.write(b"x" * 5000)
    ...     whole, cut = read_file_capped(os.path.join(d, "a"), 10_000), read_file_capped(
    ...         os.path.join(d, "a"), 100)
    ...     try:
    ...         read_file_capped(d, 10)
    ...     except IsADirectoryError:
    ...         folder = "is a folder"
    >>> len(whole), len(cut), folder
    (5000, 100, 'is a folder')
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        size = info.st_size
        if stat.S_ISREG(info.st_mode) and 0 < size < limit:
            # one read asks for a byte more than the file's size: when it gives exactly the
            # size, that is the whole file, and no further read is needed to find its end
            # (fewer bytes, or more, and the reads go on to the end)
            data = os.read(fd, size + 1)
            if len(data) == size or not data:
                return data
            return data + _read_upto(lambda n: os.read(fd, n), size, limit - len(data))
        # a size of 0 may be a guess (a special file): read on until the end either way
        return _read_upto(lambda n: os.read(fd, n), size, limit)
    finally:
        os.close(fd)


def read_source(source: Source, max_bytes: int = MAX_PAGE_BYTES) -> tuple[str, str | None]:
    """The text of a page file, and a note on its encoding. A file over ``max_bytes`` or
    ``MAX_PAGE_LINES`` lines is refused (:class:`InputError`)."""
    try:
        if source.url is None:  # a local file: read by its name, without a Path or a buffer
            data = read_file_capped(os.path.join(source.folder, source.name), max_bytes + 1)
        else:
            with open_binary(source.location) as handle:
                data = read_capped(handle, max_bytes + 1)
    except LocationError as exc:
        raise InputError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise InputError("file vanished before it could be read") from exc
    except IsADirectoryError as exc:
        raise InputError("is a folder") from exc
    except PermissionError as exc:
        raise InputError("permission denied") from exc
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from exc
    if len(data) > max_bytes:
        raise InputError(f"larger than {max_bytes >> 20} MiB: too large for a page")
    text, note = decode(data, html=source.kind == "html")
    # (a text shorter than the limit cannot hold that many lines: not counted)
    if len(text) >= MAX_PAGE_LINES and max(text.count("\n"), text.count("\r")) >= MAX_PAGE_LINES:
        raise InputError(f"more than {MAX_PAGE_LINES:,} lines: too many for a page")
    return text, note
