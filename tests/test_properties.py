"""Property tests: normalization, decoding, segmentation, output paths and the whole
pipeline on generated pages. Example counts stay modest so the suite stays fast; set
CLEANER_PIPELINE_EXAMPLES (default 15) for a longer search of the whole-pipeline ones."""

from __future__ import annotations

import html as html_escape
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner import Config, clean_corpus
from cleaner.compiled import loaded
from cleaner.fingerprint import LinePrinter
from cleaner.heuristics.classify import LineClass, LineFeatures
from cleaner.io.decode import InputError, decode
from cleaner.io.writers import safe_join, safe_join_text
from cleaner.models import Decision, Reason
from cleaner.pages import html_text, language_sample, line_word_counts, line_word_counts_arrays
from cleaner.segment import segment
from cleaner.steps.fingerprint import short_unsigned_arrays
from cleaner.text import (
    _unicode_tokens,
    has_words,
    normal_tokens,
    normalize_line,
    strip_markup,
    word_count,
)

PIECES = st.sampled_from(
    [
        "The council met on Tuesday to discuss the harbour and agreed to repair the walls.",
        "Read more",
        "![](img.png) |",
        "| a | b | c |",
        "# A heading",
        "  * menu item",
        "Updated 08:22 16/06",
        "Les habitants ont été nombreux à venir écouter le débat sur le vieux port.",
        "中国和美国举行了第二次对话。",
        "",
        "   ",
    ]
)
LINE = st.one_of(PIECES, st.text(max_size=80).map(lambda s: s.replace("\n", " ")))
PAGE = st.lists(LINE, max_size=25).map("\n".join)
SLOW = settings(
    max_examples=int(os.environ.get("CLEANER_PIPELINE_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@given(
    st.lists(
        st.lists(st.sampled_from(["word", "mot", "中国", "x" * 30, "!", "42"]), max_size=9).map(
            " ".join
        ),
        max_size=30,
    ),
    st.integers(min_value=0, max_value=300),
)
def test_language_sample_is_the_head_of_all_prose_lines(lines: list[str], max_chars: int) -> None:
    # what the detector read before it stopped looking past max_chars
    prose = [ln for ln in lines if word_count(ln) >= 6] or lines
    assert language_sample(lines, max_chars) == "\n".join(prose)[:max_chars]


@given(st.text())
def test_normalize_never_crashes_and_is_idempotent(text: str) -> None:
    once = normalize_line(text)
    assert normalize_line(once) == once
    assert "\n" not in once.strip()


@given(st.text(alphabet=st.characters(max_codepoint=127, exclude_characters="`0123456789")))
def test_normalize_joins_word_and_punctuation_runs_with_single_spaces(text: str) -> None:
    # the definition of a normalized line, on text that case folding and digits leave alone
    text = text.lower()
    assert normalize_line(text) == " ".join(re.findall(r"\w+|[^\w\s]+", text))


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_tokens_equal_those_of_the_unicode_path(text: str) -> None:
    # ASCII lines take a faster path (bytes, no NFKC); it must give the same tokens,
    # digits, backticks, separators \x1c-\x1f and punctuation runs included
    tokens, lowered = normal_tokens(text)
    assert lowered and tokens == _unicode_tokens(text)


_MARKUP = "![]#*_>|~"
WORDY = st.lists(  # mostly plain text (no markup), the kind of line counted from word ids
    st.one_of(
        st.sampled_from(["the", "of", "and", "a", "to", "in", "is", "it", "The", "OF", "x_y"]),
        st.sampled_from(["town", "Harbour", "walls", "council", "met", "on", "Tuesday."]),
        st.text(
            alphabet=st.characters(max_codepoint=127, exclude_characters=_MARKUP),
            min_size=1,
            max_size=12,
        ),
        st.text(alphabet=st.characters(max_codepoint=127), min_size=1, max_size=3),
    ),
    min_size=8,
    max_size=80,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDY, min_size=1, max_size=4), st.sampled_from(["en", "fr", None]))
def test_features_counted_from_word_ids_are_the_features_counted_from_text(
    lines: list[str], language: str | None
) -> None:
    # long lines take their word and stopword counts from their fingerprint's word ids
    from cleaner.heuristics.classify import line_features
    from cleaner.pages import Page
    from cleaner.steps.context import WorkerMemo
    from cleaner.steps.decide import page_features, token_counts
    from cleaner.text import is_plain, words

    memo = WorkerMemo(short_chars=0)  # every line counts as long
    lines = [" ".join(line.split()) or "x" for line in lines]
    keys, ids, counts = memo.printer.page(lines)
    page = Page("p.txt", None, "text", tuple(lines), keys, language, words=ids, word_counts=counts)
    config = Config()
    stop = memo.stoplists.get(language)
    assert page_features(page, memo, config) == [line_features(x, stop, config) for x in lines]
    usable, stop_ids = memo.stop_ids(language)
    assert usable
    for line, (n, n_stop) in zip(lines, token_counts(ids, counts, stop_ids), strict=True):
        if is_plain(line):  # where the counts are used
            toks = words(line)
            assert (n, n_stop) == (len(toks), sum(t in (stop or ()) for t in toks))


@given(st.text(alphabet="ab 中国\n.-_é"), st.integers(0, 30))
def test_has_words_is_a_word_count_of_at_least(text: str, n: int) -> None:
    assert has_words(text, n) == (word_count(text) >= n)
    # a head no longer than the one read first, and a text far longer
    assert has_words(text * 40, n) == (word_count(text * 40) >= n)


@given(st.text())
def test_strip_markup_never_crashes(text: str) -> None:
    assert isinstance(strip_markup(text), str)


LABELS = st.sampled_from([None, "utf-8", "iso-8859-1", "windows-1251", "shift_jis", "bogus", ""])


@given(st.binary(max_size=2000), st.booleans(), LABELS)
def test_decode_never_crashes(data: bytes, html: bool, declared: str | None) -> None:
    try:
        text, note = decode(data, html=html, declared=declared)
    except InputError as exc:  # the one named refusal
        assert str(exc) == "binary content (NUL bytes)"
        assert b"\x00" in data[:8192]
    else:
        assert isinstance(text, str) and (note is None or note.startswith(("decoded", "declares")))
        text.encode("utf-8")  # no lone surrogates: every decoded text can be written


@given(st.text(max_size=300), st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
def test_decode_reads_unicode_encodings_back(text: str, codec: str) -> None:
    data = text.encode(codec, "surrogatepass")
    if "\x00" in text or any(0xD800 <= ord(c) < 0xE000 for c in text):
        return  # NUL reads as binary; lone surrogates are not text
    if codec == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        return  # text that starts with U+FEFF: read as a BOM
    assert decode(data)[0] == text


@given(st.text())
def test_segment_keeps_every_non_blank_line_in_order(text: str) -> None:
    lines = segment(text)
    assert lines == [ln for ln in text.splitlines() if ln.strip()]


@given(st.text())
def test_safe_join_never_leaves_the_root(rel: str) -> None:
    root = Path("/out")
    path = safe_join(root, rel.replace("\x00", ""))
    assert path.parts[: len(root.parts)] == root.parts and len(path.parts) > len(root.parts)
    assert ".." not in path.parts


def subsequence(kept: list[str], source: list[str]) -> bool:
    """Whether ``kept`` is ``source`` with some lines left out: nothing added, nothing
    reordered."""
    it = iter(source)
    return all(any(k == s for s in it) for k in kept)


@SLOW
@given(st.lists(PAGE, min_size=1, max_size=4))
def test_pipeline_outputs_input_lines_in_order(pages: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in", Path(tmp) / "out"
        src.mkdir()
        for i, page in enumerate(pages):
            (src / f"p{i}.txt").write_text(page, encoding="utf-8", errors="surrogatepass")
        clean_corpus([src], out, config=Config())
        for i in range(len(pages)):
            if not (out / f"p{i}.txt").exists():
                continue  # refused with a named reason (a NUL byte: binary)
            text, _note = decode((src / f"p{i}.txt").read_bytes())
            kept = (out / f"p{i}.txt").read_text(encoding="utf-8").splitlines()
            assert subsequence(kept, segment(text))


ENCODINGS = st.sampled_from(["utf-8", "utf-16", "cp1252", "utf-8-sig"])


@SLOW
@given(st.lists(st.tuples(PAGE, ENCODINGS), min_size=1, max_size=3))
def test_pipeline_on_pages_in_other_encodings(pages: list[tuple[str, str]]) -> None:
    """Whatever the encoding, the output is lines of the text the page was decoded to."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in", Path(tmp) / "out"
        src.mkdir()
        for i, (page, codec) in enumerate(pages):
            (src / f"p{i}.txt").write_bytes(page.encode(codec, "replace"))
        clean_corpus([src], out, config=Config())
        for i in range(len(pages)):
            if not (out / f"p{i}.txt").exists():
                continue
            text, _note = decode((src / f"p{i}.txt").read_bytes())
            kept = (out / f"p{i}.txt").read_text(encoding="utf-8").splitlines()
            assert subsequence(kept, segment(text))


BLOCK = st.tuples(st.sampled_from(["p", "div", "li", "h2", "td", "script", "nav"]), LINE)


@SLOW
@given(st.lists(st.lists(BLOCK, max_size=12), min_size=1, max_size=3))
def test_pipeline_on_html_pages(pages: list[list[tuple[str, str]]]) -> None:
    """An HTML page's output is lines of the text extraction found (the extractor's, with
    the prose around it recovered from the page), in their order."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in", Path(tmp) / "out"
        src.mkdir()
        sources = []
        for i, blocks in enumerate(pages):
            body = "".join(f"<{tag}>{html_escape.escape(text)}</{tag}>" for tag, text in blocks)
            page = f"<html><head><title>t</title></head><body>{body}</body></html>"
            (src / f"p{i}.html").write_text(page, encoding="utf-8", errors="replace")
            sources.append((src / f"p{i}.html").read_bytes())
        clean_corpus([src], out, config=Config())
        for i, data in enumerate(sources):
            if not (out / f"p{i}.txt").exists():
                continue
            extracted = segment(html_text(decode(data, html=True)[0], Config())[0])
            kept = (out / f"p{i}.txt").read_text(encoding="utf-8").splitlines()
            assert subsequence(kept, extracted)


_CLASSES = st.sampled_from(list(LineClass))


def _scan(
    feats: list[LineFeatures], out: list[Decision | None], i: int, step: int
) -> tuple[bool, int]:
    """The nearest decisive line from line ``i`` in direction ``step``, scanned line by line
    (what the block-context step meant before it swept once each way)."""
    gap = 0
    j = i + step
    while 0 <= j < len(feats):
        f, d = feats[j], out[j]
        if f.cls is LineClass.MARKUP:
            pass
        elif d is not None:
            return d.keep, gap
        elif f.cls is LineClass.GOOD:
            return True, gap
        elif f.cls is LineClass.BAD:
            return False, gap
        else:
            gap += f.n_chars
        j += step
    return False, gap


@given(
    st.lists(
        st.tuples(_CLASSES, st.integers(0, 300), st.sampled_from([None, True, False])),
        max_size=40,
    )
)
def test_the_anchors_of_every_line_are_each_lines_own_scan(
    lines: list[tuple[object, int, bool | None]],
) -> None:
    """The one-sweep anchors of the block-context step equal a scan from each line."""
    from cleaner.decide import _anchors

    feats = []
    out: list[Decision | None] = []
    for cls, chars, keep in lines:
        assert isinstance(cls, LineClass)
        feats.append(LineFeatures(cls, chars // 6, chars, False, True))
        out.append(None if keep is None else Decision(keep, Reason.BODY))
    for step in (1, -1):
        assert _anchors(feats, out, step) == [_scan(feats, out, i, step) for i in range(len(feats))]


@given(
    st.lists(
        st.one_of(
            PIECES,
            st.text(alphabet=st.characters(max_codepoint=127), max_size=60),
            st.lists(st.sampled_from(["a1", "_x", "07", "x_y", "--", "'s", "é", "B2B"])).map(
                " ".join
            ),
        ).map(lambda s: s.replace("\n", " ")),
        max_size=20,
    ),
    st.sampled_from([-1, 0]),
)
def test_words_counted_from_word_ids_are_word_count_on_ascii_lines(
    lines: list[str], kernel_after: int
) -> None:
    # the fingerprints' word ids give an ASCII line's words: by the kernel and the reference
    printer = LinePrinter(300, kernel_after=kernel_after)
    _, ids, counts = printer.page(lines)
    found = line_word_counts(ids, counts)
    for line, n in zip(lines, found.tolist(), strict=True):
        if line.isascii():
            assert n == word_count(line), line
    assert language_sample(lines, 200, found) == language_sample(lines, 200)


@given(st.lists(st.lists(st.sampled_from([0, 1, 7, (1 << 64) - 1]), max_size=6), max_size=12))
def test_compiled_line_words_are_the_array_ones(lines: list[list[int]]) -> None:
    module = loaded()
    if module is None:
        pytest.skip("installed without the compiled loops")
    ids = np.array([i for line in lines for i in line], np.uint64)
    counts = np.array([len(line) for line in lines], np.int64)
    expected = [sum(i != 0 for i in line) for line in lines]
    assert line_word_counts_arrays(ids, counts).tolist() == expected
    assert module.line_words(ids, counts).tolist() == expected


@given(
    st.lists(st.tuples(st.integers(0, 8), st.integers(0, 9)), max_size=30),
    st.lists(st.integers(0, 9), max_size=8),
    st.integers(0, 8),
)
def test_compiled_short_unsigned_lines_are_the_array_ones(
    lines: list[tuple[int, int]], signed: list[int], short: int
) -> None:
    module = loaded()
    if module is None:
        pytest.skip("installed without the compiled loops")
    text = ["x" * size for size, _ in lines]
    keys = np.array([key for _, key in lines], np.uint64)
    ordered = np.array(sorted(set(signed)), np.uint64)
    expected = [(i, k) for i, (n, k) in enumerate(lines) if n <= short and k not in set(signed)]
    at, found = short_unsigned_arrays(text, keys, short, ordered)
    assert list(zip(at, found, strict=True)) == expected
    assert module.short_unsigned(text, keys, short, ordered) == (at, found)


@given(st.text(alphabet="ab./\\", max_size=12))
@settings(max_examples=500, deadline=None)
def test_an_output_key_is_where_safe_parts_land(name: str) -> None:
    """The output path a name lands on, at one test for most names: the parts
    ``safe_parts`` keeps, joined."""
    from cleaner.io.discover import _key
    from cleaner.io.writers import safe_parts

    assert _key(name) == "/".join(safe_parts(name))
    for root in ("out", "/abs/out", "out/", "."):  # a file per page is named as Paths join
        assert safe_join_text(root, name) == os.fspath(safe_join(Path(root), name))


def test_lead_goes_after_the_lines_kept_before_it(tmp_path: Path) -> None:
    """Prose the extractor passed over just before the article's first prose line is put
    back before that line, after the short lines the extractor kept above it, as on the
    page (it once went before them all)."""
    body = "The council met on Tuesday to discuss the harbour and agreed to repair the walls."
    lead = "Les habitants ont été nombreux à venir écouter le débat sur le vieux port."
    src = tmp_path / "in"
    src.mkdir()
    links = "<p>Read more</p><p>Read more</p>"
    page = f"<html><body>{links}<div>{lead}</div><p>{body}</p></body></html>"
    (src / "p.html").write_text(page, encoding="utf-8")
    clean_corpus([src], tmp_path / "out", config=Config())
    kept = (tmp_path / "out" / "p.txt").read_text(encoding="utf-8").splitlines()
    assert kept[-2:] == [lead, body]
    assert subsequence(kept, ["Read more", "Read more", lead, body])
