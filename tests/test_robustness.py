"""Bad input, faults and hostile files: no crash, no lost data, clear errors.

Every test builds its own bad files. Runs that need the real command (signals, worker
processes, memory) start ``python -m cleaner`` as a subprocess."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cleaner import Config, clean_corpus
from cleaner.cli import (
    EXIT_ERROR,
    EXIT_FAIL_ON,
    EXIT_INTERRUPTED,
    EXIT_UNREADABLE,
    EXIT_USAGE,
    app,
)
from cleaner.io.records import RecordKeys
from cleaner.io.writers import is_partial, safe_join

ENV = {"COLUMNS": "120", "NO_COLOR": "1"}
BODY = (
    "The committee met on Tuesday to discuss the future of the old harbour, and after a long "
    "debate the members agreed to ask the town for more money to repair the stone walls."
)
ROOT = Path(__file__).resolve().parent.parent


def report_of(tmp_path: Path, src: Path, **kw: object) -> dict:
    report = tmp_path / "report.json"
    clean_corpus([src], tmp_path / "out", report=report, **kw)  # type: ignore[arg-type]
    return json.loads(report.read_text(encoding="utf-8"))


def entries(data: dict) -> dict[str, dict]:
    return {f["path"]: f for f in data["files"]}


def line_texts(entry: dict) -> list[str]:
    return [line["text"] for line in entry["lines"]]


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    """``python -m cleaner ARGS`` as a user runs it (signal handlers and all)."""
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args], capture_output=True, cwd=ROOT, check=False
    )


def warc_record(uri: str, html: bytes) -> bytes:
    """One WARC response record holding an HTML page."""
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Target-URI: {uri}\r\nWARC-Record-ID: <urn:uuid:{len(uri)}-{len(html)}>\r\n"
        "WARC-Date: 2020-01-01T00:00:00Z\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body + b"\r\n\r\n"


def partial_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and is_partial(p)]


# -- encodings -------------------------------------------------------------------------------

FRENCH = [
    "Le comité s'est réuni mardi pour décider de l'avenir du vieux port de la ville.",
    "Les pêcheurs ont réparé leurs filets pendant l'hiver, à l'abri du vent froid.",
    "Une école du quartier a ouvert une bibliothèque pour les élèves et leurs parents.",
    "Le musée présente cet été une exposition de cartes anciennes restaurées avec soin.",
    "Dans la vallée, les agriculteurs attendent la pluie depuis le début du printemps.",
    "Le marché couvert rouvre après des travaux qui ont duré près de deux années.",
]


def french(i: int) -> str:
    return FRENCH[i] + " Cette réunion a été très suivie par la presse régionale."


def test_encodings_are_detected_and_noted(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "bom.txt").write_bytes(b"\xef\xbb\xbf" + french(0).encode())
    (src / "utf16.txt").write_bytes(french(1).encode("utf-16"))
    (src / "utf16-nobom.txt").write_bytes(french(5).encode("utf-16-le"))
    (src / "latin.txt").write_bytes(french(2).encode("cp1252"))
    (src / "invalid.txt").write_bytes(french(3).encode() + b" \xff\xfe\xfa")
    lie = f'<html><head><meta charset="utf-8"></head><body><p>{french(4)}</p></body></html>'
    (src / "lie.html").write_bytes(lie.encode("cp1252"))
    data = report_of(tmp_path, src, config=Config(language="fr"))
    files = entries(data)
    assert files["bom.txt"]["notes"] == ["decoded as utf-8 with BOM"]
    assert files["utf16.txt"]["notes"] == ["decoded as utf-16"]
    assert files["utf16-nobom.txt"]["notes"] == ["decoded as utf-16-le (no BOM)"]
    assert files["latin.txt"]["notes"] == ["decoded as cp1252"]
    assert files["invalid.txt"]["notes"] == ["decoded as utf-8, 3 invalid byte(s) replaced"]
    assert files["lie.html"]["notes"] == [
        "declares utf-8 but is not valid utf-8: decoded as cp1252"
    ]
    for name, i in (("bom.txt", 0), ("utf16.txt", 1), ("latin.txt", 2), ("utf16-nobom.txt", 5)):
        assert line_texts(files[name]) == [french(i)], name
    # valid UTF-8 around the bad bytes stays intact (no mojibake), the bad bytes are U+FFFD
    assert line_texts(files["invalid.txt"]) == [french(3) + " \ufffd\ufffd\ufffd"]
    assert french(4) in "\n".join(line_texts(files["lie.html"]))
    for name in files:
        assert files[name]["error"] is None


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("cp1251", "Комитет собрался во вторник, чтобы обсудить будущее старого порта города."),
        ("cp1250", "Zażółć gęślą jaźń. Wczoraj w Krakowie odbyło się spotkanie mieszkańców."),
        ("cp1253", "Η επιτροπή συνεδρίασε την Τρίτη για να συζητήσει το μέλλον του λιμανιού."),
        ("gb18030", "委员会周二开会讨论了这座城市老港口的未来，并决定向市政府申请更多资金。"),
    ],
    ids=["cp1251", "cp1250", "cp1253", "gb18030"],
)
def test_legacy_code_pages_of_other_scripts(tmp_path: Path, codec: str, text: str) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "page.txt").write_bytes(text.encode(codec))
    # an HTML page that tells the truth about its (rarer) encoding is read in it
    html = f'<html><head><meta charset="koi8-r"></head><body><p>{text}</p></body></html>'
    if codec == "cp1251":
        (src / "declared.html").write_bytes(html.replace(text, text * 2).encode("koi8-r"))
    files = entries(report_of(tmp_path, src))
    assert line_texts(files["page.txt"]) == [text]
    assert files["page.txt"]["notes"] == [f"decoded as {codec}"]
    if codec == "cp1251":
        assert files["declared.html"]["notes"] == ["decoded as koi8-r, as the page declares"]
        assert text in "\n".join(line_texts(files["declared.html"]))


# -- odd files -------------------------------------------------------------------------------


def test_odd_files_are_cleaned_or_skipped_with_a_reason(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40)
    (src / "png.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500))
    (src / "empty.txt").write_bytes(b"")
    (src / "blank.txt").write_text("  \n\t\n   \r\n\u3000\n")
    (src / "script.html").write_text(
        "<html><script>document.write('x'.repeat(9))</script><style>p{}</style></html>"
    )
    nested = "<div>" * 10_000 + f"<p>{BODY}</p>" + "</div>" * 10_000
    (src / "nested.html").write_text(f"<html><body>{nested}</body></html>")
    (src / "good.txt").write_text(BODY)
    data = report_of(tmp_path, src, config=Config(language="en"))
    files = entries(data)
    assert files["binary.txt"]["error"] == "binary content (NUL bytes)"
    assert files["png.html"]["error"] == "binary content (NUL bytes)"
    for name in ("empty.txt", "blank.txt", "script.html"):
        assert files[name]["error"] is None and files[name]["lines"] == [], name
    assert line_texts(files["nested.html"]) == [BODY]  # its nest unwrapped (see item 10)
    assert (tmp_path / "out" / "empty.txt").read_bytes() == b""
    assert (tmp_path / "out" / "script.txt").read_bytes() == b""
    assert not (tmp_path / "out" / "binary.txt").exists()
    assert (tmp_path / "out" / "good.txt").read_text() == BODY + "\n"
    assert data["totals"]["files"] == 7 and data["totals"]["files_failed"] == 2
    assert data["totals"]["files_empty"] == 3


def test_oversized_page_is_refused_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleaner.io.decode as decoding

    monkeypatch.setattr(decoding.read_source, "__defaults__", (1 << 20,))  # 1 MiB
    monkeypatch.setattr(decoding, "MAX_PAGE_LINES", 5000)
    src = tmp_path / "in"
    src.mkdir()
    (src / "huge.txt").write_text(BODY * 7000)  # 1.2 MB
    (src / "long.txt").write_text("a line\r\n" * 5000)
    (src / "fine.txt").write_text(BODY + "\n" * 4000)
    files = entries(report_of(tmp_path, src))
    assert files["huge.txt"]["error"] == "larger than 1 MiB: too large for a page"
    assert files["long.txt"]["error"] == "more than 5,000 lines: too many for a page"
    assert (tmp_path / "out" / "fine.txt").exists()


def _peak_rss_mib(code: str) -> tuple[float, str]:
    """Run ``code`` in a fresh interpreter; its peak resident memory (MiB) and stdout.

    The peak is the new process image's own (VmHWM): ``ru_maxrss`` keeps the high-water
    mark of the process before ``exec``, which is the test runner's own size."""
    probe = code + (
        "\nimport re\nprint('PEAK', re.search(r'VmHWM:\\s*(\\d+)',"
        " open('/proc/self/status').read()).group(1))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    peak = int(re.search(r"PEAK (\d+)", proc.stdout).group(1))  # type: ignore[union-attr]
    return peak / 1024, proc.stdout


def test_a_line_of_50_mb(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    line = (BODY + " ") * 300_000  # 51.6 MB on one line
    (src / "one-line.txt").write_text(line)
    (src / "other.txt").write_text(BODY)
    peak, _ = _peak_rss_mib(
        "from pathlib import Path\nfrom cleaner import Config, clean_corpus\n"
        f"clean_corpus([Path({str(src)!r})], Path({str(out)!r}), config=Config(language='en'),"
        f" report=Path({str(tmp_path / 'r.json')!r}))"
    )
    assert (out / "one-line.txt").read_text() == line + "\n"  # kept whole, unchanged
    data = json.loads((tmp_path / "r.json").read_text())
    assert [x["text"] for x in entries(data)["one-line.txt"]["lines"]] == [line]
    # fingerprinted on its first 64k characters: the line costs a few copies of itself
    # (the interpreter and its libraries take about 100 MiB of this)
    assert peak < 8 * len(line) / 2**20, f"peak resident memory {peak:.0f} MiB"


def test_a_million_lines(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    with (src / "many.txt").open("w") as handle:
        handle.writelines(f"Item {i % 1000}\n" for i in range(1_000_000))
    peak, _ = _peak_rss_mib(
        "from pathlib import Path\nfrom cleaner import Config, clean_corpus\n"
        f"clean_corpus([Path({str(src)!r})], Path({str(out)!r}), config=Config(language='en'),"
        f" report=Path({str(tmp_path / 'r.json')!r}))"
    )
    data = json.loads((tmp_path / "r.json").read_text())
    assert entries(data)["many.txt"]["lines"][-1]["n"] == 1_000_000
    assert (out / "many.txt").exists()
    # a page is processed whole: memory grows with its lines (README, Reliability)
    assert peak < 1500, f"peak resident memory {peak:.0f} MiB"


# -- file system -----------------------------------------------------------------------------


def test_file_system_oddities(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "good one.txt").write_text(BODY)
    (src / "new\nline.txt").write_text(BODY)
    (src / "back\\slash.txt").write_text(BODY)
    os.symlink(src / "missing.txt", src / "broken.txt")
    os.symlink(src / "loop-a.txt", src / "loop-b.txt")
    os.symlink(src / "loop-b.txt", src / "loop-a.txt")
    (src / "sub").mkdir()
    os.symlink(src, src / "sub" / "up")  # a folder link back up: not followed
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
    assert (tmp_path / "out" / "back" / "slash.txt").exists()  # a backslash never escapes
    assert os.path.exists(os.fsencode(tmp_path / "out") + b"/caf\xe9.txt")
    assert "caf\ufffd.txt" in entries(data)
    assert outcome.summary.totals["files_failed"] == 3
    assert not (tmp_path / "out" / "sub").exists()


def test_names_that_land_on_one_output_collide_with_an_error(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    (src / "a" / "b.txt").write_text(BODY)
    (src / "a\\b.txt").write_text("Another page entirely, with other words in it.")
    data = report_of(tmp_path, src)
    (error,) = data["errors"]  # the second one met, whichever it is, is not written
    assert error["error"].startswith("its output name a/b.txt is taken by ")
    assert (tmp_path / "out" / "a" / "b.txt").exists()


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


def test_unreadable_file_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path as above, with the refusal simulated (root ignores file modes)."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "secret.txt").write_text(BODY)
    (src / "open.txt").write_text(BODY)
    real_open = os.open  # pages are read by file descriptor (cleaner.io.decode)

    def guarded(path: str, *args: int, **kw: int) -> int:
        if os.path.basename(path) == "secret.txt":
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, *args, **kw)

    monkeypatch.setattr(os, "open", guarded)
    result = CliRunner().invoke(app, [str(src), "-o", str(tmp_path / "out"), "-j", "1"], env=ENV)
    monkeypatch.undo()
    assert result.exit_code == EXIT_UNREADABLE
    assert "error: secret.txt: permission denied" in result.output
    assert (tmp_path / "out" / "open.txt").read_text() == BODY + "\n"
    assert (src / "secret.txt").read_text() == BODY


def test_file_deleted_during_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    (src / "b.txt").write_text(BODY.replace("harbour", "market"))
    from cleaner.io.discover import discover as real

    def discover_then_delete(*args: object, **kw: object) -> object:
        found = real(*args, **kw)  # type: ignore[arg-type]
        (src / "a.txt").unlink()
        return found

    monkeypatch.setattr("cleaner.runner.discover", discover_then_delete)
    data = report_of(tmp_path, src)
    assert entries(data)["a.txt"]["error"] == "file vanished before it could be read"
    assert (tmp_path / "out" / "b.txt").exists()


@pytest.mark.parametrize("change", ["delete", "shorten"])
def test_record_file_changed_between_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """A record file is read again to be written; if it changed meanwhile, its output is
    not written (rather than pairing records with the wrong cleaned text)."""
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": f"r{i}", "text": f"{BODY} Record {i}."} for i in range(3)]
    (src / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    other = "A page of its own, about the weather in the hills, which was cold and wet all week."
    (src / "page.txt").write_text(other)
    import cleaner.pipeline as pipeline

    real = pipeline.write_shard

    def change_then_write(ctx: object, item: tuple) -> int:
        if change == "delete":
            (src / "r.jsonl").unlink(missing_ok=True)
        else:
            (src / "r.jsonl").write_text(json.dumps(rows[1]) + "\n")
        return real(ctx, item)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "write_shard", change_then_write)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [str(src), "-o", str(out), "-j", "1", "-q"], env=ENV)
    assert result.exit_code == EXIT_UNREADABLE, result.output
    assert "error: r.jsonl: changed while the run was going: not written" in result.output
    assert not (out / "r.jsonl").exists()
    assert (out / "page.txt").read_text() == other + "\n"
    assert not partial_files(out)


def test_output_inside_input_is_not_read_back(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    out = src / "cleaned"
    for run in range(2):  # the second run finds the first run's output inside its input
        result = CliRunner().invoke(app, [str(src), "-o", str(out), "-j", "1"], env=ENV)
        assert result.exit_code == 0, result.output
        assert ("it is the output folder" in result.output) == (run == 1)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["a.txt"]


def test_output_equal_to_or_around_input_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    alias = tmp_path / "alias"
    os.symlink(src, alias)
    for out, words in ((src, "is the input"), (alias, "is the input"), (tmp_path, "inside")):
        result = CliRunner().invoke(app, [str(src), "-o", str(out)], env=ENV)
        assert result.exit_code == EXIT_USAGE, out
        assert words in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in src.iterdir()) == ["a.txt"]
    assert (src / "a.txt").read_text() == BODY


def _filling_disk(room: int) -> Any:
    """A ``write_all`` whose writes stop with ENOSPC, as write(2) does (an error without a
    file name), once ``room`` more bytes are on disk."""

    def write_all(fd: int, data: bytes) -> None:
        nonlocal room
        if len(data) > room:
            os.write(fd, data[:room])  # the partial file really is on disk
            raise OSError(errno.ENOSPC, "No space left on device")
        room -= len(data)
        os.write(fd, data)

    return write_all


def test_full_disk_gives_clear_error_and_no_partial_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        (src / f"p{i}.txt").write_text(f"{BODY} Page {i}.")
    import cleaner.io.writers as writers

    written = writers.write_all
    calls = {"n": 0}

    def write_all(fd: int, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] < 3:
            written(fd, data)
        else:  # the third file fills the disk
            _filling_disk(20)(fd, data)

    monkeypatch.setattr(writers, "write_all", write_all)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [str(src), "-o", str(out), "--jobs", "1"], env=ENV)
    assert result.exit_code == EXIT_ERROR
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error")]
    assert len(lines) == 1 and "No space left on device" in lines[0]
    assert "p2.txt" in lines[0] and "Traceback" not in result.output
    assert not partial_files(out)
    assert sorted(p.name for p in out.iterdir()) == ["p0.txt", "p1.txt"]
    for path in out.iterdir():
        assert path.read_text().startswith(BODY)


def test_full_disk_while_writing_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": i, "text": f"{BODY} Record {i}."} for i in range(5)]
    (src / "r.jsonl.gz").write_bytes(b"")
    import gzip

    with gzip.open(src / "r.jsonl.gz", "wt") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in rows)
    from cleaner.io.records.jsonl import Writer

    real = Writer._write
    count = {"n": 0}

    def write(self: Writer, obj: dict) -> None:
        count["n"] += 1
        if count["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, obj)

    monkeypatch.setattr(Writer, "_write", write)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [str(src), "-o", str(out), "-j", "1", "-q"], env=ENV)
    assert result.exit_code == EXIT_ERROR
    assert "No space left on device" in result.output and "r.jsonl.gz" in result.output
    assert list(out.iterdir()) == []


