"""``/m``: is this hash, or this upload, in a bank? Shapes follow HMA's matching blueprint.

``raw_lookup`` answers ``{"matches": [...]}`` (content ids, or with ``include_distance`` objects with the
distance); ``lookup`` answers ``{signal_type: {bank: [match, ...]}}``. Each match also names the bank's
kind and the Reclaim content id. Thresholds, quality floors and negative banks are the Matcher's.

The lookups answer JSON they encode themselves: FastAPI's check of a returned dict against the declared
model (kept for the OpenAPI schema through ``response_model``) cost a lookup more than the search itself.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from reclaim.matching.matcher import MatchResult
from reclaim.models import BankKind, Match, SignalValue
from reclaim.server.auth import lookup_guard
from reclaim.server.self_report_hits import note_self_report_hits
from reclaim.server.uploads import Photo, Video, hash_upload, one_upload, read_limited
from reclaim.signals import get_signal

router = APIRouter(prefix="/m", tags=["matching"])


def _match_json(match: Match) -> dict[str, Any]:
    """A self-report's match (hashed on a person's own device) also says ``"verified": false``: for human review."""
    found = {"bank_content_id": match.content_id, "distance": match.distance, "bank": match.bank,
             "bank_kind": match.bank_kind.value, "signal_type": match.signal}
    if match.bank_kind is BankKind.SELF_REPORT:
        found["verified"] = False
    return found


def _json(content: Any) -> Response:
    return Response(json.dumps(content, separators=(",", ":"), default=_plain), media_type="application/json")


def _plain(value: Any) -> Any:
    """NumPy scalars (a distance computed by an index) as Python numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _value(signal_type: str, signal: str) -> SignalValue:
    kind = get_signal(signal_type)
    return SignalValue(kind.name, kind.version, kind.parse(signal))


# The lookups are async: the worker's matcher answers from memory (see LiveMatcher.amatch), so a lookup
# needs no hop to the thread pool, which cost more than the search itself. They take the matcher from the
# request and call their guard themselves rather than through dependencies, and read their query parameters
# themselves (declared for OpenAPI below): FastAPI's per-request validation of three parameters cost a lookup
# a fifth of its time, resolving the guard as a dependency another 4 %.
def _param(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


SIGNAL_TYPE = _param("signal_type", "signal type, e.g. pdq", type="string", maxLength=50)
SIGNAL = _param("signal", "the hash, in the signal type's text form (PDQ: 64 hex digits)", type="string",
                maxLength=200)
URL = _param("url", "refused: the server fetches nothing; POST the media instead", type="string", maxLength=2000)
INCLUDE_DISTANCE = _param("include_distance", "answer objects with the distance instead of bare content ids",
                          type="boolean", default=False)
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _text(request: Request, spec: dict[str, Any]) -> str | None:
    value = request.query_params.get(spec["name"])
    if value is not None and len(value) > spec["schema"]["maxLength"]:
        raise HTTPException(422, f"query parameter {spec['name']} is longer than {spec['schema']['maxLength']}")
    return value


def _required(request: Request, spec: dict[str, Any]) -> str:
    value = _text(request, spec)
    if value is None:
        raise HTTPException(422, f"query parameter {spec['name']} is required")
    return value


def _flag(request: Request, spec: dict[str, Any]) -> bool:
    value = request.query_params.get(spec["name"], "false").lower()
    if value not in TRUE | FALSE:
        raise HTTPException(422, f"query parameter {spec['name']} must be true or false, not {value[:20]!r}")
    return value in TRUE


@router.get("/raw_lookup", response_model=dict[str, list[Any]], openapi_extra={"parameters": [
    {**SIGNAL_TYPE, "required": True}, {**SIGNAL, "required": True}, INCLUDE_DISTANCE]})
async def raw_lookup(request: Request) -> Response:
    """Banked content whose hash of ``signal_type`` is within its bank's threshold of ``signal``."""
    await lookup_guard(request)
    value = _value(_required(request, SIGNAL_TYPE), _required(request, SIGNAL))
    include_distance = _flag(request, INCLUDE_DISTANCE)
    matches = (await request.app.state.matcher.amatch([value])).matches
    await note_self_report_hits(request, matches)
    if include_distance:
        return _json({"matches": [_match_json(m) for m in matches]})
    return _json({"matches": [m.content_id for m in matches]})


@router.get("/lookup", response_model=dict[str, Any], openapi_extra={"parameters": [
    SIGNAL_TYPE, SIGNAL, URL]})
async def lookup_get(request: Request) -> Response:
    """Look up one hash, as HMA's ``GET /m/lookup?signal_type=&signal=``: ``{bank: [match, ...]}``.

    Lookup by ``url`` is refused: the server fetches nothing from the network. Upload the media instead.
    """
    await lookup_guard(request)
    signal_type, signal = _text(request, SIGNAL_TYPE), _text(request, SIGNAL)
    if _text(request, URL) is not None:
        raise HTTPException(400, "lookup by url is not supported here: POST the media to /m/lookup as 'photo'")
    if signal_type is None or signal is None:
        raise HTTPException(400, "give signal_type and signal, or POST the media to /m/lookup as 'photo'")
    value = _value(signal_type, signal)
    result = await request.app.state.matcher.amatch([value])
    await note_self_report_hits(request, result.matches)
    return _json(_by_signal_and_bank(result).get(value.signal, {}))


@router.post("/lookup", response_model=dict[str, Any], dependencies=[Depends(lookup_guard)])
async def lookup_upload(request: Request, photo: Photo = None, video: Video = None) -> Response:
    """Hash the upload (``photo`` or ``video``) in memory, never stored, and match every signal:
    ``{signal_type: {bank: [match]}}``."""
    upload = one_upload(photo, video)
    values = await hash_upload(request, await read_limited(upload), upload.filename or "upload")
    result = await request.app.state.matcher.amatch(values)
    await note_self_report_hits(request, result.matches)
    return _json(_by_signal_and_bank(result))


def _by_signal_and_bank(result: MatchResult) -> dict[str, Any]:
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for match in result.matches:
        grouped.setdefault(match.signal, {}).setdefault(match.bank, []).append(_match_json(match))
    return grouped
