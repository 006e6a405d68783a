"""The pages file between the passes (cleaner.pagefile): every page comes back as it went."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.pagefile import MAGIC, dump_pages, load_pages
from cleaner.pages import Page
from cleaner.work import stream_dump, stream_load

TEXT = st.one_of(
    st.sampled_from(["Read more", "Les habitants ont été nombreux.", "中国", "", "a\nb", "\r"]),
    st.text(max_size=20),  # lone surrogates, newlines and all
)


@st.composite
def pages(draw: st.DrawFn) -> Page:
    lines = tuple(draw(st.lists(TEXT, max_size=6)))
    counts = [draw(st.integers(0, 3)) for _ in lines]
    words = draw(
        st.lists(st.integers(0, (1 << 64) - 1), min_size=sum(counts), max_size=sum(counts))
    )
    return Page(
        draw(st.sampled_from(["a.txt", "site/b.html", "x.jsonl#\udcff"])),
        draw(st.one_of(st.none(), st.text(max_size=5))),
        draw(st.sampled_from(["text", "html", "jsonl"])),
        lines,
        np.array([draw(st.integers(0, (1 << 64) - 1)) for _ in lines], np.uint64),
        draw(st.one_of(st.none(), st.sampled_from(["en", "fr"]))),
        tuple(draw(st.lists(st.text(max_size=8), max_size=2))),
        draw(st.one_of(st.none(), st.just("could not be parsed"))),
        np.array(words, np.uint64),
        np.array(counts, np.int64),
    )


def fields(page: Page) -> tuple[object, ...]:
    arrays = (page.keys, page.words, page.word_counts)
    head = (page.rel, page.id, page.kind, page.lines, page.language, page.notes, page.error)
    return (*head, *(a.tolist() for a in arrays), *(a.dtype for a in arrays))


@settings(max_examples=60, deadline=None)
@given(st.lists(pages(), max_size=12), st.integers(1, 5), st.integers(1, 40))
def test_pages_come_back_as_they_went(
    written: list[Page], chunk_pages: int, chunk_chars: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "shard.pages")
        dump_pages(written, path, chunk_pages, chunk_chars)
        assert path.read_bytes().startswith(MAGIC)
        read = list(load_pages(path))
        assert [fields(p) for p in read] == [fields(p) for p in written]
        # a page's bytes are handed on where its chunk's text holds them: in every chunk
        # unless a line holds a newline (its chunk's lines travel in the page table)
        newline = any("\n" in line for p in read for line in p.lines)
        for page in read:
            joined = "\n".join(page.lines).encode("utf-8", "surrogatepass")
            assert page.utf8 is None or bytes(page.utf8) == joined
            assert page.utf8 is not None or newline or not page.lines
        # what pass 2 calls reads a pages file as pages
        assert [fields(p) for p in stream_load(path)] == [fields(p) for p in written]


def test_pages_without_word_ids_come_back() -> None:
    page = Page("a.txt", None, "text", ("One", "Two"), np.array([4, 5], np.uint64), "en")
    with tempfile.TemporaryDirectory() as folder:
        dump_pages([page, page], Path(folder, "p"))
        assert [fields(p) for p in load_pages(Path(folder, "p"))] == [fields(page)] * 2


def test_other_work_files_still_load_as_pickles(tmp_path: Path) -> None:
    stream_dump([{"a": 1}, (2, "b")], tmp_path / "results")
    assert list(stream_load(tmp_path / "results")) == [{"a": 1}, (2, "b")]


def test_a_pages_file_cut_short_is_an_error(tmp_path: Path) -> None:
    page = Page("a.txt", None, "text", ("One",), np.array([4], np.uint64), "en")
    dump_pages([page], tmp_path / "p")
    data = (tmp_path / "p").read_bytes()
    (tmp_path / "p").write_bytes(data[:-3])
    with pytest.raises(EOFError):
        list(load_pages(tmp_path / "p"))
    (tmp_path / "p").write_bytes(b"not a pages file")
    with pytest.raises(ValueError):
        list(load_pages(tmp_path / "p"))


@settings(max_examples=60, deadline=None)
@given(st.lists(pages(), max_size=12), st.booleans())
def test_pages_encoded_by_the_kernel_are_written_as_encoded_again(
    written: list[Page], encoded: bool
) -> None:
    """A page that comes with its UTF-8 bytes (pass 1's kernel encoded its lines) is
    written from them: the same file as from its lines."""
    from dataclasses import replace

    given_bytes = [
        replace(p, utf8="\n".join(p.lines).encode("utf-8", "surrogatepass")) if encoded else p
        for p in written
    ]
    with tempfile.TemporaryDirectory() as folder:
        dump_pages(written, Path(folder, "a"))
        dump_pages(given_bytes, Path(folder, "b"))
        assert Path(folder, "a").read_bytes() == Path(folder, "b").read_bytes()
