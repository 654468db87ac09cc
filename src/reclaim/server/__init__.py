"""The web service: an HMA-compatible hash-matching API over the same banks the CLI uses.

``create_app`` is imported on first use: the decode pool's worker processes import ``reclaim.server.decodejob``
only, not the whole app (3 s of imports per worker, at every server start)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reclaim.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from reclaim.server.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
