"""Golden test: the two seed pages clean to exactly the expected bodies."""

from __future__ import annotations

import json
from pathlib import Path

from cleaner import Config, clean_corpus
from cleaner.models import Reason


def test_seed_outputs_match_expected(seeds: Path, tmp_path: Path, expected: Path) -> None:
    out = tmp_path / "out"
    clean_corpus([seeds], out, config=Config())
    names = sorted(p.name for p in expected.glob("*.txt"))
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        assert (out / name).read_bytes() == (expected / name).read_bytes(), name


def test_seed_report_lists_expected_groups(seeds: Path, tmp_path: Path, expected: Path) -> None:
    report = tmp_path / "report.json"
    outcome = clean_corpus([seeds], tmp_path / "out", report=report)
    want = json.loads((expected / "templates.json").read_text(encoding="utf-8"))
    groups = json.loads(report.read_text(encoding="utf-8"))["groups"]
    for text in want["exact_groups"]:
        match = [g for g in groups if text in g["variants"]]
        assert match, text
        assert match[0]["files"] == want["files"]
    for variants in want["near_duplicate_groups"]:
        match = [g for g in groups if set(variants) <= set(g["variants"])]
        assert len(match) == 1, variants
        assert match[0]["n_files"] == 2
    assert outcome.summary.totals["by_reason"][Reason.TEMPLATE_BLOCK.value] == 22
