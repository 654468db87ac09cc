"""``/m``: HMA 2.0's matching blueprint: raw_lookup, lookup (hash, url or upload), compare, index/status.

Matches are found by the worker's live matcher (each bank's threshold, quality floor and negative banks
apply); HMA's own rules are then applied to them: ``banks=`` restricts the banks, ``/m/lookup`` skips content
whose ``disable_until_ts`` has not come and banks that lose the coin flip (one draw in [0, 1) per request,
seeded by ``seed``, against each bank's ``matching_enabled_ratio``; ``bypass_coinflip=true`` skips it).
Content ids are integers and distances strings, as HMA's ``MatchWithDistance``. Lookups answer 503 while the
worker's index is not loaded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from reclaim.errors import InvalidHash, SignalError
from reclaim.models import Match, SignalValue
from reclaim.server.auth import lookup_guard
from reclaim.server.hma import (
    HMA_SIGNALS,
    PHOTO,
    SIGNAL_ALIASES,
    VIDEO,
    Hashed,
    HmaError,
    fetch_url,
    form_upload,
    hma_signals,
    json_response,
    parse_values,
    reclaim_signal,
    require_signals,
)
from reclaim.server.routes.hma_curation import is_enabled
from reclaim.server.self_report_hits import note_self_report_hits
from reclaim.signals import get_signal
from reclaim.signals.vpdq import MATCH_PERCENT, VpdqMatch, from_pytx, vpdq_match
from reclaim.store.models import BankContent, ContentSignal

router = APIRouter(prefix="/m", tags=["HMA matching"])
READY_WAIT_SECONDS = 5.0  # a lookup waits this long for a worker's first index, then answers 503
MAX_COMPARE_FRAMES = 10_000  # per vPDQ list given to /m/compare (2.8 hours at a frame a second; ~1 s of CPU)


@dataclass(frozen=True)
class _Row:
    content: int  # HMA's content id (the bank_content row id)
    disable_until_ts: int
    bank_ratio: float


Params = dict[str, str]


def _query(request: Request) -> Params:
    """The query's parameters, the last of a repeated name winning: Starlette's ``query_params`` parsed the same
    way, without building its multi-dict (which cost a lookup as much as its whole guard)."""
    return dict(parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True))


def _param(params: Params, name: str, limit: int = 2000) -> str | None:
    value = params.get(name)
    if value is not None and len(value) > limit:
        raise HmaError(400, f"{name} is longer than {limit} characters")
    return value


def _banks(params: Params) -> set[str] | None:
    text = _param(params, "banks")
    return set(text.split(",")) if text else None


async def _matches(request: Request, values: list[SignalValue]) -> list[Match]:
    matcher = request.app.state.matcher
    if not matcher.is_ready and not await run_in_threadpool(matcher.wait_ready, READY_WAIT_SECONDS):
        raise HmaError(503, "index not yet ready")
    return list((await matcher.amatch(values)).matches)


def _rows(request: Request, matches: list[Match]) -> dict[int, _Row]:
    """Each matched signal row's content id, content switch and bank ratio, from the worker's memory (no
    database read: a hit costs what a miss does)."""
    live = request.app.state.matcher
    switches = live.switches
    rows = {}
    for match in matches:
        content = live.content_pk(match.entry_id)
        if content is not None:
            rows[match.entry_id] = _Row(content, switches.until(content), switches.ratio(match.bank))
    return rows


def _distance(match: Match) -> str:
    if match.shares is not None:  # pytx's VPDQSimilarityInfo.pretty_str: "query%[banked%]"
        return f"{match.shares[0]:.0f}%[{match.shares[1]:.0f}%]"
    return str(int(match.distance))


async def _by_bank(request: Request, matches: list[Match], banks: set[str] | None, bypass_coinflip: bool,
                   seed: str | None) -> dict[str, list[dict[str, Any]]]:
    """HMA's lookup: ``{bank: [{bank_content_id, distance}]}`` of enabled content in banks that won the flip
    (drawn from ``seed`` when given)."""
    matches = [m for m in matches if banks is None or m.bank in banks]
    if not matches:
        return {}
    await note_self_report_hits(request, matches)
    rows = _rows(request, matches)
    coinflip = 0.0 if bypass_coinflip else _draw(seed)
    answer: dict[str, list[dict[str, Any]]] = {}
    seen: set[int] = set()
    for match in matches:
        row = rows.get(match.entry_id)
        if row is None or row.content in seen or not is_enabled(row.disable_until_ts):
            continue
        if row.bank_ratio < coinflip:
            continue
        seen.add(row.content)
        answer.setdefault(match.bank, []).append({"bank_content_id": row.content, "distance": _distance(match)})
    return answer


def _draw(seed: str | None) -> float:
    """HMA's coin: ``random.Random(seed)``; unseeded, the process's generator draws the same way without
    seeding a new one from the OS on every lookup."""
    return random.Random(seed).random() if seed is not None else random.random()


def _true(params: Params, name: str) -> bool:
    value = (_param(params, name, 10) or "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise HmaError(400, "invalid boolean parameter - prefer true/false")
    return value in ("true", "1")


@router.get("/raw_lookup")
async def raw_lookup(request: Request) -> Response:
    """``{"matches": [content id, ...]}``, or with ``include_distance=true`` ``[{bank_content_id, distance}]``.
    As in HMA, content switches and the coin flip are not applied here; ``banks=`` is."""
    await lookup_guard(request)  # called here: FAST_ROUTES below serve this without FastAPI's dependencies
    params = _query(request)
    signal_type, signal = _param(params, "signal_type", 50), _param(params, "signal", 100_000)
    if signal_type is None or signal is None:
        raise HmaError(422, "signal_type and signal are required")
    values = parse_values(signal_type, signal)
    wanted = reclaim_signal(signal_type)
    matches = [m for m in await _matches(request, values) if m.signal == wanted]
    banks = _banks(params)
    matches = [m for m in matches if banks is None or m.bank in banks]
    await note_self_report_hits(request, matches)
    rows = _rows(request, matches)
    found: dict[int, Match] = {}
    for match in matches:
        row = rows.get(match.entry_id)
        if row is not None:
            found.setdefault(row.content, match)
    if _true(params, "include_distance"):
        return json_response({"matches": [{"bank_content_id": c, "distance": _distance(m)}
                                          for c, m in found.items()]})
    return json_response({"matches": list(found)})


@router.get("/lookup")
async def lookup(request: Request) -> Response:
    """By hash (``signal_type``, ``signal``): ``{bank: [match]}``; by ``url`` (allowed hosts only):
    ``{signal_type: {bank: [match]}}``, or the one type asked for."""
    await lookup_guard(request)  # as in raw_lookup
    params = _query(request)
    banks, bypass, seed = _banks(params), _true(params, "bypass_coinflip"), params.get("seed")
    signal_type, signal, url = _param(params, "signal_type", 50), _param(params, "signal", 100_000), \
        _param(params, "url")
    if url:
        hashed = await fetch_url(request, url, _param(params, "content_type", 20))
        answer = await _per_signal(request, hashed, banks, bypass, seed)
        return json_response(answer.get(signal_type, {}) if signal_type else answer)
    if not signal or not signal_type:
        raise HmaError(400, "Either url or both signal and signal_type are required")
    values = parse_values(signal_type, signal)
    wanted = reclaim_signal(signal_type)
    matches = [m for m in await _matches(request, values) if m.signal == wanted]
    return json_response(await _by_bank(request, matches, banks, bypass, seed))


# The GET lookups also as plain Starlette routes, placed ahead of FastAPI's (server.app): they read only the request,
# so FastAPI's per-route matching and resolving (~0.15 ms a request, bench/server.py) buys them nothing. The FastAPI
# routes of the same paths describe them in /openapi.json.
FAST_ROUTES = (Route("/m/lookup", lookup, methods=["GET"], include_in_schema=False),
               Route("/m/raw_lookup", raw_lookup, methods=["GET"], include_in_schema=False))


@router.post("/lookup", dependencies=[Depends(lookup_guard)])
async def lookup_upload(request: Request) -> Response:
    """A ``photo`` or ``video`` upload, hashed in memory: ``{signal_type: {bank: [match]}}``."""
    hashed = await form_upload(request)
    params = _query(request)
    return json_response(await _per_signal(request, hashed, _banks(params),
                                           _true(params, "bypass_coinflip"), params.get("seed")))


async def _per_signal(request: Request, hashed: Hashed, banks: set[str] | None, bypass: bool,
                      seed: str | None) -> dict[str, Any]:
    """One lookup per HMA signal type of the media (those of ``types=``, else all; a content matched by two types
    shows under both)."""
    require_signals(hma_signals(hashed.values, hashed.signals))
    answer: dict[str, Any] = {}
    for name in hashed.signals:
        wanted = SIGNAL_ALIASES[name]
        mine = [v for v in hashed.values if v.signal == wanted]
        matches = [m for m in await _matches(request, mine) if m.signal == wanted] if mine else []
        answer[name] = await _by_bank(request, matches, banks, bypass, seed)
    return answer


@router.post("/compare", dependencies=[Depends(lookup_guard)])
async def compare(request: Request) -> Response:
    """``{signal_type: [a, b]}`` -> ``{signal_type: [matched, details]}``: PDQ ``{"distance": d}`` (a match within 31
    bits), vPDQ both shares of frames matched, digests ``{}``."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise HmaError(400, "Request input was not a dict") from exc
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict")
    answer = {}
    for name, pair in body.items():
        if not isinstance(pair, list):
            raise HmaError(400, f"Comparison hashes for {name} was not a list")
        if len(pair) != 2:
            raise HmaError(400, "Comparison hash list length must be exactly 2")
        signal = get_signal(reclaim_signal(str(name)))
        if signal.name == "vpdq":
            answer[name] = _compare_videos(str(name), pair)
            continue
        left, right = (parse_values(str(name), str(p))[0].value for p in pair)
        if signal.name != "pdq":  # a digest: equal or not, no distance (pytx's comparison of an exact signal)
            answer[name] = [left == right, {}]
            continue
        distance = int(signal.distance(left, right))
        answer[name] = [distance <= signal.default_threshold, {"distance": distance}]
    return json_response(answer)


