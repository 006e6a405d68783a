"""Where input files live: a local path, or a URL that fsspec can open (``s3://``,
``gs://``, ``hdfs://``, ``file://``, ...). On a cluster the inputs must be readable from
every node; object-store URLs are the usual way. Filesystems beyond the local one need
their fsspec package (``pip install s3fs`` for ``s3://``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Any

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")

# A place to read from: a local path, or a URL string.
Location = Path | str


class LocationError(Exception):
    """A URL that cannot be used: unknown protocol, missing fsspec package, bad address."""


def is_url(text: object) -> bool:
    """Whether a command-line input is a URL rather than a local path.

    >>> is_url("s3://bucket/crawl/"), is_url("file:///data/x.jsonl"), is_url("data/x.txt")
    (True, True, False)
    >>> is_url(Path("s3://bucket"))  # a Path has lost its '//' already: never a URL
    False
    """
    return isinstance(text, str) and bool(_URL.match(text))


def url_fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of a URL and the path within it."""
    try:
        import fsspec
        from fsspec.core import url_to_fs
    except ImportError as exc:  # pragma: no cover - fsspec is a dependency
        raise LocationError("reading URLs needs fsspec: pip install fsspec") from exc
    try:
        fs, path = url_to_fs(url)
    except (ImportError, ValueError) as exc:
        protocol = url.split("://", 1)[0]
        known = protocol in fsspec.available_protocols()
        hint = f" (its filesystem package is not installed: {exc})" if known else ""
        raise LocationError(f"cannot open {protocol}:// URLs{hint}") from exc
    return fs, path


def open_binary(location: Location) -> IO[bytes]:
    """Open a local path or a URL for reading bytes."""
    if isinstance(location, Path):
        return location.open("rb")
    fs, path = url_fs(location)
    handle: IO[bytes] = fs.open(path, "rb")
    return handle


def describe(location: Location) -> tuple[int, str]:
    """(size, a version stamp) of an input: what a resumed run compares to know the file is
    unchanged. The stamp is the modification time, or an object store's ETag."""
    if isinstance(location, Path):
        stat = location.stat()
        return stat.st_size, str(stat.st_mtime_ns)
    fs, path = url_fs(location)
    info = fs.info(path)
    stamp = next(
        (str(info[k]) for k in ("mtime", "LastModified", "last_modified", "ETag", "etag", "md5")
         if info.get(k) is not None),
        "",
    )  # fmt: skip
    return int(info.get("size") or 0), stamp


# Where a file or folder really is, for comparing inputs with outputs: a local path with
# symlinks, '.' and '..' resolved (a ``file://`` URL is one), or another URL normalised.
Place = Path | str


def place(where: Location) -> Place:
    """The resolved location of a path or URL: a local path (``file://`` URLs included) is
    resolved as far as it exists; another URL keeps its protocol, with its path normalised
    and no trailing ``/``.

    >>> import os
    >>> place(Path("a/../b")) == Path(os.getcwd(), "b").resolve()
    True
    >>> place("file:///tmp/x/../y/") == Path("/tmp/y").resolve()
    True
    >>> place("memory://bucket/a/./b/../c/"), place("NoSuchFs://b/x//y/")
    ('memory:///bucket/a/c', 'nosuchfs://b/x/y')
    """
    import posixpath

    if isinstance(where, Path):
        return where.resolve()
    try:
        fs, path = url_fs(where)
    except LocationError:  # no filesystem for it: compared as text
        protocol, rest = where.split("://", 1)
        return f"{protocol.lower()}://{posixpath.normpath('/' + rest).lstrip('/')}"
    if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
        return Path(path).resolve()
    return str(fs.unstrip_protocol(posixpath.normpath("/" + path.lstrip("/"))))


def within(inner: Place, outer: Place) -> bool:
    """Whether ``inner`` is ``outer`` or lies inside it (a local path is never inside a URL).

    >>> within(Path("/a/b/c"), Path("/a/b")), within(Path("/a/bc"), Path("/a/b"))
    (True, False)
    >>> within("s3://b/x/y", "s3://b/x"), within("s3://b/xy", "s3://b/x")
    (True, False)
    >>> within("s3://b/x", Path("/"))
    False
    """
    if isinstance(inner, Path) and isinstance(outer, Path):
        return inner.is_relative_to(outer)
    if isinstance(inner, str) and isinstance(outer, str):
        return inner == outer or inner.startswith(outer.rstrip("/") + "/")
    return False


def upload_tree(folder: Path, url: str) -> int:
    """Copy every file under ``folder`` to the same relative path under ``url``, in name
    order; each object appears whole (object stores commit an object when its upload
    ends). Returns the number of files."""
    fs, root = url_fs(url)
    root = root.rstrip("/")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        rel = path.relative_to(folder).as_posix()
        dest = f"{root}/{rel}"
        fs.makedirs(dest.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(path), dest)
    return len(files)
