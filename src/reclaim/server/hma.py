"""What HMA 2.0's routes share: its signal and content type names, its error body, its uploads and url fetches.

HMA names signals as python-threatexchange does (``pdq``, ``video_md5``, ``vpdq``); Reclaim's own names are
``md5``/``sha256`` for any file. A photo answers ``pdq`` only and a video ``video_md5`` and ``vpdq`` (the whole
feature list, pytx's JSON form), as HMA's default signal types do; the other hashes are still banked and
matched, and shown under ``/api/v1``. HMA's errors are ``{"message": ...}`` with HMA's status codes.
"""

from __future__ import annotations

import json
import os
import re
import ssl
from collections.abc import Iterable
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from reclaim.errors import ReclaimError
from reclaim.models import SignalValue
from reclaim.server.decodejob import MAX_UPLOAD_BYTES
from reclaim.server.uploads import hash_upload, read_limited, signal_answer
from reclaim.signals import get_signal
from reclaim.signals.pdq import MIN_QUALITY
from reclaim.signals.vpdq import from_pytx

PHOTO, VIDEO = "photo", "video"
CONTENT_TYPES = (PHOTO, VIDEO)
# HMA (pytx) signal name -> Reclaim's; the names HMA lists in /c/signal_type come first.
SIGNAL_ALIASES = {"pdq": "pdq", "video_md5": "md5", "vpdq": "vpdq", "video_sha256": "sha256",
                  "md5": "md5", "sha256": "sha256"}
HMA_SIGNALS = {PHOTO: ("pdq",), VIDEO: ("video_md5", "vpdq")}
HMA_SIGNAL_TYPES = ("pdq", "video_md5", "vpdq")  # what /c/signal_type lists, as HMA's default install
URL_HOSTS_ENV = "RECLAIM_HMA_URL_HOSTS"  # comma-separated hosts /c and /m may fetch ?url= from; unset: none
_FETCH_SECONDS = 20.0
_PDQ_HEX = re.compile("[0-9a-f]{64}")


