"""Who is asking, and may they: API keys (``Authorization: Bearer``) for platforms, session cookies for people.

Every route declares what it needs through one of the dependencies below; a browser's unsafe request
(anything but GET/HEAD/OPTIONS) must also carry its session's CSRF token, as the ``X-CSRF-Token`` header
(htmx sends it from ``<body hx-headers>``) or a ``csrf_token`` form field. API keys carry no cookie, so
they need no CSRF token.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from sqlalchemy.orm import Session

from reclaim.accounts import Role, Scope, find_api_key, find_session, record_access
from reclaim.server.ratelimit import take_lookup
from reclaim.signals import get_signal

SESSION_COOKIE = "reclaim_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEY_CACHE_SECONDS = 1.0  # a revoked key stops working within this long on every worker
# The access checks below are async though they do no I/O: FastAPI runs a sync dependency in its thread
# pool, a hop that cost ~15 % of a lookup's time (bench/server.py).


@dataclass(frozen=True)
class Principal:
    name: str
    role: str  # admin, officer, victim, or apikey
    case_id: int | None = None  # a victim's own case
    scopes: frozenset[str] = field(default_factory=frozenset)  # an API key's
    csrf_token: str | None = None  # a browser session's

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.OFFICER)

    @cached_property  # asked on every lookup (its rate limit's key)
    def actor(self) -> str:
        """How the audit log names them."""
        return f"{'key' if self.role == 'apikey' else 'user'}:{self.name}"


class LoginRequired(Exception):
    """An anonymous browser asked for a page: answered with a redirect to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.location = f"/login?next={quote(next_path, safe='/')}"


