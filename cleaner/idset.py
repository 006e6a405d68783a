"""A fixed set of 64-bit ids with vectorised membership (:class:`IdSet`): the stopwords'
word ids, tested against a page's token ids."""

from __future__ import annotations

import numpy as np

from .arrays import distinct

# a set of at most this many ids looks for a table with one id per slot (a single read per
# value, but the table grows with the square of the set); a larger set takes a few ids per
# slot (a read per id a slot holds, and a table of about 8 slots per id)
PERFECT_MAX_IDS = 512


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


def least_loaded_shift(ids: np.ndarray, bits: int) -> tuple[int, int]:
    """The shift at which ``bits`` bits of the distinct ``ids`` (uint64) put the fewest ids
    in the fullest slot, and that number (the first such shift).

    >>> least_loaded_shift(np.array([0, 1, 2, 3], np.uint64), 1)  # bit 0 or 1: two each
    (0, 2)
    >>> least_loaded_shift(np.array([0, 2, 4, 6], np.uint64), 2)  # bits 1-2 split them
    (1, 1)
    """
    mask = np.uint64((1 << bits) - 1)
    best = (0, len(ids) + 1)
    for shift in range(65 - bits):
        load = int(np.bincount((ids >> np.uint64(shift)) & mask, minlength=1).max())
        if load < best[1]:
            best = (shift, load)
            if load == 1:
                break
    return best


class IdSet:
    """A fixed set of 64-bit ids with vectorised membership: each id sits in a table at the
    slot named by some of its bits, chosen so that few ids share a slot; a value is in the
    set when a column of its slot holds it. A few table reads per value, where ``np.isin``
    sorts.

    >>> s = IdSet(np.array([5, 1 << 40, 77], np.uint64))
    >>> s.contains(np.array([77, 6, 1 << 40, 0, 5], np.uint64)).tolist()
    [True, False, True, False, True]
    >>> IdSet(np.array([0, 9], np.uint64)).contains(np.array([0, 1, 9], np.uint64)).tolist()
    [True, False, True]
    >>> ids = np.random.default_rng(0).integers(0, 1 << 63, 4000, np.uint64)
    >>> big = IdSet(ids)  # too many for one id per slot
    >>> big.table is None, big.columns.shape[1] <= 16 * len(ids)
    (True, True)
    >>> big.contains(np.array([ids[7], ids[3999], ids[7] + 1], np.uint64)).tolist()
    [True, True, False]
    """

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = distinct(np.asarray(ids, np.uint64))
        n = len(self.ids)
        shift = -1
        if n <= PERFECT_MAX_IDS:
            # one id per slot, in a table of 64 to 128 slots per id
            bits = max(8, n.bit_length() + 6)
            shift = separating_shift(self.ids, bits)
        if shift < 0:
            # a few ids per slot, in a table of 8 to 16 slots per id
            bits = max(4, n.bit_length() + 3)
            shift, _ = least_loaded_shift(self.ids, bits)
        self.shift, self.mask = np.uint64(shift), np.uint64((1 << bits) - 1)
        slots = (self.ids >> self.shift) & self.mask
        order = np.argsort(slots, kind="stable")
        ranks = np.arange(n) - np.searchsorted(slots[order], slots[order])
        # an empty slot holds a value of the next slot: no value matches it
        empty = (np.arange(1 << bits, dtype=np.uint64) ^ np.uint64(1)) << self.shift
        self.columns = np.repeat(empty[None, :], int(ranks.max(initial=0)) + 1, axis=0)
        self.columns[ranks, slots[order]] = self.ids[order]

    @property
    def table(self) -> np.ndarray | None:
        """The table when it holds one id per slot (a single read per value), else None."""
        return self.columns[0] if len(self.columns) == 1 else None

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Which of ``values`` (uint64) are in the set (a mask)."""
        slots = (values >> self.shift) & self.mask
        found = self.columns[0][slots] == values
        for column in self.columns[1:]:
            found |= column[slots] == values
        return found
