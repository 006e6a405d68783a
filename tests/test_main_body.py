"""The main-body choice on generated text pages: which block is the article, and what is
kept beside it (comment threads, quoted posts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cleaner import Config, clean_corpus
from cleaner.text import word_count

SUBJECTS = ["The council", "The mayor", "A spokesman for the company", "The report", "Residents"]
VERBS = ["said on Monday that", "explained in a letter that", "warned in the spring that"]
CLAIMS = [
    "the bridge over the river would open again in May after the repairs were paid for",
    "the new rules would change how the town pays for its roads and its schools",
    "the plan had been delayed by a dispute with the contractor over the cost of steel",
    "most of the money was spent on the work that had been promised to the families",
]


def sentence(k: int) -> str:
    """A body sentence of about twenty words, varied by ``k``."""
    return (
        f"{SUBJECTS[k % len(SUBJECTS)]} {VERBS[k % len(VERBS)]} "
        f"{CLAIMS[k % len(CLAIMS)]}, and {CLAIMS[(k + 1) % len(CLAIMS)]} ({k})."
    )


def paragraph(k: int, n: int = 3) -> str:
    return " ".join(sentence(k + j) for j in range(n))


def clean_one(tmp_path: Path, text: str) -> list[dict[str, object]]:
    """The report's lines of one page cleaned alone."""
    lines: list[dict[str, object]] = report_entry(tmp_path, text)["lines"]
    return lines


def report_entry(tmp_path: Path, text: str) -> dict[str, Any]:
    """The report's entry of one page cleaned alone."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "page.txt").write_text(text, encoding="utf-8")
    report = tmp_path / "report.json"
    clean_corpus([src], tmp_path / "out", config=Config(language="en"), report=report)
    (page,) = json.loads(report.read_text(encoding="utf-8"))["files"]
    assert isinstance(page, dict)
    return page


def kept(lines: list[dict[str, object]], marker: str) -> list[bool]:
    return [bool(ln["keep"]) for ln in lines if marker in str(ln["text"])]


def thread_page() -> str:
    """A short article under its title and date, then eight comments, each under its
    author's date line; the comments hold more words than the article."""
    article = ["# A bridge opens again", "Posted on March 3, 2019", paragraph(0, 4) + " (A)"]
    thread = []
    for c in range(8):
        thread += [f"  * **Reader {c}** on March {c + 4}, 2019 at 4:{10 + c} pm said:"]
        thread += [paragraph(10 + c, 2) + " (C)", paragraph(20 + c, 2) + " (C)"]
    return "\n".join(article + thread) + "\n"


def test_comment_thread_under_a_short_article_is_dropped(tmp_path: Path) -> None:
    """Each comment sits under its author's date line: the thread, larger than the article
    it follows, is neither taken for the main body nor attached to it."""
    lines = clean_one(tmp_path, thread_page())
    assert kept(lines, "(A)") == [True]
    comments = [ln for ln in lines if "(C)" in str(ln["text"])]
    assert comments and all(not ln["keep"] for ln in comments)
    assert {ln["reason"] for ln in comments} == {"off-body"}


def test_quoted_posts_in_an_article_do_not_make_a_thread(tmp_path: Path) -> None:
    """Posts quoted in an article end with their author's date line ('> — name, date'):
    the article's paragraphs between them stay together."""
    page = ["# What readers said"]
    for k in range(4):
        page += [paragraph(3 * k) + " (A)", f"> A reader wrote this short post {k}"]
        page += [f"> — A Reader (@reader{k}) November {k + 1}, 2019"]
    page += [paragraph(40) + " (A)"]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(A)") == [True] * 5


def test_dated_posts_far_apart_make_no_thread(tmp_path: Path) -> None:
    """Date lines with long stretches of text between them (an article's sections with
    their dates) do not split the article."""
    page = ["# A year of repairs"]
    for k in range(4):
        page += [f"Updated March {k + 1}, 2019"]
        page += [paragraph(5 * k + j) + " (A)" for j in range(8)]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(A)") == [True] * 32


