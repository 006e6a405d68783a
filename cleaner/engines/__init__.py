"""Engines run the per-shard steps of the pipeline; the pipeline does not know which one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerDied(RuntimeError):
    """A worker process ended without finishing its task (killed by a signal, such as the
    system's out-of-memory killer): the run stops instead of waiting for it for ever."""


class Engine(Protocol):
    """Maps ``fn(context, item)`` over items, yielding results in item order.

    ``context`` is delivered once per worker rather than once per item.
    """

    def map(self, fn: Callable[[Any, T], R], items: Iterable[T], context: Any) -> Iterator[R]: ...

    def close(self) -> None: ...


ENGINES = ("local", "ray")


def make_engine(name: str, jobs: int, address: str | None = None, quiet: bool = False) -> Engine:
    """``local``: a process pool of ``jobs`` workers; ``ray``: Ray tasks on the cluster at
    ``address`` (or ``RAY_ADDRESS``), or on a local Ray runtime when there is none (with
    ``quiet``, Ray's own log lines below errors are not printed)."""
    if name == "local":
        from .local import LocalEngine

        return LocalEngine(jobs)
    if name == "ray":
        from .ray import RayEngine

        return RayEngine(address, quiet=quiet)
    raise ValueError(f"unknown engine {name!r} (available: {', '.join(ENGINES)})")
