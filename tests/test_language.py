"""Language detection: the automaton walked by the compiled loop, or all byte positions at
once by arrays, gives py3langid's own answers."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import py3langid
import pytest
from conftest import WHY_MISSING

from cleaner.heuristics.language import (
    _JUSTEXT_NAMES,
    LanguageIdentifier,
    _justext_stoplist,
    detect_language,
)

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


@pytest.fixture(scope="module")
def ident() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.fixture(params=["compiled", "arrays"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The automaton walked by the loop compiled at install, or by arrays (the loop kept
    from loading)."""
    from cleaner.compiled import compiled

    if request.param == "compiled" and compiled() is None:
        pytest.skip(WHY_MISSING["compiled"])
    if request.param == "arrays":
        monkeypatch.setattr("cleaner.heuristics.language.compiled", lambda: None)
    return str(request.param)


def stopword_texts(rng: random.Random) -> list[str]:
    """Texts of random stopwords of every jusText language, at several lengths."""
    import justext

    texts = []
    for name in sorted(set(_JUSTEXT_NAMES.values())):
        words = sorted(justext.get_stoplist(name))
        for n in (1, 3, 12, 80):
            texts.append(" ".join(rng.choice(words) for _ in range(n)))
    return texts


def odd_texts(rng: random.Random) -> list[str]:
    alphabet = "abcXYZ éßøЖж中文日本語한국어ا ب ت\u200b\n\t.,!?0123456789"
    return [
        "",
        " ",
        "a",
        "ab",
        "abcde",  # shorter than the automaton's window
        "THE COMMITTEE APPROVED THE PLAN",  # all upper case is lowered first
        "e\u0301te\u0301",  # decomposed accents are composed first
        "\ud800 lone surrogate",
        *("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 300))) for _ in range(200)),
    ]


def test_same_answers_as_py3langid(ident: LanguageIdentifier, walk: str) -> None:
    rng = random.Random(7)
    texts = stopword_texts(rng) + odd_texts(rng)
    assert len(texts) > 500
    got = [ident.classify(t) for t in texts]
    assert got == [py3langid.classify(t)[0] for t in texts]
    assert len(set(got)) > 40  # the texts reach many languages, not one fallback


@pytest.mark.skipif(not EVAL.is_dir(), reason="evaluation data (../shared/eval) not present")
def test_same_answers_on_web_pages(ident: LanguageIdentifier) -> None:
    rng = random.Random(3)
    texts = []
    for path in sorted(EVAL.glob("*/text/*.txt"))[::5]:
        page = path.read_text(encoding="utf-8", errors="replace")
        start = rng.randrange(max(1, len(page)))
        texts += [page[:2000], page[start : start + rng.choice([20, 200, 2000])]]
    assert len(texts) > 100
    assert [ident.classify(t) for t in texts] == [py3langid.classify(t)[0] for t in texts]


def test_features_are_the_byte_walks(ident: LanguageIdentifier, walk: str) -> None:
    """Every position's feature equals the one a byte-by-byte walk of the automaton meets."""
    m = ident._load()
    data = "Ein kurzer Satz, and a few English words; 中文也有。".encode() * 3
    state, walked = 0, []
    for byte in data:
        state = int(m.nextmove[m.rowbase[state] + byte])
        if m.output[state] >= 0:
            walked.append(int(m.output[state]))
    assert ident.features(data).tolist() == walked
    assert len(walked) > len(data) // 2


def test_detect_language_needs_letters(ident: LanguageIdentifier) -> None:
    assert detect_language("12 34 56 78 -- 90 !!", ident) is None
    assert detect_language("Ceci est une phrase écrite en français, assez longue.", ident) == "fr"
    # only the first max_chars characters are looked at
    de = "Dies ist ein deutscher Satz mit vielen Wörtern, der etwas länger ist. "
    en = "This is an English sentence with many words, and it is a little longer. "
    assert detect_language(de + en, ident, max_chars=len(de)) == "de"
    assert detect_language(en + de, ident, max_chars=len(en)) == "en"


def test_model_is_shared_by_calls(ident: LanguageIdentifier) -> None:
    ident.classify("some words here")
    model = ident._load()
    ident.classify("andere Wörter hier")
    assert ident._load() is model
    assert model.ptc.dtype == np.float32 and model.depth >= 4


def test_stoplists_are_justexts_and_read_without_importing_it() -> None:
    import justext

    for name in sorted(set(_JUSTEXT_NAMES.values())):
        assert _justext_stoplist(name) == justext.get_stoplist(name), name
    code = (
        "import sys\n"
        "from cleaner.heuristics.language import Stoplists\n"
        "assert 'the' in Stoplists().get('en')\n"
        "print('justext' in sys.modules, 'lxml.html' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "False"]


def test_unpacked_model_is_cached_once_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load writes the unpacked arrays to the cache folder (under a temporary
    name, renamed into place); later loads read them memory-mapped, with the same answers
    as the model unpacked in memory."""
    import py3langid.modelio

    from cleaner.heuristics import language

    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))
    texts = [*stopword_texts(random.Random(3))[:60], "Der Ausschuss hat den Plan gebilligt."]
    first = LanguageIdentifier()
    answers = [first.classify(t) for t in texts]
    (folder,) = (tmp_path / "cache").iterdir()
    assert folder.name.startswith("langid-") and not folder.name.startswith(".")
    assert sorted(p.stem for p in folder.iterdir()) == sorted(language._CACHE_ARRAYS)

    def unpack_again(path: object) -> object:
        raise AssertionError("the cached model is read, not unpacked again")

    monkeypatch.setattr(py3langid.modelio, "load_model", unpack_again)
    cached = LanguageIdentifier()
    assert [cached.classify(t) for t in texts] == answers
    model = cached._load()
    assert isinstance(model.ptc.base, np.memmap) and model.ptc.dtype == np.float32
    assert model.depth == first._load().depth and model.classes == first._load().classes


def test_model_loads_when_the_cache_folder_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ident: LanguageIdentifier
) -> None:
    """A cache folder that cannot be made (here a file stands in its way): the model is
    unpacked in memory for the process, with the same answers, and nothing is left."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(blocker / "cache"))
    texts = stopword_texts(random.Random(4))[:40]
    fallback = LanguageIdentifier()
    assert [fallback.classify(t) for t in texts] == [ident.classify(t) for t in texts]
    assert not isinstance(fallback._load().ptc.base, np.memmap)
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_compiled_feature_count_is_uniques_in_first_sight_order() -> None:
    from cleaner.compiled import compiled

    module = compiled()
    if module is None:
        pytest.skip(WHY_MISSING["compiled"])
    rng = np.random.default_rng(5)
    slots = np.zeros(50, np.int32)
    for n in (0, 1, 7, 300):
        found = rng.integers(0, 50, n).astype(np.int64)
        ids, counts = module.first_sight_counts(found, slots)
        values, first, many = np.unique(found, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        assert ids.tolist() == values[order].tolist()
        assert counts.tolist() == many[order].tolist()
        assert not slots.any()  # the scratch array is left zeroed for the next page
    with pytest.raises(ValueError, match="outside"):
        module.first_sight_counts(np.array([3, 50], np.int64), slots)
    assert not slots.any()
