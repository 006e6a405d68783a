"""The JSON report: valid against its schema, and consistent with itself."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from cleaner import clean_corpus

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "cleaner" / "report_schema.json").read_text()
)


def test_report_matches_schema(seeds: Path, tmp_path: Path) -> None:
    (seeds / "broken.txt").write_bytes(b"\x00\x01binary")
    report = tmp_path / "r.json"
    clean_corpus([seeds], tmp_path / "out", report=report)
    data = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    assert data["errors"] == [{"path": "broken.txt", "error": "binary content (NUL bytes)"}]


def test_report_counts_add_up(seeds: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    clean_corpus([seeds], tmp_path / "out", report=report)
    data = json.loads(report.read_text(encoding="utf-8"))
    lines = [ln for f in data["files"] for ln in f["lines"]]
    totals = data["totals"]
    assert totals["lines"] == len(lines)
    assert totals["kept"] == sum(ln["keep"] for ln in lines)
    assert sum(totals["by_reason"].values()) == len(lines)
    for f in data["files"]:
        kept = [ln["text"] for ln in f["lines"] if ln["keep"]]
        out = (tmp_path / "out" / f["output"]).read_text(encoding="utf-8")
        assert out == "".join(t + "\n" for t in kept)
    # every group id used by a line in two files is listed, with those files
    listed = {g["id"]: set(g["files"]) for g in data["groups"]}
    for f in data["files"]:
        for ln in f["lines"]:
            if ln["group"] in listed:
                assert f["path"] in listed[ln["group"]]


def test_report_is_written_atomically(seeds: Path, tmp_path: Path) -> None:
    report = tmp_path / "sub" / "r.json"
    clean_corpus([seeds], None, report=report)
    assert report.exists()
    assert [p.name for p in report.parent.iterdir()] == ["r.json"]
