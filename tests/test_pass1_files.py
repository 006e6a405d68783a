"""Pass 1's and the group step's own readers give what the general ones give: a page file
read by file descriptor, the shards' ``.npy`` files read by their header, a shard's page
keys read a batch at a time, and a page's normalized lines read from the kernel's buffer."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from cleaner.arrays import flat_batch
from cleaner.dedup import load_npy, npy_layout
from cleaner.fingerprint import LinePrinter
from cleaner.io.decode import read_file_capped
from cleaner.steps.context import Shard
from cleaner.steps.group import doc_key_batches, flat_key_batches
from cleaner.work import KEYS, LENGTHS, shard_file


@pytest.mark.parametrize(
    "array",
    [
        np.arange(7, dtype=np.uint64),
        np.arange(12, dtype=np.uint32).reshape(3, 4),
        np.empty(0, np.uint64),
        np.empty((0, 128), np.uint32),
        np.array([True, False]),
        np.arange(6, dtype=">u4"),
        np.arange(12, dtype=np.uint32).reshape(3, 4).T,  # Fortran order: numpy reads it
        np.arange(24, dtype=np.int64).reshape(2, 3, 4),  # three axes: numpy reads it
    ],
)
@pytest.mark.parametrize("mapped", [False, True])
def test_npy_files_load_as_numpy_loads_them(
    tmp_path: Path, array: np.ndarray, mapped: bool
) -> None:
    path = str(tmp_path / "a.npy")
    np.save(path, array)
    expected = np.load(path, mmap_mode="r" if mapped else None)
    found = load_npy(path, mapped=mapped)
    assert found.dtype == expected.dtype and found.shape == expected.shape
    assert np.array_equal(found, expected)
    if mapped and len(array):
        assert not found.flags.writeable


def test_a_cut_npy_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.npy"
    np.save(path, np.arange(100, dtype=np.uint64))
    path.write_bytes(path.read_bytes()[:-8])
    assert npy_layout(str(path)) is not None  # its header is whole
    for mapped in (False, True):
        with pytest.raises(ValueError):
            load_npy(str(path), mapped=mapped)


def test_a_page_file_is_read_whole_or_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * 200_000)
    assert read_file_capped(str(path), 1 << 20) == b"x" * 200_000
    assert read_file_capped(str(path), 70_001) == b"x" * 70_001
    path.write_bytes(b"")
    assert read_file_capped(str(path), 10) == b""
    with pytest.raises(IsADirectoryError):
        read_file_capped(str(tmp_path), 10)
    with pytest.raises(FileNotFoundError):
        read_file_capped(str(tmp_path / "missing.txt"), 10)


@pytest.mark.parametrize("short", [1, 999, 100_000])
def test_a_short_read_goes_on_to_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short: int
) -> None:
    """A read that gives fewer bytes than the file's size (a file system may) is not taken
    for the end of the file; nor is one that gives more (a file that grew)."""
    path = tmp_path / "a.txt"
    data = bytes(range(256)) * 1000
    path.write_bytes(data)
    real = os.read
    calls = []

    def read(fd: int, n: int) -> bytes:
        calls.append(n)
        return real(fd, min(n, short))  # at most ``short`` bytes a read

    monkeypatch.setattr(os, "read", read)
    assert read_file_capped(str(path), 1 << 20) == data
    assert read_file_capped(str(path), 1000) == data[:1000]
    assert len(calls) > 2
    monkeypatch.setattr(os, "read", real)
    grown = tmp_path / "b.txt"
    grown.write_bytes(b"ab")
    fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((*fstat(fd)[:6], 1, *fstat(fd)[7:])))
    assert read_file_capped(str(grown), 10) == b"ab"  # the size said 1: read on


def test_a_special_file_of_no_size_is_read_to_its_end(tmp_path: Path) -> None:
    """A FIFO's size is 0: what its writer sends is read all the same."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as out:
            out.write(b"y" * 300_000)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert read_file_capped(str(fifo), 1 << 20) == b"y" * 300_000
    finally:
        writer.join()


@pytest.mark.parametrize("batch", [1, 2, 3, 100])
def test_page_keys_come_back_a_batch_at_a_time(tmp_path: Path, batch: int) -> None:
    pages = [[5, 9], [], [1], [2, 3, 4], [], [7]]
    shards = [Shard(0, ()), Shard(1, ())]
    for shard, part in zip(shards, (pages, [[], []]), strict=True):
        flat = np.array([k for p in part for k in p], np.uint64)
        shard_file(tmp_path, shard.index, KEYS).write_bytes(flat.tobytes())
        np.save(shard_file(tmp_path, shard.index, LENGTHS), np.array([len(p) for p in part]))
    batches = list(doc_key_batches(tmp_path, shards, batch))
    found = [doc for got in batches for doc in got]
    assert [doc.tolist() for doc in found] == [*pages, [], []]
    # a batch runs across shards: each but the last holds batch pages or more, under twice
    assert all(batch <= len(got) < 2 * batch for got in batches[:-1]) and len(batches[-1])
    assert all(doc.dtype == np.uint64 for doc in found)


