"""``create_app``: one FastAPI app per worker, over one store, with one live matcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reclaim.server.errors import install_error_handler
from reclaim.server.live import LiveMatcher
from reclaim.server.ratelimit import RateLimit
from reclaim.server.routes import curating, hashing, matching
from reclaim.store import open_store

_ROUTERS = (matching.router, hashing.router, curating.router)


def create_app(store_url: str | None = None, *, lookups_per_second: float = 500.0, lookup_burst: int = 1000) -> FastAPI:
    """The app; migrations run when it opens the store (``RECLAIM_DATABASE_URL`` or the default SQLite).

    Lookups and hashing are rate-limited per client address (``lookups_per_second``, bursts of ``lookup_burst``).
    """
    store = open_store(store_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.matcher.close()
        store.close()

    app = FastAPI(title="Reclaim", summary="HMA-compatible hash matching over Reclaim's banks",
                  lifespan=lifespan)
    app.state.store = store
    app.state.matcher = LiveMatcher(store)
    app.state.lookup_limit = RateLimit(lookups_per_second, lookup_burst)
    install_error_handler(app)
    for router in _ROUTERS:
        app.include_router(router)
        app.include_router(router, prefix="/api/v1")
    return app
