"""The compiled line features (cleaner.heuristics.compiled) are the reference's
(cleaner.heuristics.classify.line_features) on every line they give, with and without a
stoplist and under other thresholds; a page's features are the same whichever computes
them. Each backend is tested: the loops compiled at install (cleaner._compiled) and numba's.
Plus their loading: from the first line when compiled at install, after the threshold for
numba's, not at all without either."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from conftest import BACKENDS, WHY_MISSING
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import Config
from cleaner.compiled import KERNELS_ENV, compiled
from cleaner.fingerprint import KERNEL_AFTER_LINES, LinePrinter
from cleaner.heuristics.classify import LineClass, line_features
from cleaner.heuristics.compiled import (
    FeatureJudge,
    FeatureKernel,
    built_feature_table,
    feature_table,
    features_of,
    load_feature_kernel,
    numba_feature_kernel,
    stop_ids,
)
from cleaner.heuristics.language import Stoplists
from cleaner.pages import Page
from cleaner.steps.context import WorkerMemo
from cleaner.steps.decide import page_features


def _backend(name: str) -> FeatureKernel | None:
    if name == "compiled":
        module = compiled()
        if module is None:
            return None
        # as a run loads it (load_feature_kernel): its settings held by a LineCoder
        return FeatureKernel(module.line_codes, feature_table(), getattr(module, "LineCoder", None))
    return numba_feature_kernel()


def kernel_of(name: str) -> FeatureKernel:
    """The backend's kernel; the test is skipped where it is missing."""
    kernel = _backend(name)
    if kernel is None:
        pytest.skip(WHY_MISSING[name])
    return kernel


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> FeatureKernel:
    return kernel_of(str(request.param))


@contextmanager
def using(kernel: FeatureKernel) -> Iterator[FeatureKernel]:
    """Judges made inside load this kernel."""
    with mock.patch("cleaner.heuristics.compiled.load_feature_kernel", lambda: kernel):
        yield kernel


ENGLISH = Stoplists().get("en")
# a stoplist with non-ASCII words, a word with a digit and one a token can never be
OTHER = frozenset({"été", "和", "und", "für", "the", "a", "l'", "2il", "été0", "σε", "это"})
# too many words for IdSet's table (the kernel searches the sorted ids instead)
LARGE = frozenset(Stoplists().get("ko") or ()) | frozenset(f"w{n}x" for n in "abcdefgh") | OTHER
STOPLISTS = [None, ENGLISH, OTHER, frozenset(["the", "is"]), LARGE]
CONFIGS = [
    Config(),
    Config(title_max_words=6, body_min_words=3, long_line_words=12, min_stopword_density=0.35),
    Config(datetime_max_words=4, datetime_min_digit_share=0.5, max_feature_chars=60),
    Config(min_stopword_density=0.0, body_min_words=1, title_max_words=2),
]

# What real lines are made of: words and their separators, the non-ASCII characters most
# pages carry, CJK, markdown marks and link syntax, digits, dates and times
WORDS = [
    "the", "The", "a", "is", "für", "Été", "été", "und", "σε", "ΣΕ", "это", "和", "新闻",
    "한국", "x", "snake_case", "ﬁn", "½", "naïve", "ÉTAT", "km²", "2il", "Straße", "İzmir",
    "l'", "l’État", "A1", "0007", "12", "2019", "08:22", "16/06", "16/06/2024", "3/4",
    "2019-11-04", "8h22", "1.", "2)", "12.9", "www.example.com", "http://a.b/c", "mailto:x",
]  # fmt: skip
SEPARATORS = [
    " ", "  ", "\t", "\u00a0", "\u2009", "\u200b", "\u3000", ", ", ". ", "? ", "! ", ": ",
    "; ", "…", " — ", "-", "/", "«", "»", "“", "”", "'", '"', ")", "(", "。", "！", "、",
    "・", "©", "€", "•", "●",
]  # fmt: skip
MARKS = [
    "", "", "", "# ", "## ", "###### ", "####### ", "#", " # ", "    # ", "  * ", "- ", "+ ",
    "• ", "▪\t", "1. ", "12) ", "1234. ", "3.", "> ", "* * ", "1. 2. ", "  ", "#\t", "#\u00a0",
]  # fmt: skip
MARKUP = ["", "", "", "", "**", "__", "_", "*", "~~", "|", " | ", "![", "](", ")", "[", "]"]
ENDINGS = ["", "", ".", "?", "!", ":", ".)", ".”", "?»", ": ", " *", "_", "。", "!]"]

