"""The local engine: in-process for one job, a process pool otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .base import WorkerDied

T = TypeVar("T")
R = TypeVar("R")

# Per-worker-process slot for the context of the current map; set by the pool initializer.
_WORKER_CONTEXT: dict[str, Any] = {}


def die_with_parent(parent: int) -> bool:
    """Have the kernel kill this process (SIGKILL) when its parent ends, on Linux
    (prctl PR_SET_PDEATHSIG): a main process killed outright (``kill -9``, the out-of-memory
    killer) cannot stop its workers, which would otherwise run on, each holding its memory.
    ``parent`` is the pid the caller was forked from: when it is already gone (it died
    before the setting took), this process ends at once. Returns whether the setting took.

    In a child process (the setting stays with the process that makes it):

    >>> import subprocess
    >>> def child(parent: str) -> subprocess.CompletedProcess[str]:
    ...     code = "import os; from cleaner.engines import local as m; "
    ...     code += f"print(m.die_with_parent({parent}))"
    ...     return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    >>> child("os.getppid()").stdout.strip() == str(sys.platform.startswith("linux"))
    True
    >>> child("-1").returncode == (1 if sys.platform.startswith("linux") else 0)  # parent gone
    True
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        failed = libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) != 0
    except (OSError, AttributeError):
        return False
    if failed:
        return False
    if os.getppid() != parent:  # the parent ended between the fork and the prctl
        os._exit(1)
    return True


def _init_worker(
    fn: Callable[..., Any], context: Any, parent: int | None = None, items: Any = None
) -> None:
    import signal

    if parent is not None:
        die_with_parent(parent)

    # Ctrl-C reaches the whole process group: the main process alone handles it and stops
    # the pool. An interrupted map stops its workers with SIGTERM, whose default action ends
    # them at once, whatever they are doing (a Python handler runs only between bytecodes, and a
    # worker blocked in a lock would never get there); the main process then removes the
    # temporary files they leave.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # forked with them blocked: see LocalEngine.map
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    _WORKER_CONTEXT["fn"] = fn
    _WORKER_CONTEXT["context"] = context
    _WORKER_CONTEXT["items"] = items


def _call(item: Any) -> Any:
    return _WORKER_CONTEXT["fn"](_WORKER_CONTEXT["context"], item)


def _call_at(index: int) -> Any:
    """:func:`_call` of the map's ``index``-th item, which a forked worker has in its copy
    of the main process's memory: only the index travels (a shard's pickled sources cost
    about 0.3 ms each way)."""
    return _call(_WORKER_CONTEXT["items"][index])


def quiet_cancelled_futures() -> None:
    """Keep an interrupted pool's manager thread from printing a traceback (before Python
    3.12). A map interrupted in its caller cancels the futures it has not given yet
    (``Executor.map`` does); the workers are then stopped, and the thread that marks the
    pool broken gives every future still listed an exception, which a cancelled one
    refuses with ``InvalidStateError``: the thread dies printing it, after the run's own
    one-line message. Python 3.12 ignores that error itself; here a thread hook drops it
    for the pools' manager threads only (set once per process, other errors pass on).

    >>> import threading
    >>> quiet_cancelled_futures(); hook = threading.excepthook
    >>> quiet_cancelled_futures(); threading.excepthook is hook
    True
    """
    if sys.version_info >= (3, 12):
        return
    import threading
    from concurrent.futures import InvalidStateError

    previous = threading.excepthook
    if getattr(previous, "cancelled_futures_quiet", False):
        return

    def hook(args: Any) -> None:
        manager = type(args.thread).__name__ == "_ExecutorManagerThread"
        if manager and args.exc_type is not None and issubclass(args.exc_type, InvalidStateError):
            return
        previous(args)

    hook.cancelled_futures_quiet = True  # type: ignore[attr-defined]
    threading.excepthook = hook


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class LocalEngine:
    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)

    def map(self, fn: Callable[[Any, T], R], items: Iterable[T], context: Any) -> Iterator[R]:
        todo = list(items)
        if self.jobs == 1 or len(todo) <= 1:
            for item in todo:
                yield fn(context, item)
            return
        import multiprocessing  # (3 ms to import: a run of one job has no pool)
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        # an executor, not multiprocessing.Pool: a Pool replaces a worker that was killed and
        # waits for ever for the task it held; the executor reports it
        ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        # forked workers hold the items already (as they hold the context): they are sent
        # their positions only; spawned ones are sent each item
        forked = ctx.get_start_method() == "fork"
        pool = ProcessPoolExecutor(
            max_workers=min(self.jobs, len(todo)),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(fn, context, os.getpid(), todo if forked else None),
        )
        finished = False
        try:
            # the workers are forked when the tasks are submitted: with SIGINT and SIGTERM
            # blocked, so that a Ctrl-C at that moment cannot reach a worker before its
            # initializer ignores it (it would print a traceback); the main process gets
            # the signal once they are unblocked
            import signal

            masked = hasattr(signal, "pthread_sigmask")
            if masked:
                before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:
                results = pool.map(_call_at, range(len(todo))) if forked else pool.map(_call, todo)
            finally:
                if masked:
                    signal.pthread_sigmask(signal.SIG_SETMASK, before)
            try:
                yield from results
            except BrokenProcessPool as exc:
                raise WorkerDied(
                    "a worker process was killed (by the system when memory ran out, or by "
                    "a signal); finished files are complete"
                ) from exc
            finished = True
        finally:
            if not finished:  # interrupted or failed: stop the workers at once
                quiet_cancelled_futures()
                processes = getattr(pool, "_processes", None) or {}
                for proc in list(processes.values()):
                    proc.terminate()
            pool.shutdown(wait=finished, cancel_futures=True)

    def close(self) -> None:
        pass
