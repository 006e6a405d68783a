"""The Ray engine: the same per-shard functions, as Ray tasks on a local runtime or a cluster.

Each pass maps a pipeline function over shards. The run's context (config, work folder,
and after the group step the group table) goes to the object store once; every task gets
a reference to it and one shard (or one LSH band in the group step), reads its inputs
from paths every node can see or URLs (fsspec), and writes its intermediate files under
the work folder. Only small results (a shard's page count, one document fingerprint per
page, a band's similar pairs) travel back through Ray. A task whose
worker dies is retried; results come back in shard order, so the output is the same as
the local engine's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MISSING = "the Ray engine needs Ray: pip install 'cleaner[ray]'"


class RayUnavailable(Exception):
    """Ray is not installed."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(MISSING) from exc
    return ray


class RayEngine:
    """Runs ``fn(context, item)`` as Ray tasks, at most ``max_in_flight`` at a time."""

    def __init__(
        self, address: str | None = None, max_in_flight: int | None = None, quiet: bool = False
    ) -> None:
        ray = _import_ray()
        self._ray = ray
        self._own_runtime = False
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS")
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if quiet:  # clean -q: only errors from Ray's own logger (start-up, tokens)
                import logging

                kwargs["logging_level"] = logging.ERROR
            if address:
                ray.init(address=address, **kwargs)
            else:
                ray.init(**kwargs)
                self._own_runtime = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.max_in_flight = max_in_flight or max(2, 2 * cpus)
        self._task = ray.remote(max_retries=3, retry_exceptions=False)(_run_task)

    def map(self, fn: Callable[[Any, T], R], items: Iterable[T], context: Any) -> Iterator[R]:
        ray = self._ray
        ctx_ref = ray.put(context)
        todo = list(items)
        pending: dict[int, Any] = {}
        submitted = 0
        for i in range(len(todo)):
            while submitted < len(todo) and len(pending) < self.max_in_flight:
                pending[submitted] = self._task.remote(fn, ctx_ref, todo[submitted])
                submitted += 1
            yield ray.get(pending.pop(i))

    def close(self) -> None:
        if self._own_runtime and self._ray.is_initialized():
            self._ray.shutdown()


def _run_task(fn: Callable[[Any, Any], Any], context: Any, item: Any) -> Any:
    return fn(context, item)
