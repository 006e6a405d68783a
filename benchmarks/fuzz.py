"""Mutation fuzzing of the page readers: random bytes, truncations and markup splices of
real pages go through decoding, HTML extraction, segmentation and line decisions. None may
raise: a bad page must come back as a page with an error, or as lines.

    python benchmarks/fuzz.py [--seconds 300] [--seed 0]

Prints the number of inputs tried and every crash (input saved under --crash-dir).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from cleaner import Config
from cleaner.dedup import GroupTable
from cleaner.io.formats import RecordKeys
from cleaner.models import Source
from cleaner.pages import load_pages
from cleaner.pipeline import RunContext, WorkerMemo, decide_page

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = [
    b"<div>",
    b"</div>",
    b"<p>",
    b"<script>",
    b"</script>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"&amp;",
    b"&#x0;",
    b"&#9999999;",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\r",
    b"\n" * 50,
    b"<meta charset='utf-16'>",
    b"<table><tr><td>",
    b"![](x) |",
    b"| a | b |",
    b"# ",
    "\u202e\u200b\ufeff".encode(),
    "中文。".encode(),
    b"<" * 200,
    b"a" * 5000,
]


def seeds() -> list[bytes]:
    pages = [p.read_bytes() for p in sorted((ROOT / "seeds").glob("*.txt"))]
    data = ROOT / "tests" / "data"
    pages += [p.read_bytes() for p in sorted(data.glob("*.html"))]
    return pages


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(5)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[pos:pos] = rng.choice(SNIPPETS)
        elif op == 2:
            del buf[pos : pos + rng.randint(1, 2000)]
        elif op == 3:
            buf = buf[: rng.randrange(len(buf) + 1)]
        else:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    return bytes(buf)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"))
    parser.add_argument("--extractor", default="trafilatura", help="HTML extractor to fuzz")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    corpus = seeds()
    config = Config(extractor=args.extractor)
    empty = GroupTable(*(np.empty(0, t) for t in (np.uint64, np.uint64, np.int64, np.int64)))
    tried = crashes = 0
    deadline = time.monotonic() + args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(config, Path(tmp), RecordKeys(), None, empty, 2)
        memo = WorkerMemo(config.near_dup_max_chars)  # one language model for all inputs
        while time.monotonic() < deadline:
            data = mutate(rng, rng.choice(corpus))
            kind = rng.choice(["text", "html"])
            path = Path(tmp) / f"page.{'txt' if kind == 'text' else 'html'}"
            path.write_bytes(data)
            tried += 1
            try:
                source = Source.of(path, path.name, kind)
                pages = load_pages(source, config, RecordKeys(), memo.printer, langid=memo.langid)
                for page in pages:
                    decide_page(page, ctx)
            except Exception:
                crashes += 1
                args.crash_dir.mkdir(exist_ok=True)
                (args.crash_dir / f"crash-{tried}.{kind}").write_bytes(data)
                traceback.print_exc()
    print(f"inputs tried: {tried}  crashes: {crashes}  ({args.seconds:.0f} s, seed {args.seed})")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
