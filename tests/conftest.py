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
