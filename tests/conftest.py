from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests have no time limit per example: a loaded machine (or the first example,
# which pays for imports) must not fail them; speed is measured in benchmarks/.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# The kernels' backends, and why a test of one skips
BACKENDS = ("compiled", "numba")
WHY_MISSING = {
    "compiled": "the compiled loops are off (CLEANER_KERNELS=0) or were not built (no C compiler)",
    "numba": "numba is not installed or cannot build its kernel",
}


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A copy of the project's seeds/ folder."""
    dst = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", dst)
    return dst


@pytest.fixture
def expected() -> Path:
    return DATA / "seeds_expected"


# Words for generated pages: function words (so that sentences read as prose in each
# language) and content words, per language.
_WORDS = {
    "en": (
        "the of and to in a is that for it as was with be by on not this are or from at "
        "which but have an they were has would when if so will more can who what about",
        "council harbour river market school bridge museum garden railway village winter "
        "summer farmers teachers doctors visitors budget report plan road station forest "
        "library festival election weather island coast storm tower mayor company workers",
    ),
    "fr": (
        "le la les de des du et en un une est que pour dans sur par avec qui pas au aux "
        "ce cette sont ont mais ou plus comme il elle nous leur",
        "conseil port rivière marché école pont musée jardin village hiver été agriculteurs "
        "enseignants médecins visiteurs budget rapport projet route gare forêt bibliothèque "
        "festival élection météo île côte tempête tour maire entreprise ouvriers",
    ),
}


def _sentence(rng: random.Random, lang: str, low: int = 12, high: int = 24) -> str:
    stop, content = (w.split() for w in _WORDS[lang])
    words = [
        rng.choice(stop) if i % 2 else rng.choice(content) for i in range(rng.randint(low, high))
    ]
    return " ".join(words).capitalize() + "."


def site_pages(n: int, seed: int = 0) -> dict[str, str]:
    """``n`` generated text pages of three small sites (English and French), as name ->
    text: each page has its site's navigation, a headline list shared with other pages of
    its site, an update-time line and a footer around an article of its own."""
    rng = random.Random(seed)
    pages = {}
    for i in range(n):
        site, lang = (
            ("news", "en") if i % 3 == 0 else ("daily", "en") if i % 3 == 1 else ("journal", "fr")
        )
        pool = random.Random(f"{site}-headlines")
        headlines = [_sentence(pool, lang, 5, 9).rstrip(".") for _ in range(8)]
        article = [_sentence(rng, lang) for _ in range(rng.randint(4, 8))]
        lines = [
            f"Home | World | Sport | {site.title()} | Contact",
            f"Updated {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} {rng.randint(1, 28)}/11",
            f"# {_sentence(rng, lang, 5, 9).rstrip('.')}",
            *article,
            *rng.sample(headlines, 5),
            f"Copyright {site.title()} Media. All rights reserved.",
        ]
        pages[f"{site}-{i:03d}.txt"] = "\n".join(lines) + "\n"
    return pages


def mixed_corpus(tmp_path: Path, seeds: Path, every: int) -> Path:
    """The seed pages plus ``60 // every`` generated pages of small sites (see
    :func:`site_pages`)."""
    root = tmp_path / "corpus"
    shutil.copytree(seeds, root)
    for name, text in site_pages(60 // every).items():
        (root / name).write_text(text, encoding="utf-8")
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
