"""How large the --report-html file gets, at its bounds: ``--pages`` generated pages of
``--lines`` lines (~100 characters each, a share of them dropped) stream through the page
sample as a run streams them, and the summary lists ``--groups`` groups (texts of 300
characters, five variants each, held by every sampled page) and as many duplicate-document
clusters of ``--cluster-size`` pages. With the default Config, the counts that bound the
file do not grow with the corpus: the sample's pages, the characters shown per page, the
groups and clusters listed.

    python benchmarks/report_html_size.py [--pages 1000000] [--lines 30] [--groups 5000]

Printed: the file's size and the share of it each part takes, the pages shown of how
many, and the time to stream the pages through the sample and to write the file.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from cleaner import Config
from cleaner.models import Decision, FileResult, LineResult, Reason
from cleaner.report.builder import Summary
from cleaner.report.html import PageSample, report_data, write_html_report

REASONS = [Reason.BODY, Reason.TEMPLATE, Reason.TEMPLATE_BLOCK, Reason.MARKUP, Reason.SHORT]


def page(k: int, lines: int, rng: random.Random) -> FileResult:
    rows = []
    for n in range(1, lines + 1):
        reason = rng.choice(REASONS)
        text = f"line {n} of page {k}: " + "word " * 18
        rows.append(LineResult(n, text, Decision(reason == Reason.BODY, reason, None)))
    return FileResult(f"site{k % 50}/page{k:07}.txt", "text", tuple(rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--lines", type=int, default=30)
    ap.add_argument("--groups", type=int, default=5_000)
    ap.add_argument("--cluster-size", type=int, default=20)
    args = ap.parse_args()
    config = Config()
    rng = random.Random(1)
    sample = PageSample(config)
    started = time.perf_counter()
    for k in range(args.pages):
        sample.add(page(k, args.lines, rng))
    streamed = time.perf_counter() - started
    names = [p.name for p, _ in sample.pages()]
    groups = [
        {
            "id": f"{g:016x}",
            "text": "template text " * 25,
            "variants": [f"variant {v} " * 40 for v in range(5)],
            "n_variants": 5,
            "n_lines": args.pages,
            "n_files": args.pages,
            "template": True,
            "files": names,  # every sampled page holds every group: the most links
        }
        for g in range(args.groups)
    ]
    clusters = [
        {
            "id": f"{c:016x}",
            "representative": f"site{c % 50}/copy{c:07}-0.txt",
            "files": [f"site{c % 50}/copy{c:07}-{m}.txt" for m in range(args.cluster_size)],
        }
        for c in range(args.groups)
    ]
    totals = {"files": args.pages, "lines": args.pages * args.lines, "groups": args.groups}
    summary = Summary(totals, groups, clusters, [], [], args.pages)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.html"
        started = time.perf_counter()
        write_html_report(path, summary, sample, config, ["corpus/"])
        written = time.perf_counter() - started
        size = path.stat().st_size
    data = report_data(summary, sample, config, ["corpus/"])
    print(f"{args.pages:,} pages of {args.lines} lines, {args.groups:,} groups and clusters")
    print(f"report: {size / 2**20:.2f} MiB; {len(data['pages'])} pages shown of {args.pages:,}")
    for part in ("pages", "groups", "clusters"):
        part_size = len(json.dumps(data[part], ensure_ascii=False).encode("utf-8"))
        print(f"  {part}: {part_size / 2**20:.2f} MiB ({part_size / size:.0%})")
    print(f"streamed through the sample in {streamed:.1f} s; written in {written:.2f} s")


if __name__ == "__main__":
    main()
