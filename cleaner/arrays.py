"""Array helpers numpy's own functions pay more for."""

from __future__ import annotations

import math
import mmap
import re
from collections.abc import Sequence

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-d array, sorted: ``np.unique(values)``, which imports
    ``numpy.ma`` on its first call (20 ms at start-up) to ask whether the array is masked.

    >>> distinct(np.array([3, 1, 3, 2, 1], np.uint64)).tolist()
    [1, 2, 3]
    >>> distinct(np.array([], np.int64)).tolist(), distinct(np.array([[2, 2], [1, 2]])).tolist()
    ([], [1, 2])
    """
    ordered = np.sort(values, axis=None)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def members(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``wanted`` (a mask): ``np.isin(values, wanted)`` by a
    binary search of the sorted ``wanted``, without the ``np.unique`` of each (and its
    import of ``numpy.ma``).

    >>> members(np.array([5, 2, 9, 2], np.uint64), np.array([9, 2], np.uint64)).tolist()
    [False, True, True, True]
    >>> members(np.array([1], np.uint64), np.array([], np.uint64)).tolist()
    [False]
    """
    if not len(wanted):
        return np.zeros(len(values), bool)
    ordered = np.sort(wanted)
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    found: np.ndarray = ordered[at] == values
    return found


def distinct_rows(rows: np.ndarray) -> np.ndarray:
    """The distinct rows of a 2-d array, in lexicographic order: ``np.unique(rows,
    axis=0)`` without its import of ``numpy.ma``.

    >>> distinct_rows(np.array([[2, 1], [0, 5], [2, 1], [0, 3]])).tolist()
    [[0, 3], [0, 5], [2, 1]]
    >>> distinct_rows(np.empty((0, 2), np.int64)).shape
    (0, 2)
    """
    if len(rows) < 2:
        return rows.copy()
    ordered = rows[np.lexsort(rows.T[::-1])]
    keep = np.empty(len(ordered), bool)
    keep[0] = True
    (ordered[1:] != ordered[:-1]).any(axis=1, out=keep[1:])
    return ordered[keep]


