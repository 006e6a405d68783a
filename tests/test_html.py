"""An HTML page goes through trafilatura, then the line pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path

from cleaner import clean_corpus

DATA = Path(__file__).resolve().parent / "data"


def test_html_page_keeps_article_drops_chrome(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DATA / "techcrunch-com__0001.html", src / "page.html")
    out = tmp_path / "out"
    outcome = clean_corpus([src], out)
    text = (out / "page.txt").read_text(encoding="utf-8")
    gold = (DATA / "techcrunch-com__0001.gold.txt").read_text(encoding="utf-8").splitlines()
    for sentence in gold:
        assert sentence[:60] in text
    html = (DATA / "techcrunch-com__0001.html").read_text(encoding="utf-8")
    assert "<" not in text and len(text) < len(html) / 20
    assert outcome.summary.files[0].language == "en"
