"""Bad input, faults and hostile files: no crash, no lost data, clear errors."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleaner import Config, clean_corpus
from cleaner.cli import EXIT_ERROR, EXIT_USAGE, app

ENV = {"COLUMNS": "120", "NO_COLOR": "1"}
BODY = (
    "The committee met on Tuesday to discuss the future of the old harbour, and after a long "
    "debate the members agreed to ask the town for more money to repair the stone walls."
)


def report_of(tmp_path: Path, src: Path, **kw: object) -> dict:
    report = tmp_path / "report.json"
    clean_corpus([src], tmp_path / "out", report=report, **kw)  # type: ignore[arg-type]
    return json.loads(report.read_text(encoding="utf-8"))


def entries(data: dict) -> dict[str, dict]:
    return {f["path"]: f for f in data["files"]}


def test_encodings_are_detected_and_noted(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    sentences = [
        "Le comité s'est réuni mardi pour décider de l'avenir du vieux port de la ville.",
        "Les pêcheurs ont réparé leurs filets pendant l'hiver, à l'abri du vent froid.",
        "Une école du quartier a ouvert une bibliothèque pour les élèves et leurs parents.",
        "Le musée présente cet été une exposition de cartes anciennes restaurées avec soin.",
        "Dans la vallée, les agriculteurs attendent la pluie depuis le début du printemps.",
    ]

    def text(i: int) -> str:
        return sentences[i] + " Cette réunion a été très suivie par la presse régionale."

    (src / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text(0).encode())
    (src / "utf16.txt").write_bytes(text(1).encode("utf-16"))
    (src / "latin.txt").write_bytes(text(2).encode("cp1252"))
    (src / "invalid.txt").write_bytes(text(3).encode() + b"\xff\xfe\xfa bad bytes")
    lie = f'<html><head><meta charset="utf-8"></head><body><p>{text(4)}</p></body></html>'
    (src / "lie.html").write_bytes(lie.encode("cp1252"))
    data = report_of(tmp_path, src, config=Config(language="fr"))
    files = entries(data)
    assert files["bom.txt"]["notes"] == ["decoded as utf-8 with BOM"]
    assert files["utf16.txt"]["notes"] == ["decoded as utf-16"]
    assert files["latin.txt"]["notes"] and "cp1252" in files["latin.txt"]["notes"][0]
    assert files["invalid.txt"]["error"] is None
    for name in ("bom.txt", "utf16.txt", "latin.txt"):
        out = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert "été" in out and "très" in out, name
    assert "été" in (tmp_path / "out" / "lie.txt").read_text(encoding="utf-8")


def test_odd_files_are_cleaned_or_skipped_with_a_reason(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "binary.txt").write_bytes(b"\x7fELF\x00\x00\x01" * 100)
    (src / "empty.txt").write_bytes(b"")
    (src / "blank.txt").write_text("  \n\t\n   \n")
    (src / "script.html").write_text("<html><script>var a=1;</script><style>p{}</style></html>")
    nested = "<div>" * 10_000 + f"<p>{BODY}</p>" + "</div>" * 10_000
    (src / "nested.html").write_text(f"<html><body>{nested}</body></html>")
    data = report_of(tmp_path, src, config=Config(language="en"))
    files = entries(data)
    assert files["binary.txt"]["error"] == "binary content (NUL bytes)"
    for name in ("empty.txt", "blank.txt", "script.html"):
        assert files[name]["error"] is None and files[name]["lines"] == []
    assert (tmp_path / "out" / "empty.txt").read_text() == ""
    assert files["nested.html"]["error"] is None or "parsed" in files["nested.html"]["error"]
    assert data["totals"]["files"] == 5


def test_huge_line_and_many_lines(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "one-line.txt").write_text((BODY + " ") * 300_000)  # ~50 MB on one line
    (src / "many.txt").write_text("\n".join(f"Line {i} of a long list" for i in range(200_000)))
    clean_corpus([src], tmp_path / "out", config=Config(language="en"))
    assert (tmp_path / "out" / "one-line.txt").stat().st_size > 40_000_000
    assert (tmp_path / "out" / "many.txt").exists()


def test_file_system_oddities(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "good one.txt").write_text(BODY)
    (src / "new\nline.txt").write_text(BODY)
    os.symlink(src / "missing.txt", src / "broken.txt")
    os.symlink(src / "loop-a.txt", src / "loop-b.txt")
    os.symlink(src / "loop-b.txt", src / "loop-a.txt")
    weird = os.fsencode(src) + b"/caf\xe9.txt"
    with open(weird, "wb") as handle:
        handle.write(BODY.encode())
    report = tmp_path / "r.json"
    outcome = clean_corpus([src], tmp_path / "out", report=report)
    data = json.loads(report.read_text(encoding="utf-8"))  # valid UTF-8 JSON
    errors = {e["path"] for e in data["errors"]}
    assert {str(src / "broken.txt"), str(src / "loop-a.txt"), str(src / "loop-b.txt")} <= errors
    assert (tmp_path / "out" / "good one.txt").read_text() == BODY + "\n"
    assert (tmp_path / "out" / "new\nline.txt").exists()
    assert os.path.exists(os.fsencode(tmp_path / "out") + b"/caf\xe9.txt")
    assert outcome.summary.totals["files_failed"] == 3


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "secret.txt").write_text(BODY)
    (src / "secret.txt").chmod(0)
    (src / "open.txt").write_text(BODY)
    data = report_of(tmp_path, src)
    assert entries(data)["secret.txt"]["error"] == "permission denied"
    assert (tmp_path / "out" / "open.txt").exists()


def test_file_deleted_during_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    (src / "b.txt").write_text(BODY.replace("harbour", "market"))
    import cleaner.io.readers as readers

    real = readers.discover

    def discover_then_delete(*args: object, **kw: object) -> object:
        found = real(*args, **kw)  # type: ignore[arg-type]
        (src / "a.txt").unlink()
        return found

    monkeypatch.setattr("cleaner.runner.discover", discover_then_delete)
    data = report_of(tmp_path, src)
    assert entries(data)["a.txt"]["error"] == "file vanished before it could be read"
    assert (tmp_path / "out" / "b.txt").exists()


def test_output_equal_to_input_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    result = CliRunner().invoke(app, [str(src), "-o", str(src)], env=ENV)
    assert result.exit_code == EXIT_USAGE
    assert (src / "a.txt").read_text() == BODY


def test_full_disk_gives_clear_error_and_no_partial_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"p{i}.txt").write_text(BODY)
    import cleaner.io.writers as writers

    real_replace = os.replace
    calls = {"n": 0}

    def full(a: str, b: str) -> None:
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(b))
        real_replace(a, b)

    monkeypatch.setattr(writers.os, "replace", full)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [str(src), "-o", str(out), "--jobs", "1"], env=ENV)
    assert result.exit_code == EXIT_ERROR
    assert "No space left on device" in result.output
    assert "Traceback" not in result.output
    assert not list(out.rglob("*.part"))
    for path in out.iterdir():
        assert path.read_text() == BODY + "\n"


def test_same_input_twice_is_byte_identical_and_idempotent(tmp_path: Path, seeds: Path) -> None:
    outs = []
    for run in ("a", "b"):
        report = tmp_path / f"{run}.json"
        clean_corpus([seeds], tmp_path / run, report=report)
        data = json.loads(report.read_text(encoding="utf-8"))
        data.pop("timings")
        outs.append(data)
    assert outs[0] == outs[1]
    for page in (tmp_path / "a").iterdir():
        assert page.read_bytes() == (tmp_path / "b" / page.name).read_bytes()
    # cleaning the cleaned folder changes nothing
    clean_corpus([tmp_path / "a"], tmp_path / "again")
    for page in (tmp_path / "a").iterdir():
        assert (tmp_path / "again" / page.name).read_bytes() == page.read_bytes()


def test_record_ids_cannot_escape_the_output_folder(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": "../../etc/x", "text": BODY}, {"id": "/abs/path", "text": BODY}]
    (src / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    clean_corpus([src], tmp_path / "out")
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert all(p.parts[0] in ("in", "out") for p in written)


def _big_corpus(src: Path, n: int) -> None:
    src.mkdir()
    for i in range(n):
        (src / f"p{i:05d}.txt").write_text(f"{BODY} Page {i}.\nShared footer line\n" * 20)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_only_complete_files(tmp_path: Path, sig: int) -> None:
    src = tmp_path / "in"
    _big_corpus(src, 3000)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cleaner", str(src), "-o", str(out), "--quiet", "--jobs", "1"],
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not (out.exists() and any(out.iterdir())):
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and b"interrupted" in err
    assert not list(out.rglob("*.part"))
    for page in out.iterdir():
        assert page.read_text().endswith("\n")
    # a rerun finishes the job
    rerun = subprocess.run(
        [sys.executable, "-m", "cleaner", str(src), "-o", str(out), "--quiet"], check=False
    )
    assert rerun.returncode == 0
    assert len(list(out.iterdir())) == 3000
