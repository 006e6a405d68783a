"""The passes: read → extract → segment → fingerprint | group | decide → write.

Pass 1 (per shard of files) reads, extracts and segments each page, keeps the lines in a
shard file under the work folder, and returns only fingerprints: the distinct line keys of
each page and a MinHash signature per line new to the shard. The group step sees nothing
else. Pass 2 (per shard) reads the shard file back, decides every line and writes output.
Shards come from the sorted file list and every decision depends on the page and the group
table only, so results do not depend on input order, shard size or the number of jobs.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Config
from .decide import LineGroup, decide_lines
from .dedup import GroupTable, build_groups
from .engines import Engine
from .fingerprint import MinHasher, line_key
from .heuristics.classify import line_features
from .heuristics.language import Stoplists, detect_language
from .io.readers import InputError, output_name, read_source, segment
from .io.writers import atomic_write_text, safe_join
from .models import Decision, FileResult, LineResult, Source
from .text import normalize_line, word_count

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True, slots=True)
class Page:
    """A page after pass 1, as kept in its shard file."""

    rel: str
    kind: str
    lines: tuple[str, ...]
    keys: np.ndarray  # uint64 key per line
    language: str | None
    notes: tuple[str, ...]
    error: str | None


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class ShardPrints:
    """What pass 1 sends to the group step for one shard: fingerprints only."""

    doc_keys: tuple[np.ndarray, ...]  # distinct keys per readable page, in page order
    keys: np.ndarray  # distinct keys of the shard, sorted
    sigs: np.ndarray  # their signatures


@dataclass(frozen=True, slots=True)
class FingerprintContext:
    config: Config
    work_dir: Path


@dataclass(frozen=True, slots=True)
class DecideContext:
    config: Config
    work_dir: Path
    table: GroupTable
    template_min_files: int
    out_dir: Path | None  # None: report only


def shard_path(work_dir: Path, index: int) -> Path:
    return work_dir / f"shard-{index:06d}.pkl"


def page_language(lines: Sequence[str], config: Config) -> str | None:
    """Language of a page, detected on its prose-like lines (or forced by the config)."""
    if config.language:
        return config.language
    prose = [ln for ln in lines if word_count(ln) >= 6] or list(lines)
    return detect_language("\n".join(prose), config.langid_max_chars)


def load_page(source: Source, config: Config) -> Page:
    """Read, extract and segment one file; a failure becomes the page's error."""
    notes: tuple[str, ...] = ()
    try:
        text, note = read_source(source)
        if note:
            notes = (note,)
        if source.kind == "html":
            from .extract.html import html_to_text

            text = html_to_text(text, config)
    except InputError as exc:
        return Page(source.rel, source.kind, (), np.empty(0, np.uint64), None, notes, str(exc))
    except (ValueError, RecursionError, MemoryError) as exc:
        message = f"could not be parsed: {type(exc).__name__}"
        return Page(source.rel, source.kind, (), np.empty(0, np.uint64), None, notes, message)
    lines = tuple(segment(text))
    keys = np.fromiter((line_key(normalize_line(ln)) for ln in lines), np.uint64, len(lines))
    return Page(source.rel, source.kind, lines, keys, page_language(lines, config), notes, None)


def fingerprint_shard(ctx: FingerprintContext, shard: Shard) -> ShardPrints:
    """Pass 1 over one shard."""
    config = ctx.config
    pages = [load_page(src, config) for src in shard.sources]
    with shard_path(ctx.work_dir, shard.index).open("wb") as handle:
        pickle.dump(pages, handle, protocol=pickle.HIGHEST_PROTOCOL)
    doc_keys = tuple(np.unique(p.keys) for p in pages if p.error is None)
    new: dict[int, str] = {}
    for page in pages:
        for line, key in zip(page.lines, page.keys.tolist(), strict=True):
            if key not in new:
                new[key] = normalize_line(line)
    ordered = sorted(new)
    hasher = MinHasher(config.num_perm, config.seed, config.shingle_size)
    sigs = hasher.signatures([new[k] for k in ordered])
    return ShardPrints(doc_keys, np.array(ordered, dtype=np.uint64), sigs)


