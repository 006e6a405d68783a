"""The clean command, driven through typer's CliRunner at a fixed terminal width."""

from __future__ import annotations

import json
import re
import shutil
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cleaner import __version__
from cleaner.cli import EXIT_FAIL_ON, EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE, app

WIDTH = 120
ENV = {"COLUMNS": str(WIDTH), "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
SEED_A = "000_5e96c4fc11c8f751.txt"
SEED_B = "001_5cb0a179e01916d7.txt"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--jobs", "1"], env=ENV)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def key_values(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def table_rows(output: str, first_column: str) -> list[list[str]]:
    """The rows of the rich table whose first column is ``first_column``; a cell wrapped
    over several lines is joined back with spaces."""
    lines = output.splitlines()
    start = next(i for i, ln in enumerate(lines) if re.match(rf"┃ {first_column}\s+┃", ln))
    rows: list[list[str]] = []
    for line in lines[start + 2 :]:
        if not line.startswith("│"):
            break
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [
                " ".join(x for x in pair if x) for pair in zip(rows[-1], cells, strict=True)
            ]
    return rows


def test_main_run_writes_pages_and_terminal_report(
    seeds: Path, tmp_path: Path, expected: Path
) -> None:
    before = snapshot(seeds)
    out = tmp_path / "out"
    result = invoke(str(seeds), "-o", str(out))
    assert result.exit_code == EXIT_OK, result.output
    assert result.stderr == ""
    assert snapshot(out) == {p.name: p.read_bytes() for p in expected.glob("*.txt")}
    assert snapshot(seeds) == before  # inputs are never modified

    report = result.stdout
    assert max(len(line) for line in report.splitlines()) <= WIDTH
    assert re.search(r"^files\s+2$", report, re.M)
    assert re.search(r"^\s+kept\s+11$", report, re.M)
    assert re.search(r"^\s+template-block\s+22$", report, re.M)
    # the top template groups: text (wrapped over rows), files spanned, variants, file names
    groups = table_rows(report, "group")
    assert {row[1] for row in groups} == {
        "Gros porteur chinois : le C919 quitte la ligne d'assemblage",
        "Les cinq chars d'assaut les plus chers du monde",
        "Dernière mise à jour à 08h22 le 16/06",  # one group with its near-duplicate
        "![]() |",
    }
    assert all(row[2] == "2" and row[4] == f"{SEED_A}, {SEED_B}" for row in groups)
    assert sorted(row[3] for row in groups) == ["1", "1", "1", "2"]
    # the per-file table: language, lines read, kept, main drop reason
    assert table_rows(report, "file") == [
        [SEED_A, "fr", "22", "7", "template-block"],
        [SEED_B, "fr", "20", "4", "template-block"],
    ]


def test_report_option_writes_the_json_report(seeds: Path, tmp_path: Path) -> None:
    report = tmp_path / "reports" / "r.json"
    result = invoke(str(seeds), "-o", str(tmp_path / "out"), "--report", str(report))
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["schema"] == 1 and data["tool"] == "cleaner"
    assert [f["path"] for f in data["files"]] == [SEED_A, SEED_B]
    assert data["totals"]["files"] == 2 and data["totals"]["kept"] == 11
    assert [p.name for p in report.parent.iterdir()] == ["r.json"]


@pytest.mark.parametrize("flag", ["--dry-run", "--check"])
def test_dry_run_writes_no_pages(seeds: Path, tmp_path: Path, flag: str) -> None:
    before = snapshot(tmp_path)
    report = tmp_path / "r.json"
    out = tmp_path / "out"
    result = invoke(str(seeds), "-o", str(out), flag, "--report", str(report))
    assert result.exit_code == EXIT_OK, result.output
    assert not out.exists()
    assert snapshot(tmp_path) == {**before, "r.json": report.read_bytes()}  # only the report
    summary = key_values(result.stdout)
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    for key in ("files", "lines", "kept", "dropped", "groups", "duplicate_docs"):
        assert summary[key] == str(totals[key]), key
    assert float(summary["template_ratio"]) == totals["template_ratio"]
    assert summary["reason.template-block"] == "22"
    assert (summary["files"], summary["kept"]) == ("2", "11")


def test_dry_run_reads_the_pages_a_real_run_reads(seeds: Path) -> None:
    """An OUT inside the input folder is skipped by --check as by a real run, so the check
    of a second run does not count the first run's output as input."""
    out = seeds / "cleaned"
    assert invoke(str(seeds), "-o", str(out)).exit_code == EXIT_OK
    written = snapshot(out)
    check = invoke(str(seeds), "-o", str(out), "--check", "--fail-on", "duplicate-docs=0")
    assert check.exit_code == EXIT_OK, check.output
    assert "it is the output folder" in check.stderr
    assert key_values(check.stdout)["files"] == "2"
    assert snapshot(out) == written


def test_quiet_prints_nothing(seeds: Path, tmp_path: Path) -> None:
    result = invoke(str(seeds), "-o", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == EXIT_OK
    assert result.stdout == "" and result.stderr == ""
    assert len(list((tmp_path / "out").iterdir())) == 2


def usage_cases(seeds: Path, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    (tmp_path / "x" / "seeds").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(seeds)
    return {
        "no -o": ([str(seeds)], "-o OUT"),
        "OUT is INPUT": ([str(seeds), "-o", str(seeds)], "inputs are never modified"),
        "OUT is INPUT, spelt differently": (
            [str(seeds), "-o", f"{seeds}/./"],
            "inputs are never modified",
        ),
        "OUT is a link to INPUT": ([str(seeds), "-o", str(link)], "inputs are never modified"),
        "INPUT inside OUT": ([str(seeds), "-o", str(tmp_path)], "inside the output folder"),
        "unknown --fail-on rule": (
            [str(seeds), "-o", str(tmp_path / "o"), "--fail-on", "nope=1"],
            "unknown --fail-on rule 'nope'",
        ),
        "--fail-on without a limit": (
            [str(seeds), "-o", str(tmp_path / "o"), "--fail-on", "empty"],
            "needs a limit",
        ),
        "--fail-on limit not a number": (
            [str(seeds), "-o", str(tmp_path / "o"), "--fail-on", "template-ratio=nan"],
            "is not a number",
        ),
        "unknown --dedup-docs": (
            [str(seeds), "-o", str(tmp_path / "o"), "--dedup-docs", "maybe"],
            "dedup_docs",
        ),
        "two inputs of one name": (
            [str(seeds), str(tmp_path / "x" / "seeds"), "-o", str(tmp_path / "o")],
            "would both be written as seeds",
        ),
        "unknown option": ([str(seeds), "-o", str(tmp_path / "o"), "--frobnicate"], "frobnicate"),
        "negative --jobs": ([str(seeds), "-o", str(tmp_path / "o"), "-j", "-1"], "jobs"),
    }


CASES = [
    "no -o",
    "OUT is INPUT",
    "OUT is INPUT, spelt differently",
    "OUT is a link to INPUT",
    "INPUT inside OUT",
    "unknown --fail-on rule",
    "--fail-on without a limit",
    "--fail-on limit not a number",
    "unknown --dedup-docs",
    "two inputs of one name",
    "unknown option",
    "negative --jobs",
]


@pytest.mark.parametrize("case", CASES)
def test_usage_errors_exit_2_and_write_nothing(seeds: Path, tmp_path: Path, case: str) -> None:
    args, message = usage_cases(seeds, tmp_path)[case]
    before = snapshot(tmp_path)
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == EXIT_USAGE, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


def test_no_arguments_shows_help_with_usage_code() -> None:
    result = CliRunner().invoke(app, [], env=ENV)
    assert result.exit_code == EXIT_USAGE
    assert "Usage" in result.output


def test_unreadable_file_exits_3_and_the_rest_is_cleaned(
    seeds: Path, tmp_path: Path, expected: Path
) -> None:
    (seeds / "zz.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR binary")
    out = tmp_path / "out"
    report = tmp_path / "r.json"
    result = invoke(str(seeds), "-o", str(out), "--report", str(report))
    assert result.exit_code == EXIT_UNREADABLE
    assert result.stderr.splitlines() == ["error: zz.txt: binary content (NUL bytes)"]
    assert snapshot(out) == {p.name: p.read_bytes() for p in expected.glob("*.txt")}
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["errors"] == [{"path": "zz.txt", "error": "binary content (NUL bytes)"}]
    assert data["totals"]["files_failed"] == 1 and data["totals"]["files"] == 3


def test_fail_on_takes_precedence_over_unreadable(seeds: Path, tmp_path: Path) -> None:
    (seeds / "zz.txt").write_bytes(b"\x00\x00")
    met = invoke(str(seeds), "--check", "--fail-on", "unreadable=0")
    assert met.exit_code == EXIT_FAIL_ON
    assert "fail-on: unreadable is 1, above the limit 0" in met.stderr
    not_met = invoke(str(seeds), "--check", "--fail-on", "unreadable=1")
    assert not_met.exit_code == EXIT_UNREADABLE


@pytest.mark.parametrize(
    ("rule", "met"),
    [
        ("template-ratio=0.2", True),
        ("template-ratio=0.9", False),
        ("dropped-ratio=0.5", True),
        ("dropped-ratio=0.95", False),
        ("empty=0", False),
        ("duplicate-docs=0", False),
        ("unreadable=0", False),
    ],
)
def test_fail_on_rules_on_seeds(seeds: Path, rule: str, met: bool) -> None:
    result = invoke(str(seeds), "--check", "--fail-on", rule)
    assert result.exit_code == (EXIT_FAIL_ON if met else EXIT_OK), result.output
    name = rule.split("=")[0]
    assert (f"fail-on: {name} is" in result.stderr) == met


def test_fail_on_duplicates_and_empty_pages(seeds: Path, tmp_path: Path) -> None:
    shutil.copy(seeds / SEED_A, seeds / "copy.txt")
    (seeds / "menu.txt").write_text("Home\nNews\nSport\n![]() |\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(
        str(seeds), "-o", str(out), "--fail-on", "duplicate-docs=0", "--fail-on", "empty=0"
    )
    assert result.exit_code == EXIT_FAIL_ON
    assert "fail-on: duplicate-docs is 1, above the limit 0" in result.stderr
    assert "fail-on: empty is 1, above the limit 0" in result.stderr
    assert (out / SEED_A).exists() and (out / "copy.txt").exists()  # outputs are still written
    assert invoke(str(seeds), "--check", "--fail-on", "duplicate-docs=1").exit_code == EXIT_OK


def test_help_mentions_exit_codes_and_rules() -> None:
    result = CliRunner().invoke(app, ["--help"], env=ENV)
    assert result.exit_code == EXIT_OK
    text = " ".join(result.output.split())
    assert "Exit codes" in text
    for code in (
        "0 done",
        "1 unexpected error",
        "2 usage error",
        "3 some files could not be read",
        "4 a --fail-on rule was met",
        "130 interrupted",
    ):
        assert code in text, code
    for rule in ("template-ratio", "dropped-ratio", "duplicate-docs", "unreadable", "empty"):
        assert rule in text
    for option in ("--output", "--report", "--dry-run", "--check", "--jobs", "--quiet"):
        assert option in text


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"], env=ENV)
    assert result.exit_code == EXIT_OK
    assert result.stdout == f"cleaner {__version__}\n"
    assert __version__ == version("cleaner")  # the package metadata agrees


def test_output_inside_input_is_skipped(seeds: Path) -> None:
    out = seeds / "cleaned"
    first = invoke(str(seeds), "-o", str(out))
    assert first.exit_code == EXIT_OK
    written = snapshot(out)
    second = invoke(str(seeds), "-o", str(out))
    assert second.exit_code == EXIT_OK
    assert "it is the output folder" in second.stderr
    assert re.search(r"^files\s+2$", second.stdout, re.M)
    assert snapshot(out) == written


def test_killed_worker_is_a_one_line_error(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleaner.runner
    from cleaner.engines import WorkerDied

    def killed(*args: object, **kwargs: object) -> None:
        raise WorkerDied("a worker process was killed")

    monkeypatch.setattr(cleaner.runner, "clean_corpus", killed)
    result = invoke(str(seeds), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "error: a worker process was killed; run again" in result.output


@pytest.mark.parametrize("preset", [None, "3"])
def test_entry_point_caps_openblas_threads_before_numpy_loads(preset: str | None) -> None:
    """`clean` sets one OpenBLAS thread unless the user chose a number, and numpy (whose
    import starts the threads) is not loaded before that."""
    import os
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "import cleaner.cli as cli\n"
        "loaded = 'numpy' in sys.modules\n"
        "sys.argv = ['clean', '--version']\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(loaded, os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert proc.stdout.split()[-2:] == ["False", preset or "1"]


@pytest.mark.parametrize("quiet", [True, False])
def test_a_quiet_run_does_not_load_the_terminal_library(
    seeds: Path, tmp_path: Path, quiet: bool
) -> None:
    """A quiet run that has nothing to say does not load rich; a run that reports does."""
    import subprocess
    import sys

    argv = ["clean", str(seeds), "-o", str(tmp_path / "out")] + (["--quiet"] if quiet else [])
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('rich' in sys.modules, file=sys.stderr))\n"
        "import cleaner.cli as cli\n"
        f"sys.argv = {argv!r}\n"
        "cli.main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stderr.split()[-1] == str(not quiet)
    assert (tmp_path / "out").is_dir()
