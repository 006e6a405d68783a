"""Where cleaner keeps what it makes once per machine (the language model's arrays, the
character table of the compiled kernel)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The folder cleaner keeps its caches in: ``$CLEANER_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/cleaner``, else ``~/.cache/cleaner``."""
    if os.environ.get("CLEANER_CACHE_DIR"):
        return Path(os.environ["CLEANER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cleaner"
