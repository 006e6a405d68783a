"""Speed of HTML mode on one core: trafilatura alone against ``clean --jobs 1``.

    python benchmarks/html_speed.py [--eval-dir ../shared/eval] [--rounds 3] [--json]
        [--other DIR]

Contenders, each a process of its own started from the shell's point of view (interpreter
start-up and imports included), on the same HTML pages (every ``html/`` page of the
evaluation sets):

- trafilatura alone: read each page, ``trafilatura.extract`` with the settings of
  ``cleaner/extract/html.py``, write the text to a file;
- ``clean --jobs 1`` (trafilatura);
- ``clean --jobs 1 --extractor resiliparse``;
- with ``--other DIR``, the last two again with the ``cleaner`` package in DIR (another
  version, e.g. ``git archive REV cleaner | tar -x -C DIR``), same interpreter and
  packages, so a change's effect is measured in the same run.

The contenders run in turn, round after round (the order rotating each round), and the
best of each over the rounds is reported: its CPU time (user + system of the process and
its children, the figure compared: on a shared machine the wall time mostly measures the
other processes) and its wall time, with the ratios to trafilatura alone. Each contender
also runs on one page (the first): its start-up (interpreter, imports, models), and the
CPU per further page, ``(all pages - one page) / (pages - 1)``, which is what a large
corpus costs per page. Before the rounds each contender cleans the one page once, untimed:
that warms the file cache for all alike, lets cleaner unpack py3langid's model into its
cache folder (done once per machine; see ``cleaner.heuristics.language``) and write its
modules' bytecode (``PYTHONDONTWRITEBYTECODE`` is unset for the contenders). The load
average before and after the rounds is printed: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# trafilatura alone, with cleaner's extraction settings (cleaner/extract/html.py)
ALONE = """
import sys
from pathlib import Path
import trafilatura

src, out = Path(sys.argv[1]), Path(sys.argv[2])
for page in sorted(src.rglob("*.html")):
    text = trafilatura.extract(
        page.read_text(encoding="utf-8"),
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_images=False,
        favor_precision=False,
        deduplicate=False,
        with_metadata=False,
    )
    target = out / page.relative_to(src).with_suffix(".txt")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text or "", encoding="utf-8")
"""


# The contenders run with bytecode caching on, as an installed package runs: with
# PYTHONDONTWRITEBYTECODE set (as in some shells and containers) an editable install of
# cleaner compiles its modules from source at every start (about 0.08 s of CPU), while
# trafilatura's, installed by pip, were compiled at install. The warm-up writes them.
CONTENDER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def contenders(src: Path, out: Path, other: Path | None = None) -> dict[str, list[str]]:
    """The commands, by name; with ``other`` (a folder holding another version's
    ``cleaner`` package) that version's two ``clean`` runs too."""
    clean = [str(Path(sys.executable).with_name("clean")), str(src), "-o", str(out)]
    resiliparse = ["--extractor", "resiliparse"]
    cmds = {
        "trafilatura alone": [sys.executable, "-c", ALONE, str(src), str(out)],
        "clean --jobs 1": [*clean, "--jobs", "1", "--quiet"],
        "clean --jobs 1 --extractor resiliparse": [*clean, "--jobs", "1", "--quiet", *resiliparse],
    }
    if other is not None:  # its folder first on the module path (see timed)
        run = [sys.executable, "-m", "cleaner", str(src), "-o", str(out), "--jobs", "1", "--quiet"]
        cmds[f"{other.name}: clean --jobs 1"] = run
        cmds[f"{other.name}: clean --jobs 1 --extractor resiliparse"] = [*run, *resiliparse]
    return cmds


