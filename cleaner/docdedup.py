"""Document-level near-duplicates: MinHash over word 5-grams of each cleaned page, LSH
clusters, and a representative chosen by content (the longest text, ties broken by the
smallest content hash), never by input order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import xxhash

from .arrays import distinct_rows
from .compiled import compiled
from .fingerprint import affine32_permutations, minhash_rows, word_id, word_tokens
from .lsh import (
    agreement,
    band_key,
    band_star_pairs,
    band_stars_loop,
    components,
    star_pairs,
)
from .text import normalize_line

_MULT = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class DocPrint:
    """What the document step needs of one cleaned page."""

    content: int  # 64-bit hash of the cleaned text
    n_words: int
    sig: np.ndarray  # uint32 MinHash signature (all max when the page has no words)

    def __reduce__(self) -> tuple[type, tuple[int, int, np.ndarray]]:
        return (DocPrint, (self.content, self.n_words, self.sig))  # cheaper than slots state


class DocHasher:
    """MinHash signatures of word k-gram sets, vectorised per document."""

    def __init__(self, num_perm: int, seed: int, ngram: int, max_words: int = 100_000) -> None:
        self.a, self.b = affine32_permutations(num_perm, seed)
        self.ngram = ngram
        self.max_words = max_words

    def shingle_hashes(self, text: str) -> np.ndarray:
        """32-bit hashes of the word n-grams of the normalized text (one n-gram for a
        shorter text).

        >>> h = DocHasher(8, 1, 3)
        >>> len(h.shingle_hashes("one two three four")), len(h.shingle_hashes("one two"))
        (2, 1)
        >>> list(h.shingle_hashes("One, TWO three")) == list(h.shingle_hashes("one two three"))
        True
        """
        return self.ngram_hashes(self.word_ids(text))

    def word_ids(self, text: str) -> np.ndarray:
        """Ids of the first ``max_words`` words of the normalized text (the ids pass 1 keeps
        per line: ``cleaner.fingerprint.LinePrinter``)."""
        toks = word_tokens(normalize_line(text[: self.max_words * 20]))[: self.max_words]
        return np.fromiter((word_id(t) for t in toks), dtype=np.uint64, count=len(toks))

    def ngram_hashes(self, ids: np.ndarray) -> np.ndarray:
        """32-bit hashes of the n-grams of a sequence of word ids."""
        ids = ids[: self.max_words]
        if not len(ids):
            return np.empty(0, dtype=np.uint32)
        k = min(self.ngram, len(ids))
        n = len(ids) - k + 1
        acc = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            acc = acc * _MULT + ids[j : j + n]
        return (acc >> np.uint64(32)).astype(np.uint32)

    def signature(self, text: str) -> np.ndarray:
        return self.signature_of(self.shingle_hashes(text))

    def signature_of(self, h: np.ndarray) -> np.ndarray:
        """The MinHash signature of a set of 32-bit shingle hashes."""
        return self.signatures_of([h])[0]

    def signatures_of(self, hashes: Sequence[np.ndarray]) -> np.ndarray:
        """``signature_of`` of each set of shingle hashes, computed for all of them at once.

        >>> h = DocHasher(16, 1, 2)
        >>> sets = [h.shingle_hashes("a b c d"), h.shingle_hashes(""), h.shingle_hashes("x y")]
        >>> all((h.signatures_of(sets)[i] == h.signature_of(s)).all() for i, s in enumerate(sets))
        True
        """
        sizes = np.fromiter((len(x) for x in hashes), dtype=np.int64, count=len(hashes))
        flat = np.concatenate(hashes) if len(hashes) else np.empty(0, np.uint32)
        owner = np.repeat(np.arange(len(hashes), dtype=np.int64), sizes)
        return minhash_rows(flat, owner, len(hashes), self.a, self.b)

    def doc_prints_of(self, docs: Sequence[tuple[int, np.ndarray]]) -> list[DocPrint]:
        """``doc_print_of`` of many documents (content hash, word ids) at once."""
        ids = [d[: self.max_words] for _, d in docs]
        sigs = self.signatures_of([self.ngram_hashes(d) for d in ids])
        return [DocPrint(c, len(d), sig) for (c, _), d, sig in zip(docs, ids, sigs, strict=True)]

    def print_rows(self, docs: Sequence[tuple[int, np.ndarray]]) -> np.ndarray:
        """:meth:`doc_prints_of` as rows of :func:`doc_print_dtype`, the n-grams of all the
        documents hashed together.

        >>> h = DocHasher(16, 1, 3)
        >>> docs = [(5, h.word_ids("a b c d e")), (6, h.word_ids("")), (7, h.word_ids("x y"))]
        >>> rows = h.print_rows(docs)
        >>> made = h.doc_prints_of(docs)
        >>> rows["content"].tolist(), rows["n_words"].tolist()
        ([5, 6, 7], [5, 0, 2])
        >>> all((row["sig"] == p.sig).all() for row, p in zip(rows, made))
        True
        """
        ids = [d[: self.max_words] for _, d in docs]
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        hashes, counts = self.ngram_hashes_of(ids, lengths)
        owner = np.repeat(np.arange(len(ids), dtype=np.int64), counts)
        rows = np.zeros(len(ids), dtype=doc_print_dtype(len(self.a)))
        rows["content"] = [c for c, _ in docs]
        rows["n_words"] = lengths
        rows["sig"] = minhash_rows(hashes, owner, len(ids), self.a, self.b)
        return rows

    def ngram_hashes_of(
        self, ids: Sequence[np.ndarray], lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`ngram_hashes` of each sequence of word ids (of ``lengths`` ids, each at
        most ``max_words``), all in one array, and how many each has.

        >>> h = DocHasher(8, 1, 2)
        >>> seqs = [np.array(s, np.uint64) for s in ([1, 2, 3], [], [4], [5, 6])]
        >>> flat, counts = h.ngram_hashes_of(seqs, np.array([3, 0, 1, 2]))
        >>> each = np.concatenate([h.ngram_hashes(s) for s in seqs])
        >>> counts.tolist(), flat.tolist() == each.tolist()
        ([2, 0, 1, 1], True)
        """
        k = self.ngram
        module = compiled()
        if module is not None and hasattr(module, "ngram_hashes") and k >= 1:
            flat = np.concatenate(ids) if len(ids) else np.empty(0, np.uint64)
            flat = np.ascontiguousarray(flat, np.uint64)
            found: tuple[np.ndarray, np.ndarray] = module.ngram_hashes(
                flat, np.ascontiguousarray(lengths, np.int64), k
            )
            return found
        return self.ngram_hashes_arrays(ids, lengths)

    def ngram_hashes_arrays(
        self, ids: Sequence[np.ndarray], lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`ngram_hashes_of` by array operations (the compiled loop's reference)."""
        k = self.ngram
        counts = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
        out = np.empty(int(counts.sum()), np.uint32)
        if not len(out):
            return out, counts
        flat = np.concatenate(ids).astype(np.uint64, copy=False)
        at = np.cumsum(counts) - counts  # where each sequence's hashes start in out
        full = np.flatnonzero(lengths >= k)
        if len(full):
            n = len(flat) - k + 1
            acc = np.zeros(n, dtype=np.uint64)
            for j in range(k):
                acc = acc * _MULT + flat[j : j + n]
            # the windows that start and end in one sequence, sequence after sequence
            starts = (np.cumsum(lengths) - lengths)[full]
            sizes = counts[full]
            local = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            out[np.repeat(at[full], sizes) + local] = (
                acc[np.repeat(starts, sizes) + local] >> np.uint64(32)
            ).astype(np.uint32)
        for i in np.flatnonzero((lengths > 0) & (lengths < k)).tolist():
            out[at[i]] = self.ngram_hashes(ids[i])[0]  # shorter than an n-gram: one hash
        return out, counts

    def doc_print(self, text: str) -> DocPrint:
        content = xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))
        return self.doc_print_of(content, self.word_ids(text))

    def doc_print_of(self, content: int, ids: np.ndarray) -> DocPrint:
        """The print of a document from its content hash and its word ids; its length is
        its number of (normalized) words."""
        ids = ids[: self.max_words]
        return DocPrint(content, len(ids), self.signature_of(self.ngram_hashes(ids)))


