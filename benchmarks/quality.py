"""Token precision/recall/F1 of cleaner on the evaluation datasets.

    python benchmarks/quality.py [--eval-dir ../shared/eval] [--datasets NAME ...]
                                 [--modes text html] [--by-site] [--limit N] [--json]
                                 [--no-baseline] [--losses]

Each dataset is cleaned in one run (so cross-file statistics work as they would for a
user) and every page is scored against its gold text, with the same token definition
as ``shared/eval/score.py``: lowercase ``\\w+`` tokens, multiset intersection,
macro-averaged over pages. In HTML mode the same pages are also given to trafilatura
alone, with cleaner's extraction settings, in the same run: the ``trafilatura`` rows and
cleaner's delta to them, per dataset and per site (``--losses`` lists the pages where
cleaner scores below it, and the lines it dropped there).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from cleaner import Config, clean_corpus
from cleaner.heuristics.shape import ends_sentence
from cleaner.text import strip_markup

TOKEN_RE = re.compile(r"\w+", re.UNICODE)
MODES = {"text": ("text", ".txt"), "html": ("html", ".html")}
BASELINES = {  # measured over all pages: (no cleaning, C4-style filter, jusText, trafilatura)
    ("scrapinghub", "text"): {"none": 0.562, "c4": 0.821, "trafilatura": 0.585},
    ("scrapinghub", "html"): {"justext": 0.760, "trafilatura": 0.948},
    ("cleanportaleval", "text"): {"none": 0.499, "c4": 0.844, "trafilatura": 0.510},
    ("cleanportaleval", "html"): {"justext": 0.830, "trafilatura": 0.919},
}


def tokenize(text: str) -> list[str]:
    """>>> tokenize("Hello, World! Ça va? 3.5")
    ['hello', 'world', 'ça', 'va', '3', '5']
    """
    return TOKEN_RE.findall(text.lower())


def prf(gold: list[str], pred: list[str]) -> tuple[float, float, float]:
    """Bag-of-words precision, recall, F1 (empty-vs-empty is a perfect score).

    >>> prf(['a', 'b', 'b', 'c'], ['b', 'b', 'd'])
    (0.6666666666666666, 0.5, 0.5714285714285715)
    >>> prf([], [])
    (1.0, 1.0, 1.0)
    """
    if not gold and not pred:
        return 1.0, 1.0, 1.0
    if not gold or not pred:
        return 0.0, 0.0, 0.0
    common = sum((Counter(gold) & Counter(pred)).values())
    if common == 0:
        return 0.0, 0.0, 0.0
    p, r = common / len(pred), common / len(gold)
    return p, r, 2 * p * r / (p + r)


def manifest(dataset_dir: Path) -> dict[str, dict[str, str]]:
    rows = {}
    with (dataset_dir / "manifest.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            rows[row["id"]] = row
    return rows


def c4_filter(text: str) -> str:
    """The C4-style line filter: keep lines that end in terminal punctuation and have at
    least five words.

    >>> c4_filter("Menu\nThe cat sat on the mat.\nToo short.\n")
    'The cat sat on the mat.\n'
    """
    kept = []
    for line in text.splitlines():
        visible = strip_markup(line)
        if ends_sentence(visible) and visible.rstrip()[-1:] != ":" and len(visible.split()) >= 5:
            kept.append(line)
    return "".join(line + "\n" for line in kept)


Line = tuple[bool, str, str]  # keep, reason, text: one line of a page as cleaner decided it


def predict(
    dataset_dir: Path, mode: str, pages: list[str], config: Config | None, jobs: int = 1
) -> dict[str, str]:
    """Cleaned text of each page: cleaner on the whole set in one run, or (``config`` None)
    the C4-style filter on the text renderings."""
    sub, suffix = MODES[mode]
    if config is None:
        return {
            pid: c4_filter((dataset_dir / sub / f"{pid}{suffix}").read_text(encoding="utf-8"))
            for pid in pages
        }
    return predict_lines(dataset_dir, mode, pages, config, jobs)[0]


def predict_lines(
    dataset_dir: Path, mode: str, pages: list[str], config: Config, jobs: int = 1
) -> tuple[dict[str, str], dict[str, list[Line]]]:
    """Cleaner on the whole set in one run: the cleaned text of each page, and each page's
    lines with their decisions (from the JSON report)."""
    sub, suffix = MODES[mode]
    with tempfile.TemporaryDirectory(prefix="cleaner-eval-") as tmp:
        src = Path(tmp) / "in"
        out = Path(tmp) / "out"
        report = Path(tmp) / "report.json"
        src.mkdir()
        for pid in pages:
            (src / f"{pid}{suffix}").symlink_to((dataset_dir / sub / f"{pid}{suffix}").resolve())
        clean_corpus([src], out, config=config, jobs=jobs, report=report)
        preds = {}
        for pid in pages:
            path = out / f"{pid}.txt"
            preds[pid] = path.read_text(encoding="utf-8") if path.exists() else ""
        data = json.loads(report.read_text(encoding="utf-8"))
        lines = {
            Path(f["path"]).stem: [(ln["keep"], ln["reason"], ln["text"]) for ln in f["lines"]]
            for f in data["files"]
        }
        return preds, lines


def trafilatura_alone(dataset_dir: Path, pages: list[str], config: Config) -> dict[str, str]:
    """The baseline of HTML mode: trafilatura alone on each HTML page, with the extraction
    settings cleaner gives it (``cleaner.extract.html.trafilatura_text``), nothing after."""
    from cleaner.extract.html import trafilatura_text

    return {
        pid: trafilatura_text(
            (dataset_dir / "html" / f"{pid}.html").read_text(encoding="utf-8", errors="replace"),
            config,
        )
        for pid in pages
    }


def evaluate(
    dataset_dir: Path,
    mode: str,
    config: Config | None,
    limit: int | None = None,
    jobs: int = 1,
    ids: list[str] | None = None,
) -> dict[str, object]:
    """Clean one dataset in one run (``config`` None: the C4-style filter) and score each
    page; returns a result dict with the mean, per-site means and per-page F1."""
    pages = page_ids(dataset_dir, limit, ids)
    preds = predict(dataset_dir, mode, pages, config, jobs)
    return score(dataset_dir, mode, "c4" if config is None else "cleaner", preds)


def page_ids(
    dataset_dir: Path, limit: int | None = None, ids: list[str] | None = None
) -> list[str]:
    """The pages of a dataset to score: ``ids`` or all, sorted, the first ``limit``."""
    pages = sorted(ids if ids is not None else manifest(dataset_dir))
    return pages if limit is None else pages[:limit]


def score(dataset_dir: Path, mode: str, method: str, preds: dict[str, str]) -> dict[str, object]:
    """Score the predicted text of each page against its gold: the mean, per-site means and
    per-page F1."""
    meta = manifest(dataset_dir)
    pages = sorted(preds)
    scores: dict[str, tuple[float, float, float]] = {}
    for pid in pages:
        gold = (dataset_dir / "gold" / f"{pid}.txt").read_text(encoding="utf-8")
        scores[pid] = prf(tokenize(gold), tokenize(preds[pid]))
    by_site: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for pid, s in scores.items():
        by_site[meta[pid].get("site") or "?"].append(s)

    def mean(rows: list[tuple[float, float, float]]) -> dict[str, float]:
        n = len(rows) or 1
        return {k: round(sum(r[i] for r in rows) / n, 4) for i, k in enumerate("prf")}

    return {
        "dataset": dataset_dir.name,
        "mode": mode,
        "method": method,
        "pages": len(scores),
        **mean(list(scores.values())),
        "sites": {site: {"pages": len(r), **mean(r)} for site, r in sorted(by_site.items())},
        "per_page": {pid: round(s[2], 4) for pid, s in sorted(scores.items())},
    }


def resiliparse_alone(dataset_dir: Path, limit: int | None = None) -> dict[str, object]:
    """resiliparse's main-content text of each HTML page as the prediction, with the
    settings ``--extractor resiliparse`` uses (``cleaner.extract.html.resiliparse_text``):
    the extractor without cleaner's rules."""
    from cleaner.extract.html import resiliparse_text

    meta = manifest(dataset_dir)
    pages = sorted(meta)[:limit]
    by_site: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for pid in pages:
        html = (dataset_dir / "html" / f"{pid}.html").read_text(encoding="utf-8")
        gold = (dataset_dir / "gold" / f"{pid}.txt").read_text(encoding="utf-8")
        by_site[meta[pid].get("site") or "?"].append(
            prf(tokenize(gold), tokenize(resiliparse_text(html) or ""))
        )

    def mean(rows: list[tuple[float, float, float]]) -> dict[str, float]:
        return {k: round(sum(r[i] for r in rows) / len(rows), 4) for i, k in enumerate("prf")}

    every = [s for rows in by_site.values() for s in rows]
    return {
        "dataset": dataset_dir.name,
        "mode": "html",
        "method": "resiliparse",
        "pages": len(every),
        **mean(every),
        "sites": {site: {"pages": len(r), **mean(r)} for site, r in sorted(by_site.items())},
    }