def test_report_says_where_the_main_body_stands(tmp_path: Path) -> None:
    """The report's ``main_body`` names the kept lines' span and words, and the largest
    off-body block: here the comment thread, from the first comment to the last."""
    entry = report_entry(tmp_path, thread_page())
    main = entry["main_body"]
    lines = entry["lines"]
    article = [ln["n"] for ln in lines if "(A)" in ln["text"]]
    comments = [ln["n"] for ln in lines if "(C)" in ln["text"]]
    assert main["first"] == 1  # the title
    assert main["last"] == article[-1]
    assert main["words"] == sum(word_count(ln["text"]) for ln in lines if ln["keep"])
    largest = main["off_body"]["largest"]
    assert (largest["first"], largest["last"]) == (comments[0], comments[-1])
    assert main["off_body"]["lines"] == len(comments)
    assert 0 < main["share"] < 0.5


def test_teasers_above_the_title_stay_apart_from_the_article(tmp_path: Path) -> None:
    """A block of teasers above the article's title, a dropped line between, is larger
    than the article but is not taken in: a top-level heading below dropped lines is a
    wall the main body does not cross."""
    page = [f"**Other story {k}** _{paragraph(50 + k, 2)} (T)_" for k in range(6)]
    page += ["Updated 12/03/2019 10:22", "# A bridge opens again"]
    page += [paragraph(k) + " (A)" for k in range(3)]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(A)") == [True] * 3
    assert kept(lines, "(T)") == [False] * 6
    assert kept(lines, "# A bridge") == [True]


PLACES = ["harbour", "station", "library", "market", "museum", "stadium", "airport", "park"]


def teaser(k: int) -> list[str]:
    """A picture, a headline and one line of summary."""
    place = f"{PLACES[k % len(PLACES)]} {PLACES[k // len(PLACES)]}"
    return [
        f"![Story {k}](https://example.com/img/{k}.jpg)",
        f"## What happened at the {place}",
        f"{sentence(30 + k)} (T)",
    ]


def test_teaser_grid_after_the_article_is_dropped(tmp_path: Path) -> None:
    """Headlines under pictures, each with one line of summary, below the article and
    larger than it: a grid of teasers, not the article's sections."""
    page = ["# A bridge opens again", paragraph(0, 4) + " (A)", paragraph(4, 4) + " (A)"]
    page += ["Posted 12/03/2019", "Updated 12/04/2019 10:22", "Printed 12/05/2019"]
    for k in range(12):
        page += teaser(k)
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(A)") == [True, True]
    assert kept(lines, "(T)") == [False] * 12


def test_sections_with_headings_stay(tmp_path: Path) -> None:
    """An article's sections under their own headings and pictures, several sentences
    each, are one body."""
    page = ["# A year of repairs", paragraph(0) + " (A)"]
    for k in range(5):
        page += [*teaser(k)[:2], paragraph(3 * k, 2) + " (A)", paragraph(7 * k) + " (A)"]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(A)") == [True] * 11


TEAMS = ["Rovers", "Albion", "United", "Wanderers", "Athletic", "Rangers", "Town", "City"]


def test_page_without_prose_keeps_its_list(tmp_path: Path) -> None:
    """A page of results and no sentence keeps its list below the title; the menu above
    (items of a word or two) and the footer after a top-level heading stay out."""
    page = ["  * Home", "  * News", "  * Sport", "  * Weather", "# Results of the week"]
    for k in range(8):
        a, b = TEAMS[k], TEAMS[(k + 3) % len(TEAMS)]
        page += [f"**{a} {k + 2}, {b} {k}** goals by Smith, Jones and Brown (R)"]
    page += ["# Contact", "Terms of Service", "Privacy"]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(R)") == [True] * 8
    assert [ln["text"] for ln in lines if ln["keep"] and "(R)" not in ln["text"]] == [
        "# Results of the week"
    ]


def test_page_of_short_items_stays_empty(tmp_path: Path) -> None:
    """A page of menu items (a word or two each) and no prose keeps nothing."""
    page = ["# Site map"] + [f"  * {TEAMS[k % 8]} {PLACES[k % 8]}" for k in range(30)]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert not any(ln["keep"] for ln in lines[1:])


