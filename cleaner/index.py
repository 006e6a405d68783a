"""A line index kept between runs, so a new batch is cleaned against everything seen before.

The index is a folder of memory-mapped NumPy arrays, one sub-folder per version:

    PATH/CURRENT            the name of the current version (replaced atomically)
    PATH/v000003/meta.json  parameters the fingerprints depend on, and counts
    PATH/v000003/keys.npy   distinct line keys seen so far (uint64, sorted)
    PATH/v000003/sig_keys.npy  the keys of the MinHashed (short) lines (uint64, sorted)
    PATH/v000003/sigs.npy   their MinHash signatures (uint32, one row per sig key)
    PATH/v000003/docs.u64   the distinct keys of every page seen, concatenated (raw uint64)
    PATH/v000003/lengths.npy  how many keys each page has (int64)
    PATH/v000003/docprints.bin  the document print of every page seen (rows of
                            ``doc_print_dtype``: content hash, words, MinHash signature)
    PATH/v000003/docorder.npy  each of those pages' position in the order the batches
                            reported them (int64): it settles ties between exact copies
    PATH/v000003/docnames.jsonl  each of those pages' name ([file, record id]), a line each
    PATH/v000003/manifest.json  written last: every file's size and xxh3_64 checksum, and
                            every array's dtype and shape

Opening an index checks it against its manifest before any work: a file missing, cut short,
of another shape or whose bytes changed, or arrays that disagree with each other (page-key
offsets that do not add up to the page keys, signatures without their keys), is refused
with one line naming the file and what is wrong. An index without a manifest (written by
format 2, or a version folder cut short) is refused as well: its arrays cannot be verified.

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
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xxhash

from .config import Config
from .docdedup import doc_print_dtype

INDEX_FORMAT = 3  # 3: a manifest of sizes and checksums
MANIFEST = "manifest.json"
_VERSION = re.compile(r"v[0-9]{6}")
# Config fields the stored fingerprints depend on; an index only serves runs that agree.
FINGERPRINT_FIELDS = (
    "num_perm",
    "seed",
    "shingle_size",
    "near_dup_max_chars",
    "doc_num_perm",
    "doc_ngram",
    "doc_max_words",
    "extractor",  # which lines an HTML page has: one extractor's lines do not judge another's
)


class IndexUnusable(Exception):
    """An index that cannot serve this run (other parameters, damaged files)."""


@dataclass(frozen=True)
class LineIndex:
    """A saved line index: its keys, signatures and the documents they came from."""

    path: Path
    version: str
    keys: np.ndarray
    sig_keys: np.ndarray
    sigs: np.ndarray
    docs: np.ndarray
    lengths: np.ndarray
    doc_prints: np.ndarray  # one row per page seen (``doc_print_dtype``), readable or not
    doc_order: np.ndarray  # each of those pages' position in the batches' report order

    @property
    def n_docs(self) -> int:
        return len(self.lengths)

    @property
    def n_documents(self) -> int:
        """Pages with a document print (every page seen, readable or not)."""
        return len(self.doc_prints)

    @property
    def doc_print_file(self) -> Path:
        return self.path / self.version / "docprints.bin"

    def doc_names(self, rows: Iterable[int]) -> dict[int, tuple[str, str | None]]:
        """The names of some stored pages (by row), read from the names file."""
        wanted = set(rows)
        names: dict[int, tuple[str, str | None]] = {}
        if not wanted:
            return names
        with (self.path / self.version / "docnames.jsonl").open(encoding="utf-8") as handle:
            for row, line in enumerate(handle):
                if row in wanted:
                    rel, rid = json.loads(line)
                    names[row] = (rel, rid)
                    if len(names) == len(wanted):
                        break
        return names

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
    return {name: getattr(config, name) for name in FINGERPRINT_FIELDS}


def open_index(path: Path, config: Config) -> LineIndex | None:
    """The current version of the index at ``path``, verified against its manifest; None
    when there is none yet. IndexUnusable says what is wrong (one line, naming the file)."""
    pointer = path / "CURRENT"
    if not pointer.exists():
        return None
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexUnusable(f"index {path}: cannot read {pointer}: {exc}") from None
    if not _VERSION.fullmatch(version):
        raise IndexUnusable(f"index {path}: {pointer} names no version ({version[:40]!r})")
    folder = path / version
    try:
        manifest = _read_manifest(folder)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != INDEX_FORMAT:
            raise IndexUnusable(f"index {path} has format {meta.get('format')}, not {INDEX_FORMAT}")
        if meta.get("params") != _params(config):
            raise IndexUnusable(
                f"index {path} was built with {meta.get('params')}; this run uses {_params(config)}"
            )
        arrays = {
            name: np.load(folder / f"{name}.npy", mmap_mode="r")
            for name in ("keys", "sig_keys", "sigs", "lengths")
        }
        arrays["docs"] = _raw(folder / "docs.u64", np.dtype(np.uint64))
        arrays["doc_order"] = np.load(folder / "docorder.npy", mmap_mode="r")
        arrays["doc_prints"] = _raw(folder / "docprints.bin", doc_print_dtype(config.doc_num_perm))
        for name, array in arrays.items():
            file = _FILE_OF.get(name, f"{name}.npy")
            want = manifest[file]
            if array.dtype.str != want["dtype"] or list(array.shape) != want["shape"]:
                raise IndexUnusable(
                    f"index {folder / file}: holds {array.dtype.str} {list(array.shape)}, "
                    f"the manifest says {want['dtype']} {want['shape']}"
                )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnusable(f"index {path} is damaged: {exc!r}") from exc
    index = LineIndex(path, version, **arrays)
    problem = _disagreement(index, meta, config.num_perm, manifest["docnames.jsonl"]["shape"][0])
    if problem:
        raise IndexUnusable(f"index {folder}: {problem}")
    return index


def _file_digest(path: Path, count_lines: bool = False) -> tuple[str, int]:
    """xxh3_64 of a file's bytes (hex), read a MiB at a time, and (with ``count_lines``)
    its number of newlines."""
    h = xxhash.xxh3_64()
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            h.update(chunk)
            if count_lines:
                lines += chunk.count(b"\n")
    return h.hexdigest(), lines


def _read_manifest(folder: Path) -> dict[str, dict]:
    """The manifest of a version folder, every file it names checked for its size and
    checksum; IndexUnusable names the first file that disagrees."""
    file = folder / MANIFEST
    if not file.exists():
        meta = folder / "meta.json"
        fmt = json.loads(meta.read_text(encoding="utf-8")).get("format") if meta.exists() else None
        why = (
            f"was written by an older cleaner (format {fmt}, no manifest to verify it by)"
            if fmt is not None and fmt < INDEX_FORMAT
            else "has no manifest (a version cut short?)"
        )
        raise IndexUnusable(f"index {folder}: {why}; build it again from the earlier batches")
    try:
        files = json.loads(file.read_text(encoding="utf-8"))["files"]
        for name in (*_ARRAY_FILES, "meta.json"):
            entry = files[name]
            size = (folder / name).stat().st_size
            if size != entry["bytes"]:
                raise IndexUnusable(
                    f"index {folder / name}: {size} bytes, the manifest says {entry['bytes']}"
                )
            if _file_digest(folder / name)[0] != entry["xxh3_64"]:
                raise IndexUnusable(f"index {folder / name}: checksum differs from the manifest")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnusable(f"index {file}: unreadable manifest entry ({exc!r})") from None
    return dict(files)


_ARRAY_FILES = (
    "keys.npy",
    "sig_keys.npy",
    "sigs.npy",
    "docs.u64",
    "lengths.npy",
    "docprints.bin",
    "docorder.npy",
    "docnames.jsonl",
)
_FILE_OF = {"docs": "docs.u64", "doc_prints": "docprints.bin", "doc_order": "docorder.npy"}


def _raw(file: Path, dtype: np.dtype) -> np.ndarray:
    """A raw file of rows of ``dtype``, memory-mapped (an empty array for an empty file)."""
    if not file.stat().st_size:
        return np.empty(0, dtype)
    return np.memmap(file, dtype=dtype, mode="r")


def _disagreement(index: LineIndex, meta: dict, num_perm: int, names: int) -> str | None:
    """What is wrong between the arrays of an index (their checksums already agreed), or
    None."""
    if index.sigs.ndim != 2 or index.sigs.shape[1] != num_perm:
        return f"sigs.npy has shape {index.sigs.shape}, not (n, {num_perm})"
    if len(index.sigs) != len(index.sig_keys):
        return f"sigs.npy has {len(index.sigs)} rows for {len(index.sig_keys)} keys"
    if len(index.lengths) != meta.get("pages") or len(index.keys) != meta.get("lines"):
        return (
            f"{len(index.lengths)} pages and {len(index.keys)} lines, meta.json says "
            f"{meta.get('pages')} and {meta.get('lines')}"
        )
    for name, keys in (("keys.npy", index.keys), ("sig_keys.npy", index.sig_keys)):
        if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            return f"{name} is not sorted (or holds a key twice)"
    if len(index.lengths) and int(np.min(index.lengths)) < 0:
        return "lengths.npy holds a negative page length"
    total = int(np.sum(index.lengths, dtype=np.int64))
    if total != len(index.docs):
        return f"lengths.npy adds up to {total} page keys, docs.u64 holds {len(index.docs)}"
    n = meta.get("documents")
    if len(index.doc_prints) != n or len(index.doc_order) != n or names != n:
        return (
            f"docprints.bin, docorder.npy and docnames.jsonl hold {len(index.doc_prints)}, "
            f"{len(index.doc_order)} and {names} pages, meta.json says {n}"
        )
    if n and not np.array_equal(np.sort(index.doc_order), np.arange(n)):
        return "docorder.npy is not an order of the stored pages"
    return None


def write_manifest(folder: Path) -> None:
    """Write the manifest of a version folder (last: a folder without one is incomplete):
    each file's size and checksum, and each array's dtype and shape (a JSON Lines file's
    shape: its number of lines)."""
    params = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["params"]
    raw = {"docs.u64": np.dtype("<u8"), "docprints.bin": doc_print_dtype(params["doc_num_perm"])}
    files: dict[str, dict] = {}
    for name in (*_ARRAY_FILES, "meta.json"):
        digest, lines = _file_digest(folder / name, count_lines=True)
        entry: dict = {"bytes": (folder / name).stat().st_size, "xxh3_64": digest}
        if name.endswith(".npy"):
            array = np.load(folder / name, mmap_mode="r")
            entry.update(dtype=array.dtype.str, shape=list(array.shape))
            del array
        elif name in raw:
            entry.update(dtype=raw[name].str, shape=[entry["bytes"] // raw[name].itemsize])
        elif name.endswith(".jsonl"):
            entry.update(shape=[lines])
        files[name] = entry
    (folder / MANIFEST).write_text(json.dumps({"files": files}, indent=1), encoding="utf-8")


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
    doc_prints: Iterable[Path] = (),
    doc_order: np.ndarray | None = None,
    doc_names: Iterable[tuple[str, str | None]] = (),
) -> Path:
    """Write a new version (the union of lines and all pages' key sets), then move
    ``CURRENT`` to it and remove older versions. The document prints of this run's pages
    (``doc_prints``: files of rows, in page order) follow the current version's, with their
    names; ``doc_order`` is the position of every stored page (the current version's and
    this run's) in report order."""
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
    with (tmp / "docprints.bin").open("wb") as out:
        for file in (*((current.doc_print_file,) if current is not None else ()), *doc_prints):
            with file.open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
    n_names = 0
    with (tmp / "docnames.jsonl").open("wb") as out:
        if current is not None:
            with (current.path / current.version / "docnames.jsonl").open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
            n_names = current.n_documents
        for name in doc_names:
            out.write(json.dumps(list(name)).encode("ascii"))  # lone surrogates escaped
            out.write(b"\n")
            n_names += 1
    rows = (tmp / "docprints.bin").stat().st_size / doc_print_dtype(config.doc_num_perm).itemsize
    if rows != n_names:  # the run's own files disagree: keep the current version
        raise RuntimeError(f"index {path}: {rows:g} document prints for {n_names} pages")
    order = np.arange(n_names, dtype=np.int64) if doc_order is None else doc_order
    np.save(tmp / "docorder.npy", np.asarray(order, np.int64))
    meta = {
        "format": INDEX_FORMAT,
        "params": _params(config),
        "lines": len(keys),
        "pages": len(lengths),
        "documents": n_names,
    }
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    write_manifest(tmp)
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