@pytest.mark.parametrize("batch", [1, 2, 3, 100])
def test_flat_key_batches_hold_the_same_pages(tmp_path: Path, batch: int) -> None:
    pages = [[5, 9], [], [1], [2, 3, 4], [], [7]]
    shards = [Shard(0, ()), Shard(1, ()), Shard(2, ())]
    for shard, part in zip(shards, (pages[:4], [[], []], pages[4:]), strict=True):
        flat = np.array([k for p in part for k in p], np.uint64)
        shard_file(tmp_path, shard.index, KEYS).write_bytes(flat.tobytes())
        np.save(shard_file(tmp_path, shard.index, LENGTHS), np.array([len(p) for p in part]))
    got = list(flat_key_batches(tmp_path, shards, batch))
    want = [flat_batch(b) for b in doc_key_batches(tmp_path, shards, batch)]
    flat = np.concatenate([f for f, _ in got])
    assert flat.dtype == np.uint64 and flat.tolist() == [5, 9, 1, 2, 3, 4, 7]
    lengths = np.concatenate([n for _, n in got])
    assert lengths.tolist() == [len(p) for p in [*pages[:4], [], [], *pages[4:]]]
    assert [len(n) for _, n in got] == [len(n) for _, n in want]  # the same batches
    assert all(len(f) == n.sum() for f, n in got)


def test_a_key_file_cut_short_is_an_error(tmp_path: Path) -> None:
    shard = Shard(0, ())
    shard_file(tmp_path, 0, KEYS).write_bytes(np.arange(3, dtype=np.uint64).tobytes())
    np.save(shard_file(tmp_path, 0, LENGTHS), np.array([2, 2]))
    with pytest.raises(EOFError):
        list(doc_key_batches(tmp_path, [shard]))
    with pytest.raises(EOFError):
        list(flat_key_batches(tmp_path, [shard]))


@pytest.mark.parametrize("kernel_after", [0, -1])
def test_normalized_lines_of_a_page_at_once(kernel_after: int) -> None:
    # a combining mark and a four-byte character: lines the kernel leaves to the reference
    lines = ("Top  STORIES", "cafe\u0301 menu", "It's 08:00.", "emoji \U0001f600 here", "x")
    printer = LinePrinter(300, kernel_after=kernel_after)
    printer.page(lines)
    at = [3, 0, 1, 4, 2]
    expected = [LinePrinter(300, kernel_after=-1).normalized(lines[i]) for i in at]
    assert printer.normalized_at(lines, at) == expected
    plain = ("Top  STORIES", "It's 08:00.", "Menu")  # every line done by the kernel, if loaded
    printer.page(plain)
    assert printer.normalized_at(plain, [2, 0]) == ["menu", "top stories"]
    # lines of another page than the one printed last
    other = ("Other page", "It's 08:00.")
    assert printer.normalized_at(other, [1, 0]) == ["it ' s 0 : 0 .", "other page"]


def test_signatures_in_many_chunks_group_as_in_one(
    tmp_path: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard whose short lines are MinHashed in several chunks (run files sorted together
    at the end) gives the groups, report and outputs of a shard of one chunk (its sorted
    arrays written at once)."""
    from conftest import report_without
    from test_groups import pages

    import cleaner.steps.fingerprint as fingerprint
    from cleaner import clean_corpus

    root = tmp_path / "pages"  # template lines and their near-duplicate variants
    root.mkdir()
    for n, page in enumerate(pages(11)):
        (root / f"{n:03d}.txt").write_text("\n".join(page) + "\n")
    made: list[str] = []
    real_sorted = fingerprint.sorted_signatures

    def sorting(key_run: Path, *args: object) -> np.ndarray:
        made.append(key_run.name)
        return real_sorted(key_run, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(fingerprint, "sorted_signatures", sorting)
    clean_corpus([root], tmp_path / "one", report=tmp_path / "one.json", jobs=1)
    assert made == []  # every shard in one chunk
    monkeypatch.setattr(fingerprint, "SIGNATURE_CHUNK", 3)
    clean_corpus([root], tmp_path / "many", report=tmp_path / "many.json", jobs=1)
    assert made  # shards of several chunks
    one = report_without(tmp_path / "one.json", "timings")
    assert one == report_without(tmp_path / "many.json", "timings")
    assert any(len(g["variants"]) > 1 for g in one["groups"])  # near-duplicates grouped
    for page in (tmp_path / "one").iterdir():
        assert (tmp_path / "many" / page.name).read_bytes() == page.read_bytes()
