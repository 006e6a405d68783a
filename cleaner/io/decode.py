"""Finding input files and decoding them to text."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from ..models import Source
from .location import LocationError, is_url, open_binary, url_fs
from .writers import safe_parts

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


class InputError(Exception):
    """A file that cannot be read as a page; the message names the problem, not the file."""


@dataclass
class Discovery:
    sources: list[Source] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # told to the user, not errors
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)


def output_name(rel: str, record_format: str | None = None) -> str:
    """Relative output path: HTML pages become ``.txt``, WARC files ``.jsonl`` (records
    keep their compression); other names stay. ``record_format`` (``jsonl`` or
    ``parquet``) changes the kind of every record file.

    >>> output_name("a/b.html"), output_name("c.md"), output_name("d.txt")
    ('a/b.txt', 'c.md', 'd.txt')
    >>> output_name("crawl.warc.gz"), output_name("x.jsonl.zst")
    ('crawl.jsonl.gz', 'x.jsonl.zst')
    >>> output_name("x.jsonl.zst", "parquet"), output_name("p.parquet", "jsonl")
    ('x.parquet', 'p.jsonl')
    """
    from .records import container_format

    container = container_format(rel)
    if record_format is not None and container is not None:
        compression = container[1]
        lower = rel.lower()
        cut = max(i for i in (lower.rfind(".jsonl"), lower.rfind(".ndjson"),
                              lower.rfind(".parquet"), lower.rfind(".warc")))  # fmt: skip
        if record_format == "parquet":
            return rel[:cut] + ".parquet"
        return rel[:cut] + ".jsonl" + (f".{compression}" if compression else "")
    lower = rel.lower()
    for suffix, replacement in ((".warc.gz", ".jsonl.gz"), (".warc", ".jsonl")):
        if lower.endswith(suffix):
            return rel[: -len(suffix)] + replacement
    stem, dot, suffix = rel.rpartition(".")
    if dot and "." + suffix.lower() in HTML_SUFFIXES:
        return stem + ".txt"
    return rel


def _kind(path: Path) -> str | None:
    from .records import container_format

    container = container_format(path.name)
    if container is not None:
        return container[0]
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    return None


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
    except ValueError:
        return False
    return True


def _folder_id(path: Path) -> tuple[int, int] | str:
    """What makes a folder the same folder whatever the links to it: its device and
    inode, or (when it cannot be read) its resolved path."""
    try:
        st = path.stat()
    except OSError:
        return str(path.resolve())
    return (st.st_dev, st.st_ino)


# A file found under an input: its path (for a URL input, a path of its name only), its
# relative output name, and its URL when it is read through fsspec.
Candidate = tuple[Path, str, str | None]


def _url_candidates(root: str, several: bool, found: Discovery) -> list[Candidate]:
    """Every file under a URL input, sorted; none (with the error recorded) when it cannot
    be listed."""
    if not is_url(root):
        found.errors.append((root, "not a URL"))
        return []
    try:
        fs, path = url_fs(root)
        if not fs.exists(path):
            found.errors.append((root, "no such file or folder"))
            return []
        if fs.isfile(path):
            name = path.rstrip("/").rsplit("/", 1)[-1]
            return [(Path(name), name, root)]
        base = path.rstrip("/")
        files = sorted(fs.find(base, withdirs=False))
    except LocationError as exc:
        found.errors.append((root, str(exc)))
        return []
    except OSError as exc:
        found.errors.append((root, f"cannot be listed: {exc.strerror or exc}"))
        return []
    top = base.rsplit("/", 1)[-1] or "_"
    out: list[Candidate] = []
    for item in files:
        rel = item[len(base) :].lstrip("/")
        if several:
            rel = f"{top}/{rel}"
        out.append((Path(rel.rsplit("/", 1)[-1]), rel, fs.unstrip_protocol(item)))
    return out


def _local_candidates(
    root: Path, several: bool, out_resolved: Path | None, found: Discovery
) -> Iterator[Candidate]:
    """Every file under a local input (folders walked in sorted order, the output folder
    skipped), a folder at a time; none (with the error recorded) when the input is missing
    or odd."""
    if not root.exists() and not root.is_symlink():
        found.errors.append((str(root), "no such file or folder"))
        return
    if root.is_file():
        yield (root, root.name, None)
        return
    if not root.is_dir():
        found.errors.append((str(root), "not a regular file or folder"))
        return
    base = root.resolve()
    top = f"{base.name}/" if several else ""

    def unlisted(exc: OSError) -> None:
        found.errors.append((str(exc.filename), f"cannot be listed: {exc.strerror or exc}"))

    # Folder links are followed (as find -L does), each folder read once: a link to a
    # folder inside the input is skipped (the folder is read where it is), and so is a
    # link to a folder read already (a loop, or a second link to one folder).
    seen = {_folder_id(root)}
    for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted, followlinks=True):
        here = Path(dirpath)
        keep_dirs = []
        for d in sorted(dirnames):
            sub = (here / d).resolve()
            if out_resolved is not None and sub == out_resolved:
                found.notices.append(f"skipping {here / d}: it is the output folder")
                continue
            link = (here / d).is_symlink()
            if link and _is_within(sub, base):
                found.notices.append(f"skipping link {here / d}: its folder {sub} is read in place")
                continue
            key = _folder_id(here / d)
            if key in seen:
                found.notices.append(f"skipping {here / d}: folder {sub} is read already")
                continue
            seen.add(key)
            keep_dirs.append(d)
        dirnames[:] = keep_dirs
        # the folder's relative name once; each file's by joining strings
        inner = here.relative_to(root).as_posix()
        prefix = top if inner == "." else f"{top}{inner}/"
        for name in sorted(filenames):
            yield (here / name, prefix + name, None)


def _key(output: str) -> str:
    """The output path a relative output name lands on (``a\\b.txt`` and ``a/b.txt`` on one)."""
    name = "/".join(safe_parts(output))
    return output if name == output else name  # one string for both: a run lists every input


def _rename(named: list[tuple[str, Source]], source: Source, output: str) -> Source:
    """Give ``source`` (met recently: searched from the end) the output name ``output``."""
    for i in range(len(named) - 1, -1, -1):
        if named[i][1] is source:
            named[i] = (output, replace(source, output=output))
            return named[i][1]
    raise ValueError(f"{source.rel} was not listed")


def discover(inputs: Sequence[Path | str], out: Path | None) -> Discovery:
    """Every page under ``inputs`` (folders walked recursively, sorted), skipping ``out``.
    An input given as a URL (``s3://bucket/crawl/``) is listed and read through fsspec."""
    found = Discovery()
    out_resolved = out.resolve() if out is not None else None
    several = len(inputs) > 1
    named: list[tuple[str, Source]] = []  # (output name, source): sorted by output name
    seen: dict[str, Source] = {}  # the output names taken, and by which input
    skipped_other = 0
    for root in inputs:
        candidates: Iterable[Candidate]
        if isinstance(root, str):
            candidates = _url_candidates(root, several, found)
        else:
            candidates = _local_candidates(root, several, out_resolved, found)
        for path, rel, url in candidates:
            kind = _kind(path)
            if kind is None:
                skipped_other += 1
                continue
            if url is None and not path.is_file():
                found.errors.append((str(path), "not a regular file (broken link?)"))
                continue
            where = path if url is None else url
            # two names that land on one output path (a\b.txt and a/b.txt) collide too
            output = output_name(rel)
            name = _key(output)
            source = Source.of(path, rel, kind, url)
            if name in seen:
                # an HTML page and a page of its output name (x.html, x.txt): the HTML page's
                # output keeps its whole name (x.html.txt), whichever was met first
                other = seen[name]
                if kind == "html" and _key(apart := rel + ".txt") not in seen:
                    output, name = apart, _key(apart)
                    source = Source.of(path, rel, kind, url, apart)
                elif (
                    other.kind == "html"
                    and other.output is None
                    and (_key(moved := other.rel + ".txt") not in seen)
                ):
                    seen[_key(moved)] = _rename(named, other, moved)
                else:
                    taken = other.location
                    found.errors.append((str(where), f"its output name {name} is taken by {taken}"))
                    continue
            seen[name] = source
            named.append((output, source))
    if skipped_other:
        found.notices.append(
            f"skipped {skipped_other} file(s) that are not pages (.txt/.md/.html) "
            "or record files (.jsonl[.gz|.zst]/.parquet/.warc[.gz])"
        )
    named.sort(key=lambda item: item[0])
    found.sources = [source for _, source in named]
    return found


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
    if b"\x00" in data[:8192]:
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
    data = handle.read(min(size + 1, limit))
    if len(data) == size + 1 and len(data) < limit:  # it grew, or its size was a guess
        data += handle.read(limit - len(data))
    return data


def read_source(source: Source, max_bytes: int = MAX_PAGE_BYTES) -> tuple[str, str | None]:
    """The text of a page file, and a note on its encoding. A file over ``max_bytes`` or
    ``MAX_PAGE_LINES`` lines is refused (:class:`InputError`)."""
    try:
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
    if max(text.count("\n"), text.count("\r")) >= MAX_PAGE_LINES:
        raise InputError(f"more than {MAX_PAGE_LINES:,} lines: too many for a page")
    return text, note


# Fingerprints (exact key, word ids) and language detection see at most this much of a
# line: a single 50 MB line then costs a few copies of itself, not hundreds of bytes per
# word. Two lines that share their first 65,536 characters count as the same line.
MAX_FINGERPRINT_CHARS = 1 << 16


def fingerprint_view(lines: Sequence[str], limit: int = MAX_FINGERPRINT_CHARS) -> list[str]:
    """The lines as fingerprinting sees them: each cut to its first ``limit`` characters
    (the output keeps every line whole).

    >>> fingerprint_view(["ok", "x" * 10], limit=4)
    ['ok', 'xxxx']
    """
    return [line if len(line) <= limit else line[:limit] for line in lines]


def segment(text: str) -> list[str]:
    """Split a page into its non-blank lines, line endings removed.

    >>> segment("a\\r\\n\\n  b  \\n\\t\\nc")
    ['a', '  b  ', 'c']
    """
    return [line for line in text.splitlines() if line.strip()]
