"""What routes take from the app: a database session per request (lookups read the matcher off the app)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session


def session(request: Request) -> Iterator[Session]:
    """A session that commits when the route returns and rolls back when it raises.

    Its scope is the route function, so the commit happens before the response is sent: a client told
    201 can at once read its change through any worker (with the default scope FastAPI ended the
    dependency after sending the response, and test_serve saw a just-created bank 404 on the other worker).
    After a write the worker's own matcher checks the database on its next lookup, so a client sees its
    own change at once; other workers see it within their poll interval.
    """
    with request.app.state.store.session() as opened:
        yield opened
    if request.method not in ("GET", "HEAD"):
        request.app.state.matcher.invalidate()


SessionDep = Annotated[Session, Depends(session, scope="function")]
