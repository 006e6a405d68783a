"""The passes: read → extract → segment → fingerprint | group | decide | documents | write.

Pass 1 (per shard of input files) turns each file into pages, streams them to a shard file
under the work folder, writes each page's distinct line keys to a key file, and returns
only the shard's distinct line keys with a MinHash signature each. The group step sees
nothing else: memory grows with distinct lines, not with corpus bytes. Pass 2 (per shard)
decides every line and streams the results to a results file; it returns one small
fingerprint per page for the document step, which clusters near-duplicate documents.
Pass 3 (per shard) writes the cleaned files. Shards come from the sorted file list and a
decision depends only on the page and the corpus-wide tables, so results do not depend on
input order, shard size or the number of jobs.
"""

from __future__ import annotations

import itertools
import os
import re
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xxhash

from .config import Config
from .decide import LineGroup, decide_lines
from .dedup import GroupTable, ShardLines, build_groups_from_shards
from .docdedup import (
    DocCluster,
    DocHasher,
    DocPrints,
    PrintFiles,
    cluster_documents,
    doc_print_dtype,
)
from .engines import Engine
from .fingerprint import IdSet, LinePrinter, Memo, MinHasher, word_id
from .heuristics.classify import LineFeatures, line_features
from .heuristics.language import LanguageIdentifier, Stoplists
from .index import LineIndex, open_index, write_index
from .io.formats import RecordKeys
from .io.location import LocationError, describe
from .io.writers import WriteBatch, safe_join
from .models import Decision, FileResult, LineResult, Source
from .pages import Page, load_pages
from .report import GroupAgg, ShardTally
from .work import (
    DOC_PRINTS,
    GROUPS,
    KEYS,
    LENGTHS,
    PAGES,
    PASS1_DONE,
    PASS2_DONE,
    RESULTS,
    SIG_KEYS,
    SIG_KEYS_RUN,
    SIGS,
    SIGS_RUN,
    TALLY,
    load_marker,
    resume_or_run,
    save_marker,
    shard_file,
    stream_dump,
    stream_load,
)
from .writing import WriteItem, write_shard, writes_in_pass2

Progress = Callable[[str, int, int], None]  # (stage, done, total)
PageName = tuple[str, str | None]  # (file, record id)
SIGNATURE_CHUNK = 8_192  # distinct lines MinHashed together in pass 1 (bounds its memory)
DOC_SIGNATURE_CHUNK = 512  # pages whose document signatures are computed together in pass 2
# Files per shard: the corpus in about SHARDS_WANTED shards, of MIN to MAX_SHARD_FILES files.
# Every shard costs a dozen work files and a read of its fingerprints per group task, so
# tiny shards spend their time in the file system; large ones balance the workers worse
# and make a resumed run redo more. It depends on the number of files only (not on the
# workers), so a run resumed with another --jobs finds the same shards.
SHARDS_WANTED = 64
MIN_SHARD_FILES = 32
MAX_SHARD_FILES = 256


@dataclass(frozen=True, slots=True)
class Shard:
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


_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")  # a token of an ASCII line (see ``words``)


def fingerprint_shard(ctx: RunContext, shard: Shard) -> ShardPrints:
    """Pass 1 over one shard. Lines new to the current chunk of pages are MinHashed a chunk
    at a time, so a large record file does not hold its text in memory. A line this worker
    already sent a signature for (in an earlier shard) is not MinHashed again: the group
    step needs one signature per distinct line, from any shard. Skipped when the shard's
    done-marker exists (a rerun of an interrupted run)."""
    marker = shard_file(ctx.work_dir, shard.index, PASS1_DONE)
    return resume_or_run(marker, lambda: _fingerprint_shard(ctx, shard))


