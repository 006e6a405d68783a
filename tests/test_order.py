"""Results depend on the set of pages, not on their order, the shard size or --jobs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import mixed_corpus

from cleaner import Config
from cleaner.engines.local import LocalEngine
from cleaner.io.readers import discover
from cleaner.pipeline import run
from cleaner.report import ReportBuilder


def corpus(tmp_path: Path, seeds: Path) -> Path:
    return mixed_corpus(tmp_path, seeds, 5)


def results(root: Path, work: Path, out: Path, jobs: int, shard: int, order_seed: int) -> str:
    found = discover([root], out)
    sources = list(found.sources)
    random.Random(order_seed).shuffle(sources)
    work.mkdir(parents=True)
    config = Config()
    outcome = run(sources, config, LocalEngine(jobs), work, out, shard_size=shard)
    report = work.parent / "report.json"
    builder = ReportBuilder(config, report, ["corpus"])
    for result, verdict in outcome.results():
        builder.add(result, verdict)
    builder.clusters = outcome.clusters
    builder.finish(builder.summary(), {})
    return report.read_text(encoding="utf-8")


@pytest.mark.parametrize(("jobs", "shard", "seed"), [(2, 3, 1), (1, 7, 2), (2, 1, 3)])
def test_order_jobs_and_shards_do_not_matter(
    tmp_path: Path, seeds: Path, jobs: int, shard: int, seed: int
) -> None:
    root = corpus(tmp_path, seeds)
    base = results(root, tmp_path / "a" / "work", tmp_path / "a" / "out", 1, 32, 0)
    other = results(root, tmp_path / "b" / "work", tmp_path / "b" / "out", jobs, shard, seed)
    assert json.loads(base) == json.loads(other)
    names = sorted(p.name for p in (tmp_path / "a" / "out").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b" / "out").iterdir())
    for name in names:
        a = (tmp_path / "a" / "out" / name).read_bytes()
        assert a == (tmp_path / "b" / "out" / name).read_bytes(), name
