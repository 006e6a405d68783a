"""Pages laid out with tables, as news sites of the 2000s were: the article's paragraphs sit
in table cells, beside navigation cells, in a layout table nested in another. trafilatura
(with tables) gives such rows as ``| cell | cell |`` lines, sometimes a whole article in one
row; a cell that reads as prose is prose, the navigation goes as cross-file template, and a
data table that is the content stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaner import Config, clean_corpus
from cleaner.extract.html import html_to_text, trafilatura_text

STORIES = [
    (
        "Bridge to open in May",
        [
            "The council said on Monday that the new bridge over the river would open to "
            "traffic in May, two months later than planned.",
            "Engineers found cracks in two of the supports during a routine inspection last "
            "autumn, and the repairs took most of the winter.",
            "Local shops along the old road have welcomed the news, saying that the detour had "
            "cost them a large share of their trade.",
            "A spokesman for the council added that the cost of the repairs would be covered by "
            "the contractor under the terms of its contract",
        ],
    ),
    (
        "School wins science prize",
        [
            "Pupils from the primary school on Mill Lane have won a national science prize for "
            "a weather station that they built from spare parts.",
            "The station records the wind, the rain and the temperature every ten minutes and "
            "sends the readings to a website that the pupils run themselves.",
            "Their teacher said that the children had spent two terms on the project and had "
            "learned more from its failures than from its successes.",
            "The prize money will be spent on a second station for the sports field, which "
            "floods most winters",
        ],
    ),
    (
        "Rovers stay top after late winner",
        [
            "Rovers stayed at the top of the league on Saturday after a goal in the last minute "
            "gave them a narrow win over their closest rivals.",
            "The home side had trailed for most of the second half, and their manager admitted "
            "afterwards that his team had not played well.",
            "United remain three points behind with a game in hand, and the two clubs meet "
            "again at the end of the month in the cup.",
            "Tickets for that match go on sale at the ground on Tuesday morning, and the club "
            "expects them to sell out within the day",
        ],
    ),
]
NAV = ["Home", "News", "Sport", "Weather", "Contact us"]
SIDE = ["Archive", "Classifieds", "Letters to the editor"]
COPYRIGHT = "Copyright 2004 Daily Gazette. All rights reserved."
RESULTS = [("Rovers", "12", "28"), ("United", "11", "25"), ("Athletic", "12", "19")]


def article_rows(title: str, paras: list[str]) -> str:
    """The article as a layout table nested in the page's table: a title row, then one row
    per paragraph; the last paragraph shares its row with a tool cell."""
    rows = [f"<tr><td><b>{title}</b></td><td></td></tr>"]
    rows += [f'<tr><td><font size="2">{p}</font></td><td></td></tr>' for p in paras[:-1]]
    rows.append(f'<tr><td>{paras[-1]}</td><td><a href="/print">Print this story</a></td></tr>')
    return '<table width="100%" cellpadding="4">' + "".join(rows) + "</table>"


def article_cell(title: str, paras: list[str]) -> str:
    """The article as paragraphs in one cell of the page's table."""
    return f"<b>{title}</b>" + "".join(f"<p>{p}</p>" for p in paras)


def results_table() -> str:
    head = "<tr><th>Team</th><th>Played</th><th>Points</th></tr>"
    body = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in RESULTS)
    return f"<table>{head}{body}</table>"


def page(content: str) -> str:
    nav = "".join(f'<td><a href="/{n.lower()}">{n}</a></td>' for n in NAV)
    side = "<br>".join(f'<a href="/{n.lower()}">{n}</a>' for n in SIDE)
    return f"""<html><head><title>Daily Gazette</title></head><body>
<table width="760" border="0" cellpadding="0">
<tr><td colspan="5"><img src="/logo.gif" alt="Daily Gazette"></td></tr>
<tr>{nav}</tr>
<tr><td width="150" valign="top">{side}</td><td colspan="4" valign="top">{content}</td></tr>
<tr><td colspan="5"><font size="1">{COPYRIGHT}</font></td></tr>
</table></body></html>"""


def pages() -> dict[str, str]:
    (t0, p0), (t1, p1), (t2, p2) = STORIES
    return {
        "bridge.html": page(article_rows(t0, p0)),
        "school.html": page(article_cell(t1, p1)),
        "rovers.html": page(article_rows(t2, p2[:2]) + results_table() + article_cell("", p2[2:])),
    }


def squash(text: str) -> str:
    return " ".join(text.split())


def test_trafilatura_gives_layout_tables_as_pipe_rows() -> None:
    """What the extractor does with such pages (real output, not an assumed one): the
    article's cells come as table rows, with the navigation cells beside them."""
    for html in pages().values():
        rows = [ln for ln in trafilatura_text(html, Config()).splitlines() if "|" in ln]
        assert any("The council" in r or "Pupils" in r or "Rovers stayed" in r for r in rows)


@pytest.mark.parametrize("name", sorted(pages()))
def test_each_prose_cell_becomes_a_line(name: str) -> None:
    text = html_to_text(pages()[name], Config())
    lines = [squash(ln) for ln in text.splitlines()]
    paras = [p for _, ps in STORIES for p in ps]
    for line in lines:
        if any(p in line for p in paras):
            assert "|" not in line and "Print this story" not in line, line


def test_table_layout_pages_keep_every_prose_row(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name, html in pages().items():
        (src / name).write_text(html, encoding="utf-8")
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    clean_corpus([src], out, report=report)
    data = json.loads(report.read_text(encoding="utf-8"))
    for (_title, paras), name in zip(STORIES, ["bridge", "school", "rovers"], strict=True):
        text = squash((out / f"{name}.txt").read_text(encoding="utf-8"))
        for para in paras:
            assert para in text, (name, para)  # every prose row is kept
        for chrome in [*NAV, *SIDE, COPYRIGHT, "Print this story"]:
            assert chrome not in text, (name, chrome)  # navigation and tool cells go
    kept = (out / "rovers.txt").read_text(encoding="utf-8").splitlines()
    for row in RESULTS:  # the data table is the content: its rows stay
        assert any([squash(c) for c in ln.strip(" |").split("|")] == list(row) for ln in kept)
    nav_reasons = {
        ln["reason"]
        for f in data["files"]
        for ln in f["lines"]
        if any(n in ln["text"] for n in ("Contact us", "Classifieds"))
    }
    assert nav_reasons == {"template"}
