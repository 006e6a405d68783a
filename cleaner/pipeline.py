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

This module plans the shards and calls the steps in order; each step is a module of
:mod:`cleaner.steps` (pass 3 is :mod:`cleaner.writing`), the work folder's files are named
in :mod:`cleaner.work`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Config
from .dedup import ShardLines, build_groups_from_shards
from .docdedup import DocCluster, DocHasher, PrintFiles
from .engines import Engine
from .fingerprint import MinHasher
from .index import LineIndex, open_index, write_index
from .io.formats import RecordKeys
from .io.location import LocationError, describe
from .models import FileResult, Source
from .report import GroupAgg, ShardTally
from .steps.context import PageName, RunContext, Shard, ShardPrints, WorkerMemo
from .steps.decide import decide_shard_task
from .steps.documents import DocVerdict, document_verdicts, page_names, record_order_positions
from .steps.fingerprint import fingerprint_shard_task
from .steps.group import doc_key_batches, merge_prints, merge_signatures
from .work import (
    DOC_PRINTS,
    GROUPS,
    PASS1_DONE,
    PASS2_DONE,
    RESULTS,
    SIG_KEYS,
    SIGS,
    TALLY,
    load_marker,
    shard_file,
    stream_load,
)
from .writing import WriteItem, write_shard

Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Files per shard: the corpus in about SHARDS_WANTED shards, of MIN to MAX_SHARD_FILES files.
# Every shard costs a dozen work files and a read of its fingerprints per group task, so
# tiny shards spend their time in the file system; large ones balance the workers worse
# and make a resumed run redo more. It depends on the number of files only (not on the
# workers), so a run resumed with another --jobs finds the same shards.
SHARDS_WANTED = 64
MIN_SHARD_FILES = 32
MAX_SHARD_FILES = 256


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
