"""Inputs and outputs as fsspec URLs give the same results as local paths."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import file_tree, mixed_corpus, report_without

from cleaner import clean_corpus
from cleaner.io.discover import discover


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A fresh folder of fsspec's in-memory filesystem (forked workers see a copy of it)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    root = f"/t-{uuid.uuid4().hex}"
    yield root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_file_url_input_matches_local_path(tmp_path: Path, seeds: Path) -> None:
    corpus = mixed_corpus(tmp_path, seeds, 6)
    clean_corpus([corpus], tmp_path / "a", report=tmp_path / "a.json", jobs=2)
    url = corpus.as_uri()
    clean_corpus([url], tmp_path / "b", report=tmp_path / "b.json", jobs=2)
    assert report_without(tmp_path / "a.json", "timings", "inputs") == report_without(
        tmp_path / "b.json", "timings", "inputs"
    )
    assert file_tree(tmp_path / "a") == file_tree(tmp_path / "b")
    assert json.loads((tmp_path / "b.json").read_text())["inputs"] == [url]


def test_memory_filesystem_in_and_out(tmp_path: Path, seeds: Path, memory_root: str) -> None:
    """A filesystem that is not the local one, both ways, with worker processes."""
    import fsspec

    fs = fsspec.filesystem("memory")
    corpus = mixed_corpus(tmp_path, seeds, 6)
    records = [
        {"id": f"r{i}", "text": p.read_text()} for i, p in enumerate(sorted(seeds.iterdir()))
    ]
    (corpus / "batch.jsonl.gz").write_bytes(
        gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())
    )
    for path in corpus.rglob("*"):
        if path.is_file():
            fs.pipe_file(
                f"{memory_root}/in/{path.relative_to(corpus).as_posix()}", path.read_bytes()
            )
    clean_corpus([corpus], tmp_path / "local", report=tmp_path / "local.json", jobs=2)
    outcome = clean_corpus(
        [f"memory://{memory_root}/in"],
        f"memory://{memory_root}/out",
        report=tmp_path / "mem.json",
        jobs=2,
    )
    assert report_without(tmp_path / "local.json", "timings", "inputs") == report_without(
        tmp_path / "mem.json", "timings", "inputs"
    )
    local = file_tree(tmp_path / "local")
    uploaded = {
        p[len(f"{memory_root}/out/") :]: fs.cat_file(p)
        for p in fs.find(f"{memory_root}/out", withdirs=False)
    }
    assert uploaded == local
    assert f"uploaded {len(local)} file(s) to memory://{memory_root}/out" in outcome.notices
    assert fs.ls(f"{memory_root}/in", detail=False)  # inputs untouched
    assert (
        fs.cat_file(f"{memory_root}/in/batch.jsonl.gz") == (corpus / "batch.jsonl.gz").read_bytes()
    )


def test_several_url_inputs_go_under_their_names(tmp_path: Path, seeds: Path) -> None:
    more = tmp_path / "more"
    shutil.copytree(seeds, more)
    found = discover([seeds.as_uri(), more.as_uri()], None)
    assert found.errors == []
    assert sorted(s.rel for s in found.sources) == sorted(
        f"{top}/{p.name}" for top in ("seeds", "more") for p in seeds.iterdir()
    )
    assert all(s.url is not None and s.url.startswith("file://") for s in found.sources)


def test_url_errors_name_the_url(tmp_path: Path, seeds: Path) -> None:
    missing = (tmp_path / "nothing-here").as_uri()
    found = discover([missing, "nosuchfs://bucket/x", seeds.as_uri()], None)
    messages = dict(found.errors)
    assert messages[missing] == "no such file or folder"
    assert "cannot open nosuchfs:// URLs" in messages["nosuchfs://bucket/x"]
    assert len(found.sources) == len(list(seeds.iterdir()))  # the rest is still read


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args], capture_output=True, text=True, check=False
    )


def test_cli_url_exit_codes(tmp_path: Path, seeds: Path) -> None:
    bad_out = cli(str(seeds), "-o", "nosuchfs://bucket/out", "-q")
    assert bad_out.returncode == 2
    assert bad_out.stderr.strip().count("\n") == 0
    assert "nosuchfs://" in bad_out.stderr and "Traceback" not in bad_out.stderr
    bad_in = cli("nosuchfs://bucket/in", str(seeds), "-o", str(tmp_path / "o"), "-q")
    assert bad_in.returncode == 3  # unreadable input; the other input is still cleaned
    assert "nosuchfs://bucket/in" in bad_in.stderr
    assert len(list((tmp_path / "o").rglob("*.txt"))) == len(list(seeds.iterdir()))
    ok = cli(seeds.as_uri(), "-o", (tmp_path / "u").as_uri(), "-q")
    assert ok.returncode == 0, ok.stderr
    assert file_tree(tmp_path / "u") == file_tree(tmp_path / "o" / "seeds")


def test_ray_reads_url_inputs(tmp_path: Path, seeds: Path) -> None:
    pytest.importorskip("ray")
    clean_corpus([seeds], tmp_path / "local", report=tmp_path / "local.json", jobs=2)
    clean_corpus(
        [seeds.as_uri()], tmp_path / "ray", report=tmp_path / "ray.json", engine="ray", jobs=2
    )
    assert report_without(tmp_path / "local.json", "timings", "inputs") == report_without(
        tmp_path / "ray.json", "timings", "inputs"
    )
    assert file_tree(tmp_path / "local") == file_tree(tmp_path / "ray")
