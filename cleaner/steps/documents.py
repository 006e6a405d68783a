"""The document step: near-duplicate document clusters over the pages' prints, each
page's verdict, the pages' positions in record order and the names of listed pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..docdedup import DocCluster, DocPrints, cluster_documents
from ..work import PASS2_DONE, load_marker, shard_file
from .context import PageName, Shard


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