def line_groups(keys: np.ndarray, table: GroupTable) -> list[LineGroup]:
    """The group of each line of a page, and whether it is the line's first copy on it."""
    found, idx = table.lookup(keys)
    seen: set[int] = set()
    groups = []
    for key, hit, i in zip(keys.tolist(), found.tolist(), idx.tolist(), strict=True):
        gid, n_files = (int(table.gid[i]), int(table.n_files[i])) if hit else (None, 1)
        groups.append(LineGroup(gid, n_files, key not in seen))
        seen.add(key)
    return groups


def decide_page(page: Page, ctx: DecideContext, stoplists: Stoplists) -> FileResult:
    config = ctx.config
    stop = stoplists.get(page.language)
    feats = [line_features(line, stop, config) for line in page.lines]
    groups = line_groups(page.keys, ctx.table)
    shape_filter = page.kind != "html" or config.html_shape_filter
    decisions = decide_lines(feats, groups, ctx.template_min_files, config, shape_filter)
    lines = tuple(
        LineResult(n + 1, text, d)
        for n, (text, d) in enumerate(zip(page.lines, decisions, strict=True))
    )
    return FileResult(page.rel, page.kind, lines, page.language, None, page.notes)


def decide_shard(ctx: DecideContext, index: int) -> list[FileResult]:
    """Pass 2 over one shard: decisions, and the cleaned files written under OUT."""
    path = shard_path(ctx.work_dir, index)
    with path.open("rb") as handle:
        pages: list[Page] = pickle.load(handle)
    stoplists = Stoplists()
    results = []
    for page in pages:
        if page.error is not None:
            results.append(FileResult(page.rel, page.kind, (), None, page.error, page.notes))
            continue
        result = decide_page(page, ctx, stoplists)
        if ctx.out_dir is not None:
            body = "".join(line + "\n" for line in result.kept)
            atomic_write_text(safe_join(ctx.out_dir, output_name(page.rel)), body)
        results.append(result)
    path.unlink()
    return results


def make_shards(sources: Sequence[Source], shard_size: int) -> list[Shard]:
    ordered = sorted(sources, key=lambda s: output_name(s.rel))
    return [
        Shard(i, tuple(ordered[lo : lo + shard_size]))
        for i, lo in enumerate(range(0, len(ordered), shard_size))
    ]


def merge_prints(prints: Sequence[ShardPrints], num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys of the corpus (sorted) and one signature each."""
    if not prints:
        return np.empty(0, np.uint64), np.empty((0, num_perm), np.uint32)
    keys = np.concatenate([p.keys for p in prints])
    sigs = np.concatenate([p.sigs for p in prints])
    keys, first = np.unique(keys, return_index=True)
    return keys, sigs[first]


def run(
    sources: Sequence[Source],
    config: Config,
    engine: Engine,
    work_dir: Path,
    out_dir: Path | None,
    shard_size: int = 32,
    progress: Progress | None = None,
) -> Iterator[FileResult]:
    """Run both passes; yields one FileResult per source, in output-name order."""
    shards = make_shards(sources, shard_size)
    total = len(sources)
    tick = progress or (lambda stage, done, total: None)

    prints: list[ShardPrints] = []
    done = 0
    tick("fingerprint", 0, total)
    for shard, shard_prints in zip(
        shards,
        engine.map(fingerprint_shard, shards, FingerprintContext(config, work_dir)),
        strict=True,
    ):
        prints.append(shard_prints)
        done += len(shard.sources)
        tick("fingerprint", done, total)

    tick("group", 0, 1)
    keys, sigs = merge_prints(prints, config.num_perm)
    doc_keys = [k for p in prints for k in p.doc_keys]
    del prints
    table = build_groups(
        keys, sigs, doc_keys, config.lsh_bands, config.lsh_rows, config.similarity_threshold
    )
    tmin = config.template_min_files(len(doc_keys))
    del keys, sigs, doc_keys
    tick("group", 1, 1)

    ctx = DecideContext(config, work_dir, table, tmin, out_dir)
    done = 0
    tick("decide", 0, total)
    for results in engine.map(decide_shard, [s.index for s in shards], ctx):
        for result in results:
            done += 1
            tick("decide", done, total)
            yield result


def decisions_of(result: FileResult) -> list[Decision]:
    return [line.decision for line in result.lines]