def test_report_inside_the_output_folder(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".stale.txt.abcd1234.part").write_text("left by a killed run")
    (out / ".notes.part").write_text("not ours: kept")
    result = CliRunner().invoke(
        app, [str(src), "-o", str(out), "--report", str(out / "report.json"), "-q"], env=ENV
    )
    assert result.exit_code == 0, result.output
    assert "removed 1 partial file(s)" in result.output
    assert json.loads((out / "report.json").read_text())["totals"]["files"] == 1
    assert sorted(p.name for p in out.iterdir()) == [".notes.part", "a.txt", "report.json"]


def test_outputs_get_the_usual_file_mode(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    (src / "r.jsonl").write_text(json.dumps({"id": 1, "text": BODY}) + "\n")
    umask = os.umask(0o022)
    try:
        clean_corpus([src], tmp_path / "out")
    finally:
        os.umask(umask)
    for name in ("a.txt", "r.jsonl"):
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == 0o644, name


def test_lone_surrogates_in_records(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    line = '{"id": "x", "text": "' + BODY + ' \\ud800 end.", "meta": "\\udfff"}\n'
    (src / "r.jsonl").write_text(line)
    clean_corpus([src], tmp_path / "out")
    (record,) = [json.loads(x) for x in (tmp_path / "out" / "r.jsonl").read_text().splitlines()]
    assert record["meta"] == "\udfff"  # other fields as they were
    assert "\ufffd" in record["text"] and "\ud800" not in record["text"]


# -- interruption ----------------------------------------------------------------------------


N_PAGES = 1000  # enough for a run to be stopped while it writes


def _corpus(src: Path, n: int = N_PAGES) -> None:
    src.mkdir()
    for i in range(n):
        (src / f"p{i:05d}.txt").write_text(f"{BODY} Page {i}.\nShared footer line\n" * 20)


def _start(src: Path, out: Path, jobs: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cleaner", str(src), "-o", str(out), "-q", "-j", str(jobs)],
        stderr=subprocess.PIPE,
        cwd=ROOT,
        start_new_session=True,  # its own process group, as a shell job has
    )


def _wait_for_outputs(out: Path, proc: subprocess.Popen[bytes], n: int = 20) -> None:
    """Until the run is writing (pass 3): a few output files exist."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(os.listdir(out)) >= n:
            return
        time.sleep(0.01)
    raise AssertionError("the run ended or never started writing")


@pytest.mark.parametrize(
    ("sig", "group", "jobs"),
    [
        (signal.SIGINT, True, 2),  # Ctrl-C: the terminal signals the whole process group
        (signal.SIGTERM, False, 2),  # kill PID
        (signal.SIGINT, False, 1),
    ],
    ids=["ctrl-c-to-group", "sigterm", "sigint-one-job"],
)
def test_interrupt_leaves_only_complete_files(
    tmp_path: Path, sig: int, group: bool, jobs: int
) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    _corpus(src)
    proc = _start(src, out, jobs)
    _wait_for_outputs(out, proc)
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert b"Traceback" not in err and b"interrupted" in err
    assert len(err.decode().strip().splitlines()) == 1, err  # one short message
    assert not partial_files(out)
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    assert 0 < len(written) < N_PAGES
    rerun = cli(str(src), "-o", str(out), "-q")  # a rerun finishes the job
    assert rerun.returncode == 0, rerun.stderr
    assert len(list(out.iterdir())) == N_PAGES
    for name, content in written.items():  # what was there was complete
        assert (out / name).read_bytes() == content, name


def test_kill_9_then_rerun_finishes(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    _corpus(src)
    work_parent = tmp_path / "tmp"
    work_parent.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cleaner", str(src), "-o", str(out), "-q", "-j", "1"],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(work_parent)},
    )
    _wait_for_outputs(out, proc)
    proc.kill()
    proc.wait()
    assert list(work_parent.glob("cleaner-*"))  # the killed run's work folder stays behind
    # what a kill during a write leaves: a temporary file beside its target
    (out / ".p00007.txt.0badf00d.part").write_text("half a page")
    rerun = subprocess.run(
        [sys.executable, "-m", "cleaner", str(src), "-o", str(out), "-j", "1"],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(work_parent)},
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert re.search(rb"removed \d+ partial file\(s\)", rerun.stderr)
    assert b"removed 1 work folder(s) left by a killed run" in rerun.stderr
    assert not partial_files(out)
    assert not list(work_parent.glob("cleaner-*"))
    assert len(list(out.iterdir())) == N_PAGES


def test_worker_processes_end_quietly(tmp_path: Path) -> None:
    """A normal run with a process pool: its workers end without printing anything."""
    src = tmp_path / "in"
    _corpus(src, 200)
    done = cli(str(src), "-o", str(tmp_path / "out"), "-q", "-j", "2")
    assert done.returncode == 0
    assert done.stderr == b""


# -- idempotence -----------------------------------------------------------------------------


def test_same_input_twice_is_byte_identical_and_idempotent(tmp_path: Path, seeds: Path) -> None:
    (seeds / "page.html").write_text(f"<html><body><h1>Title</h1><p>{BODY}</p></body></html>")
    reports = []
    for run in ("a", "b"):
        report = tmp_path / f"{run}.json"
        clean_corpus([seeds], tmp_path / run, report=report)
        text = report.read_text(encoding="utf-8")
        reports.append(re.sub(r'"timings": \{[^}]*\}', "", text))
    assert reports[0] == reports[1]
    assert '"timings"' not in reports[0]
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # cleaning the cleaned folder changes nothing
    clean_corpus([tmp_path / "a"], tmp_path / "again")
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()


# -- security --------------------------------------------------------------------------------


def test_record_ids_and_names_cannot_escape_the_output_folder(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": "../../etc/x", "text": BODY}, {"id": "/abs/path", "text": BODY}]
    (src / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    warc = warc_record("../../etc/passwd", f"<html><body><p>{BODY}</p></body></html>".encode())
    (src / "crawl.warc").write_bytes(warc)
    (src / "..\\..\\evil.txt").write_text(BODY)  # a legal file name on POSIX
    clean_corpus([src], tmp_path / "out")
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert all(p.parts[0] in ("in", "out") for p in written), written
    assert (tmp_path / "out" / "evil.txt").exists()
    for hostile in ("../../etc/x", "/abs/path", "..\\..\\x", "a/../../../x", "", ".", "~/x"):
        root = tmp_path / "out"
        assert safe_join(root, hostile).resolve().is_relative_to(root.resolve())


def test_never_fetches_urls_nor_runs_page_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []

    def refuse(what: str):  # type: ignore[no-untyped-def]
        def call(*args: object, **kw: object) -> None:
            attempts.append(f"{what} {args!r}")
            raise AssertionError(f"{what} during a run")

        return call

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("Popen"))
    monkeypatch.setattr(os, "system", refuse("system"))
    src = tmp_path / "in"
    src.mkdir()
    marker = tmp_path / "pwned"
    page = f"""<html><head><meta http-equiv="refresh" content="0; url=http://example.com/">
<link rel="stylesheet" href="http://example.com/a.css"><base href="http://example.com/">
<script src="http://example.com/a.js"></script>
<script>fetch("http://example.com/"); require("fs").writeFileSync("{marker}", "x")</script>
</head><body><iframe src="http://example.com/frame"></iframe>
<img src="http://example.com/a.png"><p>{BODY}</p>
<a href="http://example.com/next">next page</a><?php system("touch {marker}"); ?>
</body></html>"""
    (src / "page.html").write_text(page)
    walk = "We walked along the old road to the lighthouse, where the keeper showed us the lamp."
    (src / "links.txt").write_text(f"http://example.com/\n[link](http://example.com/x)\n{walk}\n")
    row = {"id": "http://example.com/", "url": "http://example.com/", "html": page}
    river = "The river rose all through March and flooded the lower streets twice in a week."
    bakery = "A bakery opened on the square, and its owners hope to sell bread to the schools."
    row["html"] = page.replace(BODY, river)
    (src / "r.jsonl").write_text(json.dumps(row) + "\n")
    (src / "crawl.warc").write_bytes(
        warc_record("http://example.com/", page.replace(BODY, bakery).encode())
    )
    outcome = clean_corpus([src], tmp_path / "out", jobs=1, record_keys=RecordKeys(html="html"))
    assert outcome.summary.totals["files_failed"] == 0
    assert attempts == [] and not marker.exists()
    assert BODY in (tmp_path / "out" / "page.txt").read_text()
    assert "fetch(" not in (tmp_path / "out" / "page.txt").read_text()


def test_an_output_folder_made_by_another_worker_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers writing the first pages of one folder: one finds the folder missing, the
    other makes it before the first looks again. The write must go through."""
    import cleaner.io.writers as writers

    target = tmp_path / "site" / "a.txt"
    real_open = os.open
    calls = {"n": 0}

    def racing_open(path: Any, flags: int, mode: int = 0o777) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            target.parent.mkdir()  # the other worker, just after this open failed
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(writers.os, "open", racing_open)
    writers.atomic_write_text(target, "body\n")
    monkeypatch.undo()
    assert target.read_text() == "body\n" and os.listdir(target.parent) == ["a.txt"]


# == Reliability II: one section per failure found by trying the tool as an adversary ==========

# -- 0. a fresh clone passes its own tests ----------------------------------------------------


def test_tests_need_nothing_beside_the_project(tmp_path: Path) -> None:
    """A copy of the project with nothing beside it (no ../shared): the tests that build
    corpora pass, those that measure quality on the evaluation sets skip, saying why."""
    import shutil

    alone = tmp_path / "alone" / "cleaner"
    for part in ("tests", "seeds", "benchmarks"):
        shutil.copytree(ROOT / part, alone / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", alone)
    nodes = ["tests/test_order.py::test_rerun_is_byte_identical", "tests/test_quality.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-o", "addopts=",
         *nodes],
        capture_output=True, text=True, cwd=alone, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "1 passed" in proc.stdout
    assert "evaluation data (../shared/eval) not present" in proc.stdout


def test_property_tests_have_no_time_limit() -> None:
    """A fresh clone on a busy machine: an example that takes long (the first one pays for
    imports) must not fail a property test (hypothesis's default limit is 200 ms)."""
    from hypothesis import settings

    assert settings.default.deadline is None


# -- 1. inputs are never overwritten ----------------------------------------------------------


def _refused(result: Any, *names: object) -> None:
    """Exit 2 with one clear line that names each of ``names``."""
    assert result.exit_code == EXIT_USAGE, result.output
    assert "Traceback" not in result.output
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error")]
    for name in names:
        assert str(name) in line, line


def _input_folder(root: Path) -> dict[str, bytes]:
    """A folder of two pages and a JSONL.gz file; returns its files' bytes."""
    import gzip

    root.mkdir(parents=True)
    (root / "page.txt").write_text(BODY + "\n")
    (root / "other.txt").write_text(BODY + " Another page.\n")
    (root / "c.jsonl.gz").write_bytes(gzip.compress(json.dumps({"id": 1, "text": BODY}).encode()))
    return {p.name: p.read_bytes() for p in root.iterdir()}


def _unchanged(root: Path, before: dict[str, bytes]) -> None:
    assert {p.name: p.read_bytes() for p in root.iterdir()} == before


def test_an_output_over_an_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "d"
    before = _input_folder(d)
    runner = CliRunner()
    monkeypatch.chdir(d)  # cd d && clean c.jsonl.gz -o .
    _refused(runner.invoke(app, ["c.jsonl.gz", "-o", "."], env=ENV), "c.jsonl.gz")
    monkeypatch.chdir(tmp_path)
    _refused(runner.invoke(app, ["d/page.txt", "-o", "d"], env=ENV), "d/page.txt")
    # a URL naming the input folder, or a folder around it
    for out in (d.as_uri(), "file://d", "file://d/./", tmp_path.as_uri()):
        _refused(runner.invoke(app, ["d", "-o", out], env=ENV), out)
    _unchanged(d, before)


def test_a_report_or_index_over_an_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "d"
    before = _input_folder(d)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    cases = [
        (["d", "-o", "out", "--report", "d/page.txt"], "d/page.txt"),
        (["d/page.txt", "-o", "out", "--report", "d/page.txt"], "d/page.txt"),
        # inside an input folder: the next run would read it
        (["d", "-o", "out", "--report", "d/report.json"], "d/report.json"),
        (["d", "-o", "out", "--index", "d/page.txt"], "d/page.txt"),
        (["d", "-o", "out", "--index", "d"], "d"),
        (["d", "-o", "out", "--index", "d/idx"], "d/idx"),
        (["d/page.txt", "-o", "out", "--index", "."], "--index ."),
    ]
    for args, name in cases:
        _refused(runner.invoke(app, args, env=ENV), name)
    assert not (tmp_path / "out").exists()
    _unchanged(d, before)
    # a report in an output folder inside the input is never read: allowed
    ok = runner.invoke(app, ["d", "-o", "d/out", "--report", "d/out/r.json", "-q"], env=ENV)
    assert ok.exit_code == 0, ok.output
    assert json.loads((d / "out" / "r.json").read_text())["totals"]["files"] == 3


def test_symlinks_that_alias_an_input_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "d"
    before = _input_folder(d)
    e = tmp_path / "e"
    e.mkdir()
    (e / "x.txt").write_text(BODY + " Elsewhere.\n")
    monkeypatch.chdir(tmp_path)
    os.symlink(d / "page.txt", tmp_path / "alias.txt")
    os.symlink(d, tmp_path / "alias")
    (tmp_path / "out").mkdir()
    os.symlink(d, tmp_path / "out" / "d")  # outputs of input d would go through it into d
    runner = CliRunner()
    _refused(runner.invoke(app, ["d", "-o", "o2", "--report", "alias.txt"], env=ENV), "alias.txt")
    _refused(runner.invoke(app, ["d", "-o", "o2", "--index", "alias/i"], env=ENV), "alias/i")
    _refused(runner.invoke(app, ["alias.txt", "-o", "alias"], env=ENV), "alias.txt")
    _refused(runner.invoke(app, ["d", "e", "-o", "out"], env=ENV), "input d")
    _unchanged(d, before)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["d"]


def test_a_report_that_is_an_output_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "d"
    _input_folder(d)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, [str(d), "-o", str(out), "--report", str(out / "page.txt")], env=ENV
    )
    _refused(result, out / "page.txt", d / "page.txt")


# -- 2. Parquet output: a fixed schema, no crash, no silent loss ------------------------------


def _prose_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` records of distinct made-up prose (no two near-duplicates of each other)."""
    import random

    rnd = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ra", "ven", "tos", "bel", "dur", "sa", "pin", "gor", "el"]
    vocab = sorted({"".join(rnd.choices(syllables, k=3)) for _ in range(3000)})
    rows = []
    for i in range(n):
        lines = [
            " ".join(["the", *rnd.sample(vocab, 5), "and", "of", *rnd.sample(vocab, 5)]) + "."
            for _ in range(3)
        ]
        rows.append({"id": f"r{i:05d}", "text": "\n".join(lines)})
    return rows


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _parquet_rows(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def test_parquet_output_late_duplicate_field_and_reason(tmp_path: Path) -> None:
    """What first appears after the first 1,024 records (a near-duplicate, a field, a
    reason) is written, with cleaner's own fields typed the same in every file."""
    rows = _prose_rows(1100)
    rows[1060]["text"] = rows[1061]["text"]  # the first duplicate pair, after row 1,024
    rows[1070]["extra"] = "late field"
    rows[1080]["text"] += "\n2021-03-04 12:30"  # a reason first seen late
    _write_jsonl(tmp_path / "in" / "r.jsonl", rows)
    out = tmp_path / "out"
    done = cli(str(tmp_path / "in"), "-o", str(out), "--output-format", "parquet", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    got = _parquet_rows(out / "r.parquet")
    assert [g["id"] for g in got] == [r["id"] for r in rows]
    meta = [g["cleaner"] for g in got]
    assert meta[1060]["duplicate_cluster"] == meta[1061]["duplicate_cluster"] is not None
    assert meta[0]["duplicate_cluster"] is None
    assert got[1070]["extra"] == "late field" and got[0]["extra"] is None
    assert meta[1080]["reasons"]["datetime"] == 1
    assert meta[0]["reasons"]["datetime"] == 0
    import pyarrow.parquet as pq

    schema = pq.read_schema(out / "r.parquet")
    empty = tmp_path / "in2" / "none.jsonl"
    _write_jsonl(empty, rows[:1])
    clean_corpus([empty.parent], tmp_path / "out2", config=Config(output_format="parquet"))
    assert pq.read_schema(tmp_path / "out2" / "none.parquet").field("cleaner") == schema.field(
        "cleaner"
    )


def test_parquet_output_mixed_field_types(tmp_path: Path) -> None:
    """A field int in one record and text in another (in one batch or across batches), an
    empty object, a huge number: written as text, never a traceback or a lost record."""
    rows = _prose_rows(1100)
    rows[0]["n"] = 1
    rows[1]["n"] = "one"
    rows[2]["meta"] = {}
    rows[3]["big"] = 2**70
    for row in rows[:1024]:
        row["late"] = 5
    rows[1050]["late"] = "five"
    rows[1051]["late"] = [1, 2]
    rows[4]["nested"] = {"a": 1}
    rows[1090]["nested"] = {"b": "x"}
    _write_jsonl(tmp_path / "in" / "r.jsonl", rows)
    out = tmp_path / "out"
    done = cli(str(tmp_path / "in"), "-o", str(out), "--output-format", "parquet", "-q")
    assert done.returncode == 0, done.stderr
    got = _parquet_rows(out / "r.parquet")
    assert len(got) == len(rows)
    assert [g["n"] for g in got[:3]] == ["1", "one", None]
    assert got[2]["meta"] == "{}" and got[3]["big"] == str(2**70)
    assert got[0]["late"] == "5" and got[1050]["late"] == "five" and got[1051]["late"] == "[1, 2]"
    assert got[4]["nested"] == {"a": 1, "b": None} and got[1090]["nested"] == {"a": None, "b": "x"}


def test_parquet_input_without_its_text_column(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in"
    src.mkdir()
    pq.write_table(pa.table({"id": ["a", "b"], "body": [BODY, BODY]}), src / "p.parquet")
    (src / "page.txt").write_text(BODY)
    report = tmp_path / "report.json"
    done = cli(str(src), "-o", str(tmp_path / "out"), "-q", "--report", str(report))
    assert done.returncode == EXIT_UNREADABLE, done.stderr
    assert b"Traceback" not in done.stderr
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "p.parquet" in lines[0] and "'text'" in lines[0], lines
    errors = json.loads(report.read_text())["errors"]
    assert [e["path"] for e in errors] == ["p.parquet"]
    assert (tmp_path / "out" / "page.txt").read_text() == BODY + "\n"
    # the same file read through --text-key body is fine
    done = cli(str(src), "-o", str(tmp_path / "out2"), "-q", "--text-key", "body")
    assert done.returncode == 0, done.stderr


# -- 3. missing input is counted and named ----------------------------------------------------


def _unreadable_run(tmp_path: Path, src: Path, *extra: str) -> Any:
    """The CLI in this process (so that a test can make a folder unlistable even as root)."""
    args = [str(src), "-o", str(tmp_path / "out"), "-j", "1", "--report", str(tmp_path / "r.json")]
    return CliRunner().invoke(app, [*args, *extra], env=ENV)


def test_an_unlistable_subfolder_is_named_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    (src / "locked").mkdir(parents=True)
    (src / "locked" / "hidden.txt").write_text(BODY)
    (src / "open.txt").write_text(BODY)
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if (
            isinstance(path, (str, Path)) and Path(path).name == "locked"
        ):  # what a folder without read permission gives
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = _unreadable_run(tmp_path, src)
    assert result.exit_code == EXIT_UNREADABLE, result.output
    assert f"error: {src / 'locked'}: cannot be listed: Permission denied" in result.output
    errors = json.loads((tmp_path / "r.json").read_text())["errors"]
    assert errors == [{"path": str(src / "locked"), "error": "cannot be listed: Permission denied"}]
    assert (tmp_path / "out" / "open.txt").exists()
    caught = _unreadable_run(tmp_path, src, "--fail-on", "unreadable=0")
    assert caught.exit_code == EXIT_FAIL_ON, caught.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists folders whatever their mode")
def test_an_unreadable_subfolder(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "locked").mkdir(parents=True)
    (src / "locked" / "hidden.txt").write_text(BODY)
    (src / "open.txt").write_text(BODY)
    (src / "locked").chmod(0)
    try:
        done = cli(str(src), "-o", str(tmp_path / "out"), "-q")
    finally:
        (src / "locked").chmod(0o755)
    assert done.returncode == EXIT_UNREADABLE
    assert b"locked: cannot be listed" in done.stderr


def test_symlinked_folders_are_followed_once(tmp_path: Path) -> None:
    src, outside = tmp_path / "in", tmp_path / "elsewhere"
    (src / "real").mkdir(parents=True)
    (src / "real" / "a.txt").write_text(BODY)
    outside.mkdir()
    (outside / "b.txt").write_text(BODY.replace("harbour", "market"))
    os.symlink(outside, src / "linked")  # followed
    os.symlink(outside, src / "linked-again")  # the same folder: read once
    os.symlink(outside, outside / "loop")  # a loop out there
    os.symlink(src / "real", src / "alias")  # a folder of the input: read where it is
    os.symlink(src, src / "real" / "up")  # a loop back to the input
    outcome = clean_corpus([src], tmp_path / "out")
    written = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")
    )
    assert written == ["linked", "linked/b.txt", "real", "real/a.txt"]
    notes = "\n".join(outcome.notices)
    for skipped in ("linked-again", "linked/loop", "alias", "real/up"):
        assert f"{src / skipped}:" in notes, (skipped, notes)
    assert outcome.summary.totals["files_failed"] == 0


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2 + 7]  # off any boundary of equal records


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_a_warc_cut_in_half(tmp_path: Path, name: str) -> None:
    import gzip

    pages = [
        warc_record(
            f"http://example.com/{i}", f"<html><body><p>{i} {BODY}</p></body></html>".encode()
        )
        for i in range(10)
    ]
    if name.endswith(".gz"):
        data = b"".join(gzip.compress(page) for page in pages)
    else:
        data = b"".join(pages)
    src = tmp_path / "in"
    src.mkdir()
    (src / name).write_bytes(_cut(data))
    (src / "page.txt").write_text(BODY)
    done = cli(str(src), "-o", str(tmp_path / "out"), "-q", "--report", str(tmp_path / "r.json"))
    assert done.returncode == EXIT_UNREADABLE, done.stderr
    (line,) = done.stderr.decode().splitlines()
    assert line.startswith(f"error: {name}: ") and "cut short" in line, line
    assert [e["path"] for e in json.loads((tmp_path / "r.json").read_text())["errors"]] == [name]
    out = tmp_path / "out" / name.replace("warc", "jsonl")
    raw = gzip.decompress(out.read_bytes()) if name.endswith(".gz") else out.read_bytes()
    ids = [json.loads(line)["id"] for line in raw.decode().splitlines()]
    assert ids == [f"http://example.com/{i}" for i in range(5)]  # the whole records before the cut
    caught = cli(str(src), "-o", str(tmp_path / "out2"), "-q", "--fail-on", "unreadable=0")
    assert caught.returncode == EXIT_FAIL_ON


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_a_compressed_jsonl_cut_in_half(tmp_path: Path, compression: str) -> None:
    import gzip

    import zstandard

    rows = _prose_rows(1500)
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    if compression == "gz":
        packed = gzip.compress(data)
    else:
        packed = zstandard.ZstdCompressor().compress(data)
    src = tmp_path / "in"
    src.mkdir()
    name = f"r.jsonl.{compression}"
    (src / name).write_bytes(_cut(packed))
    done = cli(str(src), "-o", str(tmp_path / "out"), "-q")
    assert done.returncode == EXIT_UNREADABLE, done.stderr
    (line,) = done.stderr.decode().splitlines()
    assert line.startswith(f"error: {name}: unreadable jsonl data: ") and "EOFError" not in line
    out = tmp_path / "out" / name
    raw = out.read_bytes()
    text = (
        gzip.decompress(raw)
        if compression == "gz"
        else zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    )
    ids = [json.loads(line)["id"] for line in text.decode().splitlines()]
    assert 0 < len(ids) < len(rows)
    assert ids == [r["id"] for r in rows[: len(ids)]]  # the records before the cut


# -- 4. a damaged --index is refused -----------------------------------------------------------


def indexed(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A corpus, an index built from it, and the index's current version folder."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        (src / f"p{i}.txt").write_text(f"Home | News | Contact\nPage {i}. {BODY}\n")
    index = tmp_path / "index"
    clean_corpus([src], None, config=Config(language="en"), index=index)
    return src, index, index / (index / "CURRENT").read_text().strip()


def refused(tmp_path: Path, src: Path, index: Path, *names: str) -> str:
    """Run over ``src`` with the damaged ``index``: exit 2, one line naming the file, no
    output and the index as it was."""
    before = sorted((p.name, p.stat().st_size) for p in index.rglob("*"))
    out = tmp_path / "out"
    args = [str(src), "-o", str(out), "--index", str(index), "--lang", "en"]
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == EXIT_USAGE, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: index"), result.output
    assert any(name in lines[0] for name in names), lines[0]
    assert not out.exists()  # refused before any work
    assert sorted((p.name, p.stat().st_size) for p in index.rglob("*")) == before
    return lines[0]


def test_index_with_truncated_page_keys_is_refused(tmp_path: Path) -> None:
    src, index, folder = indexed(tmp_path)
    docs = folder / "docs.u64"
    docs.write_bytes(docs.read_bytes()[:-80])
    assert "bytes, the manifest says" in refused(tmp_path, src, index, "docs.u64")


def test_index_with_changed_bytes_is_refused(tmp_path: Path) -> None:
    src, index, folder = indexed(tmp_path)
    sigs = folder / "sigs.npy"
    data = bytearray(sigs.read_bytes())
    data[-5] ^= 0xFF  # same size, one signature value changed
    sigs.write_bytes(bytes(data))
    assert "checksum" in refused(tmp_path, src, index, "sigs.npy")


def test_index_arrays_that_disagree_are_refused(tmp_path: Path) -> None:
    """Arrays each matching the manifest (a writer's mistake, not a torn file) but not each
    other: page lengths that do not add up to the page keys, signatures of the wrong shape."""
    import numpy as np

    from cleaner.index import write_manifest

    src, index, folder = indexed(tmp_path)
    lengths = np.load(folder / "lengths.npy")
    np.save(folder / "lengths.npy", lengths + 1)
    write_manifest(folder)
    assert "adds up to" in refused(tmp_path, src, index, "lengths.npy")
    np.save(folder / "lengths.npy", lengths)
    sigs = np.load(folder / "sigs.npy")
    np.save(folder / "sigs.npy", sigs[:, :16])
    write_manifest(folder)
    assert "(n, 32)" in refused(tmp_path, src, index, "sigs.npy")
    np.save(folder / "sigs.npy", sigs[:-1])
    write_manifest(folder)
    assert "rows for" in refused(tmp_path, src, index, "sigs.npy")


def test_index_documents_and_keys_that_disagree_are_refused(tmp_path: Path) -> None:
    import numpy as np

    from cleaner.index import write_manifest

    src, index, folder = indexed(tmp_path)
    order = np.load(folder / "docorder.npy")
    np.save(folder / "docorder.npy", np.zeros_like(order))
    write_manifest(folder)
    assert "not an order" in refused(tmp_path, src, index, "docorder.npy")
    np.save(folder / "docorder.npy", order[:-1])
    write_manifest(folder)
    assert "meta.json says 6" in refused(tmp_path, src, index, "docorder.npy")
    np.save(folder / "docorder.npy", order)
    names = (folder / "docnames.jsonl").read_text()
    (folder / "docnames.jsonl").write_text(names + names)
    write_manifest(folder)
    assert "12 pages" in refused(tmp_path, src, index, "docnames.jsonl")
    (folder / "docnames.jsonl").write_text(names)
    keys = np.load(folder / "keys.npy")
    np.save(folder / "keys.npy", keys[::-1])
    write_manifest(folder)
    assert "not sorted" in refused(tmp_path, src, index, "keys.npy")


def test_index_of_wrong_shape_against_manifest_is_refused(tmp_path: Path) -> None:
    import numpy as np

    src, index, folder = indexed(tmp_path)
    sigs = np.load(folder / "sigs.npy")
    np.save(folder / "sigs.npy", sigs.reshape(-1, 16))  # same bytes, another shape
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["sigs.npy"]["bytes"] = (folder / "sigs.npy").stat().st_size
    from cleaner.index import _file_digest

    manifest["files"]["sigs.npy"]["xxh3_64"] = _file_digest(folder / "sigs.npy")[0]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert "the manifest says <u4" in refused(tmp_path, src, index, "sigs.npy")


def test_index_without_manifest_is_refused(tmp_path: Path) -> None:
    """An index written before manifests existed (format 2) cannot be verified: refused
    with what to do; so is a version whose manifest is missing."""
    src, index, folder = indexed(tmp_path)
    (folder / "manifest.json").unlink()
    assert "no manifest" in refused(tmp_path, src, index, str(folder))
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "format": 2}))
    assert "older cleaner (format 2" in refused(tmp_path, src, index, str(folder))
    (index / "CURRENT").write_text("../../elsewhere\n")
    assert "names no version" in refused(tmp_path, src, index, "CURRENT")


def test_intact_index_is_used_and_verifiable(tmp_path: Path) -> None:
    from cleaner.index import open_index

    src, index, _ = indexed(tmp_path)
    clean_corpus([src], tmp_path / "out", config=Config(language="en"), index=index)
    stored = open_index(index, Config(language="en"))
    assert stored is not None and stored.version == "v000002" and stored.n_docs == 12


# -- 5. --index and document dedup -------------------------------------------------------------


def article(seed: int, sentences: int = 12) -> list[str]:
    """Lines of a made-up news article: paragraphs of distinct sentences."""
    import random

    rng = random.Random(seed)
    words = "council farmer museum river bridge harbour school market station winter summer"
    words += " valley forest village mayor teacher painter survey railway festival library"
    pick = words.split()
    out = [
        f"The {rng.choice(pick)} and the {rng.choice(pick)} met the {rng.choice(pick)} "
        f"near the {rng.choice(pick)} on day {seed * 100 + k}, and they talked about the "
        f"{rng.choice(pick)} for a long time."
        for k in range(sentences)
    ]
    return [" ".join(out[i : i + 3]) for i in range(0, len(out), 3)]


def dedup_corpus(root: Path) -> dict[str, str]:
    """Pages named so that one run over all of them and two batches (``a``: names ending in
    0, ``b``: in 1) agree: exact copies, a longer and a shorter near-copy across batches, a
    copy pair inside the later batch, and pages without a copy."""
    pages = {
        "d0.txt": article(1),
        "d1.txt": article(1),  # exact copy, later batch, after its original in path order
        "e0.txt": article(2),
        "e1.txt": [*article(2), "One more paragraph was added to the story on the next day."],
        "f0.txt": article(3, 24),
        "f1.txt": article(3, 24)[:-1],  # shorter near-copy in the later batch
        "g01.txt": article(4),
        "g11.txt": article(4),  # a copy pair inside the later batch
        **{f"u{i}{i % 2}.txt": article(10 + i) for i in range(6)},
    }
    root.mkdir(parents=True)
    for name, lines in pages.items():
        (root / name).write_text("Home | News | Contact\n" + "\n".join(lines) + "\n")
    return {name: "a" if name[-5] == "0" else "b" for name in pages}


def doc_decisions(report: Path) -> dict[str, tuple]:
    files = json.loads(report.read_text(encoding="utf-8"))["files"]
    return {
        f["path"]: (
            [(ln["keep"], ln["reason"], ln["group"]) for ln in f["lines"]],
            f["duplicate"],
        )
        for f in files
    }


def split_corpus(tmp_path: Path) -> tuple[Path, Path, Path]:
    import shutil

    whole = tmp_path / "whole"
    batch = dedup_corpus(whole)
    for name, part in batch.items():
        (tmp_path / part).mkdir(exist_ok=True)
        shutil.copy(whole / name, tmp_path / part / name)
    return whole, tmp_path / "a", tmp_path / "b"


@pytest.mark.parametrize("first_mode", ["drop", "off"])
def test_index_drops_copies_of_earlier_pages_as_one_run(tmp_path: Path, first_mode: str) -> None:
    """Two batches through an index decide the later batch's pages, and write its outputs,
    as one run over both; so with an earlier batch run with --dedup-docs off."""
    whole, a, b = split_corpus(tmp_path)
    config = Config(language="en", dedup_docs="drop")
    clean_corpus([whole], tmp_path / "out-whole", config=config, report=tmp_path / "w.json")
    want = doc_decisions(tmp_path / "w.json")
    dropped = {name for name, (_, dup) in want.items() if dup and dup["dropped"]}
    assert dropped == {"d1.txt", "e0.txt", "f1.txt", "g11.txt"}  # the corpus tests each case
    index = tmp_path / "index"
    first = Config(language="en", dedup_docs=first_mode)  # type: ignore[arg-type]
    clean_corpus([a], tmp_path / "out-a", config=first, index=index)
    outcome = clean_corpus(
        [b], tmp_path / "out-b", config=config, index=index, report=tmp_path / "b.json"
    )
    got = doc_decisions(tmp_path / "b.json")
    assert got == {name: want[name] for name in got}
    for name in got:
        mine, theirs = tmp_path / "out-b" / name, tmp_path / "out-whole" / name
        assert mine.exists() == theirs.exists() == (name not in dropped)
        assert not mine.exists() or mine.read_bytes() == theirs.read_bytes()
    # the later batch counts its own duplicates: d1, f1 (earlier representatives), g11
    assert outcome.summary.totals["duplicate_docs"] == 3
    reps = {c["representative"] for c in outcome.summary.duplicate_docs}
    assert reps == {"d0.txt", "f0.txt", "g01.txt"}  # d0, f0: named as the earlier batch did


def test_index_exact_copy_of_an_earlier_page_goes(tmp_path: Path) -> None:
    """Between exact copies, one run keeps the first in path order; with an index, the copy
    cleaned in an earlier batch is kept (its output exists) and the later one goes, even
    when its name sorts first."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    text = "Home | News\n" + "\n".join(article(7)) + "\n"
    (a / "z.txt").write_text(text)
    (a / "other.txt").write_text("Home | News\n" + "\n".join(article(8)) + "\n")
    (b / "a.txt").write_text(text)
    config = Config(language="en", dedup_docs="drop")
    index = tmp_path / "index"
    clean_corpus([a], tmp_path / "out-a", config=config, index=index)
    report = tmp_path / "b.json"
    clean_corpus([b], tmp_path / "out-b", config=config, index=index, report=report)
    dup = doc_decisions(report)["a.txt"][1]
    assert dup is not None and dup["dropped"] and not dup["representative"]
    assert not (tmp_path / "out-b" / "a.txt").exists()
    # flagged, not dropped: written, with its earlier copy named
    flag = clean_corpus([b], tmp_path / "out-c", config=Config(language="en"), index=index)
    assert (tmp_path / "out-c" / "a.txt").exists()
    assert [(c["representative"], c["files"]) for c in flag.summary.duplicate_docs] == [
        ("z.txt", ["z.txt", "a.txt"])
    ]


# -- 6. terminal escape injection --------------------------------------------------------------


HOSTILE = "x\x1b]0;PWNED\x07\x1b[2J\u202e\x9b1m"  # retitle, clear, reorder, C1 CSI


def _hostile_corpus(src: Path) -> None:
    """Record ids, a file name and a repeated line that carry terminal controls and rich
    markup; an unreadable record file whose name carries them too."""
    src.mkdir()
    records = [
        {"id": f"{HOSTILE}{i}", "text": f"{BODY} Page {i}.\n{HOSTILE} [bold red]x[/] :red_heart:"}
        for i in range(4)
    ]
    (src / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (src / f"{HOSTILE}.txt").write_text(f"{BODY}\n{HOSTILE} [bold red]x[/] :red_heart:\n")
    (src / f"bad{HOSTILE}.jsonl").write_bytes(b"\x1f\x8b not gzip, not json {")


def _controls(data: bytes) -> list[str]:
    """The terminal controls in ``data`` (decoded as UTF-8): C0 but newline, DEL, C1, bidi."""
    text = data.decode("utf-8", "replace")
    return re.findall("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


@pytest.mark.parametrize("mode", ["report", "check"])
def test_input_text_reaches_the_terminal_escaped(tmp_path: Path, mode: str) -> None:
    src = tmp_path / "in"
    _hostile_corpus(src)
    args = {
        "report": [str(src), "-o", str(tmp_path / "out"), "--top", "50"],
        "check": [str(src), "--check"],
    }[mode]
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", *args],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **ENV, "COLUMNS": "400"},  # table cells on one line
        check=False,
    )
    assert done.returncode == EXIT_UNREADABLE, done.stderr  # the bad record file
    assert _controls(done.stdout) == [], done.stdout
    assert _controls(done.stderr) == [], done.stderr
    shown = (done.stdout + done.stderr).decode()
    # the error line names the file, its controls shown escaped
    assert "error: " in shown and "bad" + r"x\x1b]0;PWNED\x07\x1b[2J\u202e\x9b1m" in shown
    if mode == "report":
        assert r"a.jsonl#x\x1b]0;PWNED" in shown  # a record id in the files table
        assert "[bold red]x[/] :red_heart:" in shown  # markup and emoji codes shown as written


# -- 7. cleaning a cleaned folder changes nothing ----------------------------------------------


STOP = ["the", "of", "and", "a", "to", "in", "is", "it", "was", "for", "on", "that"]
NOUNS = ["council", "harbour", "walls", "town", "money", "debate", "river", "bridge", "school"]
SENTENCE = st.tuples(
    st.lists(st.sampled_from(STOP + NOUNS), min_size=2, max_size=45),
    st.sampled_from([".", ".", "!", "?", ":", ""]),
).map(lambda t: " ".join(t[0]).capitalize() + t[1])
TITLE = st.lists(st.sampled_from(NOUNS), min_size=1, max_size=6).map(" ".join)
LINE_OF_PAGE = st.one_of(
    SENTENCE,
    SENTENCE,
    TITLE,
    TITLE.map("# {}".format),
    TITLE.map("  * {}".format),
    st.sampled_from(["![](img.png)", "Updated 08:22 16/06", "* * *", "Read more"]),
)


@st.composite
def corpora(draw: st.DrawFn) -> list[list[str]]:
    """A few pages made of their own lines and of lines drawn from a pool that the corpus
    shares (template candidates: menus, headlines, sentences, headings)."""
    pool = draw(st.lists(LINE_OF_PAGE, min_size=1, max_size=8))
    shared = st.sampled_from(pool)
    page = st.lists(st.one_of(LINE_OF_PAGE, shared), max_size=30)
    return draw(st.lists(page, min_size=2, max_size=5))


def test_a_cleaned_corpus_cleaned_again_is_unchanged(tmp_path: Path) -> None:
    """Pages (copied from shared/eval/scrapinghub/text) whose output lost lines on a second
    cleaning: a heading kept for a body line that went, headings kept for template sentences."""
    clean_corpus([ROOT / "tests" / "data" / "reclean"], tmp_path / "once")
    clean_corpus([tmp_path / "once"], tmp_path / "twice")
    names = sorted(p.name for p in (tmp_path / "once").iterdir())
    assert len(names) == 4
    assert names == sorted(p.name for p in (tmp_path / "twice").iterdir())
    for name in names:
        once = (tmp_path / "once" / name).read_text(encoding="utf-8")
        assert (tmp_path / "twice" / name).read_text(encoding="utf-8") == once, name


def test_the_text_output_of_an_html_run_is_a_fixed_point_once_cleaned_as_text(
    tmp_path: Path,
) -> None:
    """Cleaning an HTML run's output is text mode, which applies the shape rules HTML mode
    skips: it may drop lines once, and then changes nothing."""
    src = tmp_path / "in"
    src.mkdir()
    for page in sorted((ROOT / "tests" / "data").glob("*.html")):
        (src / page.name).write_bytes(page.read_bytes())
    clean_corpus([src], tmp_path / "html")
    clean_corpus([tmp_path / "html"], tmp_path / "text")
    clean_corpus([tmp_path / "text"], tmp_path / "again")
    names = sorted(p.name for p in (tmp_path / "text").iterdir())
    assert names == [p.stem + ".txt" for p in sorted(src.iterdir())]
    for name in names:
        kept = (tmp_path / "text" / name).read_text(encoding="utf-8")
        html_kept = (tmp_path / "html" / name).read_text(encoding="utf-8").splitlines()
        assert set(kept.splitlines()) <= set(html_kept)
        assert (tmp_path / "again" / name).read_text(encoding="utf-8") == kept, name


@settings(
    max_examples=int(os.environ.get("CLEANER_PIPELINE_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(corpora())
def test_cleaning_is_idempotent_on_generated_corpora(
    tmp_path: Path, pages: list[list[str]]
) -> None:
    run = tmp_path / str(len(list(tmp_path.iterdir())))
    src = run / "in"
    src.mkdir(parents=True)
    for i, lines in enumerate(pages):
        (src / f"p{i}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(language="en")
    clean_corpus([src], run / "once", config=config)
    clean_corpus([run / "once"], run / "twice", config=config)
    for page in sorted((run / "once").iterdir()):
        again = run / "twice" / page.name
        assert again.read_bytes() == page.read_bytes(), page.name


# -- 8. --lang accepts only languages it knows --------------------------------------------------


@pytest.mark.parametrize(("value", "code"), [("EN", "en"), ("english", "en"), ("Fr", "fr")])
def test_lang_is_normalised(tmp_path: Path, value: str, code: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(BODY + "\n", encoding="utf-8")
    report = tmp_path / "r.json"
    args = [str(src), "--dry-run", "-q", "--lang", value, "--report", str(report)]
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["files"][0]["language"] == code
    assert Config(language=value).language == code


@pytest.mark.parametrize("value", ["xx", "eng", "", "en-US"])
def test_unknown_lang_is_refused(tmp_path: Path, value: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(BODY + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, [str(src), "-o", str(tmp_path / "out"), "--lang", value], env=ENV
    )
    assert result.exit_code == EXIT_USAGE
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"unknown language {value!r}" in lines[0]
    assert "en, eo" in lines[0]  # says what is accepted
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="unknown language"):
        Config(language=value)


def test_lang_codes_are_the_models_and_stoplists() -> None:
    """Every label py3langid's model gives and every jusText stoplist is accepted."""
    import justext
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    from cleaner.heuristics.language import LANGUAGE_CODES, Stoplists, language_code

    classes = set(load_model(MODEL_DIR / MODEL_FILE)[2])
    assert classes <= set(LANGUAGE_CODES)
    for name in justext.get_stoplists():
        if name in (
            "Aromanian",
            "Belarusian_Taraskievica",
            "Bishnupriya_Manipuri",
            "Samogitian",
            "Simple_English",
        ):
            continue  # no code of their own (variants or languages without a 639-1 code)
        assert Stoplists().get(language_code(name)) is not None, name


# -- 9. standard input is streamed, or staged with a clear error --------------------------------


def _stdin_records(n: int) -> bytes:
    return "".join(
        json.dumps({"id": f"r{i}", "url": f"https://example.org/{i}", "text": f"{BODY} Part {i}."})
        + "\n"
        for i in range(n)
    ).encode()


def test_stdin_is_staged_compressed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input is read twice (pass 1, and pass 3 for the other fields), so it is
    staged in the work folder: zstd-compressed, a fraction of its size."""
    import cleaner.runner

    data = _stdin_records(300)
    staged: list[bytes] = []
    real_run = cleaner.runner.run

    def run(sources: list, *args: Any, **kw: Any) -> Any:
        staged.extend(s.path.read_bytes() for s in sources)
        return real_run(sources, *args, **kw)

    monkeypatch.setattr(cleaner.runner, "run", run)
    result = CliRunner().invoke(app, ["-", "-o", "-", "-q", "-j", "1"], input=data, env=ENV)
    assert result.exit_code == 0, result.output
    (content,) = staged
    assert content[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame
    assert len(content) * 5 < len(data)
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in got] == [f"r{i}" for i in range(300)]
    assert all(r["url"].startswith("https://example.org/") for r in got)


def test_full_work_folder_while_staging_stdin_names_it_and_the_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleaner.io.writers as writers

    monkeypatch.setattr(writers, "write_all", _filling_disk(100))
    work = tmp_path / "w"
    data = os.urandom(3 << 20).hex().encode()  # does not compress below the room left
    result = CliRunner().invoke(
        app, ["-", "-o", "-", "-q", "-j", "1", "--work-dir", str(work)], input=data, env=ENV
    )
    assert result.exit_code == EXIT_ERROR
    assert "Traceback" not in result.output
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error")]
    assert "No space left on device" in line and str(work) in line and "stdin" in line
    assert re.search(r"needs more than the [\d,]+ bytes written \([\d,]+ bytes read", line)
    assert "--work-dir" in line
    assert os.listdir(work) == []  # the staging folder is removed


def test_full_work_folder_in_a_pass_names_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleaner.steps.fingerprint

    def full(*args: Any, **kw: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")  # as write(2): no file name

    monkeypatch.setattr(cleaner.steps.fingerprint, "dump_pages", full)
    work = tmp_path / "w"
    result = CliRunner().invoke(
        app, ["-", "-o", "-", "-q", "-j", "1", "--work-dir", str(work)],
        input=_stdin_records(10), env=ENV,
    )  # fmt: skip
    assert result.exit_code == EXIT_ERROR
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error")]
    assert "No space left on device" in line and str(work) in line
    assert f"standard input ({len(_stdin_records(10)):,} bytes read)" in line
    assert "Traceback" not in result.output


def test_no_room_for_the_language_model_is_not_an_unreadable_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """py3langid unpacks its model to a temporary file: a full TMPDIR is a clear error
    that names it, not a record file reported unreadable."""
    import tempfile

    import py3langid.modelio

    def load_model(path: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(py3langid.modelio, "load_model", load_model)
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path / "cache"))  # no unpacked model there
    src = tmp_path / "in"
    src.mkdir()
    (src / "r.jsonl").write_bytes(_stdin_records(3))
    result = CliRunner().invoke(app, [str(src), "-o", str(tmp_path / "out"), "-j", "1"], env=ENV)
    assert result.exit_code == EXIT_ERROR, result.output
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error")]
    assert "language model" in line and tempfile.gettempdir() in line
    assert "unreadable" not in result.output


# -- 10. smaller cases ---------------------------------------------------------------------------


def test_run_folders_of_other_runs_are_removed_or_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupted run's folder in --work-dir: removed when the same command runs again
    with other inputs (it can never be resumed), named when another command runs; folders
    that are not cleaner's are never touched."""
    from cleaner import pipeline

    work = tmp_path / "work"
    a, b = tmp_path / "a", tmp_path / "b"
    _corpus(a, 40)
    _corpus(b, 40)
    real_decide = pipeline.decide_shard_task

    def interrupted(ctx: Any, item: Any) -> Any:
        raise KeyboardInterrupt  # after pass 1: the run folder holds its shard files

    monkeypatch.setattr(pipeline, "decide_shard_task", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clean_corpus([a], tmp_path / "out-a", work_dir=work)
    monkeypatch.setattr(pipeline, "decide_shard_task", real_decide)
    (left,) = work.glob("run-*")
    foreign = [work / "run-0123456789abcdef", work / "notes"]  # not cleaner's run folders
    for folder in foreign:
        folder.mkdir()
        (folder / "keep.txt").write_text("mine")

    other = clean_corpus([b], tmp_path / "out-b", work_dir=work)  # another command
    (note,) = [n for n in other.notices if "other interrupted runs" in n]
    assert f"1 folder(s) of other interrupted runs ({left.name})" in note
    assert left.exists()

    (a / "p00000.txt").write_text(f"{BODY} Changed.\n")  # the first command, its input changed
    again = clean_corpus([a], tmp_path / "out-a", work_dir=work)
    assert any(
        "removed 1 work folder(s) of an earlier run of this command" in n for n in again.notices
    )
    assert not left.exists()
    assert sorted(p.name for p in work.iterdir()) == ["notes", "run-0123456789abcdef"]
    assert all((f / "keep.txt").read_text() == "mine" for f in foreign)


OTHER = "Another page entirely, with other words in it about the weather and the sea."


@pytest.mark.parametrize("how", ["folder", "files", "files-reversed"])
def test_an_html_page_beside_a_text_page_of_its_output_name(tmp_path: Path, how: str) -> None:
    """x.html and x.txt are both cleaned: the text page keeps x.txt, the HTML page's output
    keeps its whole name (x.html.txt), whichever is met first."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "x.html").write_text(f"<html><body><p>{BODY}</p></body></html>")
    (src / "x.txt").write_text(OTHER + "\n")
    inputs = {
        "folder": [src],
        "files": [src / "x.html", src / "x.txt"],
        "files-reversed": [src / "x.txt", src / "x.html"],
    }[how]
    report = tmp_path / "report.json"
    outcome = clean_corpus(inputs, tmp_path / "out", report=report)
    assert outcome.summary.errors == []
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["x.html.txt", "x.txt"]
    assert (out / "x.txt").read_text() == OTHER + "\n"
    assert (out / "x.html.txt").read_text() == BODY + "\n"
    data = json.loads(report.read_text())
    assert {f["path"]: f["output"] for f in data["files"]} == {
        "x.html": "x.html.txt",
        "x.txt": "x.txt",
    }


def test_quiet_keeps_rays_log_lines_off_stderr(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    src = tmp_path / "in"
    _corpus(src, 20)
    done = cli(str(src), "-o", str(tmp_path / "out"), "-q", "--engine", "ray")
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""  # Ray printed its start-up lines (INFO, WARNING) here
    assert len(list((tmp_path / "out").iterdir())) == 20


def test_errors_are_listed_in_record_order(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    with (src / "a.jsonl").open("w") as handle:
        for i in range(1, 13):
            good = json.dumps({"id": f"r{i}", "text": BODY})
            handle.write("{broken\n" if i in (1, 2, 10, 11) else good + "\n")
    done = CliRunner().invoke(app, [str(src), "--check", "-q"])
    assert done.exit_code == EXIT_UNREADABLE
    named = re.findall(r"^error: (a\.jsonl#\d+):", done.output, re.MULTILINE)
    assert named == ["a.jsonl#1", "a.jsonl#2", "a.jsonl#10", "a.jsonl#11"]  # not #1, #10, #11, #2
    data = report_of(tmp_path, src)
    assert [e["path"] for e in data["errors"]] == named


def test_a_fail_on_rule_that_can_never_fail_is_warned_about(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _corpus(src, 4)  # four copies of one page but for a number: near-duplicates
    args = [str(src), "--check", "-q", "--fail-on", "duplicate-docs=0"]
    off = CliRunner().invoke(app, [*args, "--dedup-docs", "off"])
    assert off.exit_code == 0, off.output
    assert "warning: --fail-on duplicate-docs=0 can never fail with --dedup-docs off" in off.output
    flagged = CliRunner().invoke(app, args)  # the same rule where documents are compared
    assert flagged.exit_code == 4 and "warning" not in flagged.output


@pytest.mark.parametrize("what", ["records", "report", "check", "records-and-report"])
def test_a_closed_standard_output_ends_the_run_quietly(tmp_path: Path, what: str) -> None:
    """``clean - -o - | head -n1``: the reader leaves early; the run ends with 0 and says
    nothing (here the reader has gone before the first write, whatever the output's size)."""
    src = tmp_path / "in"
    _corpus(src, 300)
    records = tmp_path / "in.jsonl"
    with records.open("w") as handle:
        for i in range(2000):  # about 4 MB of cleaned records, far above a pipe's buffer
            handle.write(json.dumps({"id": str(i), "text": f"{BODY} Page {i}.\n" * 10}) + "\n")
    args = {
        "records": ["-", "-o", "-", "-q"],  # (the report would go to stderr)
        "report": [str(src), "-o", str(tmp_path / "out"), "--top", "1000"],
        "check": [str(src), "--check"],
        "records-and-report": ["-", "-o", "-"],  # clean - -o - 2>&1 | head -n1
    }[what]
    read_end, write_end = os.pipe()
    os.close(read_end)  # head -n1 after its line
    with records.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "cleaner", *args],
            stdin=stdin,
            stdout=write_end,
            stderr=write_end if what == "records-and-report" else subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, **ENV},
            check=False,
        )
    os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert not done.stderr


def test_jobs_beyond_the_usable_cpus_are_lowered_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleaner.engines import local

    usable = local.default_jobs()
    started: list[int] = []
    real_init = local.LocalEngine.__init__

    def record(self: local.LocalEngine, jobs: int) -> None:
        started.append(jobs)
        real_init(self, jobs)

    monkeypatch.setattr(local.LocalEngine, "__init__", record)
    src = tmp_path / "in"
    _corpus(src, 40)
    done = CliRunner().invoke(app, [str(src), "-o", str(tmp_path / "out"), "-q", "-j", "100000"])
    assert done.exit_code == 0, done.output
    assert started == [usable]
    assert f"warning: --jobs 100000 lowered to {usable}" in done.output
    asked = CliRunner().invoke(app, [str(src), "-o", str(tmp_path / "o2"), "-q", "-j", "1"])
    assert asked.exit_code == 0 and "warning" not in asked.output
    assert started == [usable, 1]


def _children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path("/proc", entry, "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path("/proc", str(pid), "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # ended, not yet reaped


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_workers_end_when_the_main_process_is_killed(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    _corpus(src)
    proc = _start(src, out, 2)
    _wait_for_outputs(out, proc)
    workers = _children(proc.pid)
    assert workers, "the run has no worker processes"
    proc.kill()  # kill -9 of the main process alone
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(w) for w in workers):
        time.sleep(0.05)
    left = [w for w in workers if not _gone(w)]
    for w in left:  # do not leave them running if the test fails
        os.kill(w, signal.SIGKILL)
    assert left == []


def test_null_text_is_not_called_a_missing_field(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in"
    _write_jsonl(
        src / "r.jsonl", [{"id": "a", "text": None}, {"id": "b"}, {"id": "c", "text": BODY}]
    )
    pq.write_table(
        pa.table({"id": ["d"], "text": pa.array([None], pa.string())}), src / "p.parquet"
    )
    errors = dict((e["path"], e["error"]) for e in report_of(tmp_path, src)["errors"])
    assert errors == {
        "r.jsonl#a": "field 'text' is null",
        "r.jsonl#b": "no 'text' field",
        "p.parquet#d": "field 'text' is null",
    }


def test_html_nested_20000_deep_keeps_its_text_and_says_so(tmp_path: Path) -> None:
    """The HTML parser stops at 256 nested elements and drops the rest of the page: the
    deep nest is unwrapped and the page's text, before, inside and after it, kept."""
    src = tmp_path / "in"
    src.mkdir()
    river = BODY.replace("harbour", "river")
    after = BODY.replace("harbour", "church")
    deep = "<div>" * 20000 + f"<p>{river}</p>" + "</div>" * 20000
    (src / "deep.html").write_text(f"<html><body><p>{BODY}</p>{deep}<p>{after}</p></body></html>")
    (src / "spans.html").write_text(
        "<html><body>" + "<span>" * 20000 + f"<p>{BODY}</p></body></html>"
    )
    data = report_of(tmp_path, src)
    assert data["errors"] == []
    pages = entries(data)
    assert line_texts(pages["deep.html"]) == [BODY, river, after]
    assert line_texts(pages["spans.html"]) == [BODY]
    for page in pages.values():
        assert any("nested deeper than 255" in note for note in page["notes"]), page


def test_full_disk_with_report_names_the_file_and_leaves_no_part_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleaner.io.writers as writers

    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        (src / f"p{i}.txt").write_text(f"{BODY} Page {i}.\n")
    monkeypatch.setattr(writers, "write_all", _filling_disk(1000))  # the pages fit
    report = tmp_path / "rep" / "report.json"
    result = CliRunner().invoke(
        app, [str(src), "-o", str(tmp_path / "out"), "--report", str(report), "-j", "1", "-q"],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == EXIT_ERROR
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error")]
    assert "No space left on device" in line and str(report) in line
    assert "Traceback" not in result.output
    assert os.listdir(report.parent) == []


def _never_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import cleaner.runner

    def run(*args: Any, **kw: Any) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(cleaner.runner, "run", run)


def test_index_on_an_existing_file_is_refused_at_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    _never_runs(monkeypatch)
    (tmp_path / "idx").write_text("not an index")
    other = tmp_path / "other"  # a folder of other things: writing an index there removes v*
    (other / "videos").mkdir(parents=True)
    for index in (tmp_path / "idx", other):
        result = CliRunner().invoke(
            app, [str(src), "-o", str(tmp_path / "out"), "--index", str(index)], env=ENV
        )
        assert result.exit_code == EXIT_USAGE, result.output
        assert str(index) in result.output and "Traceback" not in result.output
    assert (tmp_path / "idx").read_text() == "not an index"
    assert (other / "videos").is_dir()


def test_report_on_a_folder_is_refused_at_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    _never_runs(monkeypatch)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    for report in (tmp_path / "folder", tmp_path / "file" / "report.json"):
        result = CliRunner().invoke(
            app, [str(src), "-o", str(tmp_path / "out"), "--report", str(report)], env=ENV
        )
        assert result.exit_code == EXIT_USAGE, result.output
        assert str(report) in result.output and "Traceback" not in result.output
    assert os.listdir(tmp_path / "folder") == []


def test_report_file_gets_the_usual_mode(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    umask = os.umask(0o022)
    try:
        clean_corpus([src], tmp_path / "out", report=tmp_path / "report.json")
    finally:
        os.umask(umask)
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o644
