"""What cleaner's per-line steps cost on their own, next to a whole run and the exact-hash
count, in microseconds of CPU per line of a folder of text pages.

    python benchmarks/per_line.py FOLDER [--lang en] [--repeat 3]

Each step runs over every line of every page, one line at a time, with no memo of lines
seen before (a run remembers short lines, so a repeated template line costs it less):

- read: read each file and split it into lines;
- normalize + key: the normalized form of the line and its 64-bit key;
- fingerprint: normalization, key and token ids (``LinePrinter`` with no line memo);
- fingerprint by page: the same, a page at a time (``LinePrinter.page``, as a run calls
  it), in Python (without and with the memo of short lines a run keeps) and with the
  compiled kernel (``cleaner.kernels``, loaded beforehand);
- classify: the line's features and class (``line_features``, the language's stoplist);
- classify by page: the same, a page at a time (``page_features``, as a run calls it, the
  fingerprints' word ids made beforehand): in Python (with the memo of short lines a run
  keeps) and with the compiled kernel (``cleaner.heuristics.compiled``, loaded beforehand);
- exact-hash count: ``benchmarks/speed.py``'s exact-hash contender on the pages read
  (normalize, SHA-1, count across files, label each line).

Then the whole run: ``clean_corpus`` with one job (CPU time of the process, writing the
cleaned pages to a temporary folder), divided by the number of lines: with the kernel off
(``CLEANER_KERNELS=0``: the compiled loops off), as a run does by default (the loops
compiled at install from the first line; without them numba's kernel after
``KERNEL_AFTER_LINES`` lines), and with a kernel from the first line. The minimum of
``--repeat`` runs of each is shown.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import run_exact

from cleaner import Config, clean_corpus
from cleaner.compiled import KERNELS_ENV
from cleaner.fingerprint import LinePrinter, line_key
from cleaner.heuristics.classify import line_features
from cleaner.heuristics.compiled import FeatureJudge
from cleaner.heuristics.language import Stoplists
from cleaner.pages import Page
from cleaner.steps.context import WorkerMemo
from cleaner.steps.decide import page_features
from cleaner.text import normal_tokens


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def per_line(step: Callable[[], object], n_lines: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = cpu()
        step()
        best = min(best, cpu() - started)
    return 1e6 * best / n_lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    files = sorted(p for p in args.folder.rglob("*") if p.is_file())
    pages = [p.read_text(encoding="utf-8").splitlines() for p in files]
    lines = [line for page in pages for line in page]
    n = len(lines)
    config = Config(language=args.lang)
    stop = Stoplists().get(args.lang)

    def read() -> None:
        for path in files:
            path.read_text(encoding="utf-8").splitlines()

    def normalize_and_key() -> None:
        for line in lines:
            line_key(" ".join(normal_tokens(line)[0]))

    def fingerprint() -> None:
        printer = LinePrinter(short_chars=-1)  # no line is short: none is remembered
        for line in lines:
            printer.line(line)

    def by_page(kernel_after: int, short: int = -1) -> Callable[[], None]:
        def step() -> None:
            printer = LinePrinter(short_chars=short, kernel_after=kernel_after)
            for page in pages:
                printer.page(page)

        return step

    def classify() -> None:
        for line in lines:
            line_features(line, stop, config)

    def printed_page(path: Path, page: list[str]) -> Page:
        keys, ids, counts = LinePrinter(-1, kernel_after=-1).page(page)
        return Page(
            str(path), None, "text", tuple(page), keys, args.lang, words=ids, word_counts=counts
        )

    printed = [printed_page(path, page) for path, page in zip(files, pages, strict=True)]

    def classify_by_page(kernel_after: int) -> Callable[[], None]:
        def step() -> None:
            memo = WorkerMemo(config.near_dup_max_chars)
            memo.judge = FeatureJudge(kernel_after)
            for page in printed:
                page_features(page, memo, config)

        return step

    def exact_hash() -> None:
        run_exact(pages)

    def whole_run(kernels: str) -> Callable[[], None]:
        def step() -> None:
            os.environ[KERNELS_ENV] = kernels
            with tempfile.TemporaryDirectory() as out:
                clean_corpus([args.folder], Path(out), config=config, jobs=1)

        return step

    has_kernel = LinePrinter(-1, kernel_after=0).kernels(0) is not None  # loaded once here
    has_features = FeatureJudge(0).kernel(0) is not None  # likewise

    print(f"{len(files):,} pages, {n:,} lines; µs of CPU per line (min of {args.repeat})")
    steps = [
        ("read", read),
        ("normalize + key", normalize_and_key),
        ("fingerprint (normalize, key, token ids)", fingerprint),
        ("fingerprint by page, Python", by_page(-1)),
        ("fingerprint by page, Python, run's memo", by_page(-1, config.near_dup_max_chars)),
        *([("fingerprint by page, kernel", by_page(0))] if has_kernel else []),
        ("classify (features, no memo)", classify),
        ("classify by page, Python, run's memo", classify_by_page(-1)),
        *([("classify by page, kernel", classify_by_page(0))] if has_features else []),
        ("exact-hash count (speed.py's contender)", exact_hash),
        ("whole run, one job, kernel off", whole_run("0")),
        *(
            [
                ("whole run, one job, default", whole_run("")),
                ("whole run, one job, kernel from line 1", whole_run("1")),
            ]
            if has_kernel
            else []
        ),
    ]
    for name, step in steps:
        started = time.perf_counter()
        cost = per_line(step, n, args.repeat)
        print(f"{name:<42}{cost:8.1f}   ({time.perf_counter() - started:.1f} s)", flush=True)
    os.environ.pop(KERNELS_ENV, None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
