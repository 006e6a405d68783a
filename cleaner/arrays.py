"""Array helpers numpy's own functions pay more for."""

from __future__ import annotations

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
