"""A line index kept between runs, so a new batch is cleaned against everything seen before.

The index is a folder of memory-mapped NumPy arrays, one sub-folder per version:

    PATH/CURRENT            the name of the current version (replaced atomically)
    PATH/v000003/meta.json  parameters the fingerprints depend on, and counts
    PATH/v000003/keys.npy   distinct line keys seen so far (uint64, sorted)
    PATH/v000003/sig_keys.npy  the keys of the MinHashed (short) lines (uint64, sorted)
    PATH/v000003/sigs.npy   their MinHash signatures (uint32, one row per sig key)
    PATH/v000003/docs.u64   the distinct keys of every page seen, concatenated (raw uint64)
    PATH/v000003/lengths.npy  how many keys each page has (int64)

Why arrays and not SQLite: the group step reads the signatures as a matrix file (like a
shard's) and streams the per-page key sets in order; memory-mapped arrays give both
without a copy, and a version folder written in full before ``CURRENT`` moves makes an
update atomic. A run
interrupted at any point leaves ``CURRENT`` on the previous, complete version.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Config

INDEX_FORMAT = 2
# Config fields the stored fingerprints depend on; an index only serves runs that agree.
FINGERPRINT_FIELDS = ("num_perm", "seed", "shingle_size", "near_dup_max_chars")
# Config fields that decide which lines an HTML page has: an index of one extractor's lines
# does not judge another's. (Indexes written before the field existed used trafilatura.)
EXTRACTION_FIELDS = {"extractor": "trafilatura"}


class IndexUnusable(Exception):
    """An index that cannot serve this run (other parameters, damaged files)."""


@dataclass(frozen=True)
class LineIndex:
    path: Path
    version: str
    keys: np.ndarray
    sig_keys: np.ndarray
    sigs: np.ndarray
    docs: np.ndarray
    lengths: np.ndarray

    @property
    def n_docs(self) -> int:
        return len(self.lengths)

    @property
    def signature_files(self) -> tuple[Path, Path]:
        """The files of the MinHashed keys (sorted) and their signatures, row for row."""
        folder = self.path / self.version
        return folder / "sig_keys.npy", folder / "sigs.npy"

    def doc_batches(self, batch: int = 4096) -> Iterator[list[np.ndarray]]:
        """The stored pages' key sets, a batch of pages at a time."""
        ends = np.cumsum(self.lengths)
        starts = ends - self.lengths
        for lo in range(0, self.n_docs, batch):
            hi = min(lo + batch, self.n_docs)
            yield [
                np.asarray(self.docs[s:e]) for s, e in zip(starts[lo:hi], ends[lo:hi], strict=True)
            ]


def _params(config: Config) -> dict[str, int | str]:
    names = (*FINGERPRINT_FIELDS, *EXTRACTION_FIELDS)
    return {name: getattr(config, name) for name in names}


def open_index(path: Path, config: Config) -> LineIndex | None:
    """The current version of the index at ``path``; None when there is none yet."""
    pointer = path / "CURRENT"
    if not pointer.exists():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    folder = path / version
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != INDEX_FORMAT:
            raise IndexUnusable(f"index {path} has format {meta.get('format')}, not {INDEX_FORMAT}")
        if {**EXTRACTION_FIELDS, **meta.get("params", {})} != _params(config):
            raise IndexUnusable(
                f"index {path} was built with {meta.get('params')}; this run uses {_params(config)}"
            )
        arrays = {
            name: np.load(folder / f"{name}.npy", mmap_mode="r")
            for name in ("keys", "sig_keys", "sigs", "lengths")
        }
        raw = folder / "docs.u64"
        arrays["docs"] = (
            np.memmap(raw, dtype=np.uint64, mode="r")
            if raw.stat().st_size
            else np.empty(0, dtype=np.uint64)
        )
    except (OSError, ValueError, KeyError) as exc:
        raise IndexUnusable(f"index {path} is damaged: {exc}") from exc
    return LineIndex(path, version, **arrays)


def _next_version(path: Path, current: LineIndex | None) -> str:
    n = int(current.version[1:]) + 1 if current is not None else 1
    return f"v{n:06d}"


def write_index(
    path: Path,
    config: Config,
    keys: np.ndarray,
    sig_keys: np.ndarray,
    sigs: np.ndarray,
    doc_batches: Iterable[list[np.ndarray]],
    current: LineIndex | None,
) -> Path:
    """Write a new version (the union of lines and all pages' key sets), then move
    ``CURRENT`` to it and remove older versions."""
    path.mkdir(parents=True, exist_ok=True)
    version = _next_version(path, current)
    folder = path / version
    tmp = path / f".{version}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    np.save(tmp / "keys.npy", keys)
    np.save(tmp / "sig_keys.npy", sig_keys)
    np.save(tmp / "sigs.npy", sigs)
    lengths: list[int] = []
    with (tmp / "docs.u64").open("wb") as handle:
        for batch in doc_batches:
            for doc in batch:
                handle.write(np.ascontiguousarray(doc, dtype=np.uint64).tobytes())
                lengths.append(len(doc))
    np.save(tmp / "lengths.npy", np.array(lengths, dtype=np.int64))
    meta = {
        "format": INDEX_FORMAT,
        "params": _params(config),
        "lines": len(keys),
        "pages": len(lengths),
    }
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    for item in tmp.iterdir():
        with item.open("rb") as handle:
            os.fsync(handle.fileno())
    os.replace(tmp, folder)
    pointer_tmp = path / ".CURRENT.part"
    pointer_tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(pointer_tmp, path / "CURRENT")
    for old in path.iterdir():
        if old.is_dir() and old.name.startswith("v") and old.name != version:
            with contextlib.suppress(OSError):
                shutil.rmtree(old)
    return folder
