"""The benchmark scripts keep working: a tiny run of each (figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def test_synth_and_speed_smoke(tmp_path: Path) -> None:
    """Every contender of the speed benchmark runs on a 200-page generated corpus."""
    contenders = ["cleaner", "datasketch-minhash", "datasketch-bulk", "exact-hash",
                  "trafilatura-lru", "floor"]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, str(BENCH / "speed.py"), "--docs", "200", "--json", "--jobs", "2",
         "--corpus-dir", str(tmp_path), "--contenders", *contenders],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(proc.stdout)
    assert [r["contender"] for r in rows] == contenders
    labels = [json.loads(x) for x in (tmp_path / "synth-200" / "labels.jsonl").open()]
    assert len(labels) == 200
    for row in rows:
        assert row["docs"] == 200 and row["lines"] == sum(len(x["labels"]) for x in labels)
        assert row["lines_per_s"] > 0 and row["peak_rss_mib"] > 0 and not row["partial"]
        assert row["peak_pss_mib"] > 0  # the process tree, sampled
        if row["contender"] != "floor":
            assert 0.0 <= row["f1"] <= 1.0


def test_speed_rounds_smoke(tmp_path: Path) -> None:
    """With --rounds the contenders run in turn; the table keeps each one's fastest round
    and gives cleaner's ratio to the others round by round."""
    out = tmp_path / "out"
    out.mkdir()
    bench = [sys.executable, str(BENCH / "speed.py"), "--docs", "120", "--jobs", "1",
             "--corpus-dir", str(tmp_path), "--out-dir", str(out), "--rounds", "2",
             "--contenders", "cleaner", "floor-write"]  # fmt: skip
    rows = json.loads(subprocess.run([*bench, "--json"], capture_output=True, text=True,
                                     check=True).stdout)  # fmt: skip
    assert [(r["contender"], r["round"]) for r in rows] == [
        ("cleaner", 0),
        ("floor-write", 0),
        ("cleaner", 1),
        ("floor-write", 1),
    ]
    assert list(out.iterdir()) == []  # the contenders' outputs are removed at the end
    table = subprocess.run(bench, capture_output=True, text=True, check=True).stdout
    assert "fastest of 2 rounds" in table
    assert "cleaner / floor-write, each round: " in table


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


def test_per_line_smoke(tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"p{n}.txt").write_text(
            f"Menu\nUpdated 0{n}:00\nThe council met on Monday and agreed on the plan {n}.\n",
            encoding="utf-8",
        )
    proc = subprocess.run(
        [sys.executable, str(BENCH / "per_line.py"), str(tmp_path), "--repeat", "1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "3 pages, 9 lines" in proc.stdout
    assert "whole run, one job" in proc.stdout


def test_record_io_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "record_io.py"), "--records", "300", "--repeat", "1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "parquet write: 300 records" in proc.stdout
    assert "warc.gz cut check" in proc.stdout


def test_html_speed_smoke(tmp_path: Path) -> None:
    """The HTML speed benchmark runs its three contenders on a set of two pages."""
    data = Path(__file__).resolve().parent / "data"
    pages = tmp_path / "eval" / "tiny" / "html"
    pages.mkdir(parents=True)
    for name in ("sciencealert-com__0001.html", "techcrunch-com__0001.html"):
        (pages / name).write_bytes((data / name).read_bytes())
    proc = subprocess.run(
        [sys.executable, str(BENCH / "html_speed.py"), "--eval-dir", str(tmp_path / "eval"),
         "--rounds", "1", "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(proc.stdout)["rows"]
    assert [r["contender"] for r in rows] == [
        "trafilatura alone",
        "clean --jobs 1",
        "clean --jobs 1 --extractor resiliparse",
    ]
    for row in rows:
        assert row["pages"] == 2 and row["cpu_seconds"] > 0 and row["start_up_cpu_seconds"] > 0
    assert rows[0]["cpu_ratio"] == 1.0
    assert len(json.loads(proc.stdout)["load_average"]["before"]) == 3


def test_html_speed_times_another_version(tmp_path: Path) -> None:
    """--other DIR times the cleaner package in DIR beside this one, and refuses a folder
    without one."""
    import shutil

    root = Path(__file__).resolve().parents[1]
    other = tmp_path / "v0"
    shutil.copytree(
        root / "cleaner", other / "cleaner", ignore=shutil.ignore_patterns("__pycache__")
    )
    data = Path(__file__).resolve().parent / "data"
    pages = tmp_path / "eval" / "tiny" / "html"
    pages.mkdir(parents=True)
    (pages / "a.html").write_bytes((data / "techcrunch-com__0001.html").read_bytes())
    bench = [sys.executable, str(BENCH / "html_speed.py"), "--eval-dir", str(tmp_path / "eval")]
    proc = subprocess.run(
        [*bench, "--rounds", "1", "--json", "--other", str(other)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    names = [r["contender"] for r in json.loads(proc.stdout)["rows"]]
    assert names[3:] == ["v0: clean --jobs 1", "v0: clean --jobs 1 --extractor resiliparse"]
    bad = subprocess.run([*bench, "--other", str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "no cleaner package" in bad.stderr


def test_report_html_size_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "report_html_size.py"), "--pages", "300", "--groups", "20"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "pages shown of 300" in proc.stdout
