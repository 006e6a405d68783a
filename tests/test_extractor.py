"""--extractor resiliparse: every input kind that holds HTML, the report, the index."""

from __future__ import annotations

import gzip
import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from test_formats import warc_record
from test_pipeline_formats import write_rows
from typer.testing import CliRunner

from cleaner import Config, clean_corpus
from cleaner.cli import EXIT_USAGE, app
from cleaner.extract.html import html_to_text
from cleaner.index import IndexUnusable
from cleaner.io.records import RecordKeys, container_format, iter_records
from cleaner.runs import run_digest
from cleaner.segment import segment

RESILIPARSE = Config(extractor="resiliparse")
# An article with a navigation menu, a list of sentences and a footer: trafilatura keeps the
# list as "- " items, resiliparse's main-content choice leaves it out, so the output tells
# which extractor ran.
PAGE = (
    "<html><head><title>Harbour</title></head><body>"
    "<nav><ul><li><a href='/'>Home</a></li><li><a href='/n'>News</a></li></ul></nav>"
    "<article><h1>The harbour reopens</h1>"
    + "".join(
        f"<p>Paragraph {i} tells the story of a fisherman who sailed out of the harbour "
        "every morning.</p>"
        for i in range(6)
    )
    + "<ul>"
    + "".join(
        f"<li>Point {i} of the list is a full sentence about the boats in the harbour.</li>"
        for i in range(3)
    )
    + "</ul></article><footer>Copyright 2020 The Harbour Gazette</footer></body></html>"
)


def extracted(config: Config) -> list[str]:
    return segment(html_to_text(PAGE, config))


def test_the_extractors_differ_on_the_page() -> None:
    by_resiliparse, by_trafilatura = extracted(RESILIPARSE), extracted(Config())
    assert by_resiliparse != by_trafilatura
    assert "Paragraph 5 tells the story" in by_resiliparse[-1]
    assert not any("Copyright" in line or line == "Home" for line in by_resiliparse)


def cleaned_lines(tmp_path: Path, kind: str, config: Config) -> list[str]:
    """The cleaned lines of PAGE given as ``kind`` of input."""
    src, out = tmp_path / f"in-{config.extractor}", tmp_path / f"out-{config.extractor}"
    src.mkdir()
    keys = RecordKeys()
    if kind == "html":
        (src / "page.html").write_text(PAGE, encoding="utf-8")
    elif kind == "warc":
        (src / "crawl.warc.gz").write_bytes(
            gzip.compress(warc_record("http://example.org/a", PAGE.encode()))
        )
    else:
        write_rows(src / f"pages.{kind}", [{"id": "a", "html": PAGE}])
        keys = RecordKeys(html="html")
    clean_corpus([src], out, config=config, record_keys=keys)
    if kind == "html":
        return (out / "page.txt").read_text(encoding="utf-8").splitlines()
    name = "crawl.jsonl.gz" if kind == "warc" else f"pages.{kind}"
    fmt, comp = container_format(name) or ("", None)
    (record,) = [fields for _, fields in iter_records(out / name, fmt, comp, RecordKeys())]
    return str(record["text"]).splitlines()


@pytest.mark.parametrize("kind", ["html", "jsonl", "parquet", "warc"])
def test_every_html_input_kind_goes_through_the_chosen_extractor(tmp_path: Path, kind: str) -> None:
    # one page: no cross-file groups, and every line of the article is kept
    assert cleaned_lines(tmp_path, kind, RESILIPARSE) == extracted(RESILIPARSE)
    assert cleaned_lines(tmp_path, kind, Config()) == extracted(Config())


def test_report_says_which_extractor_ran(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "page.html").write_text(PAGE, encoding="utf-8")
    schema = json.loads(files("cleaner").joinpath("report_schema.json").read_text())
    for extractor in ("trafilatura", "resiliparse"):
        report = tmp_path / f"{extractor}.json"
        clean_corpus([src], None, config=Config(extractor=extractor), report=report)
        data = json.loads(report.read_text(encoding="utf-8"))
        jsonschema.validate(data, schema)
        assert data["config"]["extractor"] == extractor
        assert data["files"][0]["kind"] == "html"
    data["config"]["extractor"] = "readability"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_unknown_extractor_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "page.html").write_text(PAGE, encoding="utf-8")
    result = CliRunner().invoke(
        app, [str(src), "-o", str(tmp_path / "out"), "--extractor", "readability"]
    )
    assert result.exit_code == EXIT_USAGE
    assert "unknown extractor 'readability'" in result.stderr
    assert not (tmp_path / "out").exists()
    ok = CliRunner().invoke(
        app, [str(src), "-o", str(tmp_path / "out"), "--extractor", "resiliparse", "-j", "1"]
    )
    assert ok.exit_code == 0
    assert (tmp_path / "out" / "page.txt").read_text(encoding="utf-8").splitlines() == extracted(
        RESILIPARSE
    )
    with pytest.raises(ValueError, match="unknown extractor"):
        Config(extractor="Resiliparse")


def test_index_and_work_folders_do_not_mix_extractors(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "page.html").write_text(PAGE, encoding="utf-8")
    index = tmp_path / "index"
    clean_corpus([src], None, config=RESILIPARSE, index=index)
    clean_corpus([src], None, config=RESILIPARSE, index=index)  # the same extractor: served
    with pytest.raises(IndexUnusable, match="extractor"):
        clean_corpus([src], None, config=Config(), index=index)
    # a resumable run's work folder is named after its settings, the extractor among them
    assert run_digest([], Config(), tmp_path, None, None) != run_digest(
        [], RESILIPARSE, tmp_path, None, None
    )


def test_a_page_nested_too_deep_goes_to_trafilatura(tmp_path: Path) -> None:
    # resiliparse's main-content choice costs the square of the nesting depth: a page of
    # 10,000 nested elements took seconds, one of 100,000 minutes; trafilatura unwraps the
    # deep nest and keeps its text, and the page's notes say so
    body = "<p>The council met on Monday and agreed to open the new bridge in May.</p>"
    src = tmp_path / "in"
    src.mkdir()
    for name, depth in (("deep.html", 10_000), ("ordinary.html", 200)):
        page = "<html><body>" + "<div>" * depth + body + "</div>" * depth + "</body></html>"
        (src / name).write_text(page, encoding="utf-8")
    report = tmp_path / "report.json"
    clean_corpus([src], tmp_path / "out", config=RESILIPARSE, report=report)
    files = {f["path"]: f for f in json.loads(report.read_text(encoding="utf-8"))["files"]}
    deep = files["deep.html"]
    assert deep["error"] is None
    assert [ln["text"] for ln in deep["lines"]] == [
        "The council met on Monday and agreed to open the new bridge in May."
    ]
    assert any("extracted with trafilatura" in note for note in deep["notes"]), deep["notes"]
    assert [ln["text"] for ln in files["ordinary.html"]["lines"]] == [
        "The council met on Monday and agreed to open the new bridge in May."
    ]
    with pytest.raises(ValueError, match="html_max_depth"):
        Config(html_max_depth=0)
