"""A fixed set of 64-bit ids with vectorised membership (:class:`IdSet`): the stopwords'
word ids, tested against a page's token ids."""

from __future__ import annotations

import numpy as np


def separating_shift(ids: np.ndarray, bits: int, batch: int = 8) -> int:
    """The smallest shift at which ``bits`` bits of the distinct ``ids`` (uint64) name a
    different slot for each; -1 when no shift does. Shifts are tried ``batch`` at a time,
    each batch's slots sorted at once.

    >>> ids = np.array([1, 5, 9, 13, 17], np.uint64)
    >>> separating_shift(ids[:4], 2), separating_shift(ids, 2), separating_shift(ids[:1], 8)
    (2, -1, 0)
    >>> separating_shift(np.array([1 << 9, 2 << 9], np.uint64), 1)  # in the second batch
    9
    """
    mask = np.uint64((1 << bits) - 1)
    shifts = np.arange(0, 65 - bits, dtype=np.uint64)
    for lo in range(0, len(shifts), batch):
        slots = np.sort((ids[None, :] >> shifts[lo : lo + batch, None]) & mask, axis=1)
        distinct = (slots[:, 1:] != slots[:, :-1]).all(axis=1)
        if distinct.any():
            return lo + int(np.argmax(distinct))
    return -1


class IdSet:
    """A fixed set of 64-bit ids with vectorised membership: each id sits in a table at the
    slot named by some of its bits, chosen so that no two ids of the set share a slot; a
    value is in the set when its slot holds it. A few table reads per value, where
    ``np.isin`` sorts.

    >>> s = IdSet(np.array([5, 1 << 40, 77], np.uint64))
    >>> s.contains(np.array([77, 6, 1 << 40, 0, 5], np.uint64)).tolist()
    [True, False, True, False, True]
    >>> IdSet(np.array([0, 9], np.uint64)).contains(np.array([0, 1, 9], np.uint64)).tolist()
    [True, False, True]
    >>> big = IdSet(np.arange(1, 1 << 20, dtype=np.uint64))  # too many for a table
    >>> big.table is None, big.contains(np.array([3, 1 << 20], np.uint64)).tolist()
    (True, [True, False])
    """

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = np.unique(np.asarray(ids, np.uint64))
        self.table: np.ndarray | None = None
        self.shift = self.mask = np.uint64(0)
        # the fewest bits (a table of 2**bits ids) at which some shift separates all ids
        for bits in range(max(8, len(self.ids).bit_length() + 6), 23):
            shift = separating_shift(self.ids, bits)
            if shift >= 0:
                mask = np.uint64((1 << bits) - 1)
                slots = (self.ids >> np.uint64(shift)) & mask
                # an empty slot holds a value of the next slot: no value matches it
                empty = np.arange(1 << bits, dtype=np.uint64) ^ np.uint64(1)
                self.table = empty << np.uint64(shift)
                self.table[slots] = self.ids
                self.shift, self.mask = np.uint64(shift), mask
                return

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Which of ``values`` (uint64) are in the set (a mask)."""
        if self.table is None:  # no separating slot found: a sort instead
            return np.isin(values, self.ids)
        return self.table[(values >> self.shift) & self.mask] == values
