"""Local engine against Ray on the same corpus, on this machine.

    python benchmarks/engines.py [--docs 10000] [--jobs 2]

Generates the synthetic corpus of ``benchmarks/synth.py`` (or reuses --corpus-dir), cleans
it with ``--engine local`` and ``--engine ray`` (a local Ray runtime, started inside the
timed run as a user would), checks that both give the same pages, and prints the times.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--corpus-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from synth import generate

    from cleaner import Config, clean_corpus

    with tempfile.TemporaryDirectory(prefix="cleaner-engines-") as tmp:
        base = args.corpus_dir or Path(tmp)
        corpus = base / f"synth-{args.docs}"
        if not (corpus / "labels.jsonl").exists():
            generate(corpus, args.docs)
        times = {}
        for engine in ("local", "ray"):
            out = Path(tmp) / f"out-{engine}"
            started = time.perf_counter()
            clean_corpus(
                [corpus / "pages"], out, config=Config(language="en"), jobs=args.jobs,
                engine=engine,
            )  # fmt: skip
            times[engine] = time.perf_counter() - started
            print(f"{engine:<6} {times[engine]:8.1f} s", flush=True)
        cmp = filecmp.dircmp(Path(tmp) / "out-local", Path(tmp) / "out-ray")
        same = not cmp.diff_files and not cmp.left_only and not cmp.right_only
        same = same and all(
            not sub.diff_files and not sub.left_only and not sub.right_only
            for sub in cmp.subdirs.values()
        )
    print(f"ray / local: {times['ray'] / times['local']:.2f}x the time; identical pages: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
