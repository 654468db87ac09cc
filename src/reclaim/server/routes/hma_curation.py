"""``/c``: banks and their content as HMA 2.0's curation blueprint answers them.

Differences a client may notice, all on the safe side: removing content withdraws it (kept on record, never
matched again, never revived by an import) and answers ``{"deleted": 1}`` as HMA does; a bank that holds
content, even withdrawn, is not deleted (409). Content ids are the integer row ids, unique across banks;
Reclaim's string content ids show as ``metadata.content_id``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from reclaim.banks import add_content
from reclaim.banks.service import withdraw_content
from reclaim.errors import AlreadyExists
from reclaim.models import BankKind, SignalValue
from reclaim.server.auth import BankWriteAccess, authorize_bank_settings, bank_write_access, lookup_access
from reclaim.server.deps import SessionDep
from reclaim.server.hma import (
    CONTENT_TYPES,
    HMA_SIGNAL_TYPES,
    HMA_SIGNALS,
    SIGNAL_ALIASES,
    HmaError,
    content_type_of,
    fetch_url,
    form_upload,
    hma_signals,
    json_response,
    parse_values,
    require_signals,
)
from reclaim.server.schemas import BankedContentMetadata, HmaBank, HmaBankCreate, HmaBankUpdate
from reclaim.store.models import Bank, BankContent, ContentSignal, HmaSignalType

router = APIRouter(prefix="/c", tags=["HMA curation"])
_READ = [Depends(lookup_access)]
_WRITE = [Depends(bank_write_access)]
BANK_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
MAX_NOTE = 255
MAX_METADATA = 64 * 1024
GENERATED_ID = "hma-"  # prefix of the string ids given to content added through HMA without one


def _bank_json(bank: Bank) -> dict[str, Any]:
    return {"name": bank.name, "matching_enabled_ratio": bank.matching_enabled_ratio}


def _find_bank(session: SessionDep, name: str) -> Bank:
    bank = session.scalar(select(Bank).where(Bank.name == name))
    if bank is None:
        raise HmaError(404, f"bank '{name}' not found")
    return bank


def _check_name(name: str) -> None:
    if not BANK_NAME.fullmatch(name):
        raise HmaError(400, "Bank names must be UPPER_WITH_UNDERSCORE")


async def _json_body(request: Request) -> Any:  # noqa: ANN401 - any JSON value
    if "json" not in request.headers.get("content-type", ""):
        return None
    try:
        return await request.json()
    except ValueError as exc:
        raise HmaError(400, "the request body is not valid JSON") from exc


@router.get("/banks", dependencies=_READ, response_model=list[HmaBank])
def banks(session: SessionDep) -> Response:
    return json_response([_bank_json(b) for b in session.scalars(select(Bank).order_by(Bank.name))])


@router.post("/banks", dependencies=_WRITE, status_code=201, response_model=HmaBank)
def create_bank(session: SessionDep, body: HmaBankCreate) -> Response:
    _check_name(body.name)
    if body.enabled_ratio is not None:
        ratio = body.enabled_ratio
    else:
        ratio = 1.0 if body.enabled is None or body.enabled else 0.0
    if session.scalar(select(Bank).where(Bank.name == body.name)) is not None:
        raise HmaError(403, "Bank already exists")
    bank = Bank(name=body.name, kind=BankKind.KNOWN.value, pdq_threshold=31, matching_enabled_ratio=ratio)
    session.add(bank)
    session.flush()
    return json_response(_bank_json(bank), 201)


@router.get("/bank/{name}", dependencies=_READ, response_model=HmaBank)
def bank(session: SessionDep, name: str) -> Response:
    return json_response(_bank_json(_find_bank(session, name)))


@router.put("/bank/{name}", response_model=HmaBank)
def update_bank(session: SessionDep, name: str, body: HmaBankUpdate, who: BankWriteAccess) -> Response:
    found = _find_bank(session, name)
    authorize_bank_settings(who, name, other=any(v is not None for v in (body.name, body.enabled, body.enabled_ratio)))
    if body.name is not None and body.name != found.name:
        _check_name(body.name)
        if session.scalar(select(Bank).where(Bank.name == body.name)) is not None:
            raise HmaError(403, "Bank name already exists")
        found.name = body.name
    if body.enabled is not None:
        found.matching_enabled_ratio = 1.0 if body.enabled else 0.0
    if body.enabled_ratio is not None:
        found.matching_enabled_ratio = body.enabled_ratio
    session.flush()
    return json_response(_bank_json(found))


@router.delete("/bank/{name}")
def delete_bank(session: SessionDep, name: str, who: BankWriteAccess) -> Response:
    authorize_bank_settings(who, name, delete=True)
    found = session.scalar(select(Bank).where(Bank.name == name))
    if found is not None:
        if session.scalar(select(func.count(BankContent.id)).where(BankContent.bank_id == found.id)):
            raise HmaError(409, f"bank {name} holds content: it is withdrawn, not deleted")
        session.delete(found)
    return json_response({"message": "Done"})


def _note(value: Any) -> str:  # noqa: ANN401 - as the client sent it
    if not value:
        return ""
    if not isinstance(value, str):
        raise HmaError(400, "note should be a string")
    if len(value) > MAX_NOTE:
        raise HmaError(400, f"note must be at most {MAX_NOTE} characters")
    return value


def _metadata(raw: Any) -> dict[str, Any] | None:  # noqa: ANN401 - as the client sent it
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise HmaError(400, "metadata should be a json object")
    raw = {k: v for k, v in raw.items() if k != "collab"}
    if len(json.dumps(raw)) > MAX_METADATA:
        raise HmaError(400, f"metadata is over {MAX_METADATA:,} characters as JSON")
    try:
        checked = BankedContentMetadata(**raw)
    except (ValidationError, TypeError) as exc:
        raise HmaError(400, f"Invalid metadata: {' '.join(str(exc).split())[:300]}") from exc
    return checked.model_dump(by_alias=True, exclude_none=True) or None


def _bank_values(session: SessionDep, bank: Bank, values: list[SignalValue], signals: dict[str, str],
                 metadata: dict[str, Any] | None, note: str) -> dict[str, Any]:
    """Bank ``values`` as one content; answered as HMA does, ``{"id", "signals"}`` with ``signals`` as given or
    hashed."""
    if not values:
        raise HmaError(400, "No signals given")
    require_signals(signals)
    given = (metadata or {}).get("content_id")
    content_id = f"{GENERATED_ID}{uuid.uuid4().hex}"
    if isinstance(given, str) and given and not given.startswith(GENERATED_ID):
        taken = session.scalar(select(BankContent.id).where(BankContent.bank_id == bank.id,
                                                            BankContent.content_id == given))
        content_id = content_id if taken else given
    try:
        content = add_content(session, bank, content_id, values, note=note)
    except AlreadyExists as exc:
        raise HmaError(400, exc.message) from exc
    content.hma_metadata = metadata
    session.flush()
    return {"id": content.id, "signals": signals}


@router.post("/bank/{name}/content", dependencies=_WRITE)
async def add_media(request: Request, session: SessionDep, name: str) -> Response:
    """Content by ``?url=`` (hosts in ``$RECLAIM_HMA_URL_HOSTS`` only) or a ``photo``/``video`` upload;
    ``metadata`` (JSON) and ``note`` come in a JSON body or as form fields."""
    bank = _find_bank(session, name)
    url = request.query_params.get("url")
    body = await _json_body(request)
    form = await request.form() if url is None and "multipart" in request.headers.get("content-type", "") else None
    try:
        metadata, note = _fields(body, form)
        if url:
            hashed = await fetch_url(request, url, request.query_params.get("content_type"))
        elif form is not None:
            hashed = await form_upload(request)
        else:
            raise HmaError(400, "Neither `url` nor multipart file upload was received")
    finally:
        if form is not None:
            await form.close()
    signals = hma_signals(hashed.values, hashed.signals)
    return json_response(_bank_values(session, bank, hashed.to_bank(), signals, metadata, note))


def _fields(body: Any, form: Any) -> tuple[dict[str, Any] | None, str]:  # noqa: ANN401 - as sent
    """``metadata`` and ``note`` from a JSON body, or from form fields (metadata as JSON text)."""
    raw_meta: Any = None
    raw_note: Any = None
    if isinstance(body, dict):
        raw_meta, raw_note = body.get("metadata"), body.get("note")
    elif form is not None:
        raw_note = form.get("note")
        if isinstance(form.get("metadata"), str):
            try:
                raw_meta = json.loads(str(form.get("metadata")))
            except ValueError as exc:
                raise HmaError(400, "metadata form field must be valid JSON") from exc
    return _metadata(raw_meta), _note(raw_note)


@router.post("/bank/{name}/signal", dependencies=_WRITE)
async def add_signals(request: Request, session: SessionDep, name: str) -> Response:
    """Bank hashes given as ``{signal_type: signal, ..., "note": optional}`` (pytx's signal type names)."""
    bank = _find_bank(session, name)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise HmaError(400, "expected a json object of {signal_type: signal}")
    note = _note(body.pop("note", None))
    values: list[SignalValue] = []
    given: dict[str, str] = {}  # answered as HMA does: every type given, its signal as validated (digests lower-case)
    for signal_type, signal in body.items():
        if not isinstance(signal, str):
            raise HmaError(400, f"Invalid {signal_type} signal: not a string")
        parsed = parse_values(str(signal_type), signal)
        values += parsed
        given[str(signal_type)] = signal if SIGNAL_ALIASES[str(signal_type)] == "vpdq" else parsed[0].value
    return json_response(_bank_values(session, bank, values, given, None, note))


def _content(session: SessionDep, bank: Bank, content_id: int) -> BankContent:
    content = session.get(BankContent, content_id)
    if content is None or content.bank_id != bank.id or content.withdrawn_at is not None:
        raise HmaError(404, f"content '{content_id}' not found")
    return content


def content_metadata(content: BankContent) -> dict[str, Any] | None:
    """HMA's metadata: what an HMA client gave, or Reclaim's own string content id."""
    if content.hma_metadata:
        return dict(content.hma_metadata)
    if not content.content_id.startswith(GENERATED_ID):
        return {"content_id": content.content_id}
    return None


def _flag(request: Request, name: str, default: str) -> bool:
    return request.query_params.get(name, default).lower() == "true"


@router.get("/bank/{name}/content/{content_id}", dependencies=_READ)
def get_content(request: Request, session: SessionDep, name: str, content_id: int) -> Response:
    """``include_signals=true`` adds the signals; ``include_metadata=false`` leaves out the metadata."""
    bank = _find_bank(session, name)
    content = _content(session, bank, content_id)
    answer: dict[str, Any] = {"id": content.id, "disable_until_ts": content.disable_until_ts,
                              "original_media_uri": None, "bank": _bank_json(bank)}
    values = [SignalValue(s.signal, s.version, s.value, s.quality) for s in content.signals]
    if _flag(request, "include_signals", "false"):
        answer["signals"] = hma_signals(values, HMA_SIGNALS[content_type_of(values)])
    metadata = content_metadata(content)
    if metadata and _flag(request, "include_metadata", "true"):
        answer["metadata"] = metadata
    if content.note:
        answer["note"] = content.note
    return json_response(answer)


@router.put("/bank/{name}/content/{content_id}", dependencies=_WRITE)
async def update_content(request: Request, session: SessionDep, name: str, content_id: int) -> Response:
    """``disable_until_ts`` (Unix seconds, at most five years ahead; 0 disables, 1 enables) and ``note``."""
    bank = _find_bank(session, name)
    content = _content(session, bank, content_id)
    data = await _json_body(request)
    if not isinstance(data, dict):
        raise HmaError(400, "expected a json object")
    if "disable_until_ts" in data:
        try:
            until = int(data["disable_until_ts"])
        except (TypeError, ValueError) as exc:
            raise HmaError(400, f"Invalid int: '{str(data['disable_until_ts'])[:30]}'") from exc
        if until < 0:
            raise HmaError(400, "disable_until_ts must be a non-negative integer")
        if until > (datetime.now(UTC) + timedelta(days=365 * 5)).timestamp():
            raise HmaError(400, "disable_until_ts must be less than 5 years in the future")
        content.disable_until_ts = until
    if "note" in data:
        content.note = _note(data["note"])
    session.flush()
    return json_response({"id": content.id, "disable_until_ts": content.disable_until_ts,
                          "collab_metadata": {}, "original_media_uri": None, "bank": _bank_json(bank),
                          "user_metadata": content.hma_metadata, "note": content.note or None})


@router.delete("/bank/{name}/content/{content_id}", dependencies=_WRITE)
def withdraw(session: SessionDep, name: str, content_id: int) -> Response:
    """Withdraw (kept on record, never matched again): ``{"deleted": 1}``, or 0 when there was nothing."""
    bank = _find_bank(session, name)
    content = session.get(BankContent, content_id)
    if content is None or content.bank_id != bank.id or content.withdrawn_at is not None:
        return json_response({"deleted": 0})
    withdraw_content(session, bank.name, content.content_id)
    return json_response({"deleted": 1})


def _signal_ratios(session: SessionDep) -> dict[str, float]:
    ratios = {name: 1.0 for name in HMA_SIGNAL_TYPES}
    ratios.update({t.name: t.enabled_ratio for t in session.scalars(select(HmaSignalType))
                   if t.name in ratios})
    return ratios


@router.get("/signal_type", dependencies=_READ)
def signal_types(session: SessionDep) -> Response:
    return json_response([{"name": n, "enabled_ratio": r} for n, r in _signal_ratios(session).items()])


@router.get("/signal_type/index", dependencies=_READ)
async def signal_type_index(request: Request) -> Response:
    """HMA's index build status per signal type: ``{db_size, index_size, index_out_of_date, newest_db_item,
    index_built_to}`` (content counts; Unix seconds, -1 for none), for every type or the one asked for."""
    names = list(HMA_SIGNAL_TYPES)
    asked = request.query_params.get("signal_type")
    if asked is not None:
        if asked not in names:
            raise HmaError(400, f"No such signal type '{asked[:50]}'")
        names = [asked]
    live = request.app.state.matcher
    held = live.sizes() if live.is_ready else {}
    in_db = await run_in_threadpool(_db_sizes, request)
    built_to = int(live.built_at) if live.is_ready else -1
    answer = {}
    for name in names:
        signal = SIGNAL_ALIASES[name]
        size, newest = in_db.get(signal, (0, -1))
        index_size = held.get(signal, 0)
        answer[name] = {"db_size": size, "index_size": index_size,
                        "index_out_of_date": not live.is_ready or size != index_size or newest > built_to,
                        "newest_db_item": newest, "index_built_to": built_to if index_size else -1}
    return json_response(answer)


def _db_sizes(request: Request) -> dict[str, tuple[int, int]]:
    """Per signal: the active contents holding it in the database (a video's frames count once, as HMA's one
    vpdq signal) and when the newest was added (Unix seconds)."""
    with request.app.state.store.session() as session:
        rows = session.execute(
            select(ContentSignal.signal, func.count(func.distinct(ContentSignal.content_pk)),
                   func.max(BankContent.added_at))
            .join(BankContent, ContentSignal.content_pk == BankContent.id)
            .where(BankContent.withdrawn_at.is_(None),
                   ContentSignal.signal.in_({SIGNAL_ALIASES[n] for n in HMA_SIGNAL_TYPES}))
            .group_by(ContentSignal.signal))
        return {signal: (count, _unix(newest)) for signal, count, newest in rows}


def _unix(when: datetime | None) -> int:
    if when is None:
        return -1
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


@router.put("/signal_type/{name}", status_code=204)
async def update_signal_type(request: Request, session: SessionDep, name: str, who: BankWriteAccess) -> Response:
    """``{"enabled_ratio": 0.0-1.0}``, kept and listed as HMA keeps it (204, no body). As in HMA 2.0 (pytx's
    ``SignalTypeConfig.enabled`` is ``enabled_ratio >= 0``), the ratio does not change hashing or matching."""
    authorize_bank_settings(who, None, other=True)
    if name not in HMA_SIGNAL_TYPES:
        raise HmaError(404, f"No such SignalType '{name[:50]}'")
    body = await _json_body(request)
    raw = body.get("enabled_ratio") if isinstance(body, dict) else None
    if raw is None:
        raise HmaError(400, "enabled_ratio is required")
    try:
        ratio = float(raw)
    except (TypeError, ValueError) as exc:
        raise HmaError(400, f"Invalid float: '{str(raw)[:30]}'") from exc
    if not 0.0 <= ratio <= 1.0:
        raise HmaError(400, f"Invalid enabled ratio {ratio}. Must be in the range 0.0-1.0 inclusive.")
    found = session.get(HmaSignalType, name)
    if found is None:
        session.add(HmaSignalType(name=name, enabled_ratio=ratio))
    else:
        found.enabled_ratio = ratio
    return Response(status_code=204)


@router.get("/content_type", dependencies=_READ)
def content_types() -> Response:
    return json_response([{"name": n, "enabled": True} for n in CONTENT_TYPES])


def is_enabled(content_disable_until_ts: int, now: float | None = None) -> bool:
    """HMA's rule: 1 enabled, 0 disabled, else enabled once the time has come."""
    if content_disable_until_ts in (0, 1):
        return content_disable_until_ts == 1
    return content_disable_until_ts <= (now if now is not None else time.time())
