"""A deterministic synthetic web corpus with per-line labels.

    python benchmarks/synth.py OUT_DIR --docs 10000 [--seed 0]

Sites share a page template: a navigation line, an update-time line whose date and time
change, a sidebar of headlines drawn from a rotating per-site pool (some with small
variations), and footer lines. Bodies are generated articles: a title and paragraphs of
sentences over a large made-up vocabulary. Some documents are exact or near-duplicate
copies of others, and some articles quote a sentence of another article. Every line is
labelled ``template`` or ``body`` in OUT_DIR/labels.jsonl (one object per page:
``{"file": name, "labels": [...]}``); the pages are OUT_DIR/pages/<site>/<n>.txt.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

SYLLABLES = [
    "ka", "lo", "mi", "ne", "ra", "to", "su", "ve", "di", "po", "an", "el", "or", "un", "is",
    "ba", "ce", "fu", "ga", "hi", "jo", "ku", "la", "me", "ni", "pe", "qui", "ro", "si", "te",
]  # fmt: skip
FUNCTION = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "this",
    "are",
    "or",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "were",
    "their",
    "been",
    "has",
    "when",
    "who",
    "will",
    "more",
    "if",
    "out",
    "so",
    "what",
    "up",
    "its",
    "about",
    "into",
    "than",
]
SECTIONS = ["World", "Business", "Sport", "Culture", "Science", "Travel", "Opinion"]


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def sentence(rng: random.Random, vocab: list[str]) -> str:
    words = [
        rng.choice(FUNCTION) if rng.random() < 0.4 else rng.choice(vocab)
        for _ in range(rng.randint(8, 24))
    ]
    return " ".join(words).capitalize() + "."


def headline(rng: random.Random, vocab: list[str]) -> str:
    words = [rng.choice(vocab) for _ in range(rng.randint(4, 9))]
    return " ".join(w.capitalize() if i == 0 else w for i, w in enumerate(words))


def vary(rng: random.Random, line: str, vocab: list[str]) -> str:
    """A small variation of a headline: a word replaced, or punctuation added."""
    words = line.split()
    if rng.random() < 0.5 and len(words) > 5:
        words[rng.randrange(1, len(words))] = rng.choice(vocab)
        return " ".join(words)
    return line + rng.choice(["!", " ?", " :", " —"])


def generate(out: Path, n_docs: int, seed: int = 0) -> dict[str, int]:
    rng = random.Random(seed)
    vocab = make_vocabulary(rng, 20_000)
    n_sites = max(2, n_docs // 250)
    sites = []
    for _s in range(n_sites):
        name = headline(rng, vocab).split()[0] + " News"
        pool = [headline(rng, vocab) for _ in range(60)]
        sites.append((name, pool))
    pages_dir = out / "pages"
    labels_path = out / "labels.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    stats = {"docs": 0, "lines": 0, "template_lines": 0}
    bodies: list[list[str]] = []
    with labels_path.open("w", encoding="utf-8") as labels:
        for n in range(n_docs):
            site = n % n_sites
            name, pool = sites[site]
            # the sidebar pool rotates: each page sees a window of the site's headlines
            start = (n // n_sites) % len(pool)
            window = [pool[(start + k) % len(pool)] for k in range(12)]
            roll = rng.random()
            if bodies and roll < 0.03:
                body = list(rng.choice(bodies))  # exact copy of an earlier article
            elif bodies and roll < 0.06:
                body = list(rng.choice(bodies))
                body[rng.randrange(1, len(body))] = " ".join(
                    sentence(rng, vocab) for _ in range(3)
                )  # one paragraph rewritten
            else:
                body = [headline(rng, vocab)] + [
                    " ".join(sentence(rng, vocab) for _ in range(rng.randint(2, 6)))
                    for _ in range(rng.randint(5, 12))
                ]
                if bodies and rng.random() < 0.05:
                    quoted = rng.choice(rng.choice(bodies)[1:])
                    body.insert(rng.randrange(2, len(body) + 1), quoted)
                bodies.append(body)
                if len(bodies) > 2000:
                    bodies.pop(rng.randrange(len(bodies)))
            lines: list[tuple[str, str]] = [
                (f"{name} | Home | " + " | ".join(SECTIONS), "template"),
                (
                    f"Updated {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} "
                    f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(10, 24)}",
                    "template",
                ),
            ]
            lines += [(line, "body") for line in body]
            lines.append((f"More from {name}", "template"))
            for h in rng.sample(window, 8):
                lines.append((vary(rng, h, vocab) if rng.random() < 0.2 else h, "template"))
            lines.append((f"© {name}. All rights reserved.", "template"))
            lines.append(("Follow us: Facebook Twitter Instagram", "template"))
            rel = f"site{site:04d}/{n:07d}.txt"
            path = pages_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(t for t, _ in lines) + "\n", encoding="utf-8")
            labels.write(json.dumps({"file": rel, "labels": [lab for _, lab in lines]}) + "\n")
            stats["docs"] += 1
            stats["lines"] += len(lines)
            stats["template_lines"] += sum(lab == "template" for _, lab in lines)
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(json.dumps(generate(args.out, args.docs, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
