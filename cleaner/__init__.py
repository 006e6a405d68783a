"""cleaner: boilerplate removal and cross-file template deduplication for web text corpora."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import Config

__version__ = "0.1.0"
__all__ = ["Config", "__version__", "clean_corpus"]

if TYPE_CHECKING:
    from .runner import clean_corpus


def __getattr__(name: str) -> Any:
    if name == "clean_corpus":
        from .runner import clean_corpus

        return clean_corpus
    raise AttributeError(name)
