"""Record containers: each format round-trips through its reader and writer."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cleaner.io.records import (
    JSONL,
    PARQUET,
    RecordKeys,
    RecordWriter,
    container_format,
    iter_records,
)

ROWS = [
    {"id": "a", "text": "First line.\nSecond line.", "meta": {"lang": "en"}, "n": 1},
    {"id": "b", "text": "Another page.", "meta": {"lang": "fr"}, "n": 2},
]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_round_trip(tmp_path: Path, suffix: str) -> None:
    fmt, comp = container_format("x" + suffix) or ("", None)
    path = tmp_path / f"data{suffix}"
    writer = RecordWriter(path, fmt, comp)
    for row in ROWS:
        writer.write(row)
    writer.commit()
    assert not list(tmp_path.glob("*.part"))
    got = list(iter_records(path, fmt, comp, RecordKeys()))
    assert [r.id for r, _ in got] == ["a", "b"]
    assert [r.text for r, _ in got] == [row["text"] for row in ROWS]
    assert [obj for _, obj in got] == ROWS


def test_gzip_is_really_compressed(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl.gz"
    writer = RecordWriter(path, JSONL, "gz")
    writer.write(ROWS[0])
    writer.commit()
    assert json.loads(gzip.decompress(path.read_bytes()))["id"] == "a"


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    writer = RecordWriter(path, PARQUET, None)
    for row in ROWS:
        writer.write(row)
    writer.commit()
    got = list(iter_records(path, PARQUET, None, RecordKeys()))
    assert [obj for _, obj in got] == ROWS


def test_jsonl_keys_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"doc": 7, "body": "Hello."}\n'
        "not json\n"
        "\n"
        '{"doc": 8, "html": "<p>Hi</p>"}\n'
        '{"doc": 9, "body": 3}\n',
        encoding="utf-8",
    )
    keys = RecordKeys(text="body", id="doc", html="html")
    got = [r for r, _ in iter_records(path, JSONL, None, keys)]
    assert [(r.id, r.is_html, r.error is None) for r in got] == [
        ("7", False, True),
        ("2", False, False),
        ("8", True, True),
        ("9", False, False),
    ]
    assert got[1].error is not None and "line 2" in got[1].error


def warc_record(uri: str, html: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
    body = b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + html
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Target-URI: {uri}\r\nWARC-Record-ID: <urn:uuid:{abs(hash(uri))}>\r\n"
        "WARC-Date: 2020-01-01T00:00:00Z\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body + b"\r\n\r\n"


@pytest.mark.parametrize("compressed", [False, True])
def test_warc_reads_html_responses(tmp_path: Path, compressed: bool) -> None:
    records = [
        warc_record("http://example.org/a", "<p>Caf\u00e9 au lait.</p>".encode()),
        warc_record("http://example.org/img", b"\x89PNG", "image/png"),
        warc_record(
            "http://example.org/b",
            "<p>Ol\u00e1</p>".encode("latin-1"),
            "text/html; charset=iso-8859-1",
        ),
    ]
    path = tmp_path / ("c.warc.gz" if compressed else "c.warc")
    data = b"".join(gzip.compress(r) for r in records) if compressed else b"".join(records)
    path.write_bytes(data)
    fmt, comp = container_format(path.name) or ("", None)
    got = [r for r, _ in iter_records(path, fmt, comp, RecordKeys())]
    assert [r.id for r in got] == ["http://example.org/a", "http://example.org/b"]
    assert all(r.is_html for r in got)
    assert "Café" in got[0].text and "Olá" in got[1].text


def test_a_record_id_with_a_lone_surrogate_is_reported_without_a_crash(tmp_path: Path) -> None:
    """JSON may escape half of a surrogate pair ("\\ud800"): as a record id it made the report
    raise UnicodeEncodeError (found by benchmarks/fuzz.py)."""
    from cleaner import clean_corpus

    text = "The committee met on Tuesday and agreed to repair the old walls of the harbour."
    src = tmp_path / "r.jsonl"
    src.write_text(json.dumps({"id": "a\ud800b", "text": text}) + "\n", encoding="utf-8")
    got = [r for r, _ in iter_records(src, JSONL, None, RecordKeys())]
    assert [r.id for r in got] == ["a\ufffdb"]
    report = tmp_path / "report.json"
    clean_corpus([src], tmp_path / "out", report=report)
    files = json.loads(report.read_text(encoding="utf-8"))["files"]
    assert [f["id"] for f in files] == ["a\ufffdb"]
    out = (tmp_path / "out" / "r.jsonl").read_text(encoding="utf-8")
    assert text in json.loads(out)["text"]
