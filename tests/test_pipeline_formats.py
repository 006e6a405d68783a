"""Record files end to end: cleaned like text pages, every other field kept, streamed."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from test_formats import warc_record

from cleaner import Config, clean_corpus
from cleaner.io.records import RecordKeys, RecordWriter, container_format, iter_records

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
EXPECTED = Path(__file__).resolve().parent / "data" / "seeds_expected"


def seed_rows() -> list[dict[str, object]]:
    return [
        {"id": p.stem, "text": p.read_text(encoding="utf-8"), "lang": "fr", "n": i}
        for i, p in enumerate(sorted(SEEDS.glob("*.txt")))
    ]


def write_rows(path: Path, rows: list[dict[str, object]]) -> None:
    fmt, comp = container_format(path.name) or ("", None)
    writer = RecordWriter(path, fmt, comp)
    for row in rows:
        writer.write(row)
    writer.commit()


@pytest.mark.parametrize("name", ["pages.jsonl", "pages.jsonl.gz", "pages.jsonl.zst", "p.parquet"])
def test_records_clean_like_pages(tmp_path: Path, name: str) -> None:
    src = tmp_path / "in"
    rows = seed_rows()
    write_rows(src / name, rows)
    out = tmp_path / "out"
    clean_corpus([src], out)
    fmt, comp = container_format(name) or ("", None)
    got = [fields for _, fields in iter_records(out / name, fmt, comp, RecordKeys())]
    assert [g["id"] for g in got] == [r["id"] for r in rows]
    for row, rec in zip(rows, got, strict=True):
        expected = (EXPECTED / f"{row['id']}.txt").read_text(encoding="utf-8")
        assert rec["text"] + "\n" == expected
        assert rec["lang"] == row["lang"] and rec["n"] == row["n"]
        assert rec["cleaner"]["kept"] == expected.count("\n")
        assert rec["cleaner"]["reasons"]["template-block"] == 11


def test_warc_becomes_jsonl(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    body = (
        "<html><body><article>"
        + "".join(
            f"<p>This is sentence number {i} of a long article about the harbour and the town.</p>"
            for i in range(12)
        )
        + "</article></body></html>"
    )
    (src / "crawl.warc.gz").write_bytes(
        gzip.compress(warc_record("http://example.org/a", body.encode()))
    )
    out = tmp_path / "out"
    clean_corpus([src], out)
    (rec,) = [f for _, f in iter_records(out / "crawl.jsonl.gz", "jsonl", "gz", RecordKeys())]
    assert rec["id"] == "http://example.org/a"
    assert "sentence number 11" in rec["text"]


def test_html_key(tmp_path: Path) -> None:
    src = tmp_path / "in"
    html = (
        "<html><body><article>"
        + "".join(
            f"<p>Paragraph {i} tells the story of a fisherman who sailed out every morning.</p>"
            for i in range(10)
        )
        + "</article></body></html>"
    )
    write_rows(src / "h.jsonl", [{"id": 1, "html": html}])
    out = tmp_path / "out"
    clean_corpus([src], out, record_keys=RecordKeys(html="html"))
    (rec,) = [f for _, f in iter_records(out / "h.jsonl", "jsonl", None, RecordKeys())]
    assert "Paragraph 9 tells the story" in rec["text"]
    assert rec["html"] == html


NOUNS = [
    "harbour",
    "town",
    "river",
    "council",
    "bridge",
    "market",
    "school",
    "winter",
    "festival",
    "museum",
    "farmer",
    "doctor",
    "teacher",
    "village",
    "garden",
    "station",
    "library",
    "factory",
    "forest",
    "island",
    "mountain",
    "painter",
    "sailor",
]
VERBS = [
    "built",
    "visited",
    "painted",
    "repaired",
    "crossed",
    "opened",
    "closed",
    "described",
    "admired",
    "sold",
]
ADJS = [
    "old",
    "new",
    "quiet",
    "busy",
    "narrow",
    "famous",
    "small",
    "northern",
    "wooden",
    "stone",
    "bright",
    "empty",
]


def doc(seed: int, edit: str = "") -> str:
    """Ten paragraphs of plain sentences; different seeds give different texts."""
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(10):
        sentences = [
            f"The {rng.choice(ADJS)} {rng.choice(NOUNS)} {rng.choice(VERBS)} the "
            f"{rng.choice(NOUNS)} near the {rng.choice(ADJS)} {rng.choice(NOUNS)} "
            f"before the {rng.choice(NOUNS)} was {rng.choice(VERBS)}."
            for _ in range(4)
        ]
        paragraphs.append(" ".join(sentences))
    if edit:
        paragraphs[3] = edit
    return "\n".join(paragraphs)


@pytest.mark.parametrize("mode", ["flag", "drop"])
def test_near_duplicate_documents(tmp_path: Path, mode: str) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(doc(1), encoding="utf-8")
    (src / "b.txt").write_text(doc(1, "A paragraph that was edited by someone."), encoding="utf-8")
    (src / "c.txt").write_text(doc(2), encoding="utf-8")
    out = tmp_path / "out"
    report = tmp_path / "r.json"
    outcome = clean_corpus([src], out, config=Config(dedup_docs=mode, language="en"), report=report)
    (cluster,) = outcome.summary.duplicate_docs
    assert cluster["files"] == ["a.txt", "b.txt"]
    assert cluster["representative"] == "a.txt"  # the longer text
    assert outcome.summary.totals["duplicate_docs"] == 1
    written = sorted(p.name for p in out.iterdir())
    assert written == (["a.txt", "b.txt", "c.txt"] if mode == "flag" else ["a.txt", "c.txt"])
    entries = {f["path"]: f for f in json.loads(report.read_text())["files"]}
    assert entries["b.txt"]["duplicate"]["cluster"] == cluster["id"]
    assert entries["c.txt"]["duplicate"] is None


def test_representative_does_not_depend_on_order(tmp_path: Path) -> None:
    """Same two texts under swapped names: the same text is kept."""
    for names in (("a.txt", "b.txt"), ("b.txt", "a.txt")):
        src = tmp_path / names[0] / "in"
        src.mkdir(parents=True)
        (src / names[0]).write_text(doc(5), encoding="utf-8")
        (src / names[1]).write_text(doc(5, "One edited paragraph here."), encoding="utf-8")
        out = tmp_path / names[0] / "out"
        clean_corpus([src], out, config=Config(dedup_docs="drop", language="en"))
        (kept,) = list(out.iterdir())
        assert kept.read_text(encoding="utf-8").splitlines()[3] != "One edited paragraph here."


def test_stdin_to_stdout(tmp_path: Path) -> None:
    rows = seed_rows()
    data = "".join(json.dumps(r) + "\n" for r in rows)
    proc = subprocess.run(
        [sys.executable, "-m", "cleaner", "-", "-o", "-", "--quiet", "--jobs", "1"],
        input=data.encode(),
        capture_output=True,
        check=True,
    )
    got = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [g["id"] for g in got] == [r["id"] for r in rows]
    assert got[0]["text"] + "\n" == (EXPECTED / f"{rows[0]['id']}.txt").read_text("utf-8")


def test_output_format_override(tmp_path: Path) -> None:
    src = tmp_path / "in"
    rows = seed_rows()
    write_rows(src / "pages.jsonl.zst", rows)
    out = tmp_path / "out"
    clean_corpus([src], out, config=Config(output_format="parquet"))
    assert [p.name for p in out.iterdir()] == ["pages.parquet"]
    got = [f for _, f in iter_records(out / "pages.parquet", "parquet", None, RecordKeys())]
    assert [g["id"] for g in got] == [r["id"] for r in rows]
    assert got[0]["lang"] == "fr" and "cleaner" in got[0]


@pytest.mark.parametrize("dedup_docs", ["flag", "drop"])
def test_results_are_kept_only_where_something_reads_them(tmp_path: Path, dedup_docs: str) -> None:
    from conftest import file_tree

    from cleaner.engines import make_engine
    from cleaner.io.discover import discover
    from cleaner.pipeline import run
    from cleaner.work import RESULTS, shard_file

    src = tmp_path / "in"
    for row in seed_rows():
        (src / "pages").mkdir(parents=True, exist_ok=True)
        (src / "pages" / f"{row['id']}.txt").write_text(str(row["text"]), encoding="utf-8")
    write_rows(src / "records.jsonl", seed_rows())
    sources = discover([src], None).sources
    config = Config(dedup_docs=dedup_docs)
    trees, kept = [], []
    for keep in (True, False):
        work, out = tmp_path / f"work-{keep}", tmp_path / f"out-{keep}"
        work.mkdir()
        result = run(sources, config, make_engine("local", 1), work, out, keep_results=keep)
        trees.append(file_tree(out))
        kept.append(sorted(p.name for p in work.glob("*.results")))
        if not keep:
            with pytest.raises(RuntimeError, match="kept no results"):
                next(result.results())
    assert trees[0] == trees[1]  # the same outputs either way
    # the record file is a shard of its own, written in pass 3 from its results; the text
    # pages are written in pass 2 unless near-duplicate documents are dropped
    assert kept[0] == [shard_file(Path(), i, RESULTS).name for i in (0, 1)]
    assert kept[1] == kept[0] if dedup_docs == "drop" else kept[1] == [kept[0][1]]
