"""What every step receives: the shards of the plan, what pass 1 leaves in a shard's
marker, the per-worker memo and the run's context (sent once per worker)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..dedup import GroupTable
from ..docdedup import DocHasher
from ..fingerprint import LinePrinter, Memo, MinHasher, kernel_after_setting, word_id
from ..heuristics.classify import LineFeatures
from ..heuristics.compiled import FeatureJudge, stop_ids
from ..heuristics.language import LanguageIdentifier, Stoplists
from ..idset import IdSet
from ..io.records import RecordKeys
from ..models import Source

PageName = tuple[str, str | None]  # (file, record id)


@dataclass(frozen=True, slots=True)
class Shard:
    """A unit of work: a slice of the inputs (or one part of a large record file)."""

    index: int
    sources: tuple[Source, ...]
    part: int = 0  # a large record file is cleaned in ``parts`` parts: this is one of them
    parts: int = 1


@dataclass(frozen=True, slots=True)
class ShardPrints:
    """What pass 1 leaves for the group step in one shard's marker: counts. The shard's
    files hold the rest: ``sigkeys.npy`` (the keys of the lines short enough to be
    MinHashed, sorted), ``sigs.npy`` (their signatures, row for row) and
    ``keys.u64``/``lengths.npy`` (each page's distinct keys)."""

    n_pages: int  # readable pages, whose keys are in the shard's key file
    n_entries: int  # their distinct keys, summed over pages


_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")  # a token of an ASCII line (see ``words``)


class WorkerMemo:
    """What a worker process remembers across the shards it runs: fingerprints and features
    of short lines, the keys it has already sent a signature for, and the language model
    (loaded once). Pure caches (results
    never depend on them), bounded in size; the engine gives each worker its own copy."""

    def __init__(self, short_chars: int, limit: int = 1 << 16) -> None:
        self.short_chars = short_chars
        self.limit = limit
        self.printer = LinePrinter(short_chars, limit)
        self.signed = np.empty(0, np.uint64)  # sorted: 8 bytes a key
        self.stoplists = Stoplists()
        self.langid = LanguageIdentifier()
        self._features: dict[str | None, Memo] = {}
        self._stop_ids: dict[str | None, tuple[bool, IdSet | None]] = {}
        self.judge = FeatureJudge(kernel_after_setting())
        self.shared_features: dict[int, LineFeatures] = {}  # packed -> one object each
        self._feature_stops: dict[str | None, tuple[IdSet | None, bool]] = {}

    def features(self, language: str | None) -> Memo:
        memo = self._features.get(language)
        if memo is None:
            memo = self._features[language] = Memo(self.limit)
        return memo

    def stop_ids(self, language: str | None) -> tuple[bool, IdSet | None]:
        """Whether lines of ``language`` can have their stopwords counted from word ids, and
        the set of its stopwords' ids (None without a stoplist). Only ASCII stopwords of
        word characters can equal an ASCII line's token; one holding a digit would not match
        its token (word ids fold digits), and then no line is counted by ids."""
        if language not in self._stop_ids:
            stop = self.stoplists.get(language)
            usable, ids = True, None
            if stop is not None:
                plain = [w for w in stop if w.isascii() and _ASCII_WORD.fullmatch(w)]
                usable = not any(c.isdigit() for w in plain for c in w)
                ids = IdSet(np.fromiter(map(word_id, plain), np.uint64, len(plain)))
            self._stop_ids[language] = (usable, ids)
        return self._stop_ids[language]

    def feature_stops(self, language: str | None) -> tuple[IdSet | None, bool]:
        """:func:`cleaner.heuristics.compiled.stop_ids` of the stoplist of ``language``
        ((None, False) without one)."""
        if language not in self._feature_stops:
            stop = self.stoplists.get(language)
            self._feature_stops[language] = (None, False) if stop is None else stop_ids(stop)
        return self._feature_stops[language]

    def mark_signed(self, keys: np.ndarray) -> None:
        """Remember sorted, distinct ``keys`` as signed (at most 16 x limit keys in all)."""
        if len(keys) > 16 * self.limit:
            return  # a huge shard: remembering it would cost more than it saves
        if len(self.signed) + len(keys) > 16 * self.limit:
            self.signed = np.empty(0, np.uint64)
        new = keys[self.unsigned(keys)]
        # a merge of two sorted arrays (a copy), not a sort of their union
        self.signed = np.insert(self.signed, np.searchsorted(self.signed, new), new)

    def unsigned(self, keys: np.ndarray) -> np.ndarray:
        """Which of ``keys`` were not signed in an earlier shard (a mask).

        >>> m = WorkerMemo(300)
        >>> m.mark_signed(np.array([3, 9], np.uint64))
        >>> m.unsigned(np.array([9, 4, 3, 10], np.uint64)).tolist()
        [False, True, False, True]
        """
        if not len(self.signed):
            return np.ones(len(keys), bool)
        at = np.minimum(np.searchsorted(self.signed, keys), len(self.signed) - 1)
        return self.signed[at] != keys


@dataclass(frozen=True, slots=True)
class RunContext:
    """Everything a worker needs, sent once per worker."""

    config: Config
    work_dir: Path
    record_keys: RecordKeys
    out_dir: Path | None = None  # None: report only
    table: GroupTable | None = None  # set after the group step
    template_min_files: int = 2
    line_hasher: MinHasher | None = None  # built once per run, shipped with the context
    doc_hasher: DocHasher | None = None  # set when pass 2 makes document prints
    memo: WorkerMemo | None = None  # per worker: see WorkerMemo
    keep_results: bool = True  # keep every page's results for the caller (a JSON report)
