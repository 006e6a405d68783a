"""The JSON report: valid against its schema (cleaner/report_schema.json), the schema strict
enough to catch a malformed report, and the report consistent with itself and the output."""

from __future__ import annotations

import copy
import json
import pickle
import random
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from cleaner import Config, clean_corpus
from cleaner.models import Reason

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SCHEMA = json.loads(files("cleaner").joinpath("report_schema.json").read_text(encoding="utf-8"))
SEED = "000_5e96c4fc11c8f751.txt"


def run_report(inputs: list[Path], out: Path | None, tmp_path: Path) -> dict[str, Any]:
    report = tmp_path / "report.json"
    clean_corpus(inputs, out, report=report)
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def corpus(seeds: Path) -> Path:
    """Every kind of entry a report can hold: text and HTML pages, a record file with a bad
    record, a page that is a copy of another, a page in another encoding, a binary file."""
    shutil.copy(seeds / SEED, seeds / "copy.txt")
    shutil.copy(DATA / "sciencealert-com__0001.html", seeds / "page.html")
    records = [
        {"id": "r1", "text": "Short note.\nA record with a sentence that is long enough to count."},
        ["not", "an", "object"],
        {"id": "r3", "text": "", "extra": 1},
    ]
    (seeds / "records.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    (seeds / "latin.txt").write_bytes(
        "Le café était fermé ce matin à cause de la grève des employés du quartier.".encode(
            "cp1252"
        )
    )
    (seeds / "broken.txt").write_bytes(b"\x00\x01binary")
    return seeds


def test_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema"] == {"const": 1}


def test_schema_reasons_are_the_pipeline_reasons() -> None:
    assert set(SCHEMA["$defs"]["reason"]["enum"]) == {r.value for r in Reason}


def test_report_of_every_kind_of_page_matches_schema(corpus: Path, tmp_path: Path) -> None:
    data = run_report([corpus], tmp_path / "out", tmp_path)
    Draft202012Validator(SCHEMA).validate(data)
    # the corpus exercised every optional part of the schema
    assert {f["kind"] for f in data["files"]} == {"text", "html"}  # records hold text
    assert [f["id"] for f in data["files"] if f["path"] == "records.jsonl"] == ["r1", "2", "r3"]
    assert any(f["duplicate"] is not None for f in data["files"])
    assert any(f["notes"] for f in data["files"])
    assert data["duplicate_docs"] and data["groups"]
    errors = {e["path"]: e["error"] for e in data["errors"]}
    assert errors["broken.txt"] == "binary content (NUL bytes)"
    assert "records.jsonl#2" in errors
    assert data["totals"]["files_failed"] == len(data["errors"]) == 2
    failed = [f for f in data["files"] if f["error"] is not None]
    assert all(f["output"] is None and f["lines"] == [] for f in failed)


MUTATIONS = {
    "schema version": lambda d: d.update(schema=2),
    "missing totals": lambda d: d.pop("totals"),
    "unknown top-level field": lambda d: d.update(extra=True),
    "unknown reason": lambda d: d["files"][0]["lines"][0].update(reason="boring"),
    "group id not 16 hex digits": lambda d: d["groups"][0].update(id="xyz"),
    "line group not hex": lambda d: d["files"][0]["lines"][0].update(group="C919"),
    "line numbers start at 1": lambda d: d["files"][0]["lines"][0].update(n=0),
    "keep is a boolean": lambda d: d["files"][0]["lines"][0].update(keep="yes"),
    "extra line field": lambda d: d["files"][0]["lines"][0].update(score=0.5),
    "unknown page kind": lambda d: d["files"][0].update(kind="pdf"),
    "group spanning one file": lambda d: d["groups"][0].update(n_files=1),
    "negative count": lambda d: d["totals"].update(kept=-1),
    "ratio above 1": lambda d: d["totals"].update(template_ratio=1.5),
    "unknown reason count": lambda d: d["totals"]["by_reason"].update(boring=3),
    "config without num_perm": lambda d: d["config"].pop("num_perm"),
    "timings without seconds": lambda d: d.update(timings={}),
}


