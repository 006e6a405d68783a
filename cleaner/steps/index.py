"""The index step: with ``--index``, this run's fingerprints and document prints are added
to the index of earlier runs once every pass has succeeded."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..arrays import distinct
from ..config import Config
from ..index import LineIndex, write_index
from ..work import DOC_PRINTS, PASS2_DONE, load_marker, shard_file
from .context import Shard
from .documents import Documents
from .group import doc_key_batches, earlier_batches, merge_prints, merge_signatures


def update_index(
    index_path: Path,
    index: LineIndex | None,
    shards: Sequence[Shard],
    docs: Documents,
    work_dir: Path,
    config: Config,
) -> None:
    """Write the index at ``index_path``: ``index`` (earlier runs') with this run's."""
    # the index stores the fingerprints merged: merged in memory here
    keys, sig_keys, sigs = merge_prints(work_dir, shards, config.num_perm)
    if index is not None:
        keys = distinct(np.concatenate([np.asarray(index.keys), keys]))
        both = [np.asarray(index.sigs), sigs]
        sig_keys, sigs = merge_signatures(
            [np.asarray(index.sig_keys), sig_keys], config.num_perm, both.__getitem__
        )
        del both
    batches = itertools.chain(earlier_batches(index), doc_key_batches(work_dir, shards))
    write_index(
        index_path,
        config,
        keys,
        sig_keys,
        sigs,
        batches,
        index,
        tuple(shard_file(work_dir, s.index, DOC_PRINTS) for s in shards),
        docs.order,
        (name for s in shards for name in load_marker(shard_file(work_dir, s.index, PASS2_DONE))),
    )