def _fingerprint_shard(ctx: RunContext, shard: Shard) -> ShardPrints:
    """:func:`fingerprint_shard`'s work, its marker aside."""
    config = ctx.config
    memo = ctx.memo or WorkerMemo(config.near_dup_max_chars)
    printer = memo.printer
    short = config.near_dup_max_chars
    hasher = ctx.line_hasher or MinHasher(config.num_perm, config.seed, config.shingle_size)
    # distinct short lines of the current chunk; a line seen again in a later chunk is
    # MinHashed again (a few template lines per chunk) rather than remembered in a set
    # that would grow with the shard
    pending: dict[int, str] = {}
    lengths = array("q")  # distinct keys of each readable page
    doc_file = shard_file(ctx.work_dir, shard.index, KEYS).open("wb")
    # each chunk's keys (sorted) and signatures go to run files, sorted together at the end
    key_run = shard_file(ctx.work_dir, shard.index, SIG_KEYS_RUN)
    sig_run = shard_file(ctx.work_dir, shard.index, SIGS_RUN)
    key_out, sig_out = key_run.open("wb"), sig_run.open("wb")

    def flush() -> None:
        ordered = sorted(pending)
        key_out.write(np.array(ordered, dtype=np.uint64).tobytes())
        sigs = hasher.signatures([pending[k] for k in ordered]).astype(np.uint32, copy=False)
        sig_out.write(np.ascontiguousarray(sigs).tobytes())
        pending.clear()

    def pages() -> Iterator[Page]:
        for source in shard.sources:
            pages_of = load_pages(
                source, config, ctx.record_keys, printer, shard.part, shard.parts, memo.langid
            )
            for page in pages_of:
                if page.error is None:
                    distinct = np.unique(page.keys)
                    doc_file.write(distinct.tobytes())
                    lengths.append(len(distinct))
                    lines = page.lines
                    at = np.array([i for i, ln in enumerate(lines) if len(ln) <= short], np.int64)
                    if len(at):
                        at = at[memo.unsigned(page.keys[at])]
                    for i, key in zip(at.tolist(), page.keys[at].tolist(), strict=True):
                        if key not in pending:
                            pending[key] = printer.normalized(lines[i])
                    if len(pending) >= SIGNATURE_CHUNK:
                        flush()
                yield page

    with doc_file, key_out, sig_out:
        stream_dump(pages(), shard_file(ctx.work_dir, shard.index, PAGES))
        flush()
    np.save(shard_file(ctx.work_dir, shard.index, LENGTHS), np.asarray(lengths, np.int64))
    sig_keys = sorted_signatures(
        key_run,
        sig_run,
        shard_file(ctx.work_dir, shard.index, SIG_KEYS),
        shard_file(ctx.work_dir, shard.index, SIGS),
        config.num_perm,
    )
    key_run.unlink()
    sig_run.unlink()
    memo.mark_signed(sig_keys)
    return ShardPrints(len(lengths), int(sum(lengths)))


def sorted_signatures(
    key_run: Path, sig_run: Path, keys_out: Path, sigs_out: Path, num_perm: int, block: int = 8192
) -> np.ndarray:
    """Sort a shard's signature runs (chunks of keys and their signatures, a key possibly in
    several chunks) into ``keys_out`` (sorted distinct keys) and ``sigs_out`` (their
    signatures, row for row; the first chunk's for a repeated key); returns the keys. The
    signatures are copied a block of rows at a time through a fresh read-only mapping, so
    only one block's pages are ever held, however large the shard.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d)
    ...     _ = (p / "k").write_bytes(np.array([5, 9, 2, 5], np.uint64).tobytes())
    ...     _ = (p / "s").write_bytes(np.array([[50], [90], [20], [51]], np.uint32).tobytes())
    ...     keys = sorted_signatures(p / "k", p / "s", p / "k.npy", p / "s.npy", 1, block=2)
    ...     keys.tolist(), np.load(p / "s.npy").ravel().tolist()
    ([2, 5, 9], [20, 50, 90])
    """
    sig_keys, first = np.unique(np.fromfile(key_run, np.uint64), return_index=True)
    rows = sig_run.stat().st_size // (4 * num_perm)
    tmp = sigs_out.with_name(sigs_out.name + ".part")
    with tmp.open("wb") as out:
        header = {"descr": "<u4", "fortran_order": False, "shape": (len(sig_keys), num_perm)}
        np.lib.format.write_array_header_1_0(out, header)
        for lo in range(0, len(first), block):
            run = np.memmap(sig_run, np.uint32, mode="r", shape=(rows, num_perm))
            out.write(np.ascontiguousarray(run[first[lo : lo + block]]).tobytes())
            del run
    os.replace(tmp, sigs_out)
    np.save(keys_out, sig_keys)
    return sig_keys


def fingerprint_shard_task(ctx: RunContext, shard: Shard) -> int:
    """:func:`fingerprint_shard` as an engine task: its result stays in the shard's marker
    file under the work folder; only the number of pages goes back."""
    return fingerprint_shard(ctx, shard).n_pages


_UNGROUPED = (LineGroup(None, 1, True), LineGroup(None, 1, False))


