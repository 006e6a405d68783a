"""The walk of lxml trees compiled when the package was installed (``cleaner/_tree.pyx``):
a page's rendering, its quotations and its hidden elements read in C, loaded on first use."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from ..compiled import kernels_setting


def tree_walk() -> Any | None:
    """The compiled walk (``cleaner._tree``); None when the package was installed without
    it, when it was compiled against another lxml or libxml2 than the ones running (it reads
    their structs), or when ``CLEANER_KERNELS=0`` keeps the Python reference (read at each
    call)."""
    if kernels_setting() is False:
        return None
    return loaded()


@cache
def loaded() -> Any | None:
    """:func:`tree_walk`'s module, whatever ``CLEANER_KERNELS`` says."""
    try:
        module = importlib.import_module("cleaner._tree")
    except Exception:  # not built, or lxml's C API is not the one it was built against
        return None
    if built_for(module.LXML_VERSION, module.LIBXML_VERSION):
        return module
    return None


def compiled_rendering(tree: Any) -> str | None:
    """``render.render_tree`` of a parsed page (any element of its tree) by the compiled
    walk; None where it leaves the page to the reference."""
    walk = tree_walk()
    root = tree.getroottree().getroot()
    return None if walk is None or root is None else walk.render(root)


def compiled_quotes(tree: Any) -> list[Any] | None:
    """For each outermost quotation of a parsed page (``render.quoted_blocks``), its
    rendering by the compiled walk, or the quotation where it leaves it to the reference;
    None where it leaves the page to the reference."""
    walk = tree_walk()
    root = tree.getroottree().getroot()
    return None if walk is None or root is None else walk.quotes(root)


def built_for(lxml_version: str, libxml_version: str) -> bool:
    """Whether a module compiled with these versions' headers reads the running lxml.

    >>> import lxml, lxml.etree
    >>> running = ".".join(map(str, lxml.etree.LIBXML_VERSION))
    >>> built_for(lxml.__version__, running), built_for("0.1", running)
    (True, False)
    """
    import lxml
    import lxml.etree

    libxml = ".".join(map(str, lxml.etree.LIBXML_VERSION))
    return (lxml_version, libxml_version) == (lxml.__version__, libxml)
