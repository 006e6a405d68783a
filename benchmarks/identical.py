"""Whether the working tree cleans exactly as a given commit does.

    python benchmarks/identical.py COMMIT [--docs 10000] [--eval-dir ../shared/eval]
                                  [--keep DIR] [--jobs 2]

Checks COMMIT out in a temporary git worktree and runs ``python -m cleaner`` from it and
from the working tree (each on its own ``PYTHONPATH``) over the same inputs: the seeds,
both evaluation sets in both modes (their text renderings and their HTML pages), a
synthetic corpus of ``--docs`` pages (``benchmarks/synth.py``) and record files made from
part of it (JSON Lines gzip, Parquet; written as they came and as Parquet). Every run
writes its cleaned files, a JSON report and an HTML report. The outputs are compared with
``diff -r``, the JSON reports without their ``timings`` field, the HTML reports byte for
byte. Prints one line per case; exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def cases(eval_dir: Path, corpus: Path, records: Path) -> list[tuple[str, Path, list[str]]]:
    """(name, input, extra options) of every run."""
    found = [("seeds", ROOT / "seeds", [])]
    for dataset in ("scrapinghub", "cleanportaleval"):
        for mode in ("text", "html"):
            where = eval_dir / dataset / mode
            if where.is_dir():
                found.append((f"{dataset}-{mode}", where, []))
            else:
                print(f"missing {where}: skipped", file=sys.stderr)
    found.append((corpus.name, corpus / "pages", []))
    found.append(("records", records, []))
    found.append(("records-parquet", records, ["--output-format", "parquet"]))
    return found


def make_records(pages: Path, out: Path, n: int = 2000) -> None:
    """The first ``n`` synthetic pages as one gzip JSON Lines file and one Parquet file."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(pages.rglob("*.txt"))[:n]
    rows = [{"id": p.relative_to(pages).as_posix(), "text": p.read_text("utf-8")} for p in files]
    out.mkdir(parents=True, exist_ok=True)
    half = len(rows) // 2
    with gzip.open(out / "a.jsonl.gz", "wt", encoding="utf-8") as handle:
        for row in rows[:half]:
            handle.write(json.dumps(row) + "\n")
    pq.write_table(pa.Table.from_pylist(rows[half:]), out / "b.parquet")


def run(tree: Path, source: Path, dest: Path, extra: list[str], jobs: int) -> None:
    dest.mkdir(parents=True)
    command = [sys.executable, "-m", "cleaner", str(source), "-o", str(dest / "out"),
               "--report", str(dest / "report.json"), "--report-html", str(dest / "report.html"),
               "--quiet", "--jobs", str(jobs), *extra]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    # run from the run's own folder: ``python -m`` puts the working folder first on the
    # module path, before PYTHONPATH, and from the project's folder both sides would run
    # the working tree
    proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=dest)
    stderr = proc.stderr.replace(str(dest), "DEST")  # the two runs write to different folders
    (dest / "exit").write_text(f"{proc.returncode}\n{stderr}", encoding="utf-8")


def without_timings(path: Path) -> object:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("timings", None)
    return data


def compare(old: Path, new: Path) -> list[str]:
    """What differs between two runs' folders (empty: identical)."""
    problems = []
    diff = subprocess.run(["diff", "-r", str(old / "out"), str(new / "out")],
                          capture_output=True, text=True)  # fmt: skip
    if diff.returncode != 0:
        problems.append("outputs differ:\n" + "\n".join(diff.stdout.splitlines()[:20]))
    for name in ("report.json", "report.html", "exit"):
        a, b = old / name, new / name
        if a.exists() != b.exists():
            problems.append(f"{name}: written by one only")
        elif not a.exists():
            continue
        elif name == "report.json":
            if without_timings(a) != without_timings(b):
                problems.append("report.json differs (timings aside)")
        elif a.read_bytes() != b.read_bytes():
            problems.append(f"{name} differs")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit")
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--keep", type=Path, default=None, help="keep the runs' folders here")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from synth import generate

    base = Path(args.keep or tempfile.mkdtemp(prefix="cleaner-identical-")).resolve()
    base.mkdir(parents=True, exist_ok=True)
    old_tree = base / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree),
                    args.commit], check=True, capture_output=True)  # fmt: skip
    try:
        corpus = base / f"synth-{args.docs}"
        if not (corpus / "labels.jsonl").exists():
            generate(corpus, args.docs)
        make_records(corpus / "pages", base / "records")
        failed = 0
        for name, source, extra in cases(args.eval_dir, corpus, base / "records"):
            runs = {}
            for side, tree in (("old", old_tree), ("new", ROOT)):
                runs[side] = base / "runs" / side / name
                shutil.rmtree(runs[side], ignore_errors=True)
                run(tree, source, runs[side], extra, args.jobs)
            problems = compare(runs["old"], runs["new"])
            failed += bool(problems)
            print(f"{name}: " + ("identical" if not problems else "DIFFERENT"), flush=True)
            for problem in problems:
                print("  " + problem)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)],
                       check=False, capture_output=True)  # fmt: skip
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