def _compare_videos(name: str, pair: list[Any]) -> list[Any]:
    """pytx's ``VPDQSignal.compare_hash``: a match when at least 80 % of the first video's good frames (quality
    50 and up) lie within 31 bits of the second's, answered with both shares (``VPDQSimilarityInfo``)."""
    try:
        first, second = (from_pytx(str(p)) for p in pair)
    except InvalidHash as exc:
        raise HmaError(400, f"Invalid {name} hash: {exc.message}") from exc
    if max(len(first), len(second)) > MAX_COMPARE_FRAMES:  # every frame meets every frame: bound the work
        raise HmaError(400, f"Invalid {name} hash: more than {MAX_COMPARE_FRAMES:,} frames")
    try:
        shares = vpdq_match(first, second)
    except SignalError:  # no good frame on one side: pytx finds no frame matched either way
        shares = VpdqMatch(0.0, 0.0)
    return [shares.query_percent >= MATCH_PERCENT,
            {"query_match_percent": shares.query_percent, "compared_match_percent": shares.compared_percent}]


def _sizes(request: Request) -> dict[str, int]:
    with request.app.state.store.session() as session:
        rows = session.execute(
            select(ContentSignal.signal, func.count(func.distinct(ContentSignal.content_pk)))
            .join(BankContent, ContentSignal.content_pk == BankContent.id)
            .where(BankContent.withdrawn_at.is_(None)).group_by(ContentSignal.signal))
        return {signal: count for signal, count in rows}


@router.get("/index/status", dependencies=[Depends(lookup_guard)])
async def index_status(request: Request) -> Response:
    """``{signal_type: {present, built_to, size}}``, for every HMA signal type or the one asked for."""
    names = [n for n in HMA_SIGNALS[PHOTO] + HMA_SIGNALS[VIDEO]]
    asked = _param(_query(request), "signal_type", 50)
    if asked is not None:
        if asked not in SIGNAL_ALIASES:
            raise HmaError(400, f"No such signal type '{asked}'")
        names = [asked]
    matcher = request.app.state.matcher  # present: this worker has loaded its index (a lookup or /status loads it)
    sizes = await run_in_threadpool(_sizes, request) if matcher.is_ready else {}
    answer = {}
    for name in names:
        if matcher.is_ready:
            answer[name] = {"present": True, "built_to": int(matcher.built_at),
                            "size": sizes.get(SIGNAL_ALIASES[name], 0)}
        else:
            answer[name] = {"present": False, "built_to": -1, "size": 0}
    return json_response(answer)