LINE = st.builds(
    lambda mark, body, ending: mark + body + ending,
    st.sampled_from(MARKS),
    st.lists(
        st.one_of(
            st.sampled_from(WORDS),
            st.sampled_from(SEPARATORS),
            st.sampled_from(MARKUP),
            st.text(alphabet="abcdeéß和é1 ,.:", max_size=6),
        ),
        max_size=30,
    ).map("".join),
    st.sampled_from(ENDINGS),
).filter(lambda line: "\n" not in line)


# Markdown lines as pages render them: links, images, emphasis, table rows and quotations,
# with words and separators in and around them (ASCII and not), and the syntax broken
TEXT = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from(SEPARATORS), st.sampled_from(MARKUP)),
    max_size=5,
).map("".join)
URLS = [
    "", "/", "/index.html", "https://example.com/a-story", "http://a.b/c?x=1", "www.example.org",
    "b.jpg", "//cdn.example.com/i.PNG", "data:image/gif;base64,R0lG", "a b", "x(y", "/été/和",
    "HTTP://A.B", "https://", "Www.x.y/1.gif?w=3",
]  # fmt: skip
LINK = st.builds("[{}]({})".format, TEXT, st.sampled_from(URLS))
IMAGE = st.builds("![{}]({})".format, TEXT, st.sampled_from(URLS))
EMPHASIS = st.builds(
    lambda mark, text, end: mark + text + (mark if end else ""),
    st.sampled_from(["*", "**", "***", "****", "_", "__", "___", "____", "~~", "~", "~~~"]),
    TEXT,
    st.booleans(),
)
PIECE = st.one_of(TEXT, LINK, IMAGE, EMPHASIS, st.sampled_from(SEPARATORS + MARKUP))
TABLE_ROW = st.builds(
    lambda edges, cells, spaced: edges[0] + (" | " if spaced else "|").join(cells) + edges[1],
    st.sampled_from([("", ""), ("| ", " |"), ("|", "|"), ("  | ", ""), ("", " | ")]),
    st.lists(st.lists(PIECE, max_size=3).map("".join), min_size=1, max_size=5),
    st.booleans(),
)
MARKDOWN_LINE = st.one_of(
    st.builds(
        lambda mark, pieces, ending: mark + "".join(pieces) + ending,
        st.sampled_from([*MARKS, ">", "> > ", " > * ", "  * ### ", "* [", "![](a) * "]),
        st.lists(PIECE, max_size=8),
        st.sampled_from(ENDINGS),
    ),
    TABLE_ROW,
    st.sampled_from(["---|---|---", "* * *", "  *", "- - -", "|", "> ", "___", "=+=", "**"]),
).filter(lambda line: "\n" not in line)


def codes_of(
    kernel: FeatureKernel, lines: list[str], stop: frozenset[str] | None, config: Config
) -> list[int]:
    """The kernel's codes of ``lines``, the word ids made as a run makes them."""
    _, ids, counts = LinePrinter(-1, kernel_after=-1).page(lines)
    ids_of, digits = (None, False) if stop is None else stop_ids(stop)
    codes = kernel.codes(lines, ids, counts, ids_of, digits, config)
    assert codes is not None
    # given the lines' bytes (as the pages file hands them on), the same codes
    utf8 = memoryview("\n".join(lines).encode("utf-8", "surrogatepass"))
    given_bytes = kernel.codes(lines, ids, counts, ids_of, digits, config, utf8)
    assert given_bytes is not None and given_bytes.tolist() == codes.tolist()
    return codes.tolist()