def doc_print_dtype(num_perm: int) -> np.dtype:
    """One stored document print (a page's position is its row number): its content hash,
    its number of words (0: empty or unreadable, never clusters) and its signature."""
    return np.dtype([("content", "<u8"), ("n_words", "<i8"), ("sig", "<u4", (num_perm,))])


class DocPrints(Protocol):
    """The document prints of a corpus, one row per page, read a chunk at a time."""

    def __len__(self) -> int: ...

    def chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(index of the chunk's first page, its rows), in page order."""
        ...

    def take(self, pages: np.ndarray) -> np.ndarray:
        """The rows of the given pages (sorted, distinct page indices)."""
        ...


@dataclass(frozen=True)
class PrintArray:
    """Document prints held in one array (small corpora, tests)."""

    rows: np.ndarray

    @classmethod
    def of(cls, prints: Sequence[DocPrint | None], num_perm: int) -> PrintArray:
        """Rows of a list of prints; None (a page that could not be read) has no words."""
        rows = np.zeros(len(prints), doc_print_dtype(num_perm))
        rows["sig"] = np.iinfo(np.uint32).max
        for i, p in enumerate(prints):
            if p is not None:
                rows[i]["content"], rows[i]["n_words"], rows[i]["sig"] = p.content, p.n_words, p.sig
        return cls(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        yield 0, self.rows

    def take(self, pages: np.ndarray) -> np.ndarray:
        return self.rows[pages]


@dataclass(frozen=True)
class PrintFiles:
    """Document prints in files, one row per page in each (the shards' print files in
    shard order): read a chunk of rows at a time, never all at once. A chunk runs across
    files (a shard's file holds a few hundred rows: the work done per chunk is done once
    for many of them)."""

    paths: tuple[Path, ...]
    counts: tuple[int, ...]  # rows (pages) in each file
    num_perm: int
    chunk: int = 1 << 11  # rows a chunk: about 1 MiB of prints at 128 permutations

    def __len__(self) -> int:
        return sum(self.counts)

    def chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        dtype = doc_print_dtype(self.num_perm)
        held: list[np.ndarray] = []  # the rows of the chunk being filled
        n_held = start = 0
        for path, count in zip(self.paths, self.counts, strict=True):
            if not count:
                continue
            with path.open("rb") as handle:
                left = count
                while left:
                    want = min(self.chunk - n_held, left)
                    rows = np.fromfile(handle, dtype, count=want)
                    if len(rows) != want:
                        raise ValueError(f"{path}: document prints cut short")
                    held.append(rows)
                    n_held += want
                    left -= want
                    if n_held == self.chunk:
                        yield start, held[0] if len(held) == 1 else np.concatenate(held)
                        start += n_held
                        held, n_held = [], 0
        if held:
            yield start, np.concatenate(held)

    def take(self, pages: np.ndarray) -> np.ndarray:
        dtype = doc_print_dtype(self.num_perm)
        out = np.empty(len(pages), dtype)
        bounds = np.cumsum([0, *self.counts])
        cut = np.searchsorted(pages, bounds)
        for k, path in enumerate(self.paths):
            lo, hi = cut[k], cut[k + 1]
            if hi <= lo:
                continue
            want = pages[lo:hi] - bounds[k]
            first, span = int(want[0]), int(want[-1] - want[0]) + 1
            if span <= max(self.chunk, 4 * (hi - lo)):  # the rows in between: one read
                rows = np.fromfile(path, dtype, count=span, offset=first * dtype.itemsize)
                if len(rows) != span:
                    raise ValueError(f"{path}: document prints cut short")
                out[lo:hi] = rows[want - first]
            else:  # a few rows far apart in a large file
                stored = np.memmap(path, dtype, mode="r", shape=(self.counts[k],))
                out[lo:hi] = stored[want]
                del stored
        return out


@dataclass(frozen=True, slots=True)
class DocCluster:
    """Near-duplicate documents: their indices and the one that is kept."""

    id: int  # smallest content hash in the cluster
    members: tuple[int, ...]  # indices into the input sequence
    representative: int  # index of the member that is kept


def cluster_documents(
    prints: DocPrints,
    bands: int,
    rows: int,
    threshold: float,
    order: Sequence[int] | np.ndarray | None = None,
    memory: int = 64 << 20,
) -> list[DocCluster]:
    """Clusters of two or more near-duplicate documents. The representative is the longest
    member, then the one of smallest content hash; between exact copies, the first in
    ``order`` (the pages' positions in the report; by default their index).

    The prints are read a few LSH bands at a time (as many as ``memory`` bytes of bucket
    keys hold, 16 bytes per page and band); a band's candidates are its buckets joined as
    stars around their first page, verified on the whole signature (read for the pages in
    candidate pairs only). Memory grows with the pages in candidate pairs, not the corpus.

    >>> h = DocHasher(32, 1, 2)
    >>> texts = ["a b c d e f g h i j", "a b c d e f g h i j", "z y x w v u t s r q"]
    >>> prints = PrintArray.of([h.doc_print(t) for t in texts], 32)
    >>> [c.members for c in cluster_documents(prints, 8, 4, 0.8)]
    [(0, 1)]
    """
    found = [np.empty((0, 2), np.int64)]
    stars = band_stars_loop()
    per_pass = max(1, memory // (16 * max(len(prints), 1)))
    for first in range(0, bands, per_pass):
        todo = range(first, min(bands, first + per_pass))
        keys: list[list[np.ndarray]] = [[] for _ in todo]
        pages: list[np.ndarray] = []
        for start, chunk in prints.chunks():
            live = np.flatnonzero(chunk["n_words"] > 0)
            pages.append(start + live)
            sig = chunk["sig"][live]
            for j, b in enumerate(todo):
                keys[j].append(band_key(sig, b, rows))
        live_pages = np.concatenate(pages) if pages else np.empty(0, np.int64)
        if len(live_pages) < 2:
            return []
        candidates = [np.empty((0, 2), np.int64)]
        for j in range(len(todo)):
            pairs = page_stars(np.concatenate(keys[j]), live_pages, stars)
            keys[j] = []
            if pairs is not None:
                candidates.append(pairs)
        # verified once for the pass: a pair that several bands propose is read once
        pairs = distinct_rows(np.concatenate(candidates))
        if len(pairs):
            found.append(_verified(prints, pairs, threshold))
    pairs = distinct_rows(np.concatenate(found))
    if not len(pairs):
        return []
    nodes, local = np.unique(pairs, return_inverse=True)
    labels = components(len(nodes), local.reshape(-1, 2))
    members_of: dict[int, list[int]] = {}
    for node, label in zip(nodes.tolist(), labels.tolist(), strict=True):
        members_of.setdefault(label, []).append(node)
    rows_of = prints.take(nodes)
    at = {node: i for i, node in enumerate(nodes.tolist())}

    def rank(i: int) -> tuple[int, int, int]:
        row = rows_of[at[i]]
        return (-int(row["n_words"]), int(row["content"]), i if order is None else int(order[i]))

    clusters = []
    for members in members_of.values():
        rep = min(members, key=rank)
        cid = min(int(rows_of[at[i]]["content"]) for i in members)
        clusters.append(DocCluster(cid, tuple(sorted(members)), rep))
    clusters.sort(key=lambda c: c.members[0])
    return clusters


def page_stars(
    keys: np.ndarray,
    pages: np.ndarray,
    stars: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray | None:
    """:func:`cleaner.lsh.star_pairs` of one band's bucket keys and the pages (increasing,
    each once) they are of; with ``stars`` (the compiled ``band_stars``: a hash table of
    the buckets, no sort) the same pairs in another order (the caller takes the distinct
    rows). None when every key is alone.

    >>> keys, pages = np.array([7, 5, 7, 7, 5], np.uint64), np.array([1, 2, 4, 8, 9])
    >>> page_stars(keys, pages).tolist()
    [[2, 9], [1, 4], [1, 8]]
    """
    if stars is None:
        return star_pairs(keys, pages)
    pairs = band_star_pairs(keys, pages, stars)
    return pairs.astype(np.int64) if len(pairs) else None


def _verified(prints: DocPrints, pairs: np.ndarray, threshold: float) -> np.ndarray:
    """The pairs of pages whose signatures agree on at least ``threshold`` of their
    positions, checked a bounded number of pairs at a time."""
    keep = []
    step = 1 << 15
    for lo in range(0, len(pairs), step):
        chunk = pairs[lo : lo + step]
        need, local = np.unique(chunk, return_inverse=True)
        sigs = prints.take(need)["sig"]
        keep.append(chunk[agreement(sigs, local.reshape(-1, 2)) >= threshold])
    return np.concatenate(keep)
