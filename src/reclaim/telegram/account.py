"""Sign the investigator's own account in (phone, code, two-step password) and out (the session is revoked on
Telegram's side, then erased here). The prompts are callbacks so the CLI asks and tests answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from reclaim.errors import ExternalError, UserError
from reclaim.telegram.client import display_name

log = logging.getLogger(__name__)
Ask = Callable[[], str]


async def sign_in(client: Any, phone: str, code: Ask, password: Ask) -> Any:
    """Sign in on a connected client; returns the account (Telethon ``User``)."""
    from telethon.errors import (
        PasswordHashInvalidError,
        PhoneCodeExpiredError,
        PhoneCodeInvalidError,
        SessionPasswordNeededError,
    )

    if not await client.is_user_authorized():
        await client.send_code_request(phone)
        try:
            await client.sign_in(phone=phone, code=code())
        except SessionPasswordNeededError:
            try:
                await client.sign_in(password=password())
            except PasswordHashInvalidError as exc:
                raise UserError("Telegram: the two-step verification password is wrong") from exc
        except (PhoneCodeInvalidError, PhoneCodeExpiredError) as exc:
            raise UserError(f"Telegram: the login code was not accepted ({type(exc).__name__})") from exc
    me = await client.get_me()
    if me is None:
        raise ExternalError("Telegram: signed in, but the account could not be read")
    return me


def account_name(me: Any) -> str:
    return f"@{me.username}" if getattr(me, "username", None) else display_name(me) or str(me.id)


async def revoke(client: Any) -> bool:
    """Log the session out on Telegram's side (its auth key stops working); False if that failed."""
    try:
        return bool(await client.log_out())
    except Exception as exc:  # network or RPC failure: the caller still erases the local copy, and says so
        log.warning("Telegram did not confirm the log-out: %s", exc)
        return False
