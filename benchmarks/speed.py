"""Speed, memory and line-label F1 of cleaner against the tools users would pick instead,
in one run on the same synthetic corpus.

    python benchmarks/speed.py --docs 10000 100000 [--max-seconds 900] [--jobs 2] [--rounds 5]

Contenders, each in its own child process (so peak RSS is its own):

- cleaner: ``clean_corpus`` with ``--jobs`` workers, writing the cleaned pages;
- datasketch-minhash: a line-level script as users write it: one ``MinHash()`` per distinct
  normalized line, ``MinHashLSH.insert``, then ``query`` to group lines;
- datasketch-bulk: the same with ``MinHash.bulk`` and ``insertion_session``;
- exact-hash: CCNet-style: a hash of each normalized line, counted across files;
- trafilatura-lru: trafilatura's ``duplicate_test`` LRU over every line;
- floor: read every file and hash every line once (xxhash): the I/O and hashing floor.
- floor-write: read every file and write it unchanged into an output folder as cleaner
  writes its pages (a temporary file renamed into place), with ``--jobs`` processes: the
  floor of any tool that writes one cleaned file per page. The contenders above it write
  nothing.

Every contender labels each line template (a line it would remove) or body; F1 is over
the template class against the generator's labels. A contender that exceeds --max-seconds,
or the address-space cap of --max-gb, is stopped and its rate measured on the share of the
work it did (marked). CPU s is user + system time of the contender and its workers: on a
machine shared with other work it is the steadier figure; sys s is its system part, which on
a slow disk is mostly the creation of output files (``--out-dir`` on a tmpfs, with ``TMPDIR``
for cleaner's work folder, takes the disk out of the figure). The outputs are kept until
every contender has run: on ext4 without a journal, a file created where many were deleted
in the last minutes costs several times more (the allocator reads past the recently freed
inodes), so one contender's deleted outputs would slow the next. Runs on such a disk are
comparable only a few minutes apart (about six after the last large deletion).

With ``--rounds N`` the contenders run in turn N times over each corpus (cleaner, the
next contender, ..., then cleaner again): the table shows each contender's fastest round,
and each contender's line gives the ratio of cleaner's rate to its own within every round
(min, median, max); the JSON rows hold every round. A machine shared with other work
slows contenders unequally and runs in phases: the fastest round of each is the figure
least disturbed by it.

RSS MiB is the peak of the contender's process plus the peak of its largest worker (forked
workers share pages with the main process, counted in both); PSS MiB is the peak of the
whole process tree, sampled four times a second, shared pages counted once (Linux).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTENDERS = [
    "cleaner",
    "datasketch-minhash",
    "datasketch-bulk",
    "exact-hash",
    "trafilatura-lru",
    "floor",
    "floor-write",
]
_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[^\w\s]+")


def user_normalize(line: str) -> str:
    """What a script would do: lower case, digits folded, punctuation and spaces collapsed."""
    return " ".join(_PUNCT.sub(" ", _DIGITS.sub("0", line.lower())).split())


def load(corpus: Path, limit_docs: int | None = None) -> tuple[list[str], list[list[str]]]:
    names, labels = [], []
    with (corpus / "labels.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            names.append(row["file"])
            labels.append(row["labels"])
            if limit_docs and len(names) >= limit_docs:
                break
    return names, labels


def f1(labels: list[list[str]], predicted: list[list[bool]]) -> float:
    tp = fp = fn = 0
    for want, got in zip(labels, predicted, strict=False):
        for w, g in zip(want, got, strict=True):
            t = w == "template"
            tp += t and g
            fp += g and not t
            fn += t and not g
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def read_pages(corpus: Path, names: list[str], deadline: float) -> list[list[str]]:
    pages = []
    for name in names:
        pages.append((corpus / "pages" / name).read_text(encoding="utf-8").splitlines())
        if time.monotonic() > deadline:
            break
    return pages


def shingles(text: str, k: int = 5) -> list[bytes]:
    data = text.encode("utf-8")
    return [data[i : i + k] for i in range(max(1, len(data) - k + 1))]


def group_spans(pages: list[list[str]], key_of_line: dict[str, str]) -> list[list[bool]]:
    """A line is template when its group occurs in two or more files."""
    files: dict[str, set[int]] = defaultdict(set)
    for d, page in enumerate(pages):
        for line in page:
            files[key_of_line[line]].add(d)
    return [[len(files[key_of_line[line]]) >= 2 for line in page] for page in pages]


class Stopped(Exception):
    """A contender ran past --max-seconds or out of the memory cap."""

    def __init__(self, why: str, done: float) -> None:
        super().__init__(why)
        self.why = why
        self.done = done  # share of the work done when it stopped, 0..1


def run_datasketch(pages: list[list[str]], bulk: bool, deadline: float) -> list[list[bool]]:
    """Group the distinct normalized lines with datasketch, as a user script would. The
    work is counted in steps (sketch, insert, query: one per distinct line each) so that a
    run stopped early reports the share it did."""
    from datasketch import MinHash, MinHashLSH

    distinct = sorted({user_normalize(line) for page in pages for line in page})
    steps = 3 * len(distinct)
    done = 0

    def check() -> None:
        if time.monotonic() > deadline:
            raise Stopped("time limit", done / steps)

    lsh = MinHashLSH(threshold=0.7, num_perm=64)
    sketches = {}
    try:
        if bulk:
            sets = [shingles(x) for x in distinct]
            mins = MinHash.bulk(sets, num_perm=64)
            done += len(distinct)
            check()
            with lsh.insertion_session() as session:
                for x, m in zip(distinct, mins, strict=True):
                    session.insert(x, m)
                    sketches[x] = m
                    done += 1
                    if not done % 1000:
                        check()
        else:
            for x in distinct:
                m = MinHash(num_perm=64)
                m.update_batch(shingles(x))
                lsh.insert(x, m)
                sketches[x] = m
                done += 2
                if not done % 1000:
                    check()
        parent = {x: x for x in distinct}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for x in distinct:
            for y in lsh.query(sketches[x]):
                a, b = find(x), find(y)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            done += 1
            if not done % 1000:
                check()
    except MemoryError:
        raise Stopped("memory cap", done / steps) from None
    keys = {line: find(user_normalize(line)) for page in pages for line in page}
    return group_spans(pages, keys)


def run_exact(pages: list[list[str]]) -> list[list[bool]]:
    import hashlib

    keys = {
        line: hashlib.sha1(user_normalize(line).encode()).hexdigest()[:16]
        for page in pages
        for line in page
    }
    return group_spans(pages, keys)


def run_trafilatura(pages: list[list[str]]) -> list[list[bool]]:
    from lxml import etree
    from trafilatura.deduplication import LRUCache, duplicate_test
    from trafilatura.settings import Extractor

    options = Extractor()
    options.dedup = LRUCache(maxsize=100_000)
    out = []
    for page in pages:
        flags = []
        for line in page:
            element = etree.Element("p")
            element.text = line
            flags.append(duplicate_test(element, options))
        out.append(flags)
    return out


def run_floor(corpus: Path, names: list[str]) -> int:
    import xxhash

    n = 0
    for name in names:
        with (corpus / "pages" / name).open("rb") as handle:
            for line in handle:
                xxhash.xxh3_64_intdigest(line)
                n += 1
    return n


def _copy_pages(job: tuple[Path, Path, list[str]]) -> int:
    corpus, out, names = job
    n = 0
    for name in names:
        data = (corpus / "pages" / name).read_bytes()
        n += data.count(b"\n")
        final = out / name
        final.parent.mkdir(parents=True, exist_ok=True)
        part = final.with_name(f".{final.name}.part")
        part.write_bytes(data)
        os.replace(part, final)
    return n


def run_floor_write(corpus: Path, out: Path, names: list[str], jobs: int) -> int:
    import multiprocessing

    work = [(corpus, out, names[i::jobs]) for i in range(jobs)]
    if jobs == 1:
        return _copy_pages(work[0])
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return sum(pool.map(_copy_pages, work))


def run_cleaner(corpus: Path, out: Path, jobs: int) -> None:
    from cleaner import Config, clean_corpus

    # as `clean` runs without --report: the summary lists the 10 groups the terminal shows
    clean_corpus([corpus / "pages"], out, config=Config(language="en"), jobs=jobs, list_groups=10)


def kept_flags(corpus: Path, out: Path, names: list[str]) -> list[list[bool]]:
    """Which input lines were removed: the output keeps a subsequence of the input lines."""
    predicted = []
    for name in names:
        source = (corpus / "pages" / name).read_text(encoding="utf-8").splitlines()
        kept = (out / name).read_text(encoding="utf-8").splitlines()
        flags, k = [], 0
        for line in source:
            if k < len(kept) and kept[k] == line:
                flags.append(False)
                k += 1
            else:
                flags.append(True)
        predicted.append(flags)
    return predicted


def load_names(corpus: Path, limit_docs: int) -> list[str]:
    names = []
    with (corpus / "labels.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            names.append(line[len('{"file": "') : line.index('"', 10)])
            if len(names) >= limit_docs:
                break
    return names


def tree_pss_mib(pid: int) -> float:
    """Proportional set size of a process and its descendants (Linux): pages shared between
    them, as a forked worker shares its parent's, count once in all."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup", encoding="ascii") as handle:
                total += next(int(x.split()[1]) for x in handle if x.startswith("Pss:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except (OSError, StopIteration, ValueError):
            continue  # gone meanwhile, or no /proc
    return total / 1024


class PssPeak:
    """Samples the peak PSS of this process and its workers a few times a second."""

    def __init__(self, every: float = 0.25) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.peak = max(self.peak, tree_pss_mib(os.getpid()))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, tree_pss_mib(os.getpid()))


def child(
    name: str,
    corpus: Path,
    docs: int,
    jobs: int,
    max_seconds: float,
    max_gb: float,
    out_dir: Path | None = None,
) -> dict:
    """Run one contender; the labels are loaded after the measurement, so that neither its
    time nor its memory includes them."""
    if max_gb:  # a contender that would take the machine's memory fails instead
        cap = int(max_gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    names = load_names(corpus, docs) if name != "cleaner" else []
    me = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = me.ru_utime + me.ru_stime
    sys_before = me.ru_stime
    started = time.perf_counter()
    deadline = time.monotonic() + max_seconds
    stopped: Stopped | None = None
    predicted: list[list[bool]] | None = None
    n_lines: int | None = None
    # removed by the parent once every contender has run (see the module's notes)
    out = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=out_dir))
    pss = PssPeak()
    if name == "cleaner":
        run_cleaner(corpus, out, jobs)
    elif name == "floor":
        n_lines = run_floor(corpus, names)
    elif name == "floor-write":
        n_lines = run_floor_write(corpus, out, names, jobs)
    else:
        pages = read_pages(corpus, names, deadline)
        if len(pages) < len(names):
            stopped = Stopped("time limit", 0.0)
        try:
            if name == "datasketch-minhash":
                predicted = run_datasketch(pages, bulk=False, deadline=deadline)
            elif name == "datasketch-bulk":
                predicted = run_datasketch(pages, bulk=True, deadline=deadline)
            elif name == "exact-hash":
                predicted = run_exact(pages)
            elif name == "trafilatura-lru":
                predicted = run_trafilatura(pages)
        except Stopped as exc:
            stopped = exc
        except MemoryError:
            stopped = Stopped("memory cap", 0.0)
        del pages
    seconds = time.perf_counter() - started
    peak_pss = pss.stop()
    me, kids = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime - cpu_before
    system = me.ru_stime + kids.ru_stime - sys_before
    usage = me.ru_maxrss / 1024
    workers = kids.ru_maxrss / 1024
    names, labels = load(corpus, docs)
    if n_lines is None:
        n_lines = sum(len(x) for x in labels)
    if name == "cleaner":  # scored after the measurement, from the cleaned files
        predicted = kept_flags(corpus, out, names)
    done = 1.0 if stopped is None else stopped.done
    return {
        "contender": name,
        "docs": len(labels),
        "lines": n_lines,
        "seconds": round(seconds, 2),
        # a stopped run: its rate on the share of the work it did
        "lines_per_s": round(done * n_lines / seconds) if seconds else 0,
        "docs_per_s": round(done * len(labels) / seconds, 1) if seconds else 0,
        "peak_rss_mib": round(usage + workers, 1),
        # sampled: the whole process tree at its peak, shared pages counted once
        "peak_pss_mib": round(peak_pss, 1),
        "cpu_s": round(cpu, 2),  # user + system time of the contender and its workers
        "sys_s": round(system, 2),  # of which system time (creating files, mostly)
        "f1": None if predicted is None else round(f1(labels, predicted), 4),
        "partial": stopped is not None,
        "stopped": None if stopped is None else f"{stopped.why} at {done:.0%} of the work",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument(
        "--max-gb", type=float, default=12.0, help="address-space cap per contender (0: none)"
    )
    parser.add_argument("--contenders", nargs="+", default=CONTENDERS, choices=CONTENDERS)
    parser.add_argument("--corpus-dir", type=Path, default=None, help="keep corpora here")
    parser.add_argument(
        "--out-dir", type=Path, default=None, help="contenders write here (default: TMPDIR)"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of each contender, in turn (fastest shown)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        result = child(
            args.child, args.corpus, args.docs[0], args.jobs, args.max_seconds, args.max_gb,
            args.out_dir,
        )  # fmt: skip
        print(json.dumps(result))
        return 0
    sys.path.insert(0, str(HERE))
    from synth import generate

    rows = []
    # one OpenBLAS thread, as the clean command sets (numpy starts a thread per core at
    # import otherwise); the same for every contender
    env = {"OPENBLAS_NUM_THREADS": "1", **os.environ, "PYTHONHASHSEED": "0"}
    with (
        tempfile.TemporaryDirectory(prefix="cleaner-bench-") as tmp,
        tempfile.TemporaryDirectory(prefix="cleaner-speed-", dir=args.out_dir) as outputs,
    ):
        base = args.corpus_dir or Path(tmp)
        for docs in args.docs:
            corpus = base / f"synth-{docs}"
            if not (corpus / "labels.jsonl").exists():
                generate(corpus, docs)
            for name, round_ in [(n, r) for r in range(args.rounds) for n in args.contenders]:
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", name, "--corpus", str(corpus),
                     "--docs", str(docs), "--jobs", str(args.jobs),
                     "--max-seconds", str(args.max_seconds), "--max-gb", str(args.max_gb),
                     "--out-dir", outputs],
                    capture_output=True, text=True, env=env,
                )  # fmt: skip
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    continue
                row = json.loads(proc.stdout.strip().splitlines()[-1])
                row["size"] = docs
                row["round"] = round_
                rows.append(row)
                if not args.json:
                    print(json.dumps(row), flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print()
    print(
        f"{'docs':>7} {'contender':<19}{'docs/s':>9}{'lines/s':>10}{'CPU s':>8}{'sys s':>7}"
        f"{'RSS MiB':>9}{'PSS MiB':>9}{'F1':>7}{'cleaner x':>10}"
    )
    notes = []
    for docs in args.docs:
        best = fastest([r for r in rows if r["size"] == docs])
        mine = best.get("cleaner")
        for r in best.values():
            ratio = mine["lines_per_s"] / r["lines_per_s"] if mine and r["lines_per_s"] else 0
            f1s = "-" if r["f1"] is None else f"{r['f1']:.3f}"
            print(
                f"{docs:>7} {r['contender']:<19}{r['docs_per_s']:>9}{r['lines_per_s']:>10}"
                f"{r['cpu_s']:>8}{r.get('sys_s', 0):>7}{r['peak_rss_mib']:>9}"
                f"{r['peak_pss_mib']:>9}{f1s:>7}{ratio:>9.2f}"
                + (f"  (stopped: {r['stopped']})" if r["partial"] else "")
            )
            per_round = round_ratios([x for x in rows if x["size"] == docs], r["contender"])
            if args.rounds > 1 and r["contender"] != "cleaner" and per_round:
                spread = ", ".join(f"{x:.2f}" for x in per_round)
                notes.append(
                    f"{docs:>7} cleaner / {r['contender']}, each round: {spread} "
                    f"(median {statistics.median(per_round):.2f})"
                )
    if args.rounds > 1:
        print(f"\nfastest of {args.rounds} rounds; the ratio within each round:")
        print("\n".join(notes))
    return 0


def fastest(rows: list[dict]) -> dict[str, dict]:
    """Each contender's fastest row (most lines a second), in the order they first ran.

    >>> rows = [{"contender": "a", "lines_per_s": 5}, {"contender": "b", "lines_per_s": 2},
    ...         {"contender": "a", "lines_per_s": 7}]
    >>> {k: v["lines_per_s"] for k, v in fastest(rows).items()}
    {'a': 7, 'b': 2}
    """
    best: dict[str, dict] = {}
    for r in rows:
        if r["contender"] not in best or r["lines_per_s"] > best[r["contender"]]["lines_per_s"]:
            best[r["contender"]] = r
    return best


def round_ratios(rows: list[dict], other: str) -> list[float]:
    """Cleaner's rate over ``other``'s within each round that ran both, sorted.

    >>> rows = [{"contender": "cleaner", "round": 0, "lines_per_s": 6},
    ...         {"contender": "x", "round": 0, "lines_per_s": 4},
    ...         {"contender": "cleaner", "round": 1, "lines_per_s": 3},
    ...         {"contender": "x", "round": 1, "lines_per_s": 3}]
    >>> round_ratios(rows, "x")
    [1.0, 1.5]
    """
    rate = {(r["contender"], r.get("round", 0)): r["lines_per_s"] for r in rows}
    return sorted(
        rate[("cleaner", k)] / v
        for (name, k), v in rate.items()
        if name == other and v and ("cleaner", k) in rate
    )


if __name__ == "__main__":
    sys.exit(main())
