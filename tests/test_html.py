"""HTML pages go through trafilatura, then the same line pipeline as text pages."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_render import html_fragments, reference

from cleaner import Config, clean_corpus

DATA = Path(__file__).resolve().parent / "data"
PAGE = DATA / "sciencealert-com__0001.html"  # Scrapinghub benchmark page (MIT), see data/README
GOLD = DATA / "sciencealert-com__0001.gold.txt"
HEADLINE = "NASA Just Confirmed There Are Water Plumes Above The Surface of Jupiter's Moon Europa"
# Page chrome around the article: menus, share links, footer, byline and photo caption.
# None of it is in the gold article body.
CHROME = [
    "Comment & Opinion",
    "Politics & Society",
    "Daily Email",
    "RSS Feed",
    "Our Team",
    "Privacy Policy",
    "Terms & Conditions",
    "All rights reserved",
    "Tangermann",
    "Artist's impression of the plumes",
]


def squash(text: str) -> str:
    return " ".join(text.split())


def clean_one_page(tmp_path: Path, page: str) -> tuple[list[str], dict]:
    """Clean ``page`` as the one HTML page of a folder: its kept lines and report entry."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "page.html").write_text(page, encoding="utf-8")
    report = tmp_path / "report.json"
    clean_corpus([src], tmp_path / "out", report=report)
    kept = (tmp_path / "out" / "page.txt").read_text(encoding="utf-8").splitlines()
    return kept, json.loads(report.read_text(encoding="utf-8"))["files"][0]


def clean_pages(tmp_path: Path, pages: dict[str, str]) -> dict[str, list[str]]:
    """Clean ``pages`` (file name -> HTML) as one folder: each page's kept lines, by the
    name of its output."""
    src = tmp_path / "in"
    src.mkdir()
    for name, page in pages.items():
        (src / name).write_text(page, encoding="utf-8")
    out = tmp_path / "out"
    clean_corpus([src], out)
    return {p.name: p.read_text(encoding="utf-8").splitlines() for p in out.iterdir()}