def assert_exact(
    kernel: FeatureKernel, lines: list[str], stop: frozenset[str] | None, config: Config
) -> list[int]:
    """Every line the kernel gives has the reference's features; returns the codes."""
    codes = codes_of(kernel, lines, stop, config)
    for line, code in zip(lines, codes, strict=True):
        if code >= 0:
            assert features_of(code) == line_features(line, stop, config), (line, code)
    return codes


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=400, deadline=None)
@given(
    st.lists(LINE, max_size=8),
    st.sampled_from(range(len(STOPLISTS))),
    st.sampled_from(range(len(CONFIGS))),
)
def test_the_kernel_gives_the_reference_features(
    name: str, lines: list[str], s: int, c: int
) -> None:
    assert_exact(kernel_of(name), lines, STOPLISTS[s], CONFIGS[c])


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30).filter(lambda t: "\n" not in t), max_size=8))
def test_the_kernel_gives_the_reference_features_on_any_text(name: str, lines: list[str]) -> None:
    kernel = kernel_of(name)
    for stop in (None, ENGLISH):
        assert_exact(kernel, lines, stop, Config())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(LINE, st.text(max_size=30)), max_size=8),
    st.sampled_from(range(len(STOPLISTS))),
    st.sampled_from(range(len(CONFIGS))),
)
def test_the_compiled_loops_give_numbas_codes(lines: list[str], s: int, c: int) -> None:
    """Where numba's kernel gives a code; the compiled loops also judge the markdown lines
    numba's leaves to the reference."""
    lines = [line.replace("\n", " ") for line in lines]
    compiled_kernel, numba = kernel_of("compiled"), kernel_of("numba")
    stop, config = STOPLISTS[s], CONFIGS[c]
    got = codes_of(compiled_kernel, lines, stop, config)
    for mine, numbas in zip(got, codes_of(numba, lines, stop, config), strict=True):
        assert numbas < 0 or mine == numbas


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.one_of(LINE, MARKDOWN_LINE, st.text(max_size=30)), max_size=8),
    st.sampled_from(range(len(STOPLISTS))),
    st.sampled_from(range(len(CONFIGS))),
)
def test_the_coder_gives_the_codes_of_the_kernel_called_with_every_setting(
    lines: list[str], s: int, c: int
) -> None:
    """A LineCoder holds the stopwords, limits and shares it was made with: its codes are
    line_codes' given them at every call, for every stoplist and settings met in turn."""
    lines = [line.replace("\n", " ") for line in lines]
    module = compiled()
    if module is None or not hasattr(module, "LineCoder"):
        pytest.skip(WHY_MISSING["compiled"])
    held = kernel_of("compiled")
    each_call = FeatureKernel(module.line_codes, feature_table())
    for stop in (STOPLISTS[s], STOPLISTS[(s + 1) % len(STOPLISTS)], STOPLISTS[s]):
        got = codes_of(held, lines, stop, CONFIGS[c])
        assert got == codes_of(each_call, lines, stop, CONFIGS[c])
    assert held.coder is not None and held.coders  # the coders were made, and kept


@settings(max_examples=200, deadline=None)
@given(
    st.lists(MARKDOWN_LINE, max_size=8),
    st.sampled_from(range(len(STOPLISTS))),
    st.sampled_from(range(len(CONFIGS))),
)
def test_the_compiled_loops_give_the_reference_features_of_markdown_lines(
    lines: list[str], s: int, c: int
) -> None:
    assert_exact(kernel_of("compiled"), lines, STOPLISTS[s], CONFIGS[c])


def test_the_lines_a_page_is_mostly_made_of_are_the_kernels(backend: FeatureKernel) -> None:
    lines = [
        "The council met on Tuesday to discuss the harbour and agreed to repair it.",
        "Top stories in the region",
        "# Le conseil s’est réuni — «débat» animé",
        "## Running a business",
        "  * Home",
        "12. The third step: mix the flour with the water and the salt.",
        "中国和美国举行了第二次对话。",
        "Ceci est une phrase, naïve et très longue, à propos de l’été.",
        "It is over!",
        "—",
        "The plan was approved after a debate on these three points:",
        "In 2012, the couple published a book about their home in the valley.",
        "Updated 08:22 16/06/2024",
        "## Posted March 3, 2013",
        "- 1/2 tsp ground cloves",
    ]
    codes = assert_exact(backend, lines, ENGLISH, Config())
    assert min(codes) >= 0, codes
    feats = [features_of(c) for c in codes]
    assert [f.cls for f in feats[:3]] == [LineClass.GOOD, LineClass.TITLE, LineClass.TITLE]
    assert feats[2].heading and feats[3].marked and not feats[3].heading
    assert feats[9].cls is LineClass.MARKUP and feats[10].lead_in
    assert [f.cls for f in feats[12:]] == [LineClass.DATETIME, LineClass.DATETIME, LineClass.TITLE]


def test_lines_the_kernel_leaves_to_the_reference(backend: FeatureKernel) -> None:
    lines = [
        "http://example.com/a",  # markup that is one web address: a flag a code does not hold
        "> — A Reader (@reader) November 1, 2019",  # a quoted date line: the same
        "__Jose Altoveros",  # emphasis inside a word: not the fingerprint's word
        "a**b**c and more",
        "snake___bold___ words",
        "e\u0301te\u0301 à l’été",  # a combining mark
        "smile 🙂",  # outside the table
        "Straße und Weg",  # ß: the fingerprint's token is not the word
        "ΈΝΑ ΣΠΊΤΙ ΣΕ ΜΙΑ ΠΌΛΗ",  # a capital sigma's lower case depends on the next letter
        "x" * 70,  # longer than max_feature_chars
    ]
    config = Config(max_feature_chars=60)
    codes = assert_exact(backend, lines, ENGLISH, config)
    assert codes == [-1] * len(lines)
    long = ["Il y a deux chats et 2 chiens dans la maison du voisin, et un lapin."]
    assert codes_of(backend, long, ENGLISH, Config())[0] >= 0  # too many words for a date line
    assert codes_of(backend, long, OTHER, Config()) == [-1]  # a stopword with a digit ("2il")


