"""``reclaim telegram ...``: sign the investigator's own account in and out, and capture joined chats into a case.

Needs ``pip install 'reclaim[telegram]'`` (Telethon). Read-only by construction: nothing here joins a chat,
posts, reacts or marks anything as read. Media is shown, if at all, as blurred previews (``--previews``).
"""

from __future__ import annotations

import asyncio
import getpass
import io
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text

from reclaim.cli.extras import require_extra
from reclaim.cli.output import err, out
from reclaim.cli.passphrases import passphrase
from reclaim.errors import UserError

app = typer.Typer(help="Capture Telegram chats your own account has joined, with custody from the first second "
                       "(pip install 'reclaim[telegram]').", no_args_is_help=True)
VAULT_PASSPHRASE_ENV = "RECLAIM_VAULT_PASSPHRASE"  # the case vault's, as for 'reclaim evidence acquire'


def _needs_telethon() -> None:
    require_extra("reclaim telegram", "telegram", "telethon")


@app.command("login")
def login(
    api_id: Annotated[int, typer.Option(prompt="API id (from my.telegram.org, your own)", help="Your API id.")],
    api_hash: Annotated[str, typer.Option(prompt="API hash", hide_input=True, help="Your API hash.")],
    phone: Annotated[str, typer.Option(prompt="Phone number of the account (+82…)", help="The account's phone.")],
) -> None:
    """Sign your own Telegram account in; the session is kept encrypted (passphrase asked, or
    $RECLAIM_TELEGRAM_PASSPHRASE), never in a plain file."""
    _needs_telethon()
    from reclaim.telegram import session
    from reclaim.telegram.account import account_name, sign_in
    from reclaim.telegram.client import make_client

    secret = passphrase(session.PASSPHRASE_ENV, "the Telegram sign-in", confirm=session.signed_in_as() is None)

    async def run() -> tuple[Any, str]:
        client = make_client(api_id, api_hash)
        await client.connect()
        try:
            me = await sign_in(client, phone, lambda: typer.prompt("Login code (sent by Telegram)"),
                               lambda: typer.prompt("Two-step verification password", hide_input=True))
            return me, client.session.save()
        finally:
            await client.disconnect()

    me, string = asyncio.run(run())
    session.save(session.SignIn(api_id, api_hash, string, me.id, account_name(me)), secret)
    out.print(f"signed in as {escape(account_name(me))} (id {me.id}); the session is kept encrypted in "
              f"{escape(str(session.folder()))}")


@app.command("logout")
def logout(
    erase_only: Annotated[bool, typer.Option(help="Erase the local copy without asking Telegram to revoke it "
                                                  "(end it in Telegram: Settings > Devices).")] = False,
) -> None:
    """Revoke the session on Telegram's side, then erase it here."""
    from reclaim.telegram import session

    who = session.signed_in_as()
    if who is None:
        out.print("no Telegram sign-in is stored")
        return
    revoked = False
    if not erase_only:
        _needs_telethon()
        from reclaim.telegram.account import revoke
        from reclaim.telegram.client import make_client

        stored = session.load(passphrase(session.PASSPHRASE_ENV, "the Telegram sign-in", confirm=False))

        async def run() -> bool:
            client = make_client(stored.api_id, stored.api_hash, stored.session)
            await client.connect()
            try:
                return await revoke(client)
            finally:
                await client.disconnect()

        revoked = asyncio.run(run())
    session.erase()
    name = escape(str(who.get("account_name")))
    if revoked:
        out.print(f"logged out {name}: Telegram revoked the session and the local copy is erased")
    else:
        err.print(f"[yellow]note:[/] the local copy for {name} is erased, but Telegram did not confirm the "
                  "revocation: end the session in Telegram (Settings > Devices)")


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"--since {text!r}: not a date (use 2026-11-30 or 2026-11-30T18:00)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("capture")
def capture(
    chat: Annotated[str, typer.Argument(help="t.me link, @username or numeric id of a chat you have joined.")],
    case: Annotated[str, typer.Option("--case", help="Case to capture into (made if new).")],
    follow: Annotated[bool, typer.Option("--follow", help="Keep capturing new, edited and deleted messages "
                                                          "until Ctrl-C.")] = False,
    since: Annotated[str | None, typer.Option(help="Only messages posted after this date (UTC unless given).")] = None,
    previews: Annotated[bool, typer.Option(help="Show a blurred preview of each captured picture.")] = False,
    thorough: Annotated[bool, typer.Option(help="Also store keypoints (finds crops and collages).")] = False,
    actor: Annotated[str, typer.Option(help="Who captures (default: your user name).")] = "",
) -> int:
    """Capture a joined chat into a case: media straight into the encrypted vault, matched like any scan, one
    custody entry per message. Run it again to resume after the last captured message."""
    _needs_telethon()
    from reclaim.evidence.casefiles import CaseFiles
    from reclaim.evidence.originals import open_vault
    from reclaim.matching.keypoints import Mode
    from reclaim.store import open_store
    from reclaim.telegram import session
    from reclaim.telegram.client import make_client

    stored = session.load(passphrase(session.PASSPHRASE_ENV, "the Telegram sign-in", confirm=False))
    files = CaseFiles.for_case(case)
    vault_new = not (files.vault_path / "vault.json").exists()
    who = actor or getpass.getuser()
    secret = passphrase(VAULT_PASSPHRASE_ENV, f"case {case}'s vault", confirm=vault_new)
    with open_store() as store:
        client = make_client(stored.api_id, stored.api_hash, stored.session)
        totals = asyncio.run(run_capture(client, store, files, lambda: open_vault(files, secret, who), chat,
                                         actor=who, follow=follow, since=_since(since), previews=previews,
                                         mode=Mode.THOROUGH if thorough else Mode.FAST))
    out.print(f"captured {totals.messages} messages ({totals.media} with media) into case {escape(case)}: "
              f"{totals.matches} matches, {totals.edits} edits, {totals.deletions} deletions seen")
    for skipped in totals.failed:
        err.print(f"[yellow]not hashed:[/] {escape(skipped.reason)}")
    return 1 if totals.failed else 0