def line_groups(keys: np.ndarray, table: GroupTable) -> list[LineGroup]:
    """The group of each line of a page, and whether it is the line's first copy on it."""
    found, idx = table.lookup(keys)
    first, seen = [], set()  # a few keys: a set beats sorting them
    for key in keys.tolist():
        first.append(key not in seen)
        seen.add(key)
    hits = np.flatnonzero(found)
    groups = [_UNGROUPED[0] if f else _UNGROUPED[1] for f in first]
    rows = idx[hits]
    for i, gid, n_files in zip(
        hits.tolist(), table.gid[rows].tolist(), table.n_files[rows].tolist(), strict=True
    ):
        groups[i] = LineGroup(gid, n_files, first[i])
    return groups


def token_counts(
    ids: np.ndarray, counts: np.ndarray, stop_ids: IdSet | None
) -> list[tuple[int, int]]:
    """Per line, from a page's token ids (0 for punctuation) and tokens per line: its word
    tokens and how many of them have an id of ``stop_ids`` (None: no stoplist).

    >>> ids = np.array([7, 0, 3, 7, 9], np.uint64)
    >>> token_counts(ids, np.array([3, 0, 2]), IdSet(np.array([7], np.uint64)))
    [(2, 1), (0, 0), (2, 1)]
    """
    ends = np.cumsum(counts)
    starts = ends - counts

    def per_line(mask: np.ndarray) -> list[int]:
        total = np.zeros(len(mask) + 1, np.int64)
        np.cumsum(mask, out=total[1:])
        return (total[ends] - total[starts]).tolist()

    n_words = per_line(ids != 0)
    if stop_ids is None:
        return [(n, 0) for n in n_words]
    return list(zip(n_words, per_line(stop_ids.contains(ids)), strict=True))


def page_features(page: Page, memo: WorkerMemo, config: Config) -> list[LineFeatures]:
    """The features of each line; a short line's are remembered per language. A long
    line's words and stopwords are counted from the word ids of its fingerprint."""
    stop = memo.stoplists.get(page.language)
    seen = memo.features(page.language)
    short = memo.short_chars
    counted: list[tuple[int, int]] | None = None
    feats = []
    for n, line in enumerate(page.lines):
        if len(line) > short:
            if counted is None:
                usable, stop_ids = memo.stop_ids(page.language)
                counted = token_counts(page.words, page.word_counts, stop_ids) if usable else []
            feats.append(line_features(line, stop, config, counted[n] if counted else None))
            continue
        f = seen.get(line)
        if f is None:
            f = line_features(line, stop, config)
            seen.put(line, f)
        feats.append(f)
    return feats


def decide_page(page: Page, ctx: RunContext, memo: WorkerMemo | None = None) -> FileResult:
    if page.error is not None:
        return FileResult(page.rel, page.kind, (), None, page.error, page.notes, page.id)
    config = ctx.config
    memo = memo or ctx.memo or WorkerMemo(config.near_dup_max_chars)
    assert ctx.table is not None
    feats = page_features(page, memo, config)
    groups = line_groups(page.keys, ctx.table)
    shape_filter = page.kind != "html" or config.html_shape_filter
    decisions = decide_lines(feats, groups, ctx.template_min_files, config, shape_filter)
    # equal decisions share one object: the results file pickles each once per page
    shared: dict[Decision, Decision] = {}
    lines = tuple(
        LineResult(n + 1, text, shared.setdefault(d, d))
        for n, (text, d) in enumerate(zip(page.lines, decisions, strict=True))
    )
    return FileResult(page.rel, page.kind, lines, page.language, None, page.notes, page.id)


def kept_words(page: Page, result: FileResult) -> np.ndarray:
    """The word ids of a page's kept lines, in order (pass 1 computed them per line; words
    never span lines, so these are the words of the cleaned text)."""
    if not len(page.words):
        return page.words
    keep = np.fromiter((ln.decision.keep for ln in result.lines), dtype=bool)
    ids = page.words[np.repeat(keep, page.word_counts)]
    return ids[ids != 0]  # punctuation tokens


def needs_results(ctx: RunContext, shard: Shard) -> bool:
    """Whether pass 2 keeps a shard's results file: for the caller (``keep_results``), or
    for pass 3 to write the shard's outputs from (record files; all files when near-duplicate
    documents are dropped). Single-page files written in pass 2 need none."""
    if ctx.keep_results:
        return True
    if ctx.out_dir is None:
        return False
    if not writes_in_pass2(ctx.config):
        return True
    return any(s.is_record_file for s in shard.sources)


