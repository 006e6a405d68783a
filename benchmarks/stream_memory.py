"""Peak memory of cleaning one large JSON Lines (.zst) file: it must stay flat as the file
grows, since records stream through every pass.

    python benchmarks/stream_memory.py --sizes-mb 50 200 2000 [--jobs 2] [--keep DIR]

For each size, writes a .jsonl.zst file of generated web-like records (a few template
lines and a generated article each), cleans it with ``clean`` in a child process, and
prints the peak RSS of its largest process (main or worker). The ratio column compares
each size with the smallest.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import make_vocabulary, sentence

TEMPLATE = ["Home | News | Sport | Weather", "Sign up for our newsletter", "© The Daily Example"]


def record(rng: random.Random, n: int, vocab: list[str]) -> str:
    lines = [TEMPLATE[0], f"Updated {rng.randint(1, 28)}/{rng.randint(1, 12)}"]
    for _ in range(rng.randint(6, 14)):
        lines.append(" ".join(sentence(rng, vocab) for _ in range(rng.randint(2, 5))))
    lines += TEMPLATE[1:]
    return json.dumps({"id": n, "text": "\n".join(lines), "url": f"https://example.org/{n}"})


def write_corpus(path: Path, megabytes: int, seed: int = 0) -> int:
    import zstandard

    rng = random.Random(seed)
    vocab = make_vocabulary(rng, 20_000)
    target = megabytes * 1_000_000
    written = n = 0
    with path.open("wb") as raw, zstandard.ZstdCompressor(level=3).stream_writer(raw) as out:
        while written < target:
            line = (record(rng, n, vocab) + "\n").encode()
            out.write(line)
            written += len(line)
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the corpora in")
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes (a large file is cleaned in parts)"
    )
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cleaner-stream-") as tmp:
        root = args.keep or Path(tmp)
        for size in sorted(args.sizes_mb):
            folder = root / f"jsonl-{size}mb"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "corpus.jsonl.zst"
            records = write_corpus(path, size) if not path.exists() else -1
            # each size in a fresh interpreter, so ru_maxrss is that run's own peak
            code = (
                "import resource, subprocess, sys;"
                "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
            )
            out = Path(tmp) / f"out-{size}"
            started = time.perf_counter()
            proc = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    code,
                    sys.executable,
                    "-m",
                    "cleaner",
                    str(folder),
                    "-o",
                    str(out),
                    "--quiet",
                    "--jobs",
                    str(args.jobs),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - started
            rss = int(proc.stdout.strip()) / 1024
            rows.append((size, records, seconds, rss))
            print(
                f"{size:>6} MB  records {records:>9}  {seconds:8.1f} s  peak RSS {rss:8.1f} MiB",
                flush=True,
            )
    base = rows[0][3]
    print("\nsize (MB)  peak RSS (MiB)  ratio to smallest")
    for size, _, _, rss in rows:
        print(f"{size:>9}  {rss:>14.1f}  {rss / base:>17.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