async def run_capture(client: Any, store: Any, files: Any, vault: Any, chat: str, *, actor: str, follow: bool,
                      since: datetime | None, previews: bool, mode: Any, poll_seconds: float = 30.0,
                      stop: asyncio.Event | None = None) -> Any:
    """Connect, capture (and follow), disconnect; events are printed as they happen. ``vault`` is the case
    vault or a function opening it (called only once the chat is known to be joined)."""
    from reclaim.telegram.capture import Capture
    from reclaim.telegram.client import Adapter
    from reclaim.telegram.follow import follow as follow_chat

    await client.connect()
    try:
        adapter = Adapter(client, on_wait=lambda what, delay: err.print(
            f"[yellow]waiting {delay:.0f} s:[/] Telegram asked to slow down ({escape(what)})"))
        job = Capture(adapter, store, files, vault, actor=actor, previews=previews, mode=mode, on_event=show)
        joined = await job.start(chat)
        out.print(f"capturing [bold]{shown(joined.name)}[/] ({joined.type}, id {joined.id}) into case "
                  f"{escape(files.case_name)}" + (f", after message {job.last_id}" if job.last_id else ""))
        if follow:
            out.print("following: new, edited and deleted messages are captured as they come (Ctrl-C stops; "
                      "run again to resume)")
            await follow_chat(job, poll_seconds=poll_seconds, stop=stop)
        else:
            await job.backfill(since)
        return job.totals
    finally:
        await client.disconnect()


def show(event: Any) -> None:
    """One line per event; a match is an alert; a picture only ever as a blurred preview, when asked."""
    where = escape(event.locator)
    if event.kind == "captured":
        out.print(f"[green]captured[/] {where} [dim]{escape(event.detail)}[/]")
        if event.preview is not None:
            out.print(blurred_blocks(event.preview))
    elif event.kind == "match":
        out.print(f"[bold red]MATCH[/] {where}: {escape(event.detail)}")
    elif event.kind == "edited":
        out.print(f"[yellow]edited[/] {where}: {shown(event.detail)} [dim](original kept)[/]")
    elif event.kind == "deleted":
        out.print(f"[magenta]deleted[/] {where} [dim](captured copy kept)[/]")


def shown(text: str, limit: int = 80) -> str:
    """Text from a room, safe to print: control and format characters (terminal escapes, bidi overrides)
    become spaces, Rich markup is escaped, and the length is bounded."""
    clean = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text[:limit])
    return escape(clean)


def blurred_blocks(jpeg: bytes, width: int = 12) -> Text:
    """A blurred thumbnail (already pixelated and blurred by evidence.blur) as coloured cells: two spaces per
    pixel, so no glyph is needed and the result is at least as coarse as the thumbnail itself."""
    from PIL import Image

    image = Image.open(io.BytesIO(jpeg)).convert("RGB")
    small = image.resize((width, max(1, round(image.height * width / image.width))))
    text = Text()
    for y in range(small.height):
        if y:
            text.append("\n")
        for x in range(small.width):
            pixel = small.getpixel((x, y))
            assert isinstance(pixel, tuple)  # RGB
            text.append("  ", style=f"on rgb({pixel[0]},{pixel[1]},{pixel[2]})")
    return text
