"""Where cleaner keeps what it makes once per machine (the language model's arrays, the
character tables of the compiled kernels)."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO


def cache_root() -> Path:
    """The folder cleaner keeps its caches in: ``$CLEANER_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/cleaner``, else ``~/.cache/cleaner``."""
    if os.environ.get("CLEANER_CACHE_DIR"):
        return Path(os.environ["CLEANER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cleaner"


def table_path(kind: str, sources: Sequence[Path], suffix: str) -> Path | None:
    """Where a table made from ``unicodedata`` by the code in ``sources`` is kept: named
    after a hash of this Python's Unicode version and those files, so a change to either
    gets a table of its own. None when no cache folder can be named (no home folder) or a
    source cannot be read."""
    import xxhash

    try:
        source = b"".join(p.read_bytes() for p in sources)
        name = xxhash.xxh3_64_hexdigest(unicodedata.unidata_version.encode() + source)
        return cache_root() / f"{kind}-{name}{suffix}"
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` with ``write`` (given the open file) through a temporary file in its
    folder, made first: a reader sees the whole file or none. Raises OSError where the
    folder cannot be made or written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
