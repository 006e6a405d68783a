"""Precision and recall of near-duplicate document detection on a corpus with known copies.

    python benchmarks/docdedup.py [--docs 2000] [--seed 0]

The corpus: distinct articles of 12-20 paragraphs of generated sentences, and for a share of
them one or more copies that are exact, have one paragraph rewritten, or have one paragraph
dropped. Two pages are true duplicates when one was made from the other. The score is over
pairs of pages: a predicted pair is two pages in one reported cluster.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import make_vocabulary, sentence

from cleaner import Config, clean_corpus


def paragraph(rng: random.Random, vocab: list[str]) -> str:
    return " ".join(sentence(rng, vocab) for _ in range(rng.randint(2, 5)))


def make_corpus(root: Path, n_docs: int, seed: int) -> list[set[str]]:
    """Write the corpus; returns the true clusters (names) of two or more pages."""
    rng = random.Random(seed)
    vocab = make_vocabulary(rng, 5000)
    root.mkdir(parents=True, exist_ok=True)
    clusters: list[set[str]] = []
    n = 0
    while n < n_docs:
        base = [paragraph(rng, vocab) for _ in range(rng.randint(12, 20))]
        names = [f"doc{n:06d}.txt"]
        (root / names[0]).write_text("\n".join(base) + "\n", encoding="utf-8")
        n += 1
        if rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                copy = list(base)
                kind = rng.choice(["exact", "edit", "drop"])
                if kind == "edit":
                    copy[rng.randrange(len(copy))] = paragraph(rng, vocab)
                elif kind == "drop":
                    del copy[rng.randrange(len(copy))]
                name = f"doc{n:06d}.txt"
                (root / name).write_text("\n".join(copy) + "\n", encoding="utf-8")
                names.append(name)
                n += 1
            clusters.append(set(names))
    return clusters


def pairs(clusters: list[set[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for c in clusters for p in itertools.combinations(c, 2)}  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cleaner-docdedup-") as tmp:
        src = Path(tmp) / "corpus"
        truth = make_corpus(src, args.docs, args.seed)
        started = time.perf_counter()
        outcome = clean_corpus([src], None, config=Config(language="en"), jobs=args.jobs)
        seconds = time.perf_counter() - started
    found = [set(c["files"]) for c in outcome.summary.duplicate_docs]
    want, got = pairs(truth), pairs(found)
    tp = len(want & got)
    precision = tp / len(got) if got else 1.0
    recall = tp / len(want) if want else 1.0
    print(f"pages: {args.docs}  true clusters: {len(truth)}  true pairs: {len(want)}")
    print(f"found clusters: {len(found)}  found pairs: {len(got)}")
    # copy recall: each copy is in the same reported cluster as the page it was made from
    cluster_of = {name: i for i, c in enumerate(found) for name in c}
    copies = [(min(c), name) for c in truth for name in sorted(c) if name != min(c)]
    hits = sum(
        1
        for base, name in copies
        if name in cluster_of and cluster_of[name] == cluster_of.get(base)
    )
    print(f"pair precision: {precision:.4f}  pair recall: {recall:.4f}")
    print(f"copies found with their original: {hits}/{len(copies)} ({hits / len(copies):.4f})")
    print(f"time: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