def test_the_markdown_lines_of_rendered_pages_are_the_compiled_loops() -> None:
    """Numba's kernel leaves them to the reference."""
    lines = [
        "  * [Home](/)",
        "* [Le conseil s’est réuni](https://example.com/a-story) — «débat»",
        "Read it at http://example.com/a",
        "Today only, Amazon offers the laptop for **$70** off: a deal of the week.",
        "**Notes to Editors:**",
        "_FTC: We use income earning auto affiliate links._ More.",
        "iPhone X | Average | Excellent",
        "| 1 | Kyle Busch | 5040 | 5 |",
        "| (Agency/Photographer Name) |",
        "---|---|---",
        "* * two marks",
        "  *",
        "> It is me, Melissa.",
        "  * #####  Savvy shops",
        "Audio-Technica ATH-G1WL Review: My new go-to wireless gaming headset [Video]",
        "The bridge ![A bridge](b.jpg) was opened on Tuesday by the mayor of the town.",
        "~~The toggle button~~ is gone.",
        "snake_case words, ___ *apart*",
        "The plan was approved after a debate on **these three points**: _",
        "![A bridge](b.jpg)",  # markup showing an image: bit 7 of the code
        "* [![logo](l.png) Home](/) | Top",
    ]
    codes = assert_exact(kernel_of("compiled"), lines, ENGLISH, Config())
    assert min(codes) >= 0, codes
    feats = [features_of(c) for c in codes]
    assert feats[0].cls is LineClass.MARKUP and (feats[0].n_words, feats[0].n_chars) == (1, 4)
    assert [f.cls for f in feats[2:5]] == [LineClass.MARKUP, LineClass.GOOD, LineClass.NEAR]
    assert feats[-3].lead_in and not feats[4].lead_in
    assert feats[7].cls is LineClass.TITLE and feats[8].cls is LineClass.MARKUP
    # a list item's mark goes, not a heading's mark after it
    assert not feats[13].marked and feats[13].n_chars == len("##### Savvy shops")
    assert [(f.cls, f.image) for f in feats[-2:]] == [(LineClass.MARKUP, True)] * 2
    assert not any(f.image for f in feats[:-2])


def test_a_large_stoplist_is_searched(backend: FeatureKernel) -> None:
    assert stop_ids(LARGE)[0].table is None
    lines = ["und für été the a wax wbx wcx x y z w.", "Word, word."]
    codes = assert_exact(backend, lines, LARGE, Config())
    assert min(codes) >= 0


def test_every_character_of_the_table_alone_and_among_words(backend: FeatureKernel) -> None:
    table = feature_table()
    chars = [chr(c) for c in np.flatnonzero(table & 1).tolist()]
    lines = [f"{c}a{c} b{c}{c}. {c}" for c in chars] + [f"  * {c} x" for c in chars]
    lines += [f"# The {c}{c} and a word:" for c in chars]
    for stop in (None, OTHER):
        for start in range(0, len(lines), 2000):
            assert_exact(backend, lines[start : start + 2000], stop, Config())


def test_a_huge_line_is_left_to_the_reference_without_being_copied(
    backend: FeatureKernel,
) -> None:
    lines = ["Top stories", "x " * 40_000, "# A heading"]
    codes = assert_exact(backend, lines, ENGLISH, Config())
    assert codes[1] == -1 and min(codes[0], codes[2]) >= 0


def test_a_line_holding_a_newline_leaves_the_page_to_the_reference(
    backend: FeatureKernel,
) -> None:
    ids, counts = np.zeros(2, np.uint64), np.ones(2, np.int64)
    assert backend.codes(["a\nb", "c"], ids, counts, None, False, Config()) is None


