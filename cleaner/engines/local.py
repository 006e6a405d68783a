"""The local engine: in-process for one job, a process pool otherwise."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Per-worker-process slot for the context of the current map; set by the pool initializer.
_WORKER_CONTEXT: dict[str, Any] = {}


def _init_worker(fn: Callable[..., Any], context: Any) -> None:
    import signal

    # Ctrl-C reaches the whole process group: the main process alone handles it and stops
    # the pool. The pool stops its workers with SIGTERM, whose default action ends them at
    # once, whatever they are doing (a Python handler runs only between bytecodes, and a
    # worker blocked in a lock would never get there); the main process then removes the
    # temporary files they leave.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER_CONTEXT["fn"] = fn
    _WORKER_CONTEXT["context"] = context


def _call(item: Any) -> Any:
    return _WORKER_CONTEXT["fn"](_WORKER_CONTEXT["context"], item)


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
        ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        with ctx.Pool(
            processes=min(self.jobs, len(todo)), initializer=_init_worker, initargs=(fn, context)
        ) as pool:
            yield from pool.imap(_call, todo, chunksize=1)

    def close(self) -> None:
        pass