def decide_shard(ctx: RunContext, shard: Shard) -> list[PageName]:
    """Pass 2 over one shard: results streamed to the shard's results file (when
    :func:`needs_results`), document
    prints (one row per page; no words for a page that could not be read) appended to its
    document-print file a batch at a time (so a large record file's prints are never all
    held); returns the name of each page.

    Unless near-duplicate documents are dropped, the output of a single-page file depends
    on nothing else, so it is written here (pass 3 then only writes record files). Skipped
    when the shard's done-marker exists (a rerun of an interrupted run)."""
    marker = shard_file(ctx.work_dir, shard.index, PASS2_DONE)
    pages = shard_file(ctx.work_dir, shard.index, PAGES)  # pass 1's: read once
    return resume_or_run(marker, lambda: _decide_shard(ctx, shard), used_up=(pages,))


def _decide_shard(ctx: RunContext, shard: Shard) -> list[PageName]:
    """:func:`decide_shard`'s work, its marker aside."""
    index = shard.index
    config = ctx.config
    memo = ctx.memo or WorkerMemo(config.near_dup_max_chars)
    hasher = ctx.doc_hasher  # None: no document prints wanted (no dedup, no index)
    # pages waiting for their document signature, in page order: (content hash, word ids);
    # every page gets a row, so a page's row number in the file is its position
    waiting: list[tuple[int, np.ndarray]] = []
    prints_file = shard_file(ctx.work_dir, index, DOC_PRINTS).open("wb")

    def sign_waiting() -> None:
        assert hasher is not None
        made = hasher.doc_prints_of(waiting)
        rows = np.zeros(len(made), dtype=doc_print_dtype(len(hasher.a)))
        rows["content"] = [doc.content for doc in made]
        rows["n_words"] = [doc.n_words for doc in made]
        rows["sig"] = np.stack([doc.sig for doc in made])
        prints_file.write(rows.tobytes())
        waiting.clear()

    singles: dict[str, Source] = {}  # pages written here, by rel
    if ctx.out_dir is not None and writes_in_pass2(config):
        singles = {s.rel: s for s in shard.sources if not s.is_record_file}

    tally = ShardTally()
    outputs = WriteBatch()

    def results() -> Iterator[FileResult]:
        for page in stream_load(shard_file(ctx.work_dir, index, PAGES)):
            result = decide_page(page, ctx, memo)
            tally.add(result)
            text = None  # the cleaned page: its kept lines, each ending in a newline
            if result.error is None and (hasher is not None or page.rel in singles):
                text = "\n".join([*result.kept, ""])
            if text is not None and result.id is None and page.rel in singles:
                assert ctx.out_dir is not None
                target = safe_join(ctx.out_dir, singles[page.rel].target(config.output_format))
                outputs.add(target, text)
            if hasher is not None:
                if text is None:  # unreadable: a row without words, never clustered
                    waiting.append((0, np.empty(0, np.uint64)))
                else:
                    content = xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))
                    waiting.append((content, kept_words(page, result)))
                if len(waiting) >= DOC_SIGNATURE_CHUNK:
                    sign_waiting()
            del text
            yield result

    with prints_file:
        if needs_results(ctx, shard):
            stream_dump(results(), shard_file(ctx.work_dir, index, RESULTS))
        else:
            deque(results(), maxlen=0)  # judged, tallied and written; nothing kept
        if waiting:
            sign_waiting()
    outputs.flush()
    head, groups = tally.split()  # apart: a report may read the texts of a few groups only
    save_marker(shard_file(ctx.work_dir, index, GROUPS), groups)
    save_marker(shard_file(ctx.work_dir, index, TALLY), head)
    names: list[PageName] = [(rel, rid) for rel, rid, *_ in tally.pages]
    return names


