"""The HTML report (--report-html): the JSON report's figures, hostile text kept as text,
a bounded size on a large corpus, and (with Chromium installed) a real browser renders it
without console errors."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from cleaner import Config, clean_corpus
from cleaner.checks import UsageError
from cleaner.models import Decision, FileResult, LineResult, Reason
from cleaner.report.html import PageSample

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "</script><!--"]
HOSTILE_NAME = '"><img src=x onerror=alert(3)>.txt'
HOSTILE_ID = "<script>alert(4)</script>"


class Tags(HTMLParser):
    """Every element the file holds, and the text of the data element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: str | None = None
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_data = tag == "script" and dict(attrs).get("id") == "report-data"

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data = (self.data or "") + data


def parse(path: Path) -> tuple[Tags, dict[str, Any]]:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser.data is not None, "no report-data element"
    return parser, json.loads(parser.data)


def hostile_corpus(root: Path) -> Path:
    """Three pages sharing a menu, one of them named and filled with markup, and a record
    file whose record id and text are markup."""
    root.mkdir()
    menu = ["Home", "World news", "Sports and weather"]
    body = "This is a plain sentence about the weather in the valley, written for the test."
    for k, name in enumerate(["a.txt", "b.txt", HOSTILE_NAME]):
        extra = HOSTILE if k == 2 else [f"Page {k} has its own sentence about the river today."]
        (root / name).write_text("\n".join([*menu, *extra, body + f" ({k})"]) + "\n")
    record = {"id": HOSTILE_ID, "text": "\n".join([*menu, *HOSTILE, body])}
    (root / "r.jsonl").write_text(json.dumps(record) + "\n")
    return root


def test_html_report_shows_the_json_reports_figures(seeds: Path, tmp_path: Path) -> None:
    report, html = tmp_path / "report.json", tmp_path / "report.html"
    clean_corpus([seeds], tmp_path / "out", report=report, report_html=html)
    full = json.loads(report.read_text(encoding="utf-8"))
    parser, data = parse(html)
    assert parser.tags[0][0] == "html"
    assert data["totals"] == full["totals"]
    assert [g["id"] for g in data["groups"]] == [g["id"] for g in full["groups"]]
    assert data["n_pages"] == len(full["files"]) <= Config().report_html_random
    # a small corpus is shown whole, every line with its JSON report decision
    entries = {f["path"] if f["id"] is None else f"{f['path']}#{f['id']}": f for f in full["files"]}
    assert sorted(p["name"] for p in data["pages"]) == sorted(entries)
    for page in data["pages"]:
        want = [
            [
                ln["n"],
                int(ln["keep"]),
                data["reasons"].index(ln["reason"]),
                ln["group"] or "",
                ln["text"],
            ]
            for ln in entries[page["name"]]["lines"]
        ]
        assert page["rows"] == want
    # every page a group links to holds a line of that group
    for g in data["groups"]:
        assert g["pages"], g["id"]
        for k in g["pages"]:
            assert any(row[3] == g["id"] for row in data["pages"][k]["rows"])


def test_hostile_text_names_and_ids_stay_text(tmp_path: Path) -> None:
    corpus = hostile_corpus(tmp_path / "in")
    html = tmp_path / "report.html"
    clean_corpus([corpus], tmp_path / "out", report_html=html)
    raw = html.read_text(encoding="utf-8")
    parser, data = parse(html)
    tags = [t for t, _ in parser.tags]
    assert "img" not in tags
    assert tags.count("script") == 2  # the data and the report's own script
    for needle in ("<script>alert", "<img", "</script><!--", "\u2028"):
        assert needle not in raw
    names = {p["name"] for p in data["pages"]}
    assert {HOSTILE_NAME, f"r.jsonl#{HOSTILE_ID}"} <= names
    texts = {row[4] for p in data["pages"] for row in p["rows"]}
    assert set(HOSTILE) <= texts


SITE_MENUS = ["Gardening tips", "Railway timetables", "Opera season", "Chess openings"]


def test_size_stays_bounded_on_a_large_corpus(tmp_path: Path) -> None:
    rng = random.Random(7)
    corpus = tmp_path / "in"
    for site in range(4):
        folder = corpus / f"site{site}"
        folder.mkdir(parents=True)
        for k in range(50):
            words = ["".join(rng.choices("abcdefghijklmnop", k=6)) for _ in range(300)]
            lines = [
                SITE_MENUS[site],
                "Contact us",
                *(" ".join(words[i::6]) + "." for i in range(6)),
            ]
            (folder / f"{k:03}.txt").write_text("\n".join(lines) + "\n")
    size_in = sum(p.stat().st_size for p in corpus.rglob("*.txt"))
    config = Config(
        report_html_most_dropped=5,
        report_html_emptiest=5,
        report_html_random=5,
        report_html_page_chars=500,
        report_html_groups=3,
    )
    html = tmp_path / "report.html"
    clean_corpus([corpus], None, config=config, report_html=html)
    _, data = parse(html)
    assert data["n_pages"] == 200
    assert 5 <= len(data["pages"]) <= 15
    for page in data["pages"]:
        assert sum(len(row[4]) for row in page["rows"]) <= 500
        assert page["hidden"] == page["lines"] - len(page["rows"])
    assert len(data["groups"]) == 3 < data["totals"]["groups"]
    assert {p["folder"] for p in data["pages"]} <= {f"site{s}" for s in range(4)}
    assert data["totals"]["by_reason"]["template"] == 400
    # the page skeleton (~25 kB) and 15 pages of at most 500 characters, not the corpus
    assert html.stat().st_size < 60_000 < size_in


