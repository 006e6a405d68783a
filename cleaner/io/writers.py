"""Atomic writes: a file is either absent, its old self, or complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def safe_join(root: Path, rel: str) -> Path:
    """``root / rel``, refusing anything that would land outside ``root``.

    >>> safe_join(Path("/out"), "a/b.txt").as_posix()
    '/out/a/b.txt'
    >>> safe_join(Path("/out"), "../../etc/x").as_posix()
    '/out/etc/x'
    """
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return root.joinpath(*parts) if parts else root / "_"
