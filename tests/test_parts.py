"""A large record file is cleaned in parts, in parallel, with the same result as in one."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
from conftest import file_tree, report_without
from test_formats import warc_record
from test_pipeline_formats import doc, seed_rows, write_rows

from cleaner import Config, clean_corpus
from cleaner.io.discover import discover
from cleaner.io.records import part_selector
from cleaner.models import FileResult
from cleaner.pipeline import in_record_order, make_shards


def rows(n: int) -> list[dict[str, object]]:
    """Seed pages, generated articles, exact and edited copies, and empty records."""
    rng = random.Random(3)
    seeds = seed_rows()
    out: list[dict[str, object]] = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.15:
            text = str(seeds[i % len(seeds)]["text"])
        elif kind < 0.25:
            text = doc(i % 7, "An edited paragraph that differs." if i % 2 else "")
        elif kind < 0.28:
            text = ""
        else:
            text = doc(1000 + i)
        out.append({"id": f"r{i:04d}", "text": text, "n": i})
    return out


def run_both(tmp_path: Path, src: Path, index: bool = False, **config: object) -> None:
    """Clean ``src`` in one part per file and in many small parts: same pages, same report."""
    whole = Config(language="en", **config)  # type: ignore[arg-type]
    parted = Config(language="en", record_part_bytes=2_000, record_block=3, **config)  # type: ignore[arg-type]
    found = discover([src], None).sources
    assert all(s.parts == 1 for s in make_shards(found, 32, whole))
    assert max(s.parts for s in make_shards(found, 32, parted)) > 3  # really in parts
    for name, cfg, jobs in (("one", whole, 1), ("parts", parted, 2)):
        clean_corpus(
            [src],
            tmp_path / name,
            config=cfg,
            report=tmp_path / f"{name}.json",
            jobs=jobs,
            index=tmp_path / f"{name}.index" if index else None,
        )
    assert file_tree(tmp_path / "one") == file_tree(tmp_path / "parts")
    assert report_without(tmp_path / "one.json", "timings", "config") == report_without(
        tmp_path / "parts.json", "timings", "config"
    )


@pytest.mark.parametrize("name", ["big.jsonl", "big.jsonl.zst", "big.parquet"])
def test_parts_give_the_same_result(tmp_path: Path, name: str) -> None:
    src = tmp_path / "in"
    write_rows(src / name, rows(120))
    write_rows(src / "small.jsonl", rows(5))  # a file in one part beside it
    (src / "page.txt").write_text(doc(7), encoding="utf-8")
    run_both(tmp_path, src, dedup_docs="drop")


def test_parts_with_an_index_and_clusters_across_parts(tmp_path: Path) -> None:
    src = tmp_path / "in"
    write_rows(src / "big.jsonl.gz", rows(150))
    run_both(tmp_path, src, index=True)
    clusters = json.loads((tmp_path / "parts.json").read_text())["duplicate_docs"]
    assert len(clusters) > 3
    for cluster in clusters:  # members listed in record order, as in one part
        assert cluster["files"] == sorted(cluster["files"])


def test_parts_with_bad_lines_and_a_cut_off_end(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    lines = [json.dumps(r) for r in rows(60)]
    lines[10] = "{not json"
    lines[31] = json.dumps({"id": "no-text"})
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    (src / "cut.jsonl.gz").write_bytes(data[: int(len(data) * 0.7)])
    run_both(tmp_path, src)
    report = json.loads((tmp_path / "parts.json").read_text())
    errors = [e for e in report["errors"] if "unreadable" in e["error"]]
    assert len(errors) == 1  # the cut-off end is reported once, not once per part


def test_warc_in_parts(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    body = b"".join(
        warc_record(
            f"https://example.org/{i}",
            ("<html><body><article>" + "".join(f"<p>{p}</p>" for p in doc(i).split("\n"))).encode()
            + b"</article></body></html>",
        )
        for i in range(12)
    )
    (src / "crawl.warc").write_bytes(body)
    run_both(tmp_path, src)


def test_part_selector_deals_every_record_once() -> None:
    parts, block = 4, 3
    picks = [part_selector(j, parts, block) for j in range(parts)]
    for n in range(100):
        assert sum(bool(pick(n)) for pick in picks if pick is not None) == 1


def test_in_record_order_refuses_parts_that_do_not_fit() -> None:
    def res(i: int) -> tuple[int, FileResult]:
        return i, FileResult("a.jsonl", "jsonl", (), None, None, (), f"r{i}")

    streams = [iter([res(0), res(2)]), iter([res(1), res(3)])]
    merged = [item for _, (_, item) in in_record_order(streams, 1)]
    assert [r.id for r in merged] == ["r0", "r1", "r2", "r3"]
    with pytest.raises(RuntimeError):
        list(in_record_order([iter([res(0)]), iter([res(1), res(3), res(5)])], 1))
