"""Time of the record file steps on generated records: writing Parquet (RecordWriter),
reading JSON Lines from zstd, and (where the code has it) checking a WARC.gz for a cut.

    python benchmarks/record_io.py [--records 100000] [--repeat 4]

Only the public calls are timed, so the same script measures an older checkout too.
Prints the fastest of --repeat runs of each step.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cleaner.io.records import RecordKeys, RecordWriter, iter_records, warc

ROOT = Path(__file__).resolve().parent.parent


def rows(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    words = ["alpha", "beta", "the", "of", "harbour", "committee", "walls", "town"]
    meta = {"kept": 3, "dropped": 1, "reasons": {"body": 3, "template": 1}, "language": "en"}
    return [
        {"id": f"r{i}", "url": f"http://x/{i}", "text": " ".join(rng.choices(words, k=150)),
         "cleaner": meta}
        for i in range(n)
    ]  # fmt: skip


def fastest(step: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def warc_gz(n: int, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(5000)]
    out = []
    for i in range(n):
        html = "<html><body><p>" + " ".join(rng.choices(words, k=300)) + "</p></body></html>"
        body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html.encode()
        head = (
            f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://x/{i}\r\n"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(gzip.compress(head + body + b"\r\n\r\n", 6))
    return b"".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args(argv)
    records = rows(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.parquet"

        def write_parquet() -> None:
            writer = RecordWriter(target, "parquet", None)
            for row in records:
                writer.write(row)
            writer.commit()

        took = fastest(write_parquet, args.repeat)
        print(f"parquet write: {args.records:,} records in {took:.2f} s")
        import zstandard

        data = "".join(json.dumps(r) + "\n" for r in records).encode()
        packed = Path(tmp) / "in.jsonl.zst"
        packed.write_bytes(zstandard.ZstdCompressor().compress(data))

        def read_zstd() -> None:
            for _ in iter_records(packed, "jsonl", "zst", RecordKeys()):
                pass

        took = fastest(read_zstd, args.repeat)
        print(f"jsonl.zst read: {len(data) / 2**20:.0f} MiB in {took:.2f} s")
    if hasattr(warc, "warc_cut"):
        crawl = warc_gz(max(args.records // 20, 1))
        took = fastest(lambda: warc.warc_cut(io.BytesIO(crawl)), args.repeat)
        print(f"warc.gz cut check: {len(crawl) / 2**20:.0f} MiB in {took:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