def test_one_path_for_both_reports_is_refused(seeds: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="both"):
        clean_corpus([seeds], None, report=tmp_path / "r", report_html=tmp_path / "r")


def test_names_that_are_not_utf8_are_written(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in (b"caf\xe9.txt", b"b.txt"):
        (corpus / os.fsdecode(name)).write_text("Home\nA sentence that reads as body text here.\n")
    html = tmp_path / "report.html"
    clean_corpus([corpus], None, report_html=html)
    _, data = parse(html)
    assert sorted(p["name"] for p in data["pages"]) == ["b.txt", "caf\ufffd.txt"]


def _page(name: str, keep: int, lines: int = 4) -> FileResult:
    body, short = Decision(True, Reason.BODY), Decision(False, Reason.SHORT)
    rows = tuple(
        LineResult(i, f"{name} {i}", body if i <= keep else short) for i in range(1, lines + 1)
    )
    return FileResult(name, "text", rows)


def test_sample_does_not_depend_on_page_order() -> None:
    config = Config(report_html_most_dropped=3, report_html_emptiest=2, report_html_random=4)
    pages = [_page(f"p{k:03}.txt", k % 5) for k in range(60)]

    def names(order: list[FileResult]) -> list[tuple[str, list[str]]]:
        sample = PageSample(config)
        for page in order:
            sample.add(page)
        return [(p.name, sorted(why)) for p, why in sample.pages()]

    first = names(pages)
    shuffled = pages[:]
    random.Random(3).shuffle(shuffled)
    assert names(shuffled) == first
    assert names(pages[::-1]) == first
    dropped = [n for n, why in first if "most-dropped" in why]
    assert dropped == ["p000.txt", "p005.txt", "p010.txt"]  # nothing kept, first by name
    assert sum("random" in why for _, why in first) == 4


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found is None and os.access("/usr/bin/chromium", os.X_OK):
        found = "/usr/bin/chromium"
    return found


def load_in_chromium(browser: str, url: str) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and the console messages Chromium logged."""
    with tempfile.TemporaryDirectory() as profile:
        try:
            run = subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={profile}",
                    "--enable-logging=stderr",
                    "--v=0",
                    "--dump-dom",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except subprocess.TimeoutExpired:  # a dialog (alert()) holds a headless page open
            return "", [f"{url}: no DOM within 60 s"]
    console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
    return run.stdout, console


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (/usr/bin/chromium)")
def test_chromium_renders_every_view_without_console_errors(seeds: Path, tmp_path: Path) -> None:
    browser = _chromium()
    assert browser is not None
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>notDefined();</script></body></html>")
    _, console = load_in_chromium(browser, bad.as_uri())
    assert any("notDefined" in ln for ln in console)  # errors are seen when there are some

    corpus = hostile_corpus(tmp_path / "in")
    shutil.copytree(seeds, corpus / "seeds")
    html = tmp_path / "report.html"
    clean_corpus([corpus], tmp_path / "out", report_html=html)
    _, data = parse(html)
    hostile = next(k for k, p in enumerate(data["pages"]) if p["name"] == HOSTILE_NAME)
    group = data["groups"][0]["id"]
    views = {
        "": "summary",
        "#groups": "groups",
        "#pages": "pages",
        f"#pages/group={group}": "pages",
        f"#page={hostile + 1}": "page",
        f"#page={hostile + 1}&line=4": "page",  # from a few lines above line 4
        "#%": "summary",  # a fragment that is not percent-encoding
    }
    for fragment, view in views.items():
        dom, console = load_in_chromium(browser, html.as_uri() + fragment)
        assert console == [], (fragment, console)
        assert f'data-rendered="{view}"' in dom, fragment
        assert "<img" not in dom and "alert(1)</script>" not in dom
        if view == "page":
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown, as text
    # a filtered list can be linked to: pages with a markup line, in one site folder
    markup = data["reasons"].index("markup")
    want = [p for p in data["pages"] if markup in p["reasons"] and p["folder"] == "seeds"]
    dom, console = load_in_chromium(browser, html.as_uri() + "#pages/reason=markup&folder=seeds")
    assert console == [] and 0 < len(want) < len(data["pages"])
    assert f"{len(want)} pages match" in dom