@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("report")
    shutil.copytree(ROOT / "seeds", tmp / "seeds")
    data = run_report([tmp / "seeds"], None, tmp)
    jsonschema.validate(data, SCHEMA)
    return data


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_schema_rejects_a_malformed_report(name: str, seeds_report: dict[str, Any]) -> None:
    broken = copy.deepcopy(seeds_report)
    MUTATIONS[name](broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_report_counts_add_up(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = run_report([corpus], out, tmp_path)
    totals = data["totals"]
    lines = [ln for f in data["files"] for ln in f["lines"]]
    assert data["config"] == Config().to_dict()
    assert data["inputs"] == [str(corpus)]
    assert totals["files"] == len(data["files"])  # the binary file is an entry with an error
    assert totals["lines"] == len(lines)
    assert totals["kept"] == sum(ln["keep"] for ln in lines)
    assert totals["dropped"] == totals["lines"] - totals["kept"]
    assert totals["by_reason"] == {
        r: sum(ln["reason"] == r for ln in lines) for r in {ln["reason"] for ln in lines}
    }
    template = sum(ln["reason"] in ("template", "template-block") for ln in lines)
    assert totals["template_ratio"] == pytest.approx(template / len(lines), abs=1e-6)
    readable = [f for f in data["files"] if f["error"] is None]
    assert totals["files_empty"] == sum(not any(ln["keep"] for ln in f["lines"]) for f in readable)
    assert all(ln["keep"] == (ln["reason"] == "body") for ln in lines)

    # pages in output order, lines numbered in order, outputs holding exactly the kept lines
    names = [f["path"] if f["id"] is None else f"{f['path']}#{f['id']}" for f in data["files"]]
    for f in data["files"]:
        assert [ln["n"] for ln in f["lines"]] == list(range(1, len(f["lines"]) + 1))
        if f["id"] is None and f["error"] is None:
            text = (out / f["output"]).read_text(encoding="utf-8")
            assert text == "".join(ln["text"] + "\n" for ln in f["lines"] if ln["keep"])

    # groups: most files first, each naming the pages whose lines carry its id
    assert totals["groups"] == len(data["groups"])
    assert totals["template_groups"] == sum(g["template"] for g in data["groups"])
    assert [g["n_files"] for g in data["groups"]] == sorted(
        (g["n_files"] for g in data["groups"]), reverse=True
    )
    for g in data["groups"]:
        members = {
            name
            for name, f in zip(names, data["files"], strict=True)
            if any(ln["group"] == g["id"] for ln in f["lines"])
        }
        assert set(g["files"]) == members
        assert g["n_files"] == len(g["files"])
        assert g["template"] == (g["n_files"] >= totals["template_min_files"])
        texts = [ln["text"] for f in data["files"] for ln in f["lines"] if ln["group"] == g["id"]]
        assert g["n_lines"] == len(texts) and g["n_variants"] == len(set(texts))
        assert g["text"] in texts and set(g["variants"]) <= set(texts)

    # the copy of a seed page and the page itself form a near-duplicate cluster
    assert [sorted(d["files"]) for d in data["duplicate_docs"]] == [sorted([SEED, "copy.txt"])]
    assert totals["duplicate_docs"] == 1
    for d in data["duplicate_docs"]:
        assert d["representative"] in d["files"]
        flagged = [f for f in data["files"] if f["path"] in d["files"]]
        assert {f["duplicate"]["cluster"] for f in flagged} == {d["id"]}
        assert sum(f["duplicate"]["representative"] for f in flagged) == 1


def test_dry_run_report_is_complete_and_atomic(seeds: Path, tmp_path: Path) -> None:
    report = tmp_path / "sub" / "r.json"
    clean_corpus([seeds], None, report=report)
    assert [p.name for p in report.parent.iterdir()] == ["r.json"]  # no temporary file left
    data = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    assert [f["path"] for f in data["files"]] == sorted(p.name for p in seeds.glob("*.txt"))


def test_readme_documents_the_schema() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## JSON report", 1)[1].split("\n## ", 1)[0]
    assert "cleaner/report_schema.json" in section
    for key in SCHEMA["required"]:
        assert f'"{key}"' in section, key
    for key in SCHEMA["properties"]["totals"]["required"]:
        assert f'"{key}"' in section, key


def test_terminal_file_list_is_bounded_and_groups_name_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per page the summary keeps a name, not a file summary: the terminal list holds the
    first files by name only, while groups still list every page they span."""
    import cleaner.report.builder as report_module

    monkeypatch.setattr(report_module, "MAX_LISTED_FILES", 3)
    src = tmp_path / "in"
    src.mkdir()
    shared = "A headline that every page of this small site repeats in its sidebar"
    topics = "apples rivers engines poems glaciers violins harbours orchids comets bridges"
    for i in (7, 2, 9, 4, 1, 8, 3, 6, 5, 0):
        topic = topics.split()[i]
        (src / f"p{i}.txt").write_text(
            f"{shared}\nThis page tells a long story about {topic} and why {topic} matter.\n",
            encoding="utf-8",
        )
    outcome = clean_corpus([src], None, dry_run=True, config=Config(language="en"))
    summary = outcome.summary
    assert summary.n_files == 10 and summary.totals["files"] == 10
    assert [f.path for f in summary.files] == ["p0.txt", "p1.txt", "p2.txt"]
    (group,) = [g for g in summary.groups if g["n_files"] == 10]
    assert group["files"] == [f"p{i}.txt" for i in range(10)]


def test_tallies_merge_the_same_whatever_the_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report is merged from per-shard tallies; how the pages are cut into shards does
    not change it, even where a group has more texts than are counted (those of smallest
    hash are, in full)."""
    import cleaner.report.tally as tally_module
    from cleaner.models import Decision, FileResult, LineResult
    from cleaner.report.builder import ReportBuilder
    from cleaner.report.tally import ShardTally, text_hash

    monkeypatch.setattr(tally_module, "MAX_COUNTED_VARIANTS", 3)
    body, dropped = Decision(True, Reason.BODY), Decision(False, Reason.NO_SENTENCE)
    pages = []
    for i in range(12):
        lines = [LineResult(1, f"Body text of page {i}.", body)]
        lines.append(LineResult(2, f"Menu {i % 5}", Decision(False, Reason.TEMPLATE, 7)))
        if i % 3:
            lines.append(LineResult(3, "Share", dropped))
        error = "could not be parsed" if i == 4 else None
        kept = () if error else tuple(lines)
        pages.append(FileResult(f"p{i:02d}.txt", "text", kept, "en", error))

    def summary(cuts: list[int], list_groups: int | None = None) -> Any:
        builder = ReportBuilder(Config(), None, ["in"], list_groups)
        saved = []
        for lo, hi in zip([0, *cuts], [*cuts, len(pages)], strict=True):
            tally = ShardTally()
            for page in pages[lo:hi]:
                tally.add(page)
            head, groups = tally.split()  # as the pipeline saves them
            builder.merge(head)
            saved.append(pickle.loads(pickle.dumps(groups)))
        wanted = builder.wanted_groups()
        for k, groups in enumerate(saved):
            builder.merge_groups(k, groups.select(wanted))
        return builder.summary(Config().template_min_files(11))  # 11 readable pages

    one = summary([])
    assert one == summary([1, 2, 3, 7, 11]) == summary([6])
    (group,) = one.groups
    counted = sorted((f"Menu {k}" for k in range(5)), key=text_hash)[:3]
    assert group["n_files"] == 11 and sorted(group["variants"]) == sorted(counted)
    assert group["n_lines"] == sum(1 for i in range(12) if i != 4 and f"Menu {i % 5}" in counted)
    assert one.totals["by_reason"] == {"body": 11, "no-sentence": 7, "template": 11}
    assert one.totals["files_failed"] == 1 and [f.top_reason for f in one.files][:2] == [
        "template",
        "template",
    ]


def test_a_summary_listing_a_few_groups_lists_the_first_of_all_and_counts_all() -> None:
    """Without a JSON report only the groups the terminal shows are gathered: they are the
    first groups of the full summary, and the totals still count every group."""
    from cleaner.models import Decision, FileResult, LineResult
    from cleaner.report.builder import ReportBuilder
    from cleaner.report.tally import ShardTally

    rng = random.Random(5)
    pages = []
    for i in range(60):
        lines = [LineResult(1, f"Body {i}.", Decision(True, Reason.BODY))]
        for gid in rng.sample(range(1, 40), 6):  # groups of many sizes, with ties
            text = f"Headline {gid} v{rng.randrange(3)}"
            lines.append(LineResult(len(lines) + 1, text, Decision(False, Reason.TEMPLATE, gid)))
        pages.append(FileResult(f"p{i:02d}.txt", "text", tuple(lines), "en"))

    def summary(list_groups: int | None, fetched: list[int]) -> Any:
        builder = ReportBuilder(Config(), None, ["in"], list_groups)
        saved = []
        for lo in range(0, len(pages), 7):
            tally = ShardTally()
            for page in pages[lo : lo + 7]:
                tally.add(page)
            head, groups = tally.split()
            builder.merge(head)
            saved.append(groups)
        wanted = builder.wanted_groups()
        fetched.append(len(wanted) if wanted is not None else -1)
        for k, groups in enumerate(saved):
            builder.merge_groups(k, groups.select(wanted))
        return builder.summary(Config().template_min_files(len(pages)))

    fetched: list[int] = []
    full = summary(None, fetched)
    assert len(full.groups) == full.totals["groups"] == 39
    for k in (0, 1, 5, 20, 100):
        few = summary(k, fetched)
        assert few.groups == full.groups[:k]
        assert few.totals == full.totals and few.files == full.files
        assert fetched[-1] >= min(k, 39)
    # gathered: only groups as large as the k-th (ties included), all for k >= 39
    assert fetched[1:3] == [0, 1] and max(fetched[1:5]) < 39 and fetched[5] == 39


def test_group_columns_give_back_the_groups_they_were_made_of() -> None:
    """A shard's groups saved as columns come back as the same aggregates: all of them, or
    exactly those asked for, in their saved order."""
    from array import array

    from cleaner.report.tally import GroupAgg, GroupColumns

    rng = random.Random(3)
    groups = {
        rng.randrange(1 << 64): GroupAgg(
            {f"text {rng.randrange(99)} é": rng.randrange(1, 9) for _ in range(rng.randrange(5))},
            array("I", sorted(rng.sample(range(500), rng.randrange(1, 6)))),
        )
        for _ in range(40)
    }
    cols = pickle.loads(pickle.dumps(GroupColumns.of(groups)))
    assert list(cols.select(None)) == list(groups.items())
    wanted = set(rng.sample(sorted(groups), 7)) | {12345}  # one id not among them
    assert list(cols.select(wanted)) == [(g, a) for g, a in groups.items() if g in wanted]
    assert list(GroupColumns.of({}).select(None)) == []


def test_the_listed_files_are_the_first_by_name_whatever_order_pages_come_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The terminal list keeps the first files by name however the shards' pages are
    ordered (pages named after the last kept at a trim are passed over)."""
    import cleaner.report.builder as report_module
    from cleaner.models import Decision, FileResult, LineResult
    from cleaner.report.builder import ReportBuilder
    from cleaner.report.tally import ShardTally

    monkeypatch.setattr(report_module, "MAX_LISTED_FILES", 3)
    rng = random.Random(11)
    names = [f"p{rng.randrange(1000):03d}-{i}.txt" for i in range(60)]
    rng.shuffle(names)
    builder = ReportBuilder(Config(), None, ["in"], 10)
    for lo in range(0, len(names), 7):
        tally = ShardTally()
        for name in names[lo : lo + 7]:
            line = LineResult(1, "Body.", Decision(True, Reason.BODY))
            tally.add(FileResult(name, "text", (line,), "en"))
        builder.merge(tally.split()[0])
    listed = [f.path for f in builder.summary(Config().template_min_files(60)).files]
    assert listed == sorted(names)[:3]
