"""Engines: Ray gives byte-identical results to the local engine; interrupted runs resume."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import mixed_corpus, report_without

from cleaner import Config, clean_corpus


def corpus(tmp_path: Path, seeds: Path) -> Path:
    return mixed_corpus(tmp_path, seeds, 4)


def test_ray_matches_local(tmp_path: Path, seeds: Path) -> None:
    pytest.importorskip("ray")
    root = corpus(tmp_path, seeds)
    clean_corpus([root], tmp_path / "local", report=tmp_path / "local.json", jobs=2)
    clean_corpus([root], tmp_path / "ray", report=tmp_path / "ray.json", engine="ray", jobs=2)
    assert report_without(tmp_path / "local.json", "timings") == report_without(
        tmp_path / "ray.json", "timings"
    )
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "ray").iterdir())
    for name in names:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes()


def test_missing_ray_is_a_clear_usage_error(seeds: Path, tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from cleaner.cli import main\n"
        f"sys.argv = ['clean', {str(seeds)!r}, '-o', {str(tmp_path / 'o')!r}, '--engine', 'ray']\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "pip install 'cleaner[ray]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_import_and_help_do_not_import_ray_or_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "import cleaner\n"
        "from cleaner.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "heavy = [m for m in ('ray', 'trafilatura', 'resiliparse', 'pyarrow', 'datasketch', "
        "'scipy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_interrupted_run_resumes_missing_shards_only(
    tmp_path: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = corpus(tmp_path, seeds)
    work = tmp_path / "work"
    out = tmp_path / "out"
    import cleaner.pages as pages

    calls: list[str] = []
    real_load = pages.load_pages

    def counting_load(source, *args):  # type: ignore[no-untyped-def]
        calls.append(source.rel)
        return real_load(source, *args)

    import cleaner.pipeline as pipeline

    real_documents = pipeline.document_step

    def interrupted(*args):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # after both passes, before the outputs are all settled

    monkeypatch.setattr("cleaner.steps.fingerprint.load_pages", counting_load)
    monkeypatch.setattr("cleaner.pipeline.document_step", interrupted)
    config = Config()
    with pytest.raises(KeyboardInterrupt):
        clean_corpus([root], out, config=config, work_dir=work)
    first_reads = len(calls)
    assert first_reads > 0 and any(work.iterdir())
    calls.clear()
    monkeypatch.setattr("cleaner.pipeline.document_step", real_documents)
    clean_corpus([root], out, config=config, work_dir=work, report=tmp_path / "r.json")
    assert calls == []  # pass 1 was not redone: every shard had finished it
    assert not any(work.iterdir())  # a finished run removes its shard files
    clean_corpus([root], tmp_path / "fresh", config=config, report=tmp_path / "fresh.json")
    assert report_without(tmp_path / "r.json", "timings") == report_without(
        tmp_path / "fresh.json", "timings"
    )
    for page in (tmp_path / "fresh").iterdir():
        assert (out / page.name).read_bytes() == page.read_bytes()


def test_a_work_folder_of_another_format_is_not_resumed(
    tmp_path: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work folder's format is part of the run's name: an interrupted run left by a
    version with another format is redone from the start (its folder removed), never read."""
    import cleaner.pipeline as pipeline
    import cleaner.runs
    import cleaner.steps.fingerprint

    root = corpus(tmp_path, seeds)
    work, out = tmp_path / "work", tmp_path / "out"
    real_documents = pipeline.document_step

    def interrupted(*args):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr("cleaner.pipeline.document_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clean_corpus([root], out, work_dir=work)
    (old,) = work.iterdir()
    monkeypatch.setattr("cleaner.pipeline.document_step", real_documents)
    monkeypatch.setattr(cleaner.runs, "WORK_FORMAT", cleaner.runs.WORK_FORMAT + 1)
    calls: list[str] = []
    real_load = cleaner.steps.fingerprint.load_pages

    def counting_load(source, *args):  # type: ignore[no-untyped-def]
        calls.append(source.rel)
        return real_load(source, *args)

    monkeypatch.setattr("cleaner.steps.fingerprint.load_pages", counting_load)
    outcome = clean_corpus([root], out, work_dir=work, report=tmp_path / "r.json")
    assert calls  # pass 1 was redone
    assert not any("resuming" in n for n in outcome.notices)
    assert any("removed 1 work folder" in n for n in outcome.notices)
    assert not old.exists() and not any(work.iterdir())
    clean_corpus([root], tmp_path / "fresh", report=tmp_path / "fresh.json")
    assert report_without(tmp_path / "r.json", "timings") == report_without(
        tmp_path / "fresh.json", "timings"
    )


def _die_on_three(ctx: int, item: int) -> int:
    import os
    import signal

    if item == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return item * ctx


def _call_item(ctx: int, item: Any) -> int:
    return int(item()) + ctx


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked on this system only")
def test_forked_workers_are_sent_positions_not_items() -> None:
    """A forked worker has the map's items in its copy of the main process's memory: only
    their positions are sent, so items that cannot be pickled (here, lambdas) still map,
    in order."""
    from cleaner.engines.local import LocalEngine

    items = [lambda k=k: k * k for k in range(7)]
    assert list(LocalEngine(2).map(_call_item, items, 1)) == [k * k + 1 for k in range(7)]


def test_a_killed_worker_stops_the_run_instead_of_hanging() -> None:
    from cleaner.engines import WorkerDied
    from cleaner.engines.local import LocalEngine

    with pytest.raises(WorkerDied, match="killed"):
        list(LocalEngine(2).map(_die_on_three, range(8), 10))
    # the engine still works for the next map
    assert list(LocalEngine(2).map(_die_on_three, [1, 2, 4], 10)) == [10, 20, 40]


def test_pass_3_visits_only_shards_with_outputs_left_to_write(
    tmp_path: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages are written in pass 2: a corpus of pages has no pass 3 task (no process, no
    marker file per shard); with near-duplicate documents dropped every shard has one."""
    root = corpus(tmp_path, seeds)
    visited: list[int] = []
    import cleaner.pipeline as pipeline

    real_write = pipeline.write_shard

    def counting_write(ctx, item):  # type: ignore[no-untyped-def]
        visited.append(item.index)
        return real_write(ctx, item)

    monkeypatch.setattr("cleaner.pipeline.write_shard", counting_write)
    clean_corpus([root], tmp_path / "out", config=Config(), jobs=1)
    assert visited == []
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(written) == len(list(root.iterdir()))  # every page written, in pass 2
    clean_corpus([root], tmp_path / "dropped", config=Config(dedup_docs="drop"), jobs=1)
    assert visited  # pass 3 writes the pages when documents are dropped


_POOL_STOPPED = """
import sys, time, multiprocessing
from concurrent.futures import ProcessPoolExecutor
from cleaner.engines.local import quiet_cancelled_futures

def nap(x):
    time.sleep(30)

if __name__ == "__main__":
    quiet_cancelled_futures()
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
    futures = [pool.submit(nap, i) for i in range(10)]
    time.sleep(0.5)
    for f in futures:  # as an interrupted map cancels the futures it has not given
        f.cancel()
    for p in list(pool._processes.values()):  # as the engine stops its workers
        p.terminate()
    pool.shutdown(wait=True)
    print("stopped", file=sys.stderr)
"""

_THREAD_ERRORS = """
import threading
from concurrent.futures import InvalidStateError
from cleaner.engines.local import quiet_cancelled_futures

seen = []
def record(args):
    seen.append((type(args.thread).__name__, args.exc_type.__name__))

threading.excepthook = record
quiet_cancelled_futures()

class _ExecutorManagerThread(threading.Thread):  # the name of the pools' manager threads
    pass

def fail(error):
    raise error

cases = [
    (_ExecutorManagerThread, InvalidStateError),
    (_ExecutorManagerThread, ValueError),
    (threading.Thread, InvalidStateError),
]
for cls, error in cases:
    t = cls(target=fail, args=(error("x"),))
    t.start()
    t.join()
print(sorted(seen))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the engine forks its workers here")
def test_a_stopped_pool_prints_no_traceback(tmp_path: Path) -> None:
    """Workers stopped after the pool's futures were cancelled (an interrupted run): no
    traceback. Before Python 3.12 the pool's manager thread may raise InvalidStateError
    then (a race); the engine's thread hook drops that error for those threads only."""
    script = tmp_path / "stop.py"
    script.write_text(_POOL_STOPPED, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert "stopped" in done.stderr and "Traceback" not in done.stderr, done.stderr
    if sys.version_info >= (3, 12):
        return  # (Python ignores the error itself; no hook is set)
    errors = tmp_path / "errors.py"
    errors.write_text(_THREAD_ERRORS, encoding="utf-8")
    done = subprocess.run([sys.executable, str(errors)], capture_output=True, text=True, timeout=60)
    # the manager thread's InvalidStateError is dropped; its other errors and other
    # threads' errors still reach the hook before it
    assert done.stdout.strip() == str(
        sorted([("_ExecutorManagerThread", "ValueError"), ("Thread", "InvalidStateError")])
    ), done.stderr
