"""``/m``: is this hash, or this upload, in a bank? Shapes follow HMA's matching blueprint.

``raw_lookup`` answers ``{"matches": [...]}`` (content ids, or with ``include_distance`` objects with the
distance); ``lookup`` answers ``{signal_type: {bank: [match, ...]}}``. Each match also names the bank's
kind and the Reclaim content id. Thresholds, quality floors and negative banks are the Matcher's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile

from reclaim.matching import MatchResult
from reclaim.models import Match, SignalValue
from reclaim.server.auth import lookup_access
from reclaim.server.deps import MatcherDep
from reclaim.server.ratelimit import limit_lookups
from reclaim.server.uploads import hash_upload, read_limited
from reclaim.signals import get_signal

router = APIRouter(prefix="/m", tags=["matching"], dependencies=[Depends(limit_lookups), Depends(lookup_access)])


def _match_json(match: Match) -> dict[str, Any]:
    return {"bank_content_id": match.content_id, "distance": match.distance, "bank": match.bank,
            "bank_kind": match.bank_kind.value, "signal_type": match.signal}


@router.get("/raw_lookup")
def raw_lookup(
    matcher: MatcherDep,
    signal_type: Annotated[str, Query(max_length=50)],
    signal: Annotated[str, Query(max_length=200)],
    include_distance: bool = False,
) -> dict[str, list[Any]]:
    """Banked content whose hash of ``signal_type`` is within its bank's threshold of ``signal``."""
    kind = get_signal(signal_type)
    value = SignalValue(kind.name, kind.version, kind.parse(signal))
    matches = matcher.match([value]).matches
    if include_distance:
        return {"matches": [_match_json(m) for m in matches]}
    return {"matches": [m.content_id for m in matches]}


@router.get("/lookup")
def lookup_url(url: Annotated[str, Query(max_length=2000)]) -> dict[str, Any]:
    """Lookup by URL is refused: the server fetches nothing from the network. Upload the media instead."""
    raise HTTPException(400, "lookup by url is not supported here: POST the media to /m/lookup as 'photo'")


@router.post("/lookup")
async def lookup_upload(matcher: MatcherDep, photo: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """Hash the upload in memory (never stored) and match every signal: ``{signal_type: {bank: [match]}}``."""
    values = hash_upload(await read_limited(photo), photo.filename or "upload")
    return _by_signal_and_bank(matcher.match(values))


def _by_signal_and_bank(result: MatchResult) -> dict[str, Any]:
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for match in result.matches:
        grouped.setdefault(match.signal, {}).setdefault(match.bank, []).append(_match_json(match))
    return grouped