def timed(cmd: list[str], out: Path, cwd: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd`` in ``cwd`` (its output folder made
    anew). ``python -m`` puts ``cwd`` first on the module path: another version runs so."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=CONTENDER_ENV, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("--eval-dir", type=Path, default=here.parent.parent / "shared" / "eval")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each contender (best kept)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--other",
        type=Path,
        help="a folder holding another version's cleaner package (e.g. `git archive REV "
        "cleaner | tar -x -C DIR`), timed beside this one",
    )
    args = parser.parse_args(argv)
    other = args.other.resolve() if args.other else None
    if other is not None and not (other / "cleaner" / "__main__.py").is_file():
        print(f"error: no cleaner package in {other}", file=sys.stderr)
        return 2
    sets = sorted(p for p in args.eval_dir.glob("*/html") if p.is_dir())
    if not sets:
        print(f"error: no html/ folders under {args.eval_dir}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cleaner-html-speed-") as tmp:
        src = Path(tmp) / "pages"
        for folder in sets:
            dst = src / folder.parent.name
            dst.mkdir(parents=True)
            for page in sorted(folder.glob("*.html")):
                (dst / page.name).symlink_to(page.resolve())
        n_pages = sum(1 for _ in src.rglob("*.html"))
        one = Path(tmp) / "one"
        first = min(src.rglob("*.html"))
        (one / first.parent.name).mkdir(parents=True)
        (one / first.parent.name / first.name).symlink_to(first.resolve())
        out = Path(tmp) / "out"
        cmds = contenders(src, out, other)
        names = list(cmds)
        single = contenders(one, out, other)
        mine = set(contenders(src, out))
        where = {name: None if name in mine else other for name in names}
        for name in names:  # warm-up, untimed
            timed(single[name], out, where[name])
        load_before = os.getloadavg()
        best: dict[str, tuple[float, float]] = {}
        start_up: dict[str, float] = {}
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                wall, cpu = timed(cmds[name], out, where[name])
                print(f"round {r + 1}: {name}: {cpu:.2f} s CPU, {wall:.2f} s", file=sys.stderr)
                if name not in best or cpu < best[name][1]:
                    best[name] = (wall, cpu)
                cpu_one = timed(single[name], out, where[name])[1]
                start_up[name] = min(start_up.get(name, cpu_one), cpu_one)
        load_after = os.getloadavg()
    base = best["trafilatura alone"]

    def per_page(name: str) -> float:
        return (best[name][1] - start_up[name]) / max(n_pages - 1, 1)

    rows = [
        {
            "contender": name,
            "pages": n_pages,
            "seconds": round(best[name][0], 3),
            "cpu_seconds": round(best[name][1], 3),
            "cpu_ms_per_page": round(1000 * best[name][1] / n_pages, 2),
            "cpu_ratio": round(best[name][1] / base[1], 3),
            "wall_ratio": round(best[name][0] / base[0], 3),
            "start_up_cpu_seconds": round(start_up[name], 3),
            "further_page_cpu_ms": round(1000 * per_page(name), 2),
            "further_page_ratio": round(per_page(name) / per_page("trafilatura alone"), 3),
        }
        for name in names
    ]
    if args.json:
        load = {"before": load_before, "after": load_after}
        print(json.dumps({"rounds": args.rounds, "load_average": load, "rows": rows}, indent=2))
        return 0
    loads = " ".join(f"{x:.2f}" for x in load_before), " ".join(f"{x:.2f}" for x in load_after)
    print(f"{n_pages} pages, best of {args.rounds} rounds, one core")
    cpus = os.cpu_count()
    print(f"load average (1, 5, 15 min): {loads[0]} before, {loads[1]} after, on {cpus} CPUs")
    print(
        f"{'contender':<52}{'CPU s':>7}{'CPU ms/page':>13}{'÷ alone':>9}{'wall s':>8}{'÷ alone':>9}"
        f"{'start-up':>10}{'ms/further page':>17}{'÷ alone':>9}"
    )
    for row in rows:
        print(
            f"{row['contender']!s:<52}{row['cpu_seconds']:>7.2f}{row['cpu_ms_per_page']:>13.1f}"
            f"{row['cpu_ratio']:>9.2f}{row['seconds']:>8.2f}{row['wall_ratio']:>9.2f}"
            f"{row['start_up_cpu_seconds']:>10.2f}{row['further_page_cpu_ms']:>17.1f}"
            f"{row['further_page_ratio']:>9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
