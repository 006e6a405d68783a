"""Results depend on the set of pages only: not on the order the files come in, the order
of the inputs on the command line, the shard size or --jobs. Outputs are compared byte for
byte, reports byte for byte apart from `timings`."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, file_tree, mixed_corpus
from typer.testing import CliRunner

import cleaner.runner
from cleaner import pipeline
from cleaner.cli import EXIT_UNREADABLE, app

ENV = {"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture
def pages(tmp_path: Path, seeds: Path) -> dict[str, bytes]:
    """A corpus as relative path -> content: the seeds, some evaluation pages, an HTML page,
    a page copied under another name, pages in a subfolder and an unreadable file."""
    root = mixed_corpus(tmp_path / "src", seeds, 5)
    shutil.copy(DATA / "sciencealert-com__0001.html", root / "page.html")
    shutil.copy(seeds / "001_5cb0a179e01916d7.txt", root / "zz_copy.txt")
    (root / "sub").mkdir()
    for name in ("b.txt", "a.md"):
        shutil.copy(seeds / "000_5e96c4fc11c8f751.txt", root / "sub" / name)
        with (root / "sub" / name).open("a", encoding="utf-8") as handle:
            handle.write(f"\nA closing sentence that only the page {name} has, to tell it apart.\n")
    (root / "broken.txt").write_bytes(b"\x00\x01 not text")
    found = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert len(found) >= 8
    return found


def write_shuffled(root: Path, pages: dict[str, bytes], seed: int) -> None:
    """Create the files in a shuffled order (the order a folder lists them in may follow)."""
    names = list(pages)
    random.Random(seed).shuffle(names)
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pages[name])


def without_timings(report: str) -> str:
    stripped, n = re.subn(r'"timings": \{[^}]*\}', '"timings": {}', report)
    assert n == 1
    return stripped


def clean(
    monkeypatch: pytest.MonkeyPatch, cwd: Path, args: list[str], jobs: int, shard: int
) -> tuple[int, str]:
    """Run `clean ARGS -o out --report report.json` in ``cwd``, with ``shard`` files per shard."""
    calls = []

    def run(*a: Any, **kw: Any) -> Any:
        calls.append(shard)
        return pipeline.run(*a, **{**kw, "shard_size": shard})

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(cleaner.runner, "run", run)
    result = CliRunner().invoke(
        app, [*args, "-o", "out", "--report", "report.json", "--jobs", str(jobs)], env=ENV
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert calls == [shard]
    return result.exit_code, result.stdout


@pytest.mark.parametrize(("order", "jobs", "shard"), [(1, 2, 3), (2, 3, 1), (3, 1, 5)])
def test_file_order_jobs_and_shards_do_not_matter(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    pages: dict[str, bytes],
    order: int,
    jobs: int,
    shard: int,
) -> None:
    runs = {}
    for name, (seed, j, s) in {"base": (0, 1, 32), "other": (order, jobs, shard)}.items():
        work = tmp_path / name
        write_shuffled(work / "corpus", pages, seed)
        code, stdout = clean(monkeypatch, work, ["corpus"], j, s)
        assert code == EXIT_UNREADABLE  # broken.txt; every other file is cleaned
        runs[name] = (stdout, file_tree(work / "out"), (work / "report.json").read_text("utf-8"))

    (base_stdout, base_out, base_report), (stdout, out, report) = runs["base"], runs["other"]
    assert sorted(out) == sorted(base_out)
    assert len(out) == len(pages) - 1
    for name in base_out:
        assert out[name] == base_out[name], name
    assert without_timings(report) == without_timings(base_report)
    assert stdout == base_stdout  # the terminal report too
    data = json.loads(report)
    assert data["duplicate_docs"] and data["groups"]  # the comparison covered clusters


def test_order_of_the_inputs_does_not_matter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pages: dict[str, bytes]
) -> None:
    """Several folders and files on the command line, in two orders: the same outputs, and
    the same report apart from `timings` and `inputs` (which echoes the command line)."""
    src = tmp_path / "src"
    write_shuffled(src / "corpus", pages, 0)
    (src / "extra").mkdir()
    shutil.copy(src / "corpus" / "zz_copy.txt", src / "extra" / "again.txt")
    shutil.copy(src / "corpus" / "sub" / "b.txt", src / "single.txt")
    args = ["corpus", "extra", "single.txt"]
    results = []
    for n, order in enumerate([args, args[::-1]]):
        work = tmp_path / f"run{n}"
        shutil.copytree(src, work)
        code, _stdout = clean(monkeypatch, work, order, 2, 4)
        assert code == EXIT_UNREADABLE
        report = json.loads(without_timings((work / "report.json").read_text("utf-8")))
        assert sorted(report.pop("inputs")) == sorted(args)
        results.append((file_tree(work / "out"), report))
    assert results[0] == results[1]
    out = results[0][0]
    assert {name.split("/")[0] for name in out} == {"corpus", "extra", "single.txt"}
    clusters = [sorted(d["files"]) for d in results[0][1]["duplicate_docs"]]
    assert ["corpus/001_5cb0a179e01916d7.txt", "corpus/zz_copy.txt", "extra/again.txt"] in clusters


def test_rerun_is_byte_identical(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pages: dict[str, bytes]
) -> None:
    write_shuffled(tmp_path / "corpus", pages, 0)
    clean(monkeypatch, tmp_path, ["corpus"], 2, 32)
    first = file_tree(tmp_path / "out"), (tmp_path / "report.json").read_text("utf-8")
    shutil.rmtree(tmp_path / "out")
    clean(monkeypatch, tmp_path, ["corpus"], 2, 32)
    again = file_tree(tmp_path / "out"), (tmp_path / "report.json").read_text("utf-8")
    assert again[0] == first[0]
    assert without_timings(again[1]) == without_timings(first[1])
