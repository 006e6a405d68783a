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
from cleaner.cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_UNREADABLE, EXIT_USAGE, app
from cleaner.io.formats import RecordKeys
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
    for name in ("empty.txt", "blank.txt", "script.html", "nested.html"):
        assert files[name]["error"] is None and files[name]["lines"] == [], name
    assert (tmp_path / "out" / "empty.txt").read_bytes() == b""
    assert (tmp_path / "out" / "script.txt").read_bytes() == b""
    assert not (tmp_path / "out" / "binary.txt").exists()
    assert (tmp_path / "out" / "good.txt").read_text() == BODY + "\n"
    assert data["totals"]["files"] == 7 and data["totals"]["files_failed"] == 2
    assert data["totals"]["files_empty"] == 4


def test_oversized_page_is_refused_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleaner.io.readers as readers

    monkeypatch.setattr(readers.read_source, "__defaults__", (1 << 20,))  # 1 MiB
    monkeypatch.setattr(readers, "MAX_PAGE_LINES", 5000)
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
    real_open = Path.open

    def guarded(self: Path, *args: object, **kw: object) -> object:
        if self.name == "secret.txt":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", guarded)
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
    from cleaner.io.formats import RecordWriter

    real = RecordWriter._write
    count = {"n": 0}

    def write(self: RecordWriter, obj: dict) -> None:
        count["n"] += 1
        if count["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, obj)

    monkeypatch.setattr(RecordWriter, "_write", write)
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


# -- 1. inputs are never overwritten ----------------------------------------------------------


# -- 2. Parquet output: a fixed schema, no crash, no silent loss ------------------------------


# -- 3. missing input is counted and named ----------------------------------------------------


# -- 4. a damaged --index is refused -----------------------------------------------------------


# -- 5. --index and document dedup -------------------------------------------------------------


# -- 6. terminal escape injection --------------------------------------------------------------


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


# -- 9. standard input is streamed, or staged with a clear error --------------------------------


# -- 10. smaller cases ---------------------------------------------------------------------------