def test_title_far_above_does_not_choose_a_sidebar(tmp_path: Path) -> None:
    """The top heading (a site's name) stands far above a sidebar note, many dropped lines
    between: the note is not taken for the text the heading announces; the larger article
    further down is the main body."""
    stamps = [f"Updated 12/{k + 1:02d}/2019 10:{k + 10}" for k in range(14)]
    page = ["# The Town Paper", *stamps, paragraph(60, 2) + " (S)", *stamps]
    page += ["## A bridge opens again", paragraph(0, 4) + " (A)", paragraph(4, 4) + " (A)"]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(A)") == [True, True]
    assert kept(lines, "(S)") == [False]


def offers(k: int) -> list[str]:
    """A numbered offer with its link below it."""
    return [
        f"{k + 1}) The {PLACES[k % 8]} set {TEAMS[(k + k // 8) % 8]} edition (O)",
        f"http://ex.am/{k}x",
    ]


def test_list_announced_by_a_colon_stays(tmp_path: Path) -> None:
    """The article's last paragraph ends with a colon: the list of offers below it is its
    content, kept up to the footer."""
    page = ["# Offers of the week", paragraph(0, 3) + " (A)"]
    page += [paragraph(3, 3) + " Here are the offers that we liked the most this week:"]
    for k in range(8):
        page += offers(k)
    page += ["# Contact", "Terms of Service", "Privacy"]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(O)") == [True] * 8
    assert not any(kept(lines, "Terms of Service"))


def test_list_after_a_full_stop_goes(tmp_path: Path) -> None:
    """Without the colon the same lines after the article are not announced: they go."""
    page = ["# Offers of the week", paragraph(0, 3) + " (A)", paragraph(3, 3)]
    for k in range(8):
        page += offers(k)
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(O)") == [False] * 8


def test_announced_list_joins_the_article_around_it(tmp_path: Path) -> None:
    """An announced list of many items (long lines of names, no sentences) in the middle
    of an article is part of it: the article's text after the list stays with the text
    before it, however many items stand between."""
    page = ["# Offers of the week", paragraph(0, 4) + " (A)"]
    page += [paragraph(4, 3) + " Here are the offers that we liked the most this week:"]
    for k in range(14):
        names = [f"Model{chr(97 + k)}{chr(97 + j)}" for j in range(26)]
        page += [f"{k + 1}) {' '.join(names)} (O)"]
    page += [paragraph(8, 3) + " (B)", paragraph(12, 3) + " (B)"]
    lines = clean_one(tmp_path, "\n".join(page) + "\n")
    assert kept(lines, "(O)") == [True] * 14
    assert kept(lines, "(B)") == [True, True]


def test_article_goes_on_past_an_inserted_headline_list(tmp_path: Path) -> None:
    """A headline list under pictures, shared with the site's other pages, is set in the
    middle of an article: the article's second half, as large as the first, stays."""
    headlines = [f"Latest news from the {p} of {t}" for p in PLACES[:6] for t in TEAMS[:1]]
    pages = {}
    for name, own in (("a", "(A)"), ("b", "(B)")):
        page = [f"# The {name} story", *(paragraph(k + len(own)) + f" {own}" for k in range(3))]
        for h in headlines:
            page += [f"![{h}](https://example.com/{h[-4:]}.jpg)", f"### {h.upper()}", h]
        page += [paragraph(k + 9) + f" {own}" for k in range(3)]
        pages[name] = "\n".join(page) + "\n"
    src = tmp_path / "in"
    src.mkdir()
    for name, text in pages.items():
        (src / f"{name}.txt").write_text(text, encoding="utf-8")
    report = tmp_path / "report.json"
    clean_corpus([src], tmp_path / "out", config=Config(language="en"), report=report)
    files = json.loads(report.read_text(encoding="utf-8"))["files"]
    for entry, own in zip(files, ("(A)", "(B)"), strict=True):
        assert [ln["keep"] for ln in entry["lines"] if own in ln["text"]] == [True] * 6
        assert not any(ln["keep"] for ln in entry["lines"] if "Latest news" in ln["text"])