class _KeyCache:
    """Presented keys resolved in the last second: a lookup need not read the database every time."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def get(self, request: Request, key: str) -> Principal | None:
        now = time.monotonic()
        hit = self._entries.get(key)  # one dict read: atomic, no lock needed
        if hit is not None and hit[0] > now:
            return hit[1]
        with request.app.state.store.session() as session:
            row = find_api_key(session, key)
            found = Principal(row.name, "apikey", scopes=frozenset(row.scopes)) if row else None
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (now + KEY_CACHE_SECONDS, found)
        return found


def install_auth(app: FastAPI) -> None:
    app.state.key_cache = _KeyCache()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def principal(request: Request) -> Principal | None:
    """The caller, or None when anonymous; a bad key or a cookie request without its CSRF token is refused."""
    # ``request.state`` keeps its attributes in the scope's "state" dict; read there, a first call (every lookup's)
    # does not raise and catch an AttributeError to learn that nothing is known yet
    known = request.scope.get("state")
    if known is not None and "principal" in known:
        cached: Principal | None = known["principal"]
        return cached
    found = await identify(request)
    request.state.principal = found  # set first, so a CSRF refusal is audited under their name
    if found is not None and found.csrf_token is not None and request.method not in SAFE_METHODS:
        await _check_csrf(request, found)
    return found


async def identify(request: Request) -> Principal | None:
    """Who the credentials name (401 for a bad key), from the headers alone: it never reads the body."""
    header = _authorization(request)
    if header:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise HTTPException(401, "use Authorization: Bearer <api key>", headers={"WWW-Authenticate": "Bearer"})
        found: Principal | None = request.app.state.key_cache.get(request, key.strip())
        if found is None:
            raise HTTPException(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        return found
    if token := request.cookies.get(SESSION_COOKIE):
        with request.app.state.store.session() as session:
            signed_in = find_session(session, token)
            if signed_in is not None:
                user, web = signed_in
                return Principal(user.name, user.role, user.case_id, csrf_token=web.csrf_token)
    return None


def _authorization(request: Request) -> str:
    """``request.headers.get("authorization", "")``, read off the scope without building the headers object."""
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return ""


async def upload_gate(request: Request) -> HTTPException | None:
    """Before a multipart body is read (server.bodylimit): refused unless it comes with valid credentials.
    What the caller may do is still checked by the route; this only keeps strangers from making us store
    their bytes."""
    try:
        who = await identify(request)
    except HTTPException as refusal:
        return refusal
    return _unauthenticated() if who is None else None


async def _check_csrf(request: Request, who: Principal) -> None:
    sent: object = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf_token")
    if not isinstance(sent, str) or not who.csrf_token or not hmac.compare_digest(sent, who.csrf_token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


MaybePrincipal = Annotated[Principal | None, Depends(principal)]


def _unauthenticated() -> HTTPException:
    return HTTPException(401, "sign in, or send Authorization: Bearer <api key>",
                         headers={"WWW-Authenticate": "Bearer"})


async def lookup_access(who: MaybePrincipal) -> Principal:
    """Matching, hashing and reading banks: an API key with ``lookup``, or staff."""
    return _may_look_up(who)


def _may_look_up(who: Principal | None) -> Principal:
    if who is None:
        raise _unauthenticated()
    if not (who.is_staff or Scope.LOOKUP in who.scopes):
        raise HTTPException(403, f"{who.actor} may not look up hashes (needs scope lookup)")
    return who


async def lookup_guard(request: Request) -> Principal:
    """The lookup and hashing routes' guard: who is asking, their rate (by key or user, else address), then
    whether they may look up. One call instead of three dependencies: each FastAPI resolves costs a lookup a
    few per cent (bench/server.py), so the GET lookups call it themselves."""
    who = await principal(request)
    take_lookup(request, who.actor if who is not None else None)
    return _may_look_up(who)


async def bank_write_access(request: Request, who: MaybePrincipal) -> Principal:
    """Changing a bank: staff, or a key with ``bank:write`` (any bank) or ``bank:write:<name>`` (the route's)."""
    if who is None:
        raise _unauthenticated()
    bank = request.path_params.get("name")
    allowed = Scope.allows_bank_write(who.scopes, bank) if bank else Scope.BANK_WRITE in who.scopes
    if not (who.is_staff or allowed):
        target = f"bank {bank}" if bank else "banks"
        raise HTTPException(403, f"{who.actor} may not change {target} (needs scope bank:write)")
    return who


def authorize_bank_settings(who: Principal, bank: str | None, *, kind: object = None,
                            pdq_threshold: int | None = None, delete: bool = False, other: bool = False) -> None:
    """A bank's settings (kind, threshold) and its deletion: staff or a global ``bank:write`` key only.

    A ``bank:write:<name>`` key may add and withdraw content, nothing more: as the kind of its bank it could
    make a negative bank that hides every match everywhere, or with a wide threshold flood every case. A
    threshold is capped at its signal's default (DESIGN: matching rules) for every caller: 422 above it.
    """
    cap = int(get_signal("pdq").default_threshold)
    if pdq_threshold is not None and pdq_threshold > cap:
        raise HTTPException(422, f"pdq_threshold {pdq_threshold} is over the pdq signal's cap of {cap}")
    changes = kind is not None or pdq_threshold is not None or delete or other  # other: name, enabled (HMA)
    if changes and not (who.is_staff or Scope.BANK_WRITE in who.scopes):
        target = f"bank {bank}" if bank else "banks"
        raise HTTPException(403, f"{who.actor} may only add and withdraw content in {target}: its kind, threshold"
                                 " and deletion need scope bank:write")


async def web_user(request: Request, who: MaybePrincipal) -> Principal:
    """A signed-in person (not an API key); a browser that isn't signed in is sent to the login form."""
    if who is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    if who.role == "apikey":
        raise HTTPException(403, "API keys cannot use the web pages")
    return who


WebUser = Annotated[Principal, Depends(web_user)]


async def staff_user(who: WebUser) -> Principal:
    if not who.is_staff:
        raise HTTPException(403, "only case officers and admins may open this page")
    return who


async def admin_user(who: WebUser) -> Principal:
    if who.role != Role.ADMIN:
        raise HTTPException(403, "only admins may open this page")
    return who


StaffUser = Annotated[Principal, Depends(staff_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
LookupGuard = Annotated[Principal, Depends(lookup_guard)]  # resolved once a request, with the router's
BankWriteAccess = Annotated[Principal, Depends(bank_write_access)]


def require_case(who: Principal, case_id: int) -> None:
    """Staff see every case; a victim only their own (403 otherwise)."""
    if not (who.is_staff or (who.role == Role.VICTIM and who.case_id == case_id)):
        raise HTTPException(403, "this case is not yours to see")


def audit(request: Request, who: Principal | None, action: str, target: str, *, outcome: str = "ok",
          session: Session | None = None) -> None:
    """Record an access. Without ``session``, in its own transaction before the media is read, so it stays even
    if the request then fails; with the request's ``session`` (which has written), committed with the change it
    records (SQLite allows one writer at a time)."""
    actor = who.actor if who else "anonymous"
    if session is not None:
        record_access(session, actor, action, target, client=client_address(request), outcome=outcome)
        return
    with request.app.state.store.session() as own:
        record_access(own, actor, action, target, client=client_address(request), outcome=outcome)


def secure_cookies(request: Request) -> bool:
    """Cookies are marked Secure behind TLS, or always with RECLAIM_SECURE_COOKIES=1 (behind a TLS proxy)."""
    return request.url.scheme == "https" or os.environ.get("RECLAIM_SECURE_COOKIES") == "1"
