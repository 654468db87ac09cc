"""Send drafted e-mail notices over SMTP, one officer confirmation per notice.

Nothing leaves without ``confirm`` returning True for that very notice (the CLI asks y/N after showing it).
Each notice is committed as sent in its own transaction right after the server accepts it, so a failure on
notice 3 never loses the record that notices 1 and 2 went out.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

from reclaim.errors import ExternalError, UserError
from reclaim.store import Store
from reclaim.store.models import TakedownRequest
from reclaim.takedown.notices import to_email
from reclaim.takedown.tracking import Recorder, State, get_request, transition

Confirm = Callable[[TakedownRequest, EmailMessage], bool]


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = ""
    timeout: float = 30.0

    @classmethod
    def from_address(cls, address: str, *, starttls: bool, username: str = "", password: str = "") -> SmtpSettings:
        """From ``HOST:PORT`` (or a bare host, port 587)."""
        host, _, port = address.rpartition(":") if ":" in address else (address, "", "587")
        if not host or not port.isdigit():
            raise UserError(f"--smtp must be HOST:PORT, got {address!r}")
        return cls(host, int(port), starttls, username, password)


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    declined: list[int] = field(default_factory=list)


def outgoing(store: Store, request_ids: Sequence[int]) -> list[tuple[TakedownRequest, EmailMessage]]:
    """The notices as they would go out; refuses up front if any is not a drafted e-mail request."""
    with store.session() as session:
        ready = []
        for request_id in request_ids:
            request = get_request(session, request_id)
            if request.state != State.DRAFTED.value:
                raise UserError(f"request #{request_id} is {request.state}, not drafted: it was already sent")
            ready.append((request, to_email(request)))
        return ready


def send_requests(store: Store, request_ids: Sequence[int], officer: str, smtp: SmtpSettings, confirm: Confirm,
                  custody: Recorder | None = None) -> SendReport:
    """Send each confirmed notice; record the officer's sign-off (and hand it to ``custody``)."""
    if not officer.strip():
        raise UserError("sending needs the signing officer's name (--officer)")
    report = SendReport()
    connection: smtplib.SMTP | None = None
    try:
        for request, message in outgoing(store, request_ids):
            if not confirm(request, message):
                report.declined.append(request.id)
                continue
            connection = connection or _connect(smtp)
            try:
                refused = connection.send_message(message)
            except (smtplib.SMTPException, OSError) as exc:
                raise ExternalError(f"smtp {smtp.host}:{smtp.port}: request #{request.id}: {exc}") from exc
            if refused:
                raise ExternalError(f"smtp {smtp.host}:{smtp.port}: request #{request.id}: refused {refused}")
            with store.session() as session:
                fresh = get_request(session, request.id)
                transition(session, fresh, State.SENT, officer, custody=custody,
                           note=f"e-mail {message['Message-ID']} via {smtp.host}:{smtp.port}")
            report.sent.append(request.id)
    finally:
        if connection is not None:
            _quit(connection)
    return report


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    try:
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.starttls:
            connection.starttls()
        if smtp.username:
            connection.login(smtp.username, smtp.password)
    except (smtplib.SMTPException, OSError) as exc:
        raise ExternalError(f"smtp {smtp.host}:{smtp.port}: cannot connect: {exc}") from exc
    return connection


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
