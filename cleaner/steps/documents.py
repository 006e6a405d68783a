"""The document step: near-duplicate document clusters over the pages' prints, each
page's verdict, the pages' positions in record order and the names of listed pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config import Config
from ..docdedup import DocCluster, DocPrints, PrintFiles, cluster_documents
from ..work import DOC_PRINTS, PASS2_DONE, load_marker, shard_file
from .context import PageName, Shard

if TYPE_CHECKING:
    from ..index import LineIndex


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


def record_order_positions(
    shards: Sequence[Shard], per_shard: Sequence[int], no_id: Sequence[int], block: int
) -> np.ndarray:
    """For each page (in shard order), its position in the order ``pipeline.in_record_order``
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


@dataclass(frozen=True)
class Documents:
    """What the document step found, pages numbered with the earlier runs' (from the
    index) first."""

    order: np.ndarray  # each page's position in the report (record order)
    n_earlier: int  # pages of earlier runs, numbered before this run's
    clusters: list[DocCluster]  # the clusters that hold a page of this run
    shard_verdicts: list[dict[int, DocVerdict]]  # by shard: its pages' verdicts by position


def document_step(
    shards: Sequence[Shard],
    per_shard: Sequence[int],
    no_id: Sequence[int],
    index: LineIndex | None,
    work_dir: Path,
    config: Config,
) -> Documents:
    """Cluster the near-duplicate documents of this run (and of earlier runs, from the
    index) from the shards' document-print files; each page's verdict by shard."""
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
    return Documents(order_all, n_earlier, clusters, shard_verdicts)


def cluster_summary(
    docs: Documents,
    shards: Sequence[Shard],
    per_shard: Sequence[int],
    index: LineIndex | None,
    work_dir: Path,
) -> list[tuple[int, list[PageName], PageName]]:
    """The clusters the report lists: (id, members, representative), by page name."""
    n_earlier, order_all = docs.n_earlier, docs.order
    # a cluster lists this run's pages and its representative (an earlier run's page goes
    # by the name that run gave it): one holding no other page of this run is not listed
    listed = [
        (c, [m for m in c.members if m >= n_earlier or m == c.representative])
        for c in docs.clusters
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
    return [
        (
            c.id,
            [names[m] for m in sorted(members, key=lambda m: int(order_all[m]))],
            names[c.representative],
        )
        for c, members in sorted(listed, key=lambda x: min(int(order_all[m]) for m in x[1]))
    ]
