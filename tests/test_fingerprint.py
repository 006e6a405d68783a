"""Normalization, datasketch-compatible signatures, and line grouping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from cleaner.dedup import build_groups
from cleaner.fingerprint import MinHasher, line_key, shingle_hash, shingles
from cleaner.text import normalize_line

CASES = Path(__file__).resolve().parent / "data" / "normalization.tsv"
LINES = [
    "Dernière mise à jour à 0h0 le 0 / 0",
    "gros porteur chinois : le c0 quitte la ligne d ' assemblage",
    "a",
    "ab",
    "abcde",
    "中国和美国举行了第二次对话",
    "ελληνικά κείμενα με τόνους",
    "emoji 🙂 and \u200b zero width",
    "x" * 400,
]


def test_normalization_cases() -> None:
    for line in CASES.read_text(encoding="utf-8").splitlines():
        raw, want = line.split("\t")
        assert normalize_line(raw) == want, raw


@pytest.mark.parametrize(("num_perm", "seed", "k"), [(64, 1, 5), (128, 7, 3), (16, 42, 1)])
def test_signatures_equal_datasketch(num_perm: int, seed: int, k: int) -> None:
    hasher = MinHasher(num_perm, seed, k)
    sigs = hasher.signatures(LINES)
    for line, sig in zip(LINES, sigs, strict=True):
        ref = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
        ref.update_batch(shingles(line, k))
        assert np.array_equal(ref.hashvalues, sig), line
        assert ref.scheme == "affine32"


def test_jaccard_estimate_matches_datasketch() -> None:
    hasher = MinHasher(128, 1, 5)
    a, b = "the five most expensive tanks in the world", "the five most expensive cars in the world"
    sa, sb = hasher.signatures([a, b])
    ma = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash)
    mb = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash)
    ma.update_batch(shingles(a, 5))
    mb.update_batch(shingles(b, 5))
    assert float((sa == sb).mean()) == pytest.approx(ma.jaccard(mb))


def test_lsh_groups_near_duplicates_and_not_unrelated_lines() -> None:
    lines = [
        normalize_line("Last updated at 08h22 on 16/06"),
        normalize_line("Last updated at 11h38 on 14/11"),
        normalize_line("The five most expensive tanks in the world"),
        normalize_line("The five most expensive tanks in the world!"),
        normalize_line("Weather forecast for the weekend"),
        normalize_line("A line only the first file has"),
    ]
    distinct = sorted({line_key(x): x for x in lines}.items())
    keys = np.array([k for k, _ in distinct], dtype=np.uint64)
    sigs = MinHasher(64, 1, 5).signatures([x for _, x in distinct])
    by_line = {x: k for k, x in distinct}
    # every line but the last occurs in two files
    only_first = by_line[lines[5]]
    files = [[keys], [keys[keys != only_first]]]
    table = build_groups(keys, sigs, files, 16, 4, 0.7)
    gid = dict(zip(table.keys.tolist(), table.gid.tolist(), strict=True))
    tanks = {gid[by_line[lines[2]]], gid[by_line[lines[3]]]}
    assert len(tanks) == 1
    assert gid[by_line[lines[0]]] == gid[by_line[lines[1]]]  # equal once digits are folded
    assert gid[by_line[lines[4]]] not in tanks | {gid[by_line[lines[0]]]}
    assert only_first not in gid
