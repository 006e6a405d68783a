"""The clean command, driven through typer's CliRunner at a fixed width."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cleaner import __version__
from cleaner.cli import EXIT_FAIL_ON, EXIT_UNREADABLE, EXIT_USAGE, app

ENV = {"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, [*args, "--jobs", "1"], env=ENV)


def test_main_run_writes_pages_and_reports(seeds: Path, tmp_path: Path, expected: Path) -> None:
    out = tmp_path / "out"
    result = invoke(str(seeds), "-o", str(out), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    for page in expected.glob("*.txt"):
        assert (out / page.name).read_bytes() == page.read_bytes()
    assert "template-block" in result.output
    assert "Gros porteur chinois" in result.output  # a top template group
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == 1


def test_dry_run_writes_no_pages(seeds: Path, tmp_path: Path) -> None:
    result = invoke(str(seeds), "--dry-run")
    assert result.exit_code == 0
    assert "kept=11" in result.output
    assert not (tmp_path / "out").exists()


def test_usage_errors(seeds: Path, tmp_path: Path) -> None:
    assert invoke(str(seeds)).exit_code == EXIT_USAGE  # no -o
    same = invoke(str(seeds), "-o", str(seeds))
    assert same.exit_code == EXIT_USAGE and "inputs are never modified" in same.output
    bad_rule = invoke(str(seeds), "-o", str(tmp_path / "o"), "--fail-on", "nope=1")
    assert bad_rule.exit_code == EXIT_USAGE and "unknown --fail-on rule" in bad_rule.output
    assert invoke(str(seeds), "-o", str(tmp_path / "o"), "--dedup-docs", "maybe").exit_code == 2


def test_unreadable_file_exit_code_and_rest_processed(seeds: Path, tmp_path: Path) -> None:
    (seeds / "zz.txt").write_bytes(b"\x00\x00\x00 binary")
    out = tmp_path / "out"
    result = invoke(str(seeds), "-o", str(out))
    assert result.exit_code == EXIT_UNREADABLE
    assert "error: zz.txt: binary content" in result.output
    assert (out / "000_5e96c4fc11c8f751.txt").exists()
    assert not (out / "zz.txt").exists()


def test_fail_on(seeds: Path, tmp_path: Path) -> None:
    over = invoke(str(seeds), "--check", "--fail-on", "template-ratio=0.2")
    assert over.exit_code == EXIT_FAIL_ON
    assert "fail-on: template-ratio is" in over.output
    under = invoke(str(seeds), "--check", "--fail-on", "template-ratio=0.9")
    assert under.exit_code == 0
    (seeds / "copy.txt").write_text((seeds / "000_5e96c4fc11c8f751.txt").read_text("utf-8"))
    dup = invoke(str(seeds), "--check", "--fail-on", "duplicate-docs=0")
    assert dup.exit_code == EXIT_FAIL_ON


def test_help_and_version() -> None:
    result = CliRunner().invoke(app, ["--help"], env=ENV)
    assert result.exit_code == 0
    assert "Exit codes" in result.output and "--fail-on" in result.output
    version = CliRunner().invoke(app, ["--version"], env=ENV)
    assert version.exit_code == 0 and __version__ in version.output


def test_output_inside_input_is_skipped(seeds: Path) -> None:
    out = seeds / "cleaned"
    first = invoke(str(seeds), "-o", str(out))
    assert first.exit_code == 0
    second = invoke(str(seeds), "-o", str(out))
    assert second.exit_code == 0
    assert "it is the output folder" in second.output
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in seeds.glob("*.txt"))