class HmaError(Exception):
    """An HMA refusal: answered as ``{"message": ...}`` with HMA's status code (see ``install``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def install(app: FastAPI) -> None:
    @app.exception_handler(HmaError)
    async def _hma_error(_request: Request, exc: HmaError) -> JSONResponse:
        return JSONResponse({"message": exc.message}, status_code=exc.status)


_COMPACT = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps with these arguments, without a new encoder


def json_response(content: Any, status_code: int = 200) -> Response:  # noqa: ANN401 - any JSON value
    return Response(_COMPACT(content), status_code=status_code, media_type="application/json")


def reclaim_signal(hma_name: str) -> str:
    """Reclaim's signal for an HMA signal name; 400 (HMA's answer) when there is none."""
    name = SIGNAL_ALIASES.get(hma_name)
    if name is None:
        raise HmaError(400, f"No such SignalType '{hma_name}'")
    return name


def parse_values(hma_name: str, signal: str) -> list[SignalValue]:
    """The values to match or bank for one HMA signal string (a vpdq string is one value per frame)."""
    name = reclaim_signal(hma_name)
    try:
        if name == "vpdq":
            kind = get_signal("vpdq")
            return [SignalValue(kind.name, kind.version, str(f), f.quality) for f in from_pytx(signal)]
        if name == "pdq" and not _PDQ_HEX.fullmatch(signal):  # pytx's rule: exactly 64 lower-case hex digits
            raise HmaError(400, "invalid signal: invalid PDQ hash")
        kind = get_signal(name)
        return [SignalValue(kind.name, kind.version, kind.parse(signal))]
    except ReclaimError as exc:
        raise HmaError(400, f"invalid signal: {exc.message}") from exc


class Hashed(NamedTuple):
    """An upload's or a url's media, hashed in memory: its HMA content type, every value computed, and the HMA
    signal types the caller asked for with ``types=`` (None: all of the content type's)."""

    content_type: str
    values: list[SignalValue]
    types: tuple[str, ...] | None

    @property
    def signals(self) -> tuple[str, ...]:
        """The HMA signal types to answer, in HMA's order."""
        return self.types or HMA_SIGNALS[self.content_type]

    def to_bank(self) -> list[SignalValue]:
        """What banking it keeps: every value (Reclaim also matches a photo's sha256), or only the types asked."""
        if self.types is None:
            return self.values
        wanted = {SIGNAL_ALIASES[name] for name in self.types}
        return [v for v in self.values if v.signal in wanted]


def asked_types(content_type: str, types: str | None) -> tuple[str, ...] | None:
    """HMA's ``types=`` (comma-separated): the content type's signal types asked for, refused as HMA refuses a
    name the content type lacks or an empty selection."""
    if types is None:
        return None
    asked = tuple(dict.fromkeys(name.strip() for name in types.split(",") if name.strip()))
    for name in asked:
        if name not in HMA_SIGNALS[content_type]:
            raise HmaError(400, f"signal type '{name[:50]}' doesn't exist or is disabled")
    if not asked:
        raise HmaError(400, "empty signal type selection")
    return asked


def hma_signals(values: Iterable[SignalValue], signal_types: Iterable[str]) -> dict[str, str]:
    """``{hma_name: signal}`` of computed or stored values for the HMA ``signal_types`` they have; like pytx, a
    PDQ of quality under 50 is answered as ``""`` (HMA then refuses to bank or look it up)."""
    values = list(values)
    mine = signal_answer(values)  # Reclaim's names, each signal once, vpdq as the whole feature list
    low = {v.signal for v in values if v.signal == "pdq" and v.quality is not None and v.quality < MIN_QUALITY}
    answer = {}
    for hma_name in signal_types:
        name = SIGNAL_ALIASES[hma_name]
        if name in mine:
            answer[hma_name] = "" if name in low else mine[name]
    return answer


def require_signals(signals: dict[str, str]) -> None:
    """HMA's 400 for what pytx could not hash usably (a PDQ under quality 50 comes back empty)."""
    for name, value in signals.items():
        if not value:
            raise HmaError(400, f"Invalid {name} signal: too low quality to hash")


def content_type_of(values: Iterable[SignalValue]) -> str:
    """Stored content's type: a video has vpdq frames, or only file digests (banked as ``video_md5``)."""
    names = {v.signal for v in values}
    return VIDEO if "vpdq" in names or "pdq" not in names else PHOTO


def hma_name(signal: str, content_type: str) -> str | None:
    """The HMA name a match of Reclaim's ``signal`` is reported under, or None (not an HMA signal here)."""
    for name in HMA_SIGNALS[content_type]:
        if SIGNAL_ALIASES[name] == signal:
            return name
    return None


async def form_upload(request: Request) -> Hashed:
    """HMA's multipart upload: exactly one file, under a field named for its content type (photo, video)."""
    form = await request.form()
    try:
        files = [(key, value) for key, value in form.multi_items() if isinstance(value, UploadFile)]
        if not files:
            raise HmaError(400, "Missing multipart/form-data file upload")
        if len(files) > 1:
            raise HmaError(400, "Only one file allowed per request")
        field, upload = files[0]
        if field not in CONTENT_TYPES:
            raise HmaError(400, f"no such content_type: '{field[:50]}'")
        types = asked_types(field, request.query_params.get("types"))
        data = await read_limited(upload)  # type: ignore[arg-type]
    finally:
        await form.close()
    name = upload.filename or "upload"
    return Hashed(field, _as_declared(field, await hash_upload(request, data, name, exact=True), name), types)


async def fetch_url(request: Request, url: str, content_type: str | None) -> Hashed:
    """Fetch ``url`` (only from hosts in ``$RECLAIM_HMA_URL_HOSTS``; no redirects, size-capped) on a thread, and
    hash it in the decode pool."""
    found_type, data, name = await run_in_threadpool(_download, url, content_type)
    types = asked_types(found_type, request.query_params.get("types"))
    return Hashed(found_type, _as_declared(found_type, await hash_upload(request, data, name, exact=True), name),
                  types)


def _as_declared(content_type: str, values: list[SignalValue], name: str) -> list[SignalValue]:
    """A ``photo`` must be a picture: HMA's PDQ hasher refuses anything else, where ours would hash a video's
    frames and answer (or bank) nothing under ``pdq``."""
    if content_type == PHOTO and not any(v.signal == "pdq" for v in values):
        raise HmaError(400, f"Invalid photo: {name[:100]!r} is not a picture")
    return values


@cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context, made once: building it loads the CA bundle, 60 ms of CPU that each ``url=``
    request paid before. The client stays per fetch, so no cookie set by one caller's URL rides on another's."""
    return httpx.create_ssl_context()


def _download(url: str, content_type: str | None) -> tuple[str, bytes, str]:
    parts = urlsplit(url)
    allowed = {h.strip().lower() for h in os.environ.get(URL_HOSTS_ENV, "").split(",") if h.strip()}
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise HmaError(400, "Invalid or unsafe URL provided")
    if not any(host == a or host.endswith(f".{a}") for a in allowed):
        raise HmaError(400, f"this server fetches no url from {host[:100]!r} (allowed hosts: ${URL_HOSTS_ENV})")
    if content_type is not None and content_type not in CONTENT_TYPES:
        raise HmaError(400, f"no such content_type: '{content_type[:50]}'")
    try:
        with httpx.Client(timeout=_FETCH_SECONDS, follow_redirects=False, verify=_tls()) as client, \
                client.stream("GET", url) as response:
            if response.status_code != 200:
                raise HmaError(400, f"Failed to fetch URL: HTTP {response.status_code}")
            declared = response.headers.get("content-type", "").lower()
            parts_read, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise HmaError(413, "Content too large")
                parts_read.append(chunk)
    except httpx.HTTPError as exc:
        raise HmaError(400, f"Failed to fetch URL: {type(exc).__name__}") from exc
    if content_type is None:
        if not declared.startswith(("image", "video")):
            raise HmaError(400, f"unsupported url ContentType: '{declared[:50]}', if you know the expected "
                                "type, provide it with the content_type query param")
        content_type = PHOTO if declared.startswith("image") else VIDEO
    return content_type, b"".join(parts_read), parts.path.rsplit("/", 1)[-1] or "download"