def _page(lines: list[str], language: str | None) -> Page:
    keys, ids, counts = LinePrinter(-1, kernel_after=-1).page(lines)
    return Page("p.txt", None, "text", tuple(lines), keys, language, words=ids, word_counts=counts)


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=100, deadline=None)
@given(st.lists(LINE, max_size=12), st.sampled_from(["en", "de", "zh", None]))
def test_page_features_are_the_same_with_the_kernel_and_without(
    name: str, lines: list[str], language: str | None
) -> None:
    page = _page(lines, language)
    config = Config()
    fast, slow = WorkerMemo(config.near_dup_max_chars), WorkerMemo(config.near_dup_max_chars)
    with using(kernel_of(name)) as kernel:
        fast.judge, slow.judge = FeatureJudge(0), FeatureJudge(-1)
        got = page_features(page, fast, config)
        assert fast.judge.kernel(0) is kernel
        assert got == page_features(page, slow, config)
        assert slow.judge.kernel(0) is None
    short = replace(config, near_dup_max_chars=0)  # the reference without its memo
    assert got == [line_features(line, Stoplists().get(language), short) for line in lines]


def test_a_pages_read_only_arrays_are_read(backend: FeatureKernel) -> None:
    """A page read from its shard file holds read-only arrays."""
    lines = ["The council met on Tuesday.", "## Sport", "中国和美国。"]
    _, ids, counts = LinePrinter(-1, kernel_after=-1).page(lines)
    frozen_ids = np.frombuffer(ids.tobytes(), np.uint64)
    frozen_counts = np.frombuffer(counts.tobytes(), np.int64)
    stop, digits = stop_ids(ENGLISH)
    got = backend.codes(lines, frozen_ids, frozen_counts, stop, digits, Config())
    assert got is not None and got.tolist() == codes_of(backend, lines, ENGLISH, Config())
    assert min(got.tolist()) >= 0


def test_equal_features_share_one_object(backend: FeatureKernel) -> None:
    page = _page(["Top stories", "Sport today", "  Top  stories "] * 3, "en")
    memo = WorkerMemo(300)
    with using(backend):
        memo.judge = FeatureJudge(0)
        feats = page_features(page, memo, Config())
    assert len({id(f) for f in feats}) == 1


def test_the_judge_loads_the_kernel_after_its_threshold(
    backend: FeatureKernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    with using(backend):
        judge = FeatureJudge(3)
        assert judge.kernel(2) is None and judge.kernel(2) is None  # 2, then 4 lines judged
        assert judge.kernel(2) is backend
        never = FeatureJudge(-1)
        assert never.kernel(100) is None and never.kernel(100) is None
        monkeypatch.setenv(KERNELS_ENV, "1")
        assert WorkerMemo(300).judge.kernel(1) is backend
        monkeypatch.setenv(KERNELS_ENV, "0")
        assert WorkerMemo(300).judge.kernel(1) is None


def test_the_compiled_loops_judge_from_the_first_line(monkeypatch: pytest.MonkeyPatch) -> None:
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler: the package installs without its compiled loops")
    monkeypatch.delenv(KERNELS_ENV, raising=False)
    module = compiled()
    assert module is not None
    kernel = load_feature_kernel()
    assert kernel is not None and kernel.kernel is module.line_codes
    judge = WorkerMemo(300).judge
    assert judge.kernel_after == 0 and judge.kernel(1) is kernel


def test_numbas_kernel_loads_after_its_threshold_without_the_compiled_loops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kernel_of("numba")
    monkeypatch.delenv(KERNELS_ENV, raising=False)
    with mock.patch("cleaner.compiled.compiled", lambda: None):
        assert load_feature_kernel.__wrapped__() is numba_feature_kernel()
        assert WorkerMemo(300).judge.kernel_after == KERNEL_AFTER_LINES


def test_without_the_compiled_loops_or_numba_the_reference_judges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    assert numba_feature_kernel.__wrapped__() is None
    with mock.patch.multiple(
        "cleaner.heuristics.compiled", numba_feature_kernel=numba_feature_kernel.__wrapped__
    ):
        kernel = load_feature_kernel.__wrapped__()  # the compiled loops, where they are built
        assert kernel is None or kernel.kernel is getattr(compiled(), "line_codes", None)
        with mock.patch("cleaner.compiled.compiled", lambda: None):
            assert load_feature_kernel.__wrapped__() is None


def test_the_feature_table_is_kept_in_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made once, then read from the cache folder; a damaged file is made again."""
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path))
    built = built_feature_table()
    assert np.array_equal(feature_table.__wrapped__(), built)
    (stored,) = tmp_path.glob("featuretable-*.npy")
    with mock.patch("cleaner.heuristics.compiled.built_feature_table", None):
        assert np.array_equal(feature_table.__wrapped__(), built)  # read back, not made
    stored.write_bytes(b"not an array")
    assert np.array_equal(feature_table.__wrapped__(), built)
    assert stored.read_bytes() != b"not an array"  # written again