_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def flat_batch(batch: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A batch of pages' keys as one array (uint64) and each page's number of keys.

    >>> flat, lengths = flat_batch([np.array([3, 1], np.uint64), np.array([], np.uint64)])
    >>> flat.tolist(), lengths.tolist()
    ([3, 1], [2, 0])
    """
    lengths = np.fromiter(map(len, batch), np.int64, len(batch))
    flat = np.concatenate(batch) if len(batch) else np.empty(0, np.uint64)
    return flat.astype(np.uint64, copy=False), lengths


def set_digests(flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 64-bit digest of each of a batch of sets of keys (uint64, each set's keys distinct;
    set ``i`` is the ``lengths[i]`` keys after the sets before it in ``flat``): the sum,
    modulo 2**64, of the keys passed through a bijective mixer (splitmix64's finalizer).
    Equal sets get equal digests whatever the order of their keys; two different sets the
    same digest with odds of about 2**-64. Vectorized: no call per set.

    >>> flat = np.array([3, 9, 9, 3, 4, 1 << 63], np.uint64)
    >>> d = set_digests(flat, np.array([2, 0, 2, 2]))
    >>> d[0] == d[2], d[0] != d[3], int(d[1])
    (np.True_, np.True_, 0)
    """
    with np.errstate(over="ignore"):
        h = flat.astype(np.uint64, copy=True)
        h ^= h >> np.uint64(30)
        h *= _MIX[0]
        h ^= h >> np.uint64(27)
        h *= _MIX[1]
        h ^= h >> np.uint64(31)
        sums = np.zeros(len(h) + 1, np.uint64)
        np.cumsum(h, out=sums[1:])
        ends = np.cumsum(lengths, dtype=np.int64)
        return sums[ends] - sums[ends - np.asarray(lengths, np.int64)]


# The header numpy writes for a plain array (format 1.0): its type, C order, 1 or 2 axes.
_NPY_HEAD = re.compile(
    rb"\{'descr': '([<>|][a-z][0-9]{1,2})', 'fortran_order': False, "
    rb"'shape': \(([0-9]+),(?: ([0-9]+))?\), \} *\n"
)
_NPY_MAGIC = b"\x93NUMPY\x01\x00"


def npy_layout(path: str) -> tuple[np.dtype, tuple[int, ...], int] | None:
    """The type, shape and data offset of a ``.npy`` file that holds a plain 1- or 2-d
    array in C order (what ``np.save`` writes for the shards' files), its header read
    without ``np.load``'s parser (most of the cost of loading a small array); None for any
    other file.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     np.save(f"{d}/a.npy", np.zeros((3, 4), np.uint32))
    ...     np.save(f"{d}/f.npy", np.zeros((3, 4), np.uint32, order="F"))
    ...     found = npy_layout(f"{d}/a.npy"), npy_layout(f"{d}/f.npy")
    >>> found
    ((dtype('uint32'), (3, 4), 128), None)
    """
    with open(path, "rb") as handle:
        head = handle.read(512)
    if not head.startswith(_NPY_MAGIC) or len(head) < 10:
        return None
    end = 10 + int.from_bytes(head[8:10], "little")
    found = _NPY_HEAD.fullmatch(head, 10, end)
    if found is None:
        return None
    rows, cols = found.group(2, 3)
    shape = (int(rows),) if cols is None else (int(rows), int(cols))
    return np.dtype(found.group(1).decode("ascii")), shape, end


def load_npy(path: str, mapped: bool = False) -> np.ndarray:
    """``np.load(path)`` (``mapped``: read-only, its data mapped from the file, as
    ``mmap_mode="r"``), a plain array's header read by :func:`npy_layout`; another file,
    or one shorter than its header says, goes to ``np.load`` (which raises for the latter).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     np.save(f"{d}/a.npy", np.arange(6, dtype=np.uint64).reshape(2, 3))
    ...     a, m = load_npy(f"{d}/a.npy"), load_npy(f"{d}/a.npy", mapped=True)
    ...     same = a.tolist() == m.tolist() == np.load(f"{d}/a.npy").tolist()
    >>> same, a.dtype, m.shape, m.flags.writeable
    (True, dtype('uint64'), (2, 3), False)
    """
    layout = npy_layout(path)
    if layout is not None:
        dtype, shape, offset = layout
        count = math.prod(shape)
        if mapped and count:
            with open(path, "rb") as handle:
                data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            if len(data) >= offset + count * dtype.itemsize:
                return np.frombuffer(data, dtype, count, offset).reshape(shape)
        elif not mapped or not count:
            flat = np.fromfile(path, dtype, count, offset=offset)
            if len(flat) == count:
                return flat.reshape(shape)
    return np.load(path, mmap_mode="r" if mapped else None)


def first_copies(keys: np.ndarray) -> np.ndarray:
    """Which keys are the first of their value in the array.

    >>> first_copies(np.array([5, 3, 5, 5, 3], np.uint64)).tolist()
    [True, True, False, False, False]
    """
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.empty(len(keys), bool)
    first[order[:1]] = True
    first[order[1:]] = ordered[1:] != ordered[:-1]
    return first


def repeated(values: np.ndarray, in_place: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The values met two or more times in ``values`` (uint64), sorted, and how many times
    each: by the compiled radix sort (``repeated`` of ``cleaner/_compiled.pyx``), else by
    :func:`repeated_numpy`, its reference. ``in_place``: ``values`` may be sorted where it
    is (the caller has no more use for it), which spares a copy.

    >>> [a.tolist() for a in repeated(np.array([7, 2, 7, 9, 2, 7], np.uint64))]
    [[2, 7], [2, 3]]
    """
    from .compiled import compiled

    loop = getattr(compiled(), "repeated", None)
    if loop is None:
        return repeated_numpy(values)
    found: tuple[np.ndarray, np.ndarray] = loop(values, in_place)
    return found


def repeated_numpy(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`repeated` by ``np.unique``."""
    kept, counts = np.unique(np.asarray(values, np.uint64), return_counts=True)
    twice = counts >= 2
    return kept[twice], counts[twice].astype(np.int64)
