"""Engines run the per-shard steps of the pipeline; the pipeline does not know which one."""

from __future__ import annotations

from .base import Engine, WorkerDied

__all__ = ["ENGINES", "Engine", "WorkerDied", "make_engine"]

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