def in_record_order(
    streams: Sequence[Iterator[tuple[int, FileResult]]], block: int
) -> Iterator[tuple[int, tuple[int, FileResult]]]:
    """Merge the results of the parts of one record file back into record order: blocks
    of ``block`` records were dealt to the parts in turn. Yields (part, item). A page with
    no record id (a file that ended in unreadable data: part 0 reports it) comes last.
    One stream (a shard of pages, or a record file in one part) passes through as it is.
    """
    if len(streams) == 1:
        yield from ((0, item) for item in streams[0])
        return
    heads: list[tuple[int, FileResult] | None] = [next(s, None) for s in streams]
    n = 0
    while True:
        part = (n // block) % len(streams)
        head = heads[part]
        if head is None or head[1].id is None:
            # the end: what is left can only be the error page of a file cut short
            for j, rest in enumerate(heads):
                if rest is None:
                    continue
                if rest[1].id is not None or next(streams[j], None) is not None:
                    raise RuntimeError("the parts of a record file do not fit together")
                yield j, rest
            return
        yield part, head
        heads[part] = next(streams[part], None)
        n += 1


def part_shards(
    shards: Sequence[Shard], k: int, verdicts: Sequence[dict[int, DocVerdict]]
) -> tuple[tuple[int, dict[int, DocVerdict]], ...]:
    """For the first part of a record file cleaned in parts: (shard index, verdicts) of
    every part, which its writer reads together; empty otherwise."""
    shard = shards[k]
    if shard.parts == 1 or shard.part != 0:
        return ()
    return tuple((shards[k + j].index, verdicts[k + j]) for j in range(shard.parts))


def record_parts(size: int, config: Config) -> int:
    """How many parts a record file of ``size`` bytes is cleaned in.

    >>> cfg = Config(record_part_bytes=100, max_record_parts=4)
    >>> [record_parts(n, cfg) for n in (0, 100, 101, 250, 10_000)]
    [1, 1, 2, 3, 4]
    """
    return max(1, min(config.max_record_parts, -(-size // config.record_part_bytes)))


def files_per_shard(n_files: int) -> int:
    """
    >>> files_per_shard(100), files_per_shard(10_000), files_per_shard(1_000_000)
    (32, 157, 256)
    """
    return min(MAX_SHARD_FILES, max(MIN_SHARD_FILES, -(-n_files // SHARDS_WANTED)))


def make_shards(
    sources: Sequence[Source], shard_size: int, config: Config | None = None
) -> list[Shard]:
    """Consecutive runs of the sorted sources; a record container gets a shard of its own,
    or one per part when it is large (see :func:`record_parts`)."""
    config = config or Config()
    ordered = sorted(sources, key=lambda s: s.target())
    shards: list[Shard] = []
    run: list[Source] = []
    for source in ordered:
        if source.is_record_file:
            if run:
                shards.append(Shard(len(shards), tuple(run)))
                run = []
            try:
                parts = record_parts(describe(source.location)[0], config)
            except (OSError, LocationError):
                parts = 1  # pass 1 reports what is wrong with it
            for part in range(parts):
                shards.append(Shard(len(shards), (source,), part, parts))
            continue
        run.append(source)
        if len(run) >= shard_size:
            shards.append(Shard(len(shards), tuple(run)))
            run = []
    if run:
        shards.append(Shard(len(shards), tuple(run)))
    return shards


def merge_prints(
    work_dir: Path, shards: Sequence[Shard], num_perm: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct line keys of the corpus (sorted), and the MinHashed ones with one signature
    each, merged in memory from the shards' files (one shard's signatures at a time)."""

    def load(i: int, what: str) -> np.ndarray:
        return np.load(shard_file(work_dir, shards[i].index, what))

    if not shards:
        empty = np.empty(0, np.uint64)
        return empty, empty, np.empty((0, num_perm), np.uint32)

    def distinct_keys(i: int) -> np.ndarray:
        return np.unique(np.fromfile(shard_file(work_dir, shards[i].index, KEYS), np.uint64))

    if len(shards) == 1:  # one shard: sorted and distinct already
        return distinct_keys(0), load(0, SIG_KEYS), load(0, SIGS)
    keys = np.unique(np.concatenate([distinct_keys(i) for i in range(len(shards))]))
    sig_keys, sigs = merge_signatures(
        [load(i, SIG_KEYS) for i in range(len(shards))],
        num_perm,
        lambda i: load(i, SIGS),
    )
    return keys, sig_keys, sigs


def merge_signatures(
    part_keys: Sequence[np.ndarray], num_perm: int, sigs_of: Callable[[int], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Union of parts of (keys, signatures): each key once, with its signature. The keys
    of each part are given; ``sigs_of(i)`` gives part i's signatures when they are needed.

    >>> k = [np.array([1, 3], np.uint64), np.array([2, 3], np.uint64)]
    >>> s = [np.array([[10], [30]], np.uint32), np.array([[20], [31]], np.uint32)]
    >>> keys, sigs = merge_signatures(k, 1, s.__getitem__)
    >>> keys.tolist(), sigs.ravel().tolist()
    ([1, 2, 3], [10, 20, 30])
    """
    sig_keys, first = np.unique(np.concatenate(list(part_keys)), return_index=True)
    offsets = np.cumsum([0] + [len(k) for k in part_keys])
    part_of = np.searchsorted(offsets, first, side="right") - 1
    order = np.argsort(part_of, kind="stable")
    bounds = np.searchsorted(part_of[order], np.arange(len(part_keys) + 1))
    sigs = np.empty((len(sig_keys), num_perm), dtype=np.uint32)
    for i in range(len(part_keys)):
        rows = order[bounds[i] : bounds[i + 1]]
        if len(rows):
            sigs[rows] = sigs_of(i)[first[rows] - offsets[i]]
    return sig_keys, sigs


def doc_key_batches(
    work_dir: Path, shards: Sequence[Shard], batch: int = 4096
) -> Iterator[list[np.ndarray]]:
    """The distinct line keys of each readable page, read back from the shards' key files
    a batch of pages at a time."""
    for shard in shards:
        lengths = np.load(shard_file(work_dir, shard.index, LENGTHS))
        raw = shard_file(work_dir, shard.index, KEYS)
        if not raw.stat().st_size:
            if len(lengths):
                yield [np.empty(0, np.uint64) for _ in range(len(lengths))]
            continue
        flat = np.memmap(raw, dtype=np.uint64, mode="r")
        ends = np.cumsum(lengths)
        starts = ends - lengths
        for lo in range(0, len(lengths), batch):
            hi = min(lo + batch, len(lengths))
            yield [np.array(flat[a:b]) for a, b in zip(starts[lo:hi], ends[lo:hi], strict=True)]


@dataclass(frozen=True, slots=True)
class DocVerdict:
    """A page's place in a cluster of near-duplicate documents."""

    cluster: int
    representative: bool
    dropped: bool  # --dedup-docs drop and not the representative


def document_verdicts(
    prints: DocPrints, config: Config, order: Sequence[int] | np.ndarray | None = None
) -> tuple[list[DocCluster], dict[int, DocVerdict]]:
    """Cluster the corpus's documents (one print per page in the corpus's page order);
    verdicts by position. ``order``: each page's position in the report, which settles ties
    between exact copies."""
    clusters = cluster_documents(
        prints, config.doc_bands, config.doc_rows, config.doc_threshold, order
    )
    verdicts: dict[int, DocVerdict] = {}
    for c in clusters:
        for m in c.members:
            drop = config.dedup_docs == "drop" and m != c.representative
            verdicts[m] = DocVerdict(c.id, m == c.representative, drop)
    return clusters, verdicts


def decide_shard_task(ctx: RunContext, shard: Shard) -> list[PageName]:
    """:func:`decide_shard` as an engine task: the document prints stay in the shard's
    file under the work folder; only the page names go back."""
    return decide_shard(ctx, shard)


@dataclass(frozen=True)
class RunResult:
    """How to read the results of a run: streamed FileResults, the report's tallies and
    document clusters."""

    results: Callable[[], Iterator[tuple[FileResult, DocVerdict | None]]]
    tallies: Callable[[], Iterator[ShardTally]]  # what the report counts, shard by shard
    groups: Callable[[], Iterator[dict[int, GroupAgg]]]  # each tally's groups, in order
    clusters: list[tuple[int, list[PageName], PageName]]  # (id, members, representative)
    n_pages: int
    template_min_files: int  # the threshold the decisions used (index pages counted)


def run(
    sources: Sequence[Source],
    config: Config,
    engine: Engine,
    work_dir: Path,
    out_dir: Path | None,
    record_keys: RecordKeys | None = None,
    shard_size: int | None = None,
    progress: Progress | None = None,
    index_path: Path | None = None,
    keep_results: bool = True,
    index: LineIndex | None = None,
) -> RunResult:
    """Run all passes; the returned results stream from the work folder (only with
    ``keep_results``: otherwise pass 2 keeps no more than pass 3 needs). With
    ``index_path``, lines and pages of earlier runs count as part of the corpus, and the
    index is updated with this run's when all passes succeeded; ``index``: the index at
    ``index_path`` when the caller opened (and so verified) it already."""
    if index is None and index_path is not None:
        index = open_index(index_path, config)  # verified before any work
    shards = make_shards(sources, shard_size or files_per_shard(len(sources)), config)
    tick = progress or (lambda stage, done, total: None)
    ctx = RunContext(
        config,
        work_dir,
        record_keys or RecordKeys(),
        line_hasher=MinHasher(config.num_perm, config.seed, config.shingle_size),
        memo=WorkerMemo(config.near_dup_max_chars),
    )

    prints: list[ShardPrints] = []  # each shard's counts; its fingerprints stay in its files
    tick("read", 0, len(sources))
    done = 0
    for shard, _ in zip(shards, engine.map(fingerprint_shard_task, shards, ctx), strict=True):
        # read back from the shard's marker: nothing but counts travels through the engine
        shard_prints = load_marker(shard_file(work_dir, shard.index, PASS1_DONE))
        assert shard_prints is not None
        prints.append(shard_prints)
        done += len(shard.sources)
        tick("read", done, len(sources))

    tick("group", 0, 1)
    n_pages = sum(p.n_pages for p in prints)

    def earlier() -> Iterable[list[np.ndarray]]:
        """The page key sets of earlier runs, from the index."""
        return index.doc_batches() if index is not None else ()

    # from the shards' files (and the index's), in bounded memory
    lines = [
        ShardLines(
            str(shard_file(work_dir, s.index, SIG_KEYS)),
            str(shard_file(work_dir, s.index, SIGS)),
        )
        for s in shards
    ]
    n_entries = sum(p.n_entries for p in prints)
    if index is not None:
        lines.insert(0, ShardLines(*(str(p) for p in index.signature_files)))
        n_entries += len(index.docs)
        n_pages += index.n_docs
    table = build_groups_from_shards(
        lines,
        lambda: itertools.chain(earlier(), doc_key_batches(work_dir, shards)),
        n_entries,
        config.lsh_bands,
        config.lsh_rows,
        config.similarity_threshold,
        work_dir,
        engine,
        config.group_memory_bytes,
    )
    del prints
    tick("group", 1, 1)
    template_min_files = config.template_min_files(n_pages)  # the report states this one

    ctx = RunContext(
        config,
        work_dir,
        ctx.record_keys,
        out_dir,
        table,
        template_min_files,
        # the index keeps every page's document print, whatever --dedup-docs
        doc_hasher=DocHasher(
            config.doc_num_perm, config.seed, config.doc_ngram, config.doc_max_words
        )
        if config.dedup_docs != "off" or index_path is not None
        else None,
        memo=WorkerMemo(config.near_dup_max_chars),
        keep_results=keep_results,
    )
    per_shard: list[int] = []
    no_id: list[int] = []  # pages without a record id in files cleaned in parts
    tick("decide", 0, len(shards))
    for n, shard_names in enumerate(engine.map(decide_shard_task, shards, ctx)):
        if shards[n].parts > 1:
            at = sum(per_shard)
            no_id.extend(at + i for i, (_, rid) in enumerate(shard_names) if rid is None)
        per_shard.append(len(shard_names))
        tick("decide", n + 1, len(shards))

    # each page's position in record order (parts of a file interleaved back): it settles
    # ties and lists clusters the same way whatever the parts
    order = record_order_positions(shards, per_shard, no_id, config.record_block)
    # the pages of earlier runs (from the index) come first: rows and positions before
    # this run's, so an exact copy of an earlier page is the copy that goes
    n_earlier = index.n_documents if index is not None else 0
    order_all = order
    if index is not None:
        order_all = np.concatenate([np.asarray(index.doc_order), n_earlier + order])
    paths = tuple(shard_file(work_dir, s.index, DOC_PRINTS) for s in shards)
    clusters: list[DocCluster] = []
    verdicts: dict[int, DocVerdict] = {}
    if config.dedup_docs != "off":
        earlier_prints = (index.doc_print_file,) if index is not None and n_earlier else ()
        doc_prints = PrintFiles(
            (*earlier_prints, *paths),
            (*((n_earlier,) if earlier_prints else ()), *per_shard),
            config.doc_num_perm,
        )
        clusters, verdicts = document_verdicts(doc_prints, config, order_all)
        # verdicts on this run's pages only; clusters that hold one of them
        verdicts = {i - n_earlier: v for i, v in verdicts.items() if i >= n_earlier}
        clusters = [c for c in clusters if c.members[-1] >= n_earlier]
    offsets = np.concatenate([[0], np.cumsum(per_shard)]).astype(np.int64)
    shard_verdicts: list[dict[int, DocVerdict]] = [{} for _ in shards]
    for i, v in verdicts.items():
        k = int(np.searchsorted(offsets, i, side="right")) - 1
        shard_verdicts[k][i - int(offsets[k])] = v
    if out_dir is not None:
        items = [
            WriteItem(
                s.index,
                () if s.part > 0 else s.sources,  # part 0 writes the file of all parts
                shard_verdicts[k],
                part_shards(shards, k, shard_verdicts),
            )
            for k, s in enumerate(shards)
        ]
        tick("write", 0, len(items))
        for n, _ in enumerate(engine.map(write_shard, items, ctx)):
            tick("write", n + 1, len(items))

    # a cluster lists this run's pages and its representative (an earlier run's page goes
    # by the name that run gave it): one holding no other page of this run is not listed
    listed = [
        (c, [m for m in c.members if m >= n_earlier or m == c.representative]) for c in clusters
    ]
    listed = [(c, members) for c, members in listed if len(members) >= 2]
    wanted = [m for _, members in listed for m in members]
    names = {
        n_earlier + i: name
        for i, name in page_names(
            work_dir, shards, per_shard, (m - n_earlier for m in wanted if m >= n_earlier)
        ).items()
    }
    if index is not None:
        names.update(index.doc_names(m for m in wanted if m < n_earlier))
    summary = [
        (
            c.id,
            [names[m] for m in sorted(members, key=lambda m: int(order_all[m]))],
            names[c.representative],
        )
        for c, members in sorted(listed, key=lambda x: min(int(order_all[m]) for m in x[1]))
    ]

    if index_path is not None:
        tick("index", 0, 1)
        # the index stores the fingerprints merged: merged in memory here
        keys, sig_keys, sigs = merge_prints(work_dir, shards, config.num_perm)
        if index is not None:
            keys = np.unique(np.concatenate([np.asarray(index.keys), keys]))
            both = [np.asarray(index.sigs), sigs]
            sig_keys, sigs = merge_signatures(
                [np.asarray(index.sig_keys), sig_keys], config.num_perm, both.__getitem__
            )
            del both
        batches = itertools.chain(earlier(), doc_key_batches(work_dir, shards))
        write_index(
            index_path,
            config,
            keys,
            sig_keys,
            sigs,
            batches,
            index,
            paths,
            order_all,
            (
                name
                for s in shards
                for name in load_marker(shard_file(work_dir, s.index, PASS2_DONE))
            ),
        )
        tick("index", 1, 1)

    def results() -> Iterator[tuple[FileResult, DocVerdict | None]]:
        if not keep_results:
            raise RuntimeError("this run kept no results (run with keep_results=True)")
        k = 0
        while k < len(shards):
            group = shards[k : k + shards[k].parts]  # the parts of one file, or one shard
            streams = [
                iter(enumerate(stream_load(shard_file(work_dir, s.index, RESULTS)))) for s in group
            ]
            verdicts = shard_verdicts[k : k + len(group)]
            for j, (i, result) in in_record_order(streams, config.record_block):
                yield result, verdicts[j].get(i)
            k += len(group)

    def tallies() -> Iterator[ShardTally]:
        for s in shards:
            tally = load_marker(shard_file(work_dir, s.index, TALLY))
            assert tally is not None, "a shard decided without its tally"
            yield tally

    def groups() -> Iterator[dict[int, GroupAgg]]:
        for s in shards:
            groups = load_marker(shard_file(work_dir, s.index, GROUPS))
            assert groups is not None, "a shard decided without its groups"
            yield groups

    return RunResult(results, tallies, groups, summary, n_pages, template_min_files)


def record_order_positions(
    shards: Sequence[Shard], per_shard: Sequence[int], no_id: Sequence[int], block: int
) -> np.ndarray:
    """For each page (in shard order), its position in the order :func:`in_record_order`
    gives: the parts of a record file interleaved back by blocks, the page of a file that
    ended in unreadable data (``no_id``: the pages without a record id in files cleaned in
    parts) last.

    >>> shards = [Shard(0, (), 0, 2), Shard(1, (), 1, 2)]
    >>> record_order_positions(shards, [4, 2], [3], 2).tolist()
    [0, 1, 4, 5, 2, 3]
    """
    order = np.empty(int(sum(per_shard)), np.int64)
    cut = np.asarray(sorted(no_id), np.int64)
    start = k = at = 0
    while k < len(shards):
        parts = shards[k].parts
        total = sum(per_shard[k : k + parts])
        for j in range(parts):
            n = per_shard[k + j]
            i = np.arange(n)
            if parts == 1:
                order[at : at + n] = start + i
            else:
                order[at : at + n] = start + ((i // block) * parts + j) * block + i % block
                # the error page of a file cut short
                order[cut[(cut >= at) & (cut < at + n)]] = start + total - 1
            at += n
        start += total
        k += parts
    return order


def page_names(
    work_dir: Path, shards: Sequence[Shard], per_shard: Sequence[int], pages: Iterable[int]
) -> dict[int, PageName]:
    """The names of some pages (by index in shard order), read from the pass-2 markers of
    the shards that hold them."""
    offsets = np.cumsum([0, *per_shard])
    wanted: dict[int, list[int]] = {}
    for i in pages:
        wanted.setdefault(int(np.searchsorted(offsets, i, side="right")) - 1, []).append(i)
    names: dict[int, PageName] = {}
    for k, members in sorted(wanted.items()):
        shard_names = load_marker(shard_file(work_dir, shards[k].index, PASS2_DONE))
        for i in members:
            names[i] = shard_names[i - int(offsets[k])]
    return names
