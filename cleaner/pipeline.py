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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .docdedup import DocHasher
from .engines import Engine
from .fingerprint import MinHasher
from .index import LineIndex, open_index
from .io.location import LocationError, describe
from .io.records import RecordKeys
from .models import FileResult, Source
from .report.tally import GroupColumns, ShardTally
from .steps.context import PageName, RunContext, Shard, ShardPrints, WorkerMemo
from .steps.decide import decide_shard_task
from .steps.documents import DocVerdict, cluster_summary, document_step
from .steps.fingerprint import fingerprint_shard_task
from .steps.group import group_step
from .steps.index import update_index
from .work import (
    GROUPS,
    PASS1_DONE,
    RESULTS,
    TALLY,
    load_marker,
    shard_file,
    stream_load,
)
from .writing import WriteItem, has_writes, write_shard

Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Files per shard: the corpus in about SHARDS_WANTED shards, of MIN to MAX_SHARD_FILES files.
# Every shard costs a dozen work files and a read of its fingerprints per group task, so
# tiny shards spend their time in the file system; large ones balance the workers worse
# and make a resumed run redo more. It depends on the number of files only (not on the
# workers), so a run resumed with another --jobs finds the same shards. A shard's fixed
# cost is about 4 ms of CPU (its work files, markers and tasks): 70 pages in 2 shards of
# at least 48 files ran 3.5% faster than in 3 of at least 32.
SHARDS_WANTED = 64
MIN_SHARD_FILES = 48
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
    (48, 157, 256)
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
    groups: Callable[[], Iterator[GroupColumns]]  # each tally's groups, in order
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
    prints = read_pass(shards, len(sources), engine, ctx, tick)
    tick("group", 0, 1)
    table, n_pages = group_step(shards, prints, index, work_dir, engine, config)
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
    per_shard, no_id = decide_pass(shards, engine, ctx, tick)
    docs = document_step(shards, per_shard, no_id, index, work_dir, config)
    if out_dir is not None:
        write_pass(shards, docs.shard_verdicts, engine, ctx, tick)
    summary = cluster_summary(docs, shards, per_shard, index, work_dir)
    if index_path is not None:
        tick("index", 0, 1)
        update_index(index_path, index, shards, docs, work_dir, config)
        tick("index", 1, 1)

    def results() -> Iterator[tuple[FileResult, DocVerdict | None]]:
        if not keep_results:
            raise RuntimeError("this run kept no results (run with keep_results=True)")
        yield from stream_results(shards, docs.shard_verdicts, work_dir, config.record_block)

    def tallies() -> Iterator[ShardTally]:
        yield from saved_markers(shards, work_dir, TALLY, "a shard decided without its tally")

    def groups() -> Iterator[GroupColumns]:
        yield from saved_markers(shards, work_dir, GROUPS, "a shard decided without its groups")

    return RunResult(results, tallies, groups, summary, n_pages, template_min_files)


def read_pass(
    shards: Sequence[Shard], n_sources: int, engine: Engine, ctx: RunContext, tick: Progress
) -> list[ShardPrints]:
    """Pass 1 over every shard: each shard's counts (its fingerprints stay in its files)."""
    prints: list[ShardPrints] = []
    tick("read", 0, n_sources)
    done = 0
    for shard, _ in zip(shards, engine.map(fingerprint_shard_task, shards, ctx), strict=True):
        # read back from the shard's marker: nothing but counts travels through the engine
        shard_prints = load_marker(shard_file(ctx.work_dir, shard.index, PASS1_DONE))
        assert shard_prints is not None
        prints.append(shard_prints)
        done += len(shard.sources)
        tick("read", done, n_sources)
    return prints


def decide_pass(
    shards: Sequence[Shard], engine: Engine, ctx: RunContext, tick: Progress
) -> tuple[list[int], list[int]]:
    """Pass 2 over every shard: the number of pages of each shard, and the pages (in shard
    order) without a record id in files cleaned in parts."""
    per_shard: list[int] = []
    no_id: list[int] = []  # pages without a record id in files cleaned in parts
    tick("decide", 0, len(shards))
    for n, shard_names in enumerate(engine.map(decide_shard_task, shards, ctx)):
        if shards[n].parts > 1:
            at = sum(per_shard)
            no_id.extend(at + i for i, (_, rid) in enumerate(shard_names) if rid is None)
        per_shard.append(len(shard_names))
        tick("decide", n + 1, len(shards))
    return per_shard, no_id


def write_pass(
    shards: Sequence[Shard],
    shard_verdicts: Sequence[dict[int, DocVerdict]],
    engine: Engine,
    ctx: RunContext,
    tick: Progress,
) -> None:
    """Pass 3 over every shard: write the outputs pass 2 did not. A shard with none to
    write (its pages written in pass 2 and no record file; a later part of a record file,
    whose first part writes it) is not visited: no task, no marker."""
    items = [
        WriteItem(
            s.index,
            () if s.part > 0 else s.sources,  # part 0 writes the file of all parts
            shard_verdicts[k],
            part_shards(shards, k, shard_verdicts),
        )
        for k, s in enumerate(shards)
    ]
    todo = [item for item in items if has_writes(item, ctx.config)]
    done = len(items) - len(todo)
    tick("write", done, len(items))
    for n, _ in enumerate(engine.map(write_shard, todo, ctx)):
        tick("write", done + n + 1, len(items))


def stream_results(
    shards: Sequence[Shard],
    shard_verdicts: Sequence[dict[int, DocVerdict]],
    work_dir: Path,
    block: int,
) -> Iterator[tuple[FileResult, DocVerdict | None]]:
    """Every page's result with its verdict, in record order, from the shards' files."""
    k = 0
    while k < len(shards):
        group = shards[k : k + shards[k].parts]  # the parts of one file, or one shard
        streams = [
            iter(enumerate(stream_load(shard_file(work_dir, s.index, RESULTS)))) for s in group
        ]
        verdicts = shard_verdicts[k : k + len(group)]
        for j, (i, result) in in_record_order(streams, block):
            yield result, verdicts[j].get(i)
        k += len(group)


def saved_markers(
    shards: Sequence[Shard], work_dir: Path, what: str, missing: str
) -> Iterator[Any]:
    """Each shard's saved ``what`` (a pass-2 file), in shard order."""
    for s in shards:
        saved = load_marker(shard_file(work_dir, s.index, what))
        assert saved is not None, missing
        yield saved
