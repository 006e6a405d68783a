"""What verifying an --index costs: a synthetic index of the size a large corpus leaves
(line keys and signatures, every page's key set, document print and name),
written with ``write_index`` (manifest included), then opened with ``open_index`` (every
file's size and xxh3_64 checksum, every array's shape, the arrays against each other).

    python benchmarks/index_verify.py [--pages 1000000] [--keys-per-page 40]
                                      [--lines 10000000] [--short-lines 3000000]

The files are read from the page cache on the second and later opens (the figure given as
warm); the first open after writing may read from the cache too (the writer just wrote
them). Printed: the index's size, the time to write it, the time to open it (median of
--repeat), and the share of the write the manifest takes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from cleaner import Config
from cleaner.docdedup import doc_print_dtype
from cleaner.index import open_index, write_index, write_manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1_000_000)
    parser.add_argument("--keys-per-page", type=int, default=40)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--short-lines", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to build the index")
    args = parser.parse_args()
    config = Config()
    rng = np.random.default_rng(1)
    keys = np.unique(rng.integers(1, 2**63, args.lines, dtype=np.uint64))
    sig_keys = np.sort(rng.choice(keys, min(args.short_lines, len(keys)), replace=False))
    sigs = rng.integers(0, 2**32, (len(sig_keys), config.num_perm), dtype=np.uint32)

    def batches():  # type: ignore[no-untyped-def]
        for lo in range(0, args.pages, 4096):
            n = min(4096, args.pages - lo)
            flat = rng.choice(keys, n * args.keys_per_page)
            yield list(flat.reshape(n, args.keys_per_page))

    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        path = Path(d) / "index"
        # every page's document print (random signatures) and name, as a run leaves them
        prints = Path(d) / "docprints"
        with prints.open("wb") as out:
            for lo in range(0, args.pages, 65536):
                rows = np.zeros(min(65536, args.pages - lo), doc_print_dtype(config.doc_num_perm))
                rows["content"] = rng.integers(0, 2**63, len(rows), dtype=np.uint64)
                rows["n_words"] = rng.integers(1, 2000, len(rows))
                rows["sig"] = rng.integers(0, 2**32, rows["sig"].shape, dtype=np.uint32)
                out.write(rows.tobytes())
        names = ((f"site{i % 1000}/page{i}.html", None) for i in range(args.pages))
        order = np.arange(args.pages, dtype=np.int64)
        started = time.perf_counter()
        folder = write_index(
            path, config, keys, sig_keys, sigs, batches(), None, [prints], order, names
        )
        wrote = time.perf_counter() - started
        size = sum(p.stat().st_size for p in folder.iterdir())
        started = time.perf_counter()
        write_manifest(folder)  # what the manifest adds to a write (written again here)
        manifest = time.perf_counter() - started
        opens = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            index = open_index(path, config)
            opens.append(time.perf_counter() - started)
            assert index is not None and index.n_docs == args.pages
            del index
    mib = size / 2**20
    median = statistics.median(opens)
    print(f"index: {args.pages:,} pages, {len(keys):,} lines, {len(sig_keys):,} signed")
    print(f"files: {mib:,.0f} MiB")
    print(f"write_index: {wrote:.2f} s, of which the manifest about {manifest:.2f} s")
    print(
        f"open_index (verified, warm cache): median {median:.2f} s ({mib / median:,.0f} MiB/s); "
        f"runs {', '.join(f'{t:.2f}' for t in opens)}"
    )


if __name__ == "__main__":
    main()
