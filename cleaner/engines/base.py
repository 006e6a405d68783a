"""What every engine is: maps a per-shard function over shards, and the error a dead
worker gives."""

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
