"""Whole runs with and without the compiled per-line kernels, alternated, CPU time.

    python benchmarks/kernel_runs.py FOLDER [--rounds 4] [--before CHECKOUT]

Each round runs ``clean FOLDER -o TMP --jobs 1 --lang en --quiet`` once per contender, in
a process of its own: with ``CLEANER_KERNELS=0`` (every line on the Python reference), by
default (the kernels after ``KERNEL_AFTER_LINES`` lines) and with ``CLEANER_KERNELS=1``
(from the first line); with ``--before``, first the code of another checkout (put first on
``PYTHONPATH``), by default and with ``CLEANER_KERNELS=1``. Shows each contender's best CPU
time (user + system of the run and its workers) and its ratio to the first. Both trees'
modules are compiled to bytecode first (``compileall``), so no run compiles them.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path


def cpu_of(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, check=True, cwd=cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--before", type=Path, help="another checkout of cleaner to compare")
    args = parser.parse_args(argv)
    contenders: dict[str, dict[str, str]] = {}
    if args.before:
        before = str(args.before.resolve())
        contenders[f"before ({args.before})"] = {"PYTHONPATH": before}
        contenders["before, kernel from line 1"] = {"PYTHONPATH": before, "CLEANER_KERNELS": "1"}
    contenders["kernel off"] = {"CLEANER_KERNELS": "0"}
    contenders["default"] = {}
    contenders["kernel from line 1"] = {"CLEANER_KERNELS": "1"}
    # every tree's modules compiled to bytecode first: where PYTHONDONTWRITEBYTECODE is set,
    # a tree without them would compile its modules from source in every measured run
    trees = [Path(__file__).resolve().parent.parent / "cleaner"]
    if args.before:
        trees.append(args.before.resolve() / "cleaner")
    for tree in trees:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    best = dict.fromkeys(contenders, float("inf"))
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CLEANER_KERNELS")}
    for n in range(args.rounds):
        for name, extra in contenders.items():
            with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as here:
                cmd = [sys.executable, "-m", "cleaner", str(args.folder.resolve()), "-o", out]
                cmd += ["--jobs", "1", "--lang", "en", "--quiet"]
                # run from an empty folder: ``python -m`` puts the working folder first on
                # the module path, before PYTHONPATH (from the project's folder every
                # contender would run the working tree)
                cpu = cpu_of(cmd, {**base, **extra}, here)
            best[name] = min(best[name], cpu)
            print(f"round {n + 1}  {name:<40}{cpu:8.2f} s", flush=True)
    first = next(iter(best.values()))
    for name, cpu in best.items():
        print(f"{name:<48}{cpu:8.2f} s   ratio {cpu / first:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
