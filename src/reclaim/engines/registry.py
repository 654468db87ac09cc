"""Engines by the name ``--engine`` takes."""

from __future__ import annotations

from typing import Any

from reclaim.engines.base import Engine
from reclaim.engines.local import LocalEngine
from reclaim.engines.process import ProcessEngine
from reclaim.errors import UserError

ENGINE_NAMES = ("local", "process", "ray")


def engine_for(name: str, *, workers: int | None = None, address: str | None = None) -> Engine[Any, Any]:
    """The engine called ``name``; Ray is imported only when asked for."""
    if name == "local":
        return LocalEngine()
    if name == "process":
        return ProcessEngine(workers)
    if name == "ray":
        from reclaim.engines.ray_engine import RayEngine

        return RayEngine(address, workers)
    raise UserError(f"unknown engine {name!r} (known: {', '.join(ENGINE_NAMES)})")
