from __future__ import annotations

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
