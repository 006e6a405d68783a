"""A shard's pages file: the pages of pass 1 as pass 2 reads them back, a chunk of pages at a
time as a few arrays rather than a pickled object each.

The file starts with :data:`MAGIC`; then come chunks of :data:`CHUNK_PAGES` pages (fewer
when their text passes :data:`CHUNK_CHARS`: a chunk is what is held in memory at once):

- a header (:data:`HEAD`): the sizes of the parts below, and whether the chunk's lines
  travel in the page table instead of the text (see below);
- the page table, pickled builtins only (a list of tuples of strings, ints, None): each
  page's name, record id, kind, language, notes, error, and how many lines, keys, word
  counts and word ids it has;
- the text: every line of the chunk's pages, in order, joined by newlines, as UTF-8
  (lone surrogates kept); split on newlines it gives the lines back. A line that holds a
  newline cannot travel so (``segment`` never makes one): a chunk with one carries its
  lines in the page table instead;
- the arrays, 8 bytes per value: the pages' line keys (uint64), their numbers of word ids
  per line (int64), their word ids (uint64).

Reading decodes a chunk's text once and splits it once, and each page's arrays are views of
the chunk's: a page costs a few slices, where unpickling it cost a string object per line
and three array copies. :func:`cleaner.work.stream_load` reads a file that starts with
:data:`MAGIC` as a pages file.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from .pages import Page

MAGIC = b"cleaner-pages-1\n"
# bytes of the page table and of the text; keys, word counts and word ids; whether the
# lines are in the table
HEAD = struct.Struct("<6q")
# A chunk's pages and text are held while it is written and read: larger chunks cost less a
# page (written and read back, 32 µs a page pickled, 28 in chunks of 32K characters, 26 of
# 64K) but hold more; at 64K characters a run's peak memory grew by 0.3 MB, at 32K it did not.
CHUNK_PAGES = 16  # pages of a chunk, at most
CHUNK_CHARS = 1 << 15  # a chunk ends after the page that brings its text past this


def dump_pages(
    pages: Iterable[Page],
    path: Path,
    chunk_pages: int = CHUNK_PAGES,
    chunk_chars: int = CHUNK_CHARS,
) -> None:
    """Write ``pages`` to ``path``, a chunk at a time (see the module's notes).

    >>> import tempfile
    >>> pages = [Page("a.txt", None, "text", ("One", "Two"), np.array([1, 2], np.uint64),
    ...               "en", (), None, np.array([7, 0, 9], np.uint64), np.array([1, 2])),
    ...          Page("b.txt", "r", "text", (), np.empty(0, np.uint64), None, ("x",), "bad")]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     dump_pages(pages, Path(d, "p"))
    ...     back = list(load_pages(Path(d, "p")))
    >>> [(p.rel, p.id, p.lines, p.keys.tolist(), p.words.tolist(), p.error) for p in back]
    [('a.txt', None, ('One', 'Two'), [1, 2], [7, 0, 9], None), ('b.txt', 'r', (), [], [], 'bad')]
    """
    with path.open("wb") as out:
        out.write(MAGIC)
        chunk: list[Page] = []
        chars = 0
        for page in pages:
            chunk.append(page)
            if page.lines:
                chars += sum(map(len, page.lines)) + len(page.lines) - 1
            if len(chunk) >= chunk_pages or chars >= chunk_chars:
                _write_chunk(out, chunk)
                chunk, chars = [], 0
        if chunk:
            _write_chunk(out, chunk)


def _write_chunk(out: IO[bytes], chunk: list[Page]) -> None:
    full = [p for p in chunk if p.lines]
    if all(p.utf8 is not None for p in full):  # encoded already (by the kernel)
        text = b"\n".join(p.utf8 for p in full)  # type: ignore[misc]
    else:
        text = "\n".join("\n".join(p.lines) for p in full).encode("utf-8", "surrogatepass")
    n_lines = sum(len(p.lines) for p in chunk)
    in_table = text.count(b"\n") != max(n_lines - 1, 0)  # a line holds a newline
    table = pickle.dumps(
        [
            (p.rel, p.id, p.kind, p.language, p.notes, p.error)
            + (len(p.lines), len(p.keys), len(p.word_counts), len(p.words))
            + ((p.lines,) if in_table else ())
            for p in chunk
        ],
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    if in_table:
        text = b""
    keys = np.concatenate([p.keys for p in chunk]).astype(np.uint64, copy=False)
    counts = np.concatenate([p.word_counts for p in chunk]).astype(np.int64, copy=False)
    words = np.concatenate([p.words for p in chunk]).astype(np.uint64, copy=False)
    out.write(HEAD.pack(len(table), len(text), len(keys), len(counts), len(words), in_table))
    for part in (table, text, keys.data, counts.data, words.data):
        out.write(part)


def load_pages(path: Path) -> Iterator[Page]:
    """The pages :func:`dump_pages` wrote to ``path``, in order."""
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path} is not a pages file")
        yield from read_chunks(handle)


def read_chunks(handle: IO[bytes]) -> Iterator[Page]:
    """The pages of the chunks from ``handle``'s position on (past :data:`MAGIC`)."""
    while True:
        head = handle.read(HEAD.size)
        if not head:
            return
        n_table, n_text, n_keys, n_counts, n_words, in_table = HEAD.unpack(_exactly(handle, head))
        table: list[tuple[Any, ...]] = pickle.loads(_read(handle, n_table))
        raw = _read(handle, n_text)
        lines = raw.decode("utf-8", "surrogatepass").split("\n")  # [""] for no line
        # where each line ends in the bytes (the newlines, and the end): a page's bytes are
        # handed on with it, so that they are not encoded again
        ends = np.flatnonzero(np.frombuffer(raw, np.uint8) == 10) if not in_table else None
        data = memoryview(raw)
        values = np.frombuffer(_read(handle, 8 * (n_keys + n_counts + n_words)), np.uint64)
        keys = values[:n_keys]
        counts = values[n_keys : n_keys + n_counts].view(np.int64)
        words = values[n_keys + n_counts :]
        line = key = count = word = 0
        for rel, rid, kind, language, notes, error, n, n_k, n_c, n_w, *own in table:
            utf8 = None
            if ends is not None and n:
                lo = int(ends[line - 1]) + 1 if line else 0
                hi = int(ends[line + n - 1]) if line + n - 1 < len(ends) else len(raw)
                utf8 = data[lo:hi]
            yield Page(
                rel,
                rid,
                kind,
                own[0] if in_table else tuple(lines[line : line + n]),
                keys[key : key + n_k],
                language,
                notes,
                error,
                words[word : word + n_w],
                counts[count : count + n_c],
                utf8,
            )
            line += n
            key += n_k
            count += n_c
            word += n_w


def _read(handle: IO[bytes], size: int) -> bytes:
    return _exactly(handle, handle.read(size), size)


def _exactly(handle: IO[bytes], data: bytes, size: int = HEAD.size) -> bytes:
    if len(data) != size:
        raise EOFError(f"{getattr(handle, 'name', 'a pages file')} ends inside a chunk")
    return data
