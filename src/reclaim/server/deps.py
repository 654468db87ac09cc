"""What routes take from the app: a database session per request, and the worker's live matcher."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from reclaim.server.live import LiveMatcher


def session(request: Request) -> Iterator[Session]:
    """A session that commits when the route returns and rolls back when it raises.

    After a write the worker's own matcher checks the database on its next lookup, so a client sees its
    own change at once; other workers see it within their poll interval.
    """
    with request.app.state.store.session() as opened:
        yield opened
    if request.method not in ("GET", "HEAD"):
        request.app.state.matcher.invalidate()


def live_matcher(request: Request) -> LiveMatcher:
    return request.app.state.matcher


SessionDep = Annotated[Session, Depends(session)]
MatcherDep = Annotated[LiveMatcher, Depends(live_matcher)]
