"""Quality floor: cleaning a fixed subset of the evaluation sets must not get worse.

Floors are token F1 measured on these subsets minus a small margin; raise them when
cleaning improves. The full tables come from ``benchmarks/quality.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cleaner import Config

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
sys.path.insert(0, str(ROOT / "benchmarks"))

import quality  # noqa: E402

# (dataset, mode) -> (F1 floor, recall floor) on the subset below; measured then:
# cleanportaleval text 0.934 (R 0.934), html 0.927 (R 0.928; trafilatura alone 0.923);
# scrapinghub text 0.892 (R 0.920), html 0.947 (R 0.987; trafilatura alone 0.944).
FLOORS = {
    ("cleanportaleval", "text"): (0.92, 0.92),
    ("cleanportaleval", "html"): (0.91, 0.91),
    ("scrapinghub", "text"): (0.88, 0.91),
    ("scrapinghub", "html"): (0.93, 0.97),
}


def subset(dataset: str) -> list[str]:
    """Five pages of every site (the first by id), at most 30 pages."""
    meta = quality.manifest(EVAL / dataset)
    by_site: dict[str, list[str]] = {}
    for pid in sorted(meta):
        by_site.setdefault(str(meta[pid].get("site")), []).append(pid)
    pages = sorted(pid for pids in by_site.values() for pid in pids[:5])
    return pages[:30]


@pytest.mark.skipif(not EVAL.is_dir(), reason="evaluation data (../shared/eval) not present")
@pytest.mark.parametrize(("dataset", "mode"), sorted(FLOORS))
def test_quality_floor(dataset: str, mode: str) -> None:
    result = quality.evaluate(EVAL / dataset, mode, Config(), ids=subset(dataset), jobs=2)
    print(dataset, mode, result["p"], result["r"], result["f"])
    min_f1, min_recall = FLOORS[dataset, mode]
    assert result["f"] >= min_f1
    assert result["r"] >= min_recall


@pytest.mark.skipif(not EVAL.is_dir(), reason="evaluation data (../shared/eval) not present")
@pytest.mark.parametrize("dataset", ["cleanportaleval", "scrapinghub"])
def test_html_mode_is_not_below_trafilatura_alone(dataset: str) -> None:
    """cleaner's rules on trafilatura's output add to it: HTML mode scores at least what
    trafilatura alone, with cleaner's extraction settings, scores on the same pages."""
    ids = subset(dataset)
    ours = quality.evaluate(EVAL / dataset, "html", Config(), ids=ids, jobs=2)
    alone = quality.trafilatura_alone(EVAL / dataset, ids, Config())
    base = quality.score(EVAL / dataset, "html", "trafilatura", alone)
    print(dataset, ours["f"], base["f"])
    assert ours["f"] >= base["f"]


def test_scores_agree_with_reference_scorer() -> None:
    """Our token P/R/F1 equals shared/eval/score.py's on the same texts."""
    if not (EVAL / "score.py").exists():
        pytest.skip("reference scorer not present")
    import importlib.util

    spec = importlib.util.spec_from_file_location("score", EVAL / "score.py")
    assert spec is not None and spec.loader is not None
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    cases = [
        ("The cat sat on the mat.", "the cat, the cat"),
        ("Ça va? Oui, ça va.", "ça va"),
        ("", ""),
        ("a b c", ""),
        ("x y 3.5", "x 3 5 z"),
    ]
    for gold, pred in cases:
        ours = quality.prf(quality.tokenize(gold), quality.tokenize(pred))
        ref = score.prf(score.tokenize(gold), score.tokenize(pred))
        assert ours == pytest.approx(ref)
