"""Finding input files and decoding them to text."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..models import Source

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
    from .formats import container_format

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
    from .formats import container_format

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


def discover(inputs: list[Path], out: Path | None) -> Discovery:
    """Every page under ``inputs`` (folders walked recursively, sorted), skipping ``out``."""
    found = Discovery()
    out_resolved = out.resolve() if out is not None else None
    several = len(inputs) > 1
    seen: dict[str, Path] = {}
    skipped_other = 0
    for root in inputs:
        if not root.exists() and not root.is_symlink():
            found.errors.append((str(root), "no such file or folder"))
            continue
        if root.is_file():
            candidates = [(root, root.name)]
        elif root.is_dir():
            candidates = []
            base = root.resolve()
            for dirpath, dirnames, filenames in os.walk(root):
                here = Path(dirpath)
                keep_dirs = []
                for d in sorted(dirnames):
                    sub = (here / d).resolve()
                    if out_resolved is not None and sub == out_resolved:
                        found.notices.append(f"skipping {here / d}: it is the output folder")
                        continue
                    keep_dirs.append(d)
                dirnames[:] = keep_dirs
                for name in sorted(filenames):
                    path = here / name
                    rel = path.relative_to(root).as_posix()
                    if several:
                        rel = f"{base.name}/{rel}"
                    candidates.append((path, rel))
        else:
            found.errors.append((str(root), "not a regular file or folder"))
            continue
        for path, rel in candidates:
            kind = _kind(path)
            if kind is None:
                skipped_other += 1
                continue
            if not path.is_file():
                found.errors.append((str(path), "not a regular file (broken link?)"))
                continue
            name = output_name(rel)
            if name in seen:
                found.errors.append((str(path), f"its output name {name} is taken by {seen[name]}"))
                continue
            seen[name] = path
            found.sources.append(Source(path=path, rel=rel, kind=kind))
    if skipped_other:
        found.notices.append(
            f"skipped {skipped_other} file(s) that are not pages (.txt/.md/.html) "
            "or record files (.jsonl[.gz|.zst]/.parquet/.warc[.gz])"
        )
    found.sources.sort(key=lambda s: output_name(s.rel))
    return found


def decode(data: bytes) -> tuple[str, str | None]:
    """Bytes to text; returns the text and a note when anything but plain UTF-8 was assumed.

    >>> decode("héllo".encode())
    ('héllo', None)
    >>> decode("héllo".encode("utf-16"))
    ('héllo', 'decoded as utf-16')
    >>> decode(b"\\xef\\xbb\\xbfhi")
    ('hi', 'decoded as utf-8 with BOM')
    >>> decode("caf\\u00e9 cr\\u00e8me br\\u00fbl\\u00e9e".encode("cp1252"))[1]
    'decoded as cp1252'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "decoded as utf-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "decoded as utf-16"
    if b"\x00" in data[:8192]:
        raise InputError("binary content (NUL bytes)")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    encoding = best.encoding if best is not None else "cp1252"
    if _single_byte(encoding) and _fits_cp1252(data):
        # Single-byte code pages are hard to tell apart on little text; the web's most
        # common one wins when it decodes every byte.
        encoding = "cp1252"
    try:
        return data.decode(encoding, "replace"), f"decoded as {encoding}"
    except LookupError:
        return data.decode("cp1252", "replace"), "decoded as cp1252"


def _single_byte(encoding: str) -> bool:
    """
    >>> _single_byte("cp1250"), _single_byte("iso8859_2"), _single_byte("utf_16")
    (True, True, False)
    """
    name = encoding.lower().replace("-", "_")
    return name.startswith(("cp125", "iso8859", "latin", "windows_125", "mac_"))


def _fits_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def read_source(source: Source) -> tuple[str, str | None]:
    """The text of a page file, and a note on its encoding."""
    try:
        data = source.path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("file vanished before it could be read") from exc
    except IsADirectoryError as exc:
        raise InputError("is a folder") from exc
    except PermissionError as exc:
        raise InputError("permission denied") from exc
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from exc
    return decode(data)


def segment(text: str) -> list[str]:
    """Split a page into its non-blank lines, line endings removed.

    >>> segment("a\\r\\n\\n  b  \\n\\t\\nc")
    ['a', '  b  ', 'c']
    """
    return [line for line in text.splitlines() if line.strip()]
