from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A copy of the project's seeds/ folder."""
    dst = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", dst)
    return dst


@pytest.fixture
def expected() -> Path:
    return DATA / "seeds_expected"


EVAL_TEXT = ROOT.parent / "shared" / "eval" / "cleanportaleval" / "text"


def mixed_corpus(tmp_path: Path, seeds: Path, every: int) -> Path:
    """The seed pages plus every ``every``-th text page of cleanportaleval (when present)."""
    root = tmp_path / "corpus"
    shutil.copytree(seeds, root)
    if EVAL_TEXT.is_dir():
        for page in sorted(EVAL_TEXT.glob("*.txt"))[::every]:
            shutil.copy(page, root / page.name)
    return root


def file_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def report_without(path: Path, *fields: str) -> dict:
    """A JSON report with the named top-level fields left out (timings, say)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for field in fields:
        data.pop(field)
    return data
