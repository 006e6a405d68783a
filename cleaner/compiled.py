"""The loops compiled when the package was installed (``cleaner/_compiled.pyx``), loaded
on first use."""

from __future__ import annotations

import importlib
import os
from functools import cache
from typing import Any

# CLEANER_KERNELS=0 keeps every line on the Python reference, =1 loads the kernel at once
KERNELS_ENV = "CLEANER_KERNELS"


def kernels_setting() -> bool | None:
    """What ``CLEANER_KERNELS`` asks for: False (``0``, ``off``, ``no``, ``false``: every
    line on the Python reference), True (``1``, ``on``, ``yes``, ``true``: a kernel from the
    first line), None (unset or anything else: the default).

    >>> before = os.environ.pop(KERNELS_ENV, None)
    >>> found = [kernels_setting()]
    >>> for value in (" Off", "1", "maybe"):
    ...     os.environ[KERNELS_ENV] = value
    ...     found.append(kernels_setting())
    >>> del os.environ[KERNELS_ENV]
    >>> os.environ.update({} if before is None else {KERNELS_ENV: before})
    >>> found
    [None, False, True, None]
    """
    setting = os.environ.get(KERNELS_ENV, "").strip().lower()
    if setting in ("0", "off", "no", "false"):
        return False
    if setting in ("1", "on", "yes", "true"):
        return True
    return None


def compiled() -> Any | None:
    """The module of loops compiled when the package was installed (``cleaner._compiled``,
    built from ``_compiled.pyx``), given xxhash's ``XXH3_64bits``; None when the package was
    installed without it (no C compiler then) or ``CLEANER_KERNELS=0`` keeps the Python
    reference (read at each call). Loads in a millisecond, once."""
    if kernels_setting() is False:
        return None
    return loaded()


@cache
def loaded() -> Any | None:
    """:func:`compiled`'s module, whatever ``CLEANER_KERNELS`` says."""
    try:
        module = importlib.import_module(f"{__package__}._compiled")
    except ImportError:
        return None
    import ctypes

    import xxhash._xxhash

    library = ctypes.CDLL(xxhash._xxhash.__file__)
    module.set_hash(ctypes.cast(library.XXH3_64bits, ctypes.c_void_p).value)
    return module