def language_check(dataset_dir: Path, jobs: int) -> list[tuple[str, str, float, float]]:
    """F1 of the non-English pages of a text set with detected stoplists vs English forced:
    (page, language, F1 detected, F1 forced)."""
    meta = manifest(dataset_dir)
    others = sorted(pid for pid, row in meta.items() if row.get("lang") not in (None, "en"))
    if not others:
        return []
    pages = sorted(meta)
    auto = predict(dataset_dir, "text", pages, Config(), jobs)
    forced = predict(dataset_dir, "text", pages, Config(language="en"), jobs)
    rows = []
    for pid in others:
        gold = tokenize((dataset_dir / "gold" / f"{pid}.txt").read_text(encoding="utf-8"))
        rows.append(
            (
                pid,
                str(meta[pid]["lang"]),
                round(prf(gold, tokenize(auto[pid]))[2], 4),
                round(prf(gold, tokenize(forced[pid]))[2], 4),
            )
        )
    return rows


def baseline_of(results: list[dict[str, object]], r: dict[str, object]) -> dict[str, object]:
    """The trafilatura-alone result beside cleaner's result ``r`` ({} when there is none)."""
    if r["method"] != "cleaner":
        return {}
    for other in results:
        same = other["dataset"] == r["dataset"] and other["mode"] == r["mode"]
        if same and other["method"] == "trafilatura":
            return other
    return {}


