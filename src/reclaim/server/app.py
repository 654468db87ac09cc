"""``create_app``: one FastAPI app per worker, over one store, with one live matcher."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from reclaim.server import hma
from reclaim.server.auth import install_auth, upload_gate
from reclaim.server.bodylimit import FORM_OVERHEAD, BodyLimit
from reclaim.server.decodejob import MAX_UPLOAD_BYTES
from reclaim.server.decodepool import DecodePool
from reclaim.server.errors import install_error_handler
from reclaim.server.headers import SecurityHeaders
from reclaim.server.live import LiveMatcher
from reclaim.server.ratelimit import RateLimit
from reclaim.server.refusals import RefusalAudit
from reclaim.server.routes import curating, hashing, hma_curation, hma_hashing, hma_matching, matching, session, status
from reclaim.server.web import ROUTERS as WEB_ROUTERS
from reclaim.server.web import docs
from reclaim.store import open_store

_HMA = (hma_matching.router, hma_hashing.router, hma_curation.router, status.router)  # HMA 2.0's shapes
_API_V1 = (matching.router, hashing.router, curating.router)  # Reclaim's richer answers, under /api/v1
_PAGES = (session.router, *WEB_ROUTERS)
STATIC = Path(__file__).with_name("static")
LOGINS_PER_SECOND, LOGIN_BURST = 0.2, 10  # per client address: ten tries, then one every five seconds


def create_app(store_url: str | None = None, *, lookups_per_second: float | None = None,
               lookup_burst: int | None = None) -> FastAPI:
    """The app; migrations run when it opens the store (``RECLAIM_DATABASE_URL`` or the default SQLite).

    Lookups and hashing are rate-limited per client address: ``lookups_per_second`` (else
    ``RECLAIM_LOOKUPS_PER_SECOND``, else 500) with bursts of ``lookup_burst`` (else twice the rate).
    """
    store = open_store(store_url)
    rate = lookups_per_second or float(os.environ.get("RECLAIM_LOOKUPS_PER_SECOND", "500"))
    burst = lookup_burst or max(1, int(2 * rate))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(app.state.decode_pool.start)
        yield
        app.state.matcher.close()
        store.close()

    app = FastAPI(title="Reclaim", summary="HMA-compatible hash matching over Reclaim's banks",
                  lifespan=lifespan, docs_url=None, redoc_url=None)  # /docs: served from local files below
    app.state.store = store
    app.state.matcher = LiveMatcher(store)
    app.state.decode_pool = DecodePool()
    app.state.lookup_limit = RateLimit(rate, burst)
    app.state.login_limit = RateLimit(LOGINS_PER_SECOND, LOGIN_BURST)
    app.state.refusals = RefusalAudit()
    install_auth(app)
    install_error_handler(app)
    hma.install(app)
    app.router.routes[:0] = [*hma_matching.FAST_ROUTES, *status.FAST_ROUTES]  # HMA's hot paths, matched first
    for router in _HMA:
        app.include_router(router)
    for router in _API_V1:
        app.include_router(router, prefix="/api/v1")
    for router in _PAGES:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if (swagger := docs.swagger_files()) is not None:
        app.mount("/docs-assets", swagger, name="docs-assets")
        app.include_router(docs.router)
    app.add_middleware(BodyLimit, form_bytes=MAX_UPLOAD_BYTES + FORM_OVERHEAD, gate=upload_gate)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, refusals before the body included
    return app
