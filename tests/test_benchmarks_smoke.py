"""The benchmark scripts keep working: a tiny run of each (figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def test_synth_and_speed_smoke(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "speed.py"), "--docs", "120", "--json", "--jobs", "1",
         "--corpus-dir", str(tmp_path), "--contenders", "cleaner", "exact-hash", "floor"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(proc.stdout)
    assert {r["contender"] for r in rows} == {"cleaner", "exact-hash", "floor"}
    cleaner = next(r for r in rows if r["contender"] == "cleaner")
    assert cleaner["lines"] > 0 and 0.0 <= cleaner["f1"] <= 1.0


def test_docdedup_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "docdedup.py"), "--docs", "60", "--jobs", "1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "pair precision" in proc.stdout


def test_fuzz_smoke(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "fuzz.py"), "--seconds", "2", "--crash-dir", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "crashes: 0" in proc.stdout