def in_gold(text: str, gold: Counter[str]) -> bool:
    """Whether most of a line's tokens are tokens of the gold text (a line of the article).

    >>> in_gold("The cat sat.", Counter(["the", "cat", "sat", "down"])), in_gold("Menu", Counter())
    (True, False)
    """
    toks = tokenize(text)
    return bool(toks) and sum((Counter(toks) & gold).values()) >= 0.8 * len(toks)


def loss_report(
    dataset_dir: Path,
    ours: dict[str, object],
    base: dict[str, object],
    lines: dict[str, list[Line]],
) -> list[str]:
    """For each page where cleaner's F1 is below trafilatura alone's: the two F1, the gold
    words dropped per reason, and the dropped lines that are article text."""
    mine, theirs = ours["per_page"], base["per_page"]
    assert isinstance(mine, dict) and isinstance(theirs, dict)
    out = []
    worse = sorted((mine[pid] - theirs[pid], pid) for pid in mine if mine[pid] < theirs[pid])
    for delta, pid in worse:
        gold = Counter(tokenize((dataset_dir / "gold" / f"{pid}.txt").read_text(encoding="utf-8")))
        lost: Counter[str] = Counter()
        shown = []
        for keep, reason, text in lines.get(pid, []):
            if not keep and in_gold(text, gold):
                lost[reason] += len(tokenize(text))
                shown.append(f"      [{reason}] {text[:110]}")
        head = f"  {dataset_dir.name}/{pid}: {mine[pid]:.3f} vs {theirs[pid]:.3f} ({delta:+.3f})"
        why = ", ".join(f"{k} {v}" for k, v in lost.most_common()) or "no article line dropped"
        out += [head, f"    article words dropped: {why}", *shown[:8]]
    return out