def test_html_page_keeps_the_article_and_drops_the_chrome(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(PAGE, src / "page.html")
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    clean_corpus([src], out, report=report)

    assert sorted(p.name for p in out.iterdir()) == ["page.txt"]  # .html becomes .txt
    text = (out / "page.txt").read_text(encoding="utf-8")
    kept = [squash(line) for line in text.splitlines()]
    gold = [squash(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(gold) >= 10
    for sentence in gold:
        assert sentence in kept, sentence
    for line in kept:
        assert line in gold or line == HEADLINE, line

    page = html.unescape(PAGE.read_text(encoding="utf-8"))
    for chrome in CHROME:
        assert chrome.lower() in page.lower(), chrome  # the page has it ...
        assert chrome.lower() not in text.lower(), chrome  # ... the output does not

    entry = json.loads(report.read_text(encoding="utf-8"))["files"][0]
    assert (entry["path"], entry["output"], entry["kind"]) == ("page.html", "page.txt", "html")
    assert entry["language"] == "en"
    assert [ln["text"] for ln in entry["lines"] if ln["keep"]] == text.splitlines()


ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Example News</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<article>
<h1>{title}</h1>
<p>{first}</p>
<p>Follow Example News on every social network</p>
<p>{second}</p>
</article>
<footer><p>Copyright Example News. All rights reserved.</p></footer>
</body></html>
"""

STORIES = [
    (
        "Harbour reopens after the storm",
        "The harbour reopened on Monday morning after workers cleared the debris that the storm "
        "had left along the quays during the weekend.",
        "Fishing boats were the first to leave, and the ferry company said that its timetable "
        "would be back to normal by the end of the week.",
    ),
    (
        "Library extends its opening hours",
        "The city library will stay open until nine in the evening from next month, the council "
        "announced after a long consultation with its readers.",
        "The extra hours will be paid for by a small grant, and volunteers have offered to help "
        "with the reading groups for children on weekday evenings.",
    ),
    (
        "New bridge wins a design award",
        "The footbridge that opened across the river last spring has won a national design award "
        "for the way it blends into the old town around it.",
        "Its architects said that they had spent months on the railings alone, so that walkers "
        "could still see the water from every point of the crossing.",
    ),
]


def test_html_pages_share_the_cross_file_template_step(tmp_path: Path) -> None:
    """A boilerplate line the extractor keeps inside each article is removed as template
    because it repeats across the HTML pages; the articles themselves stay."""
    src = tmp_path / "in"
    src.mkdir()
    for n, (title, first, second) in enumerate(STORIES):
        page = ARTICLE.format(title=title, first=first, second=second)
        (src / f"story{n}.html").write_text(page, encoding="utf-8")
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    clean_corpus([src], out, report=report)

    data = json.loads(report.read_text(encoding="utf-8"))
    for n, (_title, first, second) in enumerate(STORIES):
        text = (out / f"story{n}.txt").read_text(encoding="utf-8")
        assert first in text and second in text
        assert "Follow Example News" not in text
        assert "Home" not in text.splitlines() and "All rights reserved" not in text
    reasons = {
        ln["reason"]
        for f in data["files"]
        for ln in f["lines"]
        if ln["text"].startswith("Follow Example News")
    }
    assert reasons == {"template"}
    follow = [g for g in data["groups"] if g["text"].startswith("Follow Example News")]
    assert len(follow) == 1 and follow[0]["n_files"] == 3 and follow[0]["template"]


def test_html_lines_beside_a_template_line_stay(tmp_path: Path) -> None:
    """In HTML the extractor chose the body: a template line goes, but the short lines
    next to it (a subheading, a list of a story's own) are not dropped with it as a block,
    since the block rule rests on line shape, which HTML mode does not judge."""
    subheads = ["What the divers found", "Opening hours this winter", "The judges' verdict"]
    pages = {
        f"story{n}.html": ARTICLE.format(title=title, first=first, second=second).replace(
            "every social network</p>", f"every social network</p><h2>{subheads[n]}</h2>"
        )
        for n, (title, first, second) in enumerate(STORIES)
    }
    kept = clean_pages(tmp_path, pages)
    for n, (_title, first, second) in enumerate(STORIES):
        lines = kept[f"story{n}.txt"]
        assert subheads[n] in lines and first in lines and second in lines
        assert not any(line.startswith("Follow Example News") for line in lines)


MISSED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour news</title></head>
<body>
<ul>{menu}</ul>
<div class="comments">
<h1>{title}</h1>
<p>{first}</p>
<p>{second}</p>
<p>The work is expected to last until the spring, and the council has promised to publish
a timetable for each stage of it on its website in the coming weeks.</p>
<p>Residents who want to know more can attend a meeting at the town hall on Thursday
evening, where the engineers in charge of the project will answer their questions.</p>
<p>Several fishermen said that they had lost a week of work to the storm, and they asked the
council whether the harbour dues for the month could be waived to help them recover.</p>
<p>The harbour master told the meeting that the request would be considered by the board at
its next session, and that a decision would be announced before the end of the month.</p>
</div>
<p>Copyright Example News</p>
</body></html>
"""


MENU = ["Home", "World", "Business", "Politics", "Science", "Technology", "Health", "Sport",
        "Arts and culture", "Travel", "Weather", "Opinion", "Obituaries", "Contact us"]  # fmt: skip


def test_html_page_whose_article_the_extractor_misses_is_judged_as_text(tmp_path: Path) -> None:
    """trafilatura finds nothing in an article laid out in a container it takes for
    comments: the page's own text rendering is judged as a text page instead of the page
    coming out empty, and the report says so."""
    from cleaner.extract.html import trafilatura_text

    title, first, second = STORIES[0]
    menu = "".join(f'<li><a href="/{n}">{n}</a></li>' for n in MENU)
    page = MISSED.format(title=title, first=first, second=second, menu=menu)
    extracted = trafilatura_text(page, Config())  # what the extractor gives: chrome only
    assert first not in extracted and second not in extracted
    lines, entry = clean_one_page(tmp_path, page)
    assert first in lines and second in lines and len(lines) >= 4
    assert not set(MENU) & set(lines)
    assert entry["kind"] == "text" and any("rendering" in note for note in entry["notes"])


HIDDEN_COPY = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><nav><ul>{menu}</ul></nav>
<div class="story"><h1>{title}</h1>{paragraphs}</div>
<div style="Display: none" itemscope itemtype="http://schema.org/NewsArticle">
<h1 itemprop="name">{title}</h1><div itemprop="headline">{title}</div>
<div itemprop="datePublished">2019-11-19T08:57:40+01:00</div>
<div itemprop="articleBody">{copy}</div>
<div itemprop="articleSection">regional news</div>
</div>
<footer><p>Copyright Example News</p></footer>
</body></html>
"""
HARBOUR = [
    STORIES[0][1],
    STORIES[0][2],
    "Divers will inspect the harbour walls next week, and the council expects their report "
    "to show that the old stonework came through the storm without damage.",
    "The mayor thanked the crews who had worked through two nights, and said that the town "
    "would hold a small ceremony for them at the end of the month.",
]


def test_html_hidden_copy_of_the_article_is_left_out(tmp_path: Path) -> None:
    """A page that hides a second copy of its article for search engines (display:none
    schema.org markup, the article as one block): trafilatura alone gives the article
    twice with the copy's metadata; cleaner removes what the reader does not see before
    extracting, so each paragraph comes out once."""
    from cleaner.extract.html import trafilatura_text

    title = STORIES[0][0]
    menu = "".join(f'<li><a href="/{n}">{n}</a></li>' for n in MENU[:6])
    paragraphs = "".join(f"<p>{p}</p>" for p in HARBOUR)
    page = HIDDEN_COPY.format(
        title=title, menu=menu, paragraphs=paragraphs, copy="\n".join(HARBOUR)
    )
    extracted = trafilatura_text(page, Config()).splitlines()  # what the extractor gives
    assert extracted.count(HARBOUR[0]) == 2 and "regional news" in extracted
    lines, _ = clean_one_page(tmp_path, page)
    assert [line for line in lines if line != title] == HARBOUR


def test_html_page_hidden_until_a_script_shows_it_keeps_its_article(tmp_path: Path) -> None:
    """A page that hides nearly all of itself until a script has run: its hidden text is
    its content, and stays."""
    title = STORIES[0][0]
    paragraphs = "".join(f"<p>{p}</p>" for p in HARBOUR)
    page = (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
        f"<p>Loading</p><div style='display:none' id='app'><h1>{title}</h1>{paragraphs}</div>"
        "</body></html>"
    )
    lines, _ = clean_one_page(tmp_path, page)
    assert set(HARBOUR) <= set(lines)


EMBEDDED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><nav><ul>{menu}</ul></nav>
<article><h1>{title}</h1><p>{p[0]}</p><p>{p[1]}</p>
<div class="social-embed"><blockquote class="embedded-post"><p>{post}</p>
— Harbour Master (@harbourmaster) <a href="https://example.org/s/1">November 18, 2019</a>
</blockquote></div>
<p>{p[2]}</p><p>{p[3]}</p></article>
<aside><blockquote><p>{aside}</p></blockquote></aside>
<footer><p>Copyright Example News</p></footer>
</body></html>
"""


def test_html_post_embedded_in_the_article_is_put_back(tmp_path: Path) -> None:
    """An embedded post (a blockquote in a container trafilatura takes for a share widget)
    between two paragraphs of the article: trafilatura passes over it, cleaner puts its
    text back between them (its date line goes as any date stamp). A quotation outside the
    article (beside it, after its last line) is not added."""
    from cleaner.extract.html import trafilatura_text

    title = STORIES[0][0]
    post = "So proud of the crews who worked all weekend to get our harbour open again"
    aside = "Our readers say that the new ferry timetable is the best one in years, so far."
    menu = "".join(f'<li><a href="/{n}">{n}</a></li>' for n in MENU[:6])
    page = EMBEDDED.format(title=title, menu=menu, p=HARBOUR, post=post, aside=aside)
    assert post not in trafilatura_text(page, Config())  # what the extractor gives
    lines, entry = clean_one_page(tmp_path, page)
    assert [line for line in lines if line != title] == [*HARBOUR[:2], post, *HARBOUR[2:]]
    reasons = {ln["text"]: ln["reason"] for ln in entry["lines"]}
    assert reasons["— Harbour Master (@harbourmaster) November 18, 2019"] == "datetime"


LEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<header><h1>{title}</h1><p>{lead}</p></header>
<article><p>{first}</p><p>{second}</p><p>{third}</p></article>
<footer><p>Copyright Example News</p></footer>
</body></html>
"""


def test_html_lead_paragraph_outside_the_article_is_kept(tmp_path: Path) -> None:
    """A lead paragraph set above the article's container: trafilatura leaves it out, the
    page's rendering has it just before the article's first paragraph, so it is kept; a
    teaser that repeats the article's first paragraph is not added twice."""
    from cleaner.extract.html import trafilatura_text

    title, first, second = STORIES[0]
    third = (
        "Divers will inspect the harbour walls next week, and the council expects their "
        "report to show that the old stonework came through the storm without damage."
    )
    lead = (
        "The harbour is open again after a weekend of clearing, and the first boats left at "
        "dawn under a clear sky."
    )
    page = LEAD.format(title=title, lead=lead, first=first, second=second, third=third)
    teaser = LEAD.format(title=title, lead=first[:80] + "...", first=first, second=second,
                         third=third)  # fmt: skip
    assert lead not in trafilatura_text(page, Config())  # what the extractor gives
    kept = clean_pages(tmp_path, {"lead.html": page, "teaser.html": teaser})
    assert kept["lead.txt"][:4] == [lead, first, second, third]
    assert kept["teaser.txt"][:3] == [first, second, third]


SOURCES = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><article><h1>{title}</h1><p>{first}</p>
<p>The figures come from the port authority's yearly report:</p>
<p>http://example.org/reports/2019/harbour-traffic.html</p>
<p>{second}</p>
<p>www.example.org/press/storm-damage</p>
<p>https://example.org/media/quay-photo.jpg</p>
<p>For the sauce, take:</p>
<ul><li>1/2 tsp ground cloves</li><li>1 1/2 cups of honey</li><li>3/4 cup lemon juice</li></ul>
<p>Stir the sauce over a low heat until it thickens and serve it warm with the fish.</p>
</article></body></html>
"""


def test_html_bare_addresses_and_fractions_in_the_body_stay(tmp_path: Path) -> None:
    """An address alone on its line in an extracted body is printed for the reader (a
    source): HTML mode keeps it, text mode drops it as markup as it drops any link; an
    image file's address is markup in both. Quantities like 1/2 are not dates."""
    title, first, second = STORIES[0]
    page = SOURCES.format(title=title, first=first, second=second)
    kept, entry = clean_one_page(tmp_path, page)
    assert "http://example.org/reports/2019/harbour-traffic.html" in kept
    assert "www.example.org/press/storm-damage" in kept
    assert not any("quay-photo" in line for line in kept)
    for quantity in ("1/2 tsp ground cloves", "1 1/2 cups of honey", "3/4 cup lemon juice"):
        assert any(line.endswith(quantity) for line in kept), quantity

    lines = entry["lines"]
    reasons = {ln["text"]: ln["reason"] for ln in lines if not ln["keep"]}
    assert reasons == {"https://example.org/media/quay-photo.jpg": "markup"}

    text = tmp_path / "text"
    text.mkdir()
    (text / "page.txt").write_text("\n".join(ln["text"] for ln in lines) + "\n", encoding="utf-8")
    clean_corpus([text], tmp_path / "text-out", report=tmp_path / "text.json")
    entry = json.loads((tmp_path / "text.json").read_text(encoding="utf-8"))["files"][0]
    dropped = {ln["text"]: ln["reason"] for ln in entry["lines"] if not ln["keep"]}
    assert dropped["http://example.org/reports/2019/harbour-traffic.html"] == "markup"


SPLIT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<main><h1>{title}</h1>
<div class="grid--item body body__container article__body">{first}</div>
<div class="ad"><span>Advertisement</span></div>
<div class="grid--item body body__container article__body">{second}</div>
<div class="related"><h3>More stories</h3><ul><li><a href="/a">Library extends its hours</a></li>
<li><a href="/b">Bridge wins an award</a></li></ul></div></main>
<footer><p>Copyright Example News. All rights reserved.</p></footer>
</body></html>
"""

PARAGRAPHS = [
    "The harbour reopened on Monday morning after workers cleared the debris that the storm "
    "had left along the quays during the weekend.",
    "Fishing boats were the first to leave, and the ferry company said that its timetable "
    "would be back to normal by the end of the week.",
    "The council said that the repairs to the old sea wall would cost far more than the sum "
    "it had set aside for them in the spring.",
    "Divers will inspect the harbour walls next week, and the council expects their report "
    "to show that the old stonework held up well.",
    "Residents who want to know more can attend a meeting at the town hall on Thursday "
    "evening, where the engineers will answer questions.",
    "Several fishermen said that they had lost a week of work to the storm, and they asked "
    "whether the harbour dues could be waived.",
    "The harbour master told the meeting that the request would be considered by the board "
    "at its next session later this month.",
    "A decision on the dues is expected before the end of the month, and the ferry company "
    "has promised refunds for cancelled trips.",
]
NOTE = "Jane Example is a reporter for Example News who covers the coast and its ports."


def test_html_article_split_in_two_containers_is_read_whole(tmp_path: Path) -> None:
    """An article set in two containers with an advert between: trafilatura keeps the
    first, and the prose that continues it on the page's rendering is added back. A short
    note after a whole article (an author's line) is not: it is small beside the article."""
    from cleaner.extract.html import trafilatura_text

    paras = ["<p>" + p + "</p>" for p in PARAGRAPHS]
    split = SPLIT.format(title="Harbour reopens", first="".join(paras[:4]),
                         second="".join(paras[4:]))  # fmt: skip
    whole = SPLIT.format(title="Harbour reopens", first="".join(paras), second=f"<p>{NOTE}</p>")
    assert PARAGRAPHS[4] not in trafilatura_text(split, Config())  # what the extractor gives
    assert NOTE not in trafilatura_text(whole, Config())
    kept = clean_pages(tmp_path, {"split.html": split, "whole.html": whole})
    assert kept["split.txt"] == PARAGRAPHS
    assert kept["whole.txt"] == PARAGRAPHS


@settings(max_examples=1500, deadline=None)
@given(html_fragments(), st.sampled_from([0.01, 0.3, 0.5, 0.9, 1.0]))
def test_hidden_elements_by_the_compiled_walk_are_the_references(body: str, share: float) -> None:
    """The walk in C finds the elements a reader does not see as the Python reference does
    (the hidden attribute and display:none in any case and spacing, spaces of every kind,
    non-ASCII letters in the values, hidden elements in one another, scripts in them) and
    counts their characters as it does, so the same ones are removed."""
    import lxml.etree
    import lxml.html

    from cleaner.extract.html import _text_chars, drop_hidden, hidden_outer, hides
    from cleaner.extract.walk import tree_walk

    def dropped(tree: Any) -> tuple[bool, bytes] | str:
        try:
            return drop_hidden(tree, share), lxml.etree.tostring(tree)
        except ValueError as error:  # lxml refuses a tail with control characters
            return str(error)

    source = f"<html><body>{body}x</body></html>"
    trees = [lxml.html.document_fromstring(source) for _ in range(2)]
    with reference():
        expected = dropped(trees[0])
    assert dropped(trees[1]) == expected
    walk = tree_walk()
    if walk is None:
        return
    page = lxml.html.document_fromstring(source).find("body")
    outer = hidden_outer(page)
    read = (outer, sum(map(_text_chars, outer)), _text_chars(page))
    assert walk.hidden(page, hides) == read
    assert all(type(el) is lxml.html.HtmlElement for el in read[0])
