"""The line index: half a corpus indexed, then the other half cleaned with it, decides
exactly as one run over the whole corpus."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from cleaner import Config, clean_corpus
from cleaner.index import IndexUnusable, open_index

SUBJECTS = ["The council", "A local farmer", "The new museum", "Our correspondent", "The mayor"]
VERBS = ["announced", "described", "rejected", "welcomed", "questioned"]
OBJECTS = [
    "a plan to rebuild the old bridge over the river",
    "the results of the long survey of the northern forest",
    "an exhibition of paintings from the harbour district",
    "the decision to close the railway station in winter",
    "a proposal for a market in the centre of the town",
]
HEADLINES = [
    f"Headline number {w} about the region" for w in ["one", "two", "three", "four", "five", "six"]
]


def page(rng: random.Random, n: int) -> str:
    lines = [f"Updated {rng.randint(1, 28)}/{rng.randint(1, 12)} at {rng.randint(10, 23)}:15"]
    lines.append(f"# Article {n} about events in the valley")
    for _ in range(5):
        lines.append(
            " ".join(
                f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} on day {k}."
                for k in range(rng.randint(2, 4))
            )
        )
    lines += [*rng.sample(HEADLINES, 3), f"Only on page {n}: a unique teaser line"]
    lines.append("Contact us | Privacy")
    return "\n".join(lines) + "\n"


def make_corpus(root: Path, n: int) -> list[str]:
    rng = random.Random(3)
    root.mkdir(parents=True)
    names = []
    for i in range(n):
        name = f"p{i:02d}.txt"
        (root / name).write_text(page(rng, i), encoding="utf-8")
        names.append(name)
    return names


def decisions(report: Path) -> dict[str, list[tuple[bool, str, str | None]]]:
    files = json.loads(report.read_text(encoding="utf-8"))["files"]
    return {
        f["path"]: [(ln["keep"], ln["reason"], ln["group"]) for ln in f["lines"]] for f in files
    }


def test_half_then_half_equals_whole(tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    names = make_corpus(whole, 12)
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for i, name in enumerate(names):
        shutil.copy(whole / name, (first if i % 2 else second) / name)
    config = Config(language="en")
    clean_corpus([whole], tmp_path / "out-whole", config=config, report=tmp_path / "w.json")
    index = tmp_path / "index"
    clean_corpus([first], tmp_path / "out-a", config=config, index=index)
    clean_corpus(
        [second], tmp_path / "out-b", config=config, index=index, report=tmp_path / "b.json"
    )
    want = decisions(tmp_path / "w.json")
    got = decisions(tmp_path / "b.json")
    assert got == {name: want[name] for name in got}
    for name in got:
        assert (tmp_path / "out-b" / name).read_bytes() == (
            tmp_path / "out-whole" / name
        ).read_bytes()
    stored = open_index(index, config)
    assert stored is not None and stored.n_docs == 12


# Article sentences, one a page, that share nothing but stopwords
BODIES = [
    "The council voted on Monday to rebuild the old stone bridge before the winter floods.",
    "A farmer from the northern valley has grown a pumpkin heavier than his tractor.",
    "Visitors queued for hours outside the museum to see the restored medieval maps.",
    "Teachers at the village school are asking parents to help repaint the classrooms.",
    "The railway company promised that trains to the coast would run again by spring.",
    "Fishermen in the harbour reported the largest catch of herring in twenty years.",
    "Our reporter spent a night with the volunteers who patrol the mountain trails.",
    "Residents of the quiet street were surprised when a film crew arrived at dawn.",
]


def test_template_seen_earlier_counts(tmp_path: Path) -> None:
    """A line repeated on many earlier pages is template in a batch where it occurs once."""
    earlier, batch = tmp_path / "earlier", tmp_path / "batch"
    earlier.mkdir()
    batch.mkdir()

    def body(i: int) -> str:
        return BODIES[i]

    for i in range(6):
        (earlier / f"e{i}.txt").write_text(f"Subscribe to the weekly letter\n{body(i)}\n")
    (batch / "new.txt").write_text(f"Subscribe to the weekly letter\n{body(7)}\n")
    config = Config(language="en")
    index = tmp_path / "index"
    clean_corpus([earlier], None, config=config, index=index)
    outcome = clean_corpus([batch], tmp_path / "out", config=config, index=index)
    assert outcome.summary.totals["by_reason"].get("template") == 1
    alone = clean_corpus([batch], tmp_path / "out2", config=config)
    assert "template" not in alone.summary.totals["by_reason"]


def test_interrupted_update_keeps_previous_index(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "src"
    make_corpus(src, 4)
    config = Config(language="en")
    index = tmp_path / "index"
    clean_corpus([src], None, config=config, index=index)
    before = open_index(index, config)
    assert before is not None

    import cleaner.index as mod

    real_replace = mod.os.replace

    def failing(a: object, b: object) -> None:
        if str(b).endswith("CURRENT"):
            raise OSError("disk full")
        real_replace(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(mod.os, "replace", failing)
    with pytest.raises(OSError):
        clean_corpus([src], None, config=config, index=index)
    monkeypatch.undo()
    after = open_index(index, config)
    assert after is not None and after.version == before.version
    assert after.n_docs == before.n_docs


def test_index_with_other_parameters_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_corpus(src, 2)
    index = tmp_path / "index"
    clean_corpus([src], None, config=Config(), index=index)
    with pytest.raises(IndexUnusable):
        clean_corpus([src], None, config=Config(num_perm=64, lsh_bands=16), index=index)


def test_report_uses_the_threshold_the_decisions_used(tmp_path: Path) -> None:
    """With an index, the template threshold counts the index's pages too: the report
    states the threshold the decisions used and flags groups by it."""
    earlier, batch = tmp_path / "earlier", tmp_path / "batch"
    make_corpus(earlier, 40)
    batch.mkdir()
    for i, text in enumerate(BODIES[:4]):
        shared = "Subscribe to the weekly letter from the valley\n" if i < 3 else ""
        (batch / f"new{i}.txt").write_text(f"{shared}{text}\n", encoding="utf-8")
    config = Config(language="en", min_files=2, min_file_fraction=0.1)
    index = tmp_path / "index"
    clean_corpus([earlier], None, config=config, index=index)
    report = tmp_path / "b.json"
    outcome = clean_corpus([batch], tmp_path / "out", config=config, index=index, report=report)
    totals = outcome.summary.totals
    # 44 pages in all: a group must span ceil(0.1 * 44) = 5 files to be template
    assert totals["template_min_files"] == config.template_min_files(44) == 5
    assert "template" not in totals["by_reason"]  # so the 3-page line is kept
    assert totals["template_groups"] == 0
    groups = json.loads(report.read_text(encoding="utf-8"))["groups"]
    shared = [g for g in groups if g["n_files"] == 3]
    assert len(shared) == 1
    assert shared[0]["template"] is False
