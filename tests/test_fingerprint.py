"""Line normalization, MinHash signatures equal to datasketch's, and LSH line grouping."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import WHY_MISSING
from datasketch import MinHash, MinHashLSH
from hypothesis import given
from hypothesis import strategies as st

from cleaner import Config
from cleaner.dedup import build_groups
from cleaner.fingerprint import MinHasher, line_key, shingle_hash, shingles
from cleaner.lsh import candidate_pairs, components, similar_pairs
from cleaner.text import normalize_line

CASES = json.loads(
    (Path(__file__).resolve().parent / "data" / "normalization.json").read_text(encoding="utf-8")
)
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DEFAULT = Config()

# Raw lines of several scripts and lengths: shorter than, equal to and just over the
# shingle size, astral characters, combining marks, a lone surrogate (JSON allows one).
RAW_LINES = [
    "a",
    "ab",
    "abcd",
    "abcde",
    "abcdef",
    "Dernière mise à jour à 08h22 le 16/06",
    "Gros porteur chinois : le C919 quitte la ligne d'assemblage",
    "中国和美国举行了第二次对话",
    "日本",
    "Ελληνικά κείμενα με τόνους",
    "Привет, мир! Это тестовая строка.",
    "مرحبا بالعالم",
    "हिन्दी पाठ",
    "🙂",
    "emoji 🙂 and 🚀 outside the BMP",
    "e\u0301te\u0301 with combining accents",
    "lone \ud800 surrogate",
    "![]() |",
    "x" * 400,
]


def datasketch_minhash(line: str, num_perm: int, seed: int, k: int) -> MinHash:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
    m.update_batch(shingles(line, k))
    return m


def seed_lines() -> list[str]:
    lines = []
    for page in sorted(SEEDS.glob("*.txt")):
        lines += [ln for ln in page.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines


# --- normalization ----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["label"] for c in CASES["cases"]])
def test_normalization_case(case: dict[str, str]) -> None:
    assert normalize_line(case["input"]) == case["expected"]
    assert normalize_line(case["expected"]) == case["expected"]  # a fixed point


@pytest.mark.parametrize("lines", CASES["equivalent"], ids=lambda g: g[0])
def test_equivalent_lines_normalize_alike(lines: list[str]) -> None:
    forms = {normalize_line(line) for line in lines}
    assert len(forms) == 1, forms
    assert len({line_key(f) for f in forms}) == 1


@pytest.mark.parametrize("pair", CASES["distinct"], ids=lambda p: p[0])
def test_distinct_lines_stay_apart(pair: list[str]) -> None:
    a, b = (normalize_line(x) for x in pair)
    assert a != b
    assert line_key(a) != line_key(b)


# --- signatures -------------------------------------------------------------------------


def test_default_signatures_equal_datasketch() -> None:
    """What the README promises: the pipeline's line signatures are
    datasketch.MinHash(num_perm=32, seed=1, hashfunc=shingle_hash) over 5-shingles."""
    assert (DEFAULT.num_perm, DEFAULT.seed, DEFAULT.shingle_size) == (32, 1, 5)
    lines = [normalize_line(x) for x in seed_lines() + RAW_LINES]
    sigs = MinHasher(DEFAULT.num_perm, DEFAULT.seed, DEFAULT.shingle_size).signatures(lines)
    assert sigs.shape == (len(lines), 32) and sigs.dtype == np.uint32
    for line, sig in zip(lines, sigs, strict=True):
        ref = datasketch_minhash(line, 32, 1, 5)
        assert ref.hashvalues.tolist() == sig.tolist(), line


@pytest.mark.parametrize(
    ("num_perm", "seed", "k"), [(64, 1, 5), (128, 7, 3), (16, 42, 1), (8, 3, 9)]
)
def test_signatures_equal_datasketch_for_other_parameters(num_perm: int, seed: int, k: int) -> None:
    sigs = MinHasher(num_perm, seed, k).signatures(RAW_LINES)
    for line, sig in zip(RAW_LINES, sigs, strict=True):
        ref = datasketch_minhash(line, num_perm, seed, k)
        assert ref.scheme == "affine32"
        assert ref.hashvalues.tolist() == sig.tolist(), line


def test_signature_of_a_line_does_not_depend_on_its_batch() -> None:
    hasher = MinHasher(32, 1, 5)
    together = hasher.signatures(RAW_LINES)
    alone = np.vstack([hasher.signatures([line]) for line in RAW_LINES])
    assert np.array_equal(together, alone)
    shuffled = list(range(len(RAW_LINES)))
    random.Random(5).shuffle(shuffled)
    assert np.array_equal(hasher.signatures([RAW_LINES[i] for i in shuffled]), together[shuffled])


def test_signatures_of_a_large_batch_equal_datasketch() -> None:
    """More shingles than one vectorised chunk holds: lines straddle chunk boundaries."""
    rnd = random.Random(3)
    alphabet = "abcdefghij klmnopqrst éàü中文🙂"
    lines = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 700))) for _ in range(220)]
    assert sum(max(len(x) - 4, 1) for x in lines) > 1 << 16
    sigs = MinHasher(16, 1, 5).signatures(lines)
    for line, sig in zip(lines, sigs, strict=True):
        assert datasketch_minhash(line, 16, 1, 5).hashvalues.tolist() == sig.tolist()


def test_shingles_and_hash() -> None:
    assert shingles("abcdef", 5) == ["abcde", "bcdef"]
    assert shingles("abc", 5) == ["abc"]  # a short line is one shingle
    assert shingles("", 5) == [""]
    assert shingle_hash("abcde") == shingle_hash("abcde") != shingle_hash("abcdf")
    assert all(0 <= shingle_hash(s) < 1 << 32 for s in ["", "a", "🙂🙂", "\ud800"])


def test_jaccard_estimate_matches_datasketch() -> None:
    hasher = MinHasher(128, 1, 5)
    a = normalize_line("The five most expensive tanks in the world")
    b = normalize_line("The five most expensive cars in the world")
    sa, sb = hasher.signatures([a, b])
    ref = datasketch_minhash(a, 128, 1, 5).jaccard(datasketch_minhash(b, 128, 1, 5))
    assert float((sa == sb).mean()) == pytest.approx(ref)
    sh_a, sh_b = set(shingles(a, 5)), set(shingles(b, 5))
    assert abs(ref - len(sh_a & sh_b) / len(sh_a | sh_b)) < 0.2


# --- LSH grouping -----------------------------------------------------------------------


def test_candidate_pairs_are_datasketch_lsh_candidates() -> None:
    """Banding with the same bands x rows proposes pairs that datasketch.MinHashLSH proposes
    too, and every proposed pair that verifies is grouped."""
    rnd = random.Random(0)
    vocab = ["the", "of", "and", "a", "to", "in", "is", "you", "that", "it", "he", "was"]
    lines = set()
    for _ in range(80):
        words = [rnd.choice(vocab) for _ in range(8)]
        lines.add(" ".join(words))
        words[rnd.randrange(8)] = rnd.choice(vocab)  # a near-duplicate variant
        lines.add(" ".join(words))
    ordered = sorted(lines)
    sigs = MinHasher(32, 1, 5).signatures(ordered)
    ours = {tuple(p) for p in candidate_pairs(sigs, 8, 4).tolist()}

    lsh = MinHashLSH(num_perm=32, params=(8, 4))
    refs = [datasketch_minhash(line, 32, 1, 5) for line in ordered]
    for i, m in enumerate(refs):
        lsh.insert(i, m)
    theirs = {(min(i, j), max(i, j)) for i, m in enumerate(refs) for j in lsh.query(m) if j != i}
    assert len(ours) > 20
    assert ours <= theirs
    labels = components(len(ordered), similar_pairs(sigs, np.array(sorted(ours)), 0.7))
    for i, j in theirs:
        if refs[i].jaccard(refs[j]) >= 0.7:
            assert labels[i] == labels[j], (ordered[i], ordered[j])


def group_table(
    files: list[list[str]], config: Config = DEFAULT
) -> tuple[dict[int, int], dict[int, int], Callable[[str], int]]:
    """The group step over pages given as lists of raw lines, as the pipeline runs it."""
    norm = {line: normalize_line(line) for page in files for line in page}
    by_key = {line_key(n): n for n in norm.values()}
    keys = np.array(sorted(by_key), dtype=np.uint64)
    hasher = MinHasher(config.num_perm, config.seed, config.shingle_size)
    sigs = hasher.signatures([by_key[k] for k in keys.tolist()])
    docs = [
        np.unique(np.array([line_key(norm[line]) for line in page], dtype=np.uint64))
        for page in files
    ]
    table = build_groups(
        keys, sigs, [docs], config.lsh_bands, config.lsh_rows, config.similarity_threshold
    )
    gid = {int(k): int(g) for k, g in zip(table.keys, table.gid, strict=True)}
    n_files = {int(k): int(n) for k, n in zip(table.keys, table.n_files, strict=True)}

    def key(line: str) -> int:
        return line_key(norm[line])

    return gid, n_files, key


HEADLINE = "Les cinq chars d'assaut les plus chers du monde"
HEADLINE_VARIANT = "Les cinq chars d'assaut les plus chers au monde !"
UNRELATED = "Les cinq voitures les plus chères de France"
UPDATED_A = "Dernière mise à jour à 08h22 le 16/06"
UPDATED_B = "Dernière mise à jour à 11h38 le 14/11"
ONLY_ONCE = "Une ligne que seul le premier fichier contient"
TWICE_ON_ONE_PAGE = "Une ligne répétée sur une seule page"


def test_lsh_groups_near_duplicates_and_not_unrelated_lines() -> None:
    a, b = normalize_line(HEADLINE), normalize_line(HEADLINE_VARIANT)
    assert a != b  # a near-duplicate, not an exact copy
    sa, sb = (datasketch_minhash(x, 128, 1, 5) for x in (a, b))
    assert sa.jaccard(sb) >= 0.7

    files = [
        [UPDATED_A, HEADLINE, ONLY_ONCE, TWICE_ON_ONE_PAGE, TWICE_ON_ONE_PAGE],
        [UPDATED_B, HEADLINE_VARIANT, UNRELATED],
        [UNRELATED, "Une troisième page"],
    ]
    gid, n_files, key = group_table(files)
    assert gid[key(HEADLINE)] == gid[key(HEADLINE_VARIANT)]
    assert n_files[key(HEADLINE)] == 2
    assert gid[key(UPDATED_A)] == gid[key(UPDATED_B)]  # equal once digits are folded
    assert gid[key(UNRELATED)] != gid[key(HEADLINE)]
    assert n_files[key(UNRELATED)] == 2
    # a line of one page, however often it occurs there, spans one file: no group
    assert key(ONLY_ONCE) not in gid
    assert key(TWICE_ON_ONE_PAGE) not in gid
    # a group is named by the smallest key in it
    assert gid[key(HEADLINE)] == min(key(HEADLINE), key(HEADLINE_VARIANT))


def test_groups_do_not_depend_on_file_order() -> None:
    files = [
        [UPDATED_A, HEADLINE, ONLY_ONCE],
        [UPDATED_B, HEADLINE_VARIANT, UNRELATED],
        [UNRELATED, HEADLINE, "Une troisième page"],
    ]
    first = group_table(files)[:2]
    for perm in [(2, 1, 0), (1, 2, 0)]:
        assert group_table([files[i] for i in perm])[:2] == first


def test_unrelated_short_lines_are_not_grouped() -> None:
    """Menu-like lines that share words, but little text, stay apart."""
    menu = ["Home", "News", "Contact us", "Contact the newsroom", "About us", "Latest news"]
    gid, n_files, key = group_table([menu, [*menu[::-1], "a page of its own"]])
    assert all(n_files[key(x)] == 2 for x in menu)
    assert len({gid[key(x)] for x in menu}) == len(menu)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="candidate_pairs joins each LSH bucket as a star around its first member: when "
    "that member is unrelated, a similar pair in the same bucket is never verified",
)
def test_a_similar_pair_is_grouped_whatever_else_shares_its_bucket() -> None:
    pair = ["this of in that they the as be", "this of to that they the as be"]
    other = "it of in that he the as be"  # shares an LSH bucket with both, similar to neither
    a, b = (normalize_line(x) for x in pair)
    sigs = MinHasher(DEFAULT.num_perm, DEFAULT.seed, DEFAULT.shingle_size).signatures([a, b])
    assert float((sigs[0] == sigs[1]).mean()) >= DEFAULT.similarity_threshold
    gid, _, key = group_table([pair, [*pair[::-1], "filler"]])
    assert gid[key(pair[0])] == gid[key(pair[1])]
    gid, _, key = group_table([[*pair, other], [other, *pair[::-1], "filler"]])
    assert gid[key(pair[0])] == gid[key(pair[1])]


@given(
    st.lists(st.integers(0, (1 << 64) - 1), max_size=600),
    st.lists(st.integers(0, (1 << 64) - 1), max_size=50),
)
def test_id_set_membership_is_isin(ids: list[int], others: list[int]) -> None:
    from cleaner.idset import IdSet

    members = np.array(ids, np.uint64)
    values = np.array(ids[::3] + others + [0, 1], np.uint64)
    assert IdSet(members).contains(values).tolist() == np.isin(values, members).tolist()


@given(st.lists(st.integers(0, (1 << 64) - 1), max_size=400, unique=True), st.integers(1, 20))
def test_the_separating_shift_is_the_first_one_at_a_time(ids: list[int], bits: int) -> None:
    from cleaner.idset import separating_shift

    members = np.unique(np.array(ids, np.uint64))
    mask = np.uint64((1 << bits) - 1)
    fits = (len(np.unique((members >> np.uint64(s)) & mask)) for s in range(65 - bits))
    first = next((s for s, n in enumerate(fits) if n == len(members)), -1)
    assert separating_shift(members, bits) == first


def _compiled_or_skip() -> object:
    from cleaner.compiled import compiled

    module = compiled()
    if module is None:
        pytest.skip(WHY_MISSING["compiled"])
    return module


@given(
    st.lists(st.text(max_size=30), max_size=12),
    st.integers(min_value=1, max_value=9),
)
def test_compiled_shingle_hashes_are_the_array_ones(lines: list[str], k: int) -> None:
    """The compiled loop hashes every k-shingle as the array version does, on any text
    (characters beyond the BMP, surrogates, empty and short lines)."""
    from cleaner import fingerprint as fp

    _compiled_or_skip()
    lengths = np.array([len(s) for s in lines], np.int64)
    points = np.frombuffer("".join(lines).encode("utf-32-le", "surrogatepass"), np.uint32)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    want = fp._hash_windows_arrays(points, lengths, offsets, k)
    got = fp._hash_windows(lines, k)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tolist() == w.tolist()


@given(
    st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 5)), max_size=60),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=0, max_value=2**16),
)
def test_compiled_minhash_rows_are_the_array_ones(
    items: list[tuple[int, int]], num_perm: int, seed: int
) -> None:
    """Signatures of sets given in any order of rows, rows without elements included."""
    from cleaner.fingerprint import affine32_permutations, minhash_rows, minhash_rows_arrays

    _compiled_or_skip()
    items.sort(key=lambda x: x[1])  # the array version reads runs of one row
    hashes = np.array([h for h, _ in items], np.uint32)
    owner = np.array([o for _, o in items], np.int64)
    a, b = affine32_permutations(num_perm, seed)
    want = minhash_rows_arrays(hashes, owner, 6, a, b)
    assert minhash_rows(hashes, owner, 6, a, b).tolist() == want.tolist()
    if len(items) > 1:  # the compiled loop needs no order
        turn = np.arange(len(items))[::-1]
        assert minhash_rows(hashes[turn], owner[turn], 6, a, b).tolist() == want.tolist()


def test_compiled_minhash_rows_refuse_a_row_out_of_range() -> None:
    """The compiled loop writes a hash's row without bounds checks: a row outside the
    signature array is refused before it runs, not written past the array."""
    from cleaner.fingerprint import affine32_permutations, minhash_rows

    _compiled_or_skip()
    a, b = affine32_permutations(8, 1)
    hashes = np.array([1, 2], np.uint32)
    for owner in ([0, 3], [-1, 0]):
        with pytest.raises(ValueError, match="out of range"):
            minhash_rows(hashes, np.array(owner, np.int64), 3, a, b)
    with pytest.raises(ValueError, match="equal lengths"):
        minhash_rows(hashes, np.array([0], np.int64), 3, a, b)


def test_permutations_kept_in_the_cache_folder_are_the_drawn_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleaner.fingerprint import affine32_permutations, drawn_permutations

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path))
    drawn = drawn_permutations(64, 7)
    first = affine32_permutations(64, 7)  # drawn, then kept
    (kept,) = tmp_path.glob("affine32-64-7*")
    again = affine32_permutations(64, 7)  # read back
    for a, b, c in zip(drawn, first, again, strict=True):
        assert a.tolist() == b.tolist() == c.tolist()
    kept.write_bytes(kept.read_bytes()[:40])  # a truncated file is drawn again
    assert affine32_permutations(64, 7)[1].tolist() == drawn[1].tolist()
    np.save(kept, np.zeros((2, 64), np.uint32))  # even multipliers: not permutations
    assert affine32_permutations(64, 7)[0].tolist() == drawn[0].tolist()
