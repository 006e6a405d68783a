"""Document-level near-duplicates: MinHash over word 5-grams of each cleaned page, LSH
clusters, and a representative chosen by content (the longest text, ties broken by the
smallest content hash), never by input order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from .dedup import candidate_pairs, components, similar_pairs
from .fingerprint import affine32_permutations, minhash_rows, word_id, word_tokens
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

    def doc_print(self, text: str) -> DocPrint:
        content = xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))
        return self.doc_print_of(content, self.word_ids(text))

    def doc_print_of(self, content: int, ids: np.ndarray) -> DocPrint:
        """The print of a document from its content hash and its word ids; its length is
        its number of (normalized) words."""
        ids = ids[: self.max_words]
        return DocPrint(content, len(ids), self.signature_of(self.ngram_hashes(ids)))


@dataclass(frozen=True, slots=True)
class DocCluster:
    id: int  # smallest content hash in the cluster
    members: tuple[int, ...]  # indices into the input sequence
    representative: int  # index of the member that is kept


def cluster_documents(
    content: np.ndarray,
    n_words: np.ndarray,
    sigs: np.ndarray,
    bands: int,
    rows: int,
    threshold: float,
    order: Sequence[int] | None = None,
) -> list[DocCluster]:
    """Clusters of two or more near-duplicate documents, given per document its content
    hash, its number of words (0: empty or unreadable, never clusters) and its signature
    (a row of ``sigs``). The representative is the longest member, then the one of
    smallest content hash; between exact copies, the first in ``order`` (the pages'
    positions in the report; by default their index).

    >>> h = DocHasher(32, 1, 2)
    >>> texts = ["a b c d e f g h i j", "a b c d e f g h i j", "z y x w v u t s r q"]
    >>> [c.members for c in cluster_documents(*stack_prints([h.doc_print(t) for t in texts]),
    ...                                       8, 4, 0.8)]
    [(0, 1)]
    """  # fmt: skip
    live = np.flatnonzero(n_words > 0)
    if len(live) < 2:
        return []
    live_sigs = sigs if len(live) == len(sigs) else sigs[live]
    pairs = similar_pairs(live_sigs, candidate_pairs(live_sigs, bands, rows), threshold)
    del live_sigs
    if not len(pairs):
        return []
    labels = components(len(live), pairs)
    # only labels with two or more members matter
    sizes = np.bincount(labels)
    multi = np.flatnonzero(sizes[labels] >= 2)
    groups: dict[int, list[int]] = {}
    for local, label in zip(multi.tolist(), labels[multi].tolist(), strict=True):
        groups.setdefault(label, []).append(int(live[local]))
    clusters = []
    for members in groups.values():
        rep = min(
            members,
            key=lambda i: (-int(n_words[i]), int(content[i]), i if order is None else order[i]),
        )
        cid = min(int(content[i]) for i in members)
        clusters.append(DocCluster(cid, tuple(sorted(members)), rep))
    clusters.sort(key=lambda c: c.members[0])
    return clusters


def stack_prints(
    prints: Sequence[DocPrint | None], num_perm: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(content hashes, word counts, signature matrix) of a list of prints; None (a page
    that could not be read) counts as an empty document."""
    n = len(prints)
    width = num_perm or next((len(p.sig) for p in prints if p is not None), 0)
    content = np.zeros(n, dtype=np.uint64)
    n_words = np.zeros(n, dtype=np.int64)
    sigs = np.full((n, width), np.iinfo(np.uint32).max, dtype=np.uint32)
    for i, p in enumerate(prints):
        if p is not None:
            content[i], n_words[i], sigs[i] = p.content, p.n_words, p.sig
    return content, n_words, sigs