def config_with(overrides: list[str]) -> Config:
    """A Config with ``FIELD=VALUE`` overrides (values parsed as JSON when they parse).

    >>> config_with(["min_files=3", "language=en"]).min_files
    3
    """
    values: dict[str, object] = {}
    for item in overrides:
        key, _, raw = item.partition("=")
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw
    return Config(**values)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("--eval-dir", type=Path, default=here.parent.parent / "shared" / "eval")
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--modes", nargs="*", default=["text", "html"], choices=sorted(MODES))
    parser.add_argument("--limit", type=int, default=None, help="first N pages of each set")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--by-site", action="store_true", help="also print per-site rows")
    parser.add_argument(
        "--c4", action="store_true", help="also score the C4-style line filter (text mode)"
    )
    parser.add_argument(
        "--languages",
        action="store_true",
        help="compare detected stoplists with English forced on the non-English pages",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip trafilatura alone (cleaner's extraction settings) beside HTML mode",
    )
    parser.add_argument(
        "--losses",
        action="store_true",
        help="list the pages where HTML mode scores below trafilatura alone, and the lines "
        "cleaner dropped there",
    )
    parser.add_argument(
        "--resiliparse-alone",
        action="store_true",
        help="also score resiliparse's text without cleaner's rules (html mode); "
        "cleaner with resiliparse: --set extractor=resiliparse",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="override a Config field"
    )
    args = parser.parse_args(argv)
    config = config_with(args.set)
    if not args.eval_dir.is_dir():
        print(f"error: no evaluation data at {args.eval_dir}", file=sys.stderr)
        return 2
    names = args.datasets or sorted(
        p.name for p in args.eval_dir.iterdir() if (p / "manifest.jsonl").exists()
    )
    results = []
    losses: list[str] = []
    for name in names:
        dataset_dir = args.eval_dir / name
        for mode in args.modes:
            if mode == "html" and args.resiliparse_alone:
                results.append(resiliparse_alone(dataset_dir, args.limit))
            if mode == "html" and not args.no_baseline:
                pages = page_ids(dataset_dir, args.limit)
                preds, lines = predict_lines(dataset_dir, mode, pages, config, args.jobs)
                ours = score(dataset_dir, mode, "cleaner", preds)
                base = score(
                    dataset_dir, mode, "trafilatura", trafilatura_alone(dataset_dir, pages, config)
                )
                results += [ours, base]
                if args.losses:
                    losses += loss_report(dataset_dir, ours, base, lines)
                continue
            results.append(evaluate(dataset_dir, mode, config, args.limit, args.jobs))
            if args.c4 and mode == "text":
                results.append(evaluate(dataset_dir, mode, None, args.limit))
    checks = {}
    if args.languages:
        checks = {name: language_check(args.eval_dir / name, args.jobs) for name in names}
        checks = {k: v for k, v in checks.items() if v}
    if args.json:
        print(json.dumps({"results": results, "languages": checks}, indent=2))
        return 0
    print(
        f"{'dataset':<17}{'mode':<6}{'method':<12}{'pages':>6}{'P':>8}{'R':>8}{'F1':>8}{'Δ':>8}"
        "   baselines (F1, all pages)"
    )
    for r in results:
        ref = baseline_of(results, r)
        base = BASELINES.get((str(r["dataset"]), str(r["mode"])), {})
        base_txt = ", ".join(f"{k} {v:.3f}" for k, v in base.items())
        delta = f"{float(r['f']) - float(ref['f']):>+8.3f}" if ref else " " * 8
        print(
            f"{r['dataset']!s:<17}{r['mode']!s:<6}{r['method']!s:<12}{r['pages']:>6}"
            f"{r['p']:>8.3f}{r['r']:>8.3f}{r['f']:>8.3f}{delta}   "
            f"{base_txt if r['method'] != 'trafilatura' else ''}"
        )
        if args.by_site and r["method"] != "trafilatura":
            sites = r["sites"]
            ref_sites = ref["sites"] if ref else {}
            assert isinstance(sites, dict) and isinstance(ref_sites, dict)
            for site, s in sites.items():
                row = f"  {site:<30}{s['pages']:>5}{s['p']:>8.3f}{s['r']:>8.3f}{s['f']:>8.3f}"
                if site in ref_sites:
                    b = ref_sites[site]["f"]
                    row += f"   trafilatura {b:.3f}  Δ {s['f'] - b:+.3f}"
                print(row)
    if losses:
        print("\npages where HTML mode scores below trafilatura alone")
        print("\n".join(losses))
    for name, rows in checks.items():
        print(f"\n{name}: non-English pages, F1 with detected stoplist vs English forced")
        for pid, lang, auto, forced in rows:
            print(f"  {pid:<40}{lang:<5}{auto:>8.3f}{forced:>8.3f}")
        n = len(rows)
        print(
            f"  {'mean':<45}{sum(r[2] for r in rows) / n:>8.3f}{sum(r[3] for r in rows) / n:>8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
