"""The Telegram part of ``reclaim demo``: a generated Telegram Desktop export (JSON) of a group where the
demo's "abusive" composites are re-posted with the victim's name spelt out in the caption and her phone
number beside one of them, scanned into its own case, with the posters an investigator would hand on.
Benign images only (the composites are package portraits pasted onto generated scenes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from reclaim.cases.mentions import Term as WatchTerm
from reclaim.cases.mentions import doxxing, find_mentions, message_text
from reclaim.cases.service import case_items
from reclaim.cases.terms import add_terms, case_terms, posters
from reclaim.scan.scanner import scan_source
from reclaim.sources import TelegramExportSource
from reclaim.store import Store
from reclaim.synthetic.scenes import GLOBAL_EDITS, jpeg_bytes, scene

CASE = "demo-telegram"
CHAT_ID = 4242
VICTIM = "김지수"
VICTIM_PHONE = "010-1234-5678"
START = 1_790_000_000  # 2026-09-21 14:13:20 UTC
POSTER_IDS = {"dark_uploader": "user5550001", "reposter": "user5550002", "classmate": "user5550003"}


@dataclass(frozen=True)
class TelegramDemo:
    export: Path
    messages: int
    matched: list[str]  # locators of messages whose media matched the bank
    naming_victim: list[str]
    doxxing: list[str]
    posters: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        return {"export": str(self.export), "messages": self.messages, "matched": self.matched,
                "naming_the_victim": self.naming_victim, "doxxing": self.doxxing, "posters": self.posters}


def write_export(root: Path, known: list[Image.Image]) -> tuple[Path, int]:
    """A private group's export: re-posts of the known images among ordinary messages; returns (root, count)."""
    photos = root / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    messages: list[dict[str, Any]] = [{"id": 1, "type": "service", "date": "2026-09-21T23:13:20",
                                       "date_unixtime": str(START), "actor": "room_admin",
                                       "actor_id": "user9001", "action": "create_group", "title": "3학년 2반"}]

    def post(who: str, photo: Image.Image | None, text: str, **extra: Any) -> None:
        k = len(messages) + 1
        message: dict[str, Any] = {"id": k, "type": "message", "date": "2026-09-21T23:13:20",
                                   "date_unixtime": str(START + 600 * k), "from": who,
                                   "from_id": POSTER_IDS[who], "text": text, **extra}
        if photo is not None:
            name = f"photo_{k}@21-09-2026.jpg"
            (photos / name).write_bytes(jpeg_bytes(photo, 80))
            message.update({"photo": f"photos/{name}", "width": photo.width, "height": photo.height})
        messages.append(message)

    post("dark_uploader", GLOBAL_EDITS["jpeg_q30"](known[0]), "김.지.수 한빛고 3-2 ㅋㅋ")
    post("dark_uploader", GLOBAL_EDITS["resize_0.5"](known[1]), "더 있음")
    post("reposter", GLOBAL_EDITS["bright_+20"](known[0]), f"번호 {VICTIM_PHONE.replace('-', ' ')}",
         forwarded_from="dark_uploader")
    post("classmate", scene(seed=880), "주말 사진")
    post("classmate", None, "ㅇㅇ")
    messages.append({"id": len(messages) + 1, "type": "message", "date": "2026-09-22T00:00:00",
                     "date_unixtime": str(START + 9000), "from": "dark_uploader",
                     "from_id": POSTER_IDS["dark_uploader"],
                     "photo": "(File not included. Change data exporting settings to download.)",
                     "text": "지수 원본"})
    export = {"name": "3학년 2반", "type": "private_supergroup", "id": CHAT_ID, "messages": messages}
    (root / "result.json").write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return root, len(messages)


def run_telegram_demo(store: Store, out: Path, known: list[Image.Image], *, workers: int | None = None,
                      say: Callable[[str], None] = lambda _: None) -> TelegramDemo:
    root, count = write_export(out / "telegram" / "ChatExport_2026-09-22", known)
    report = scan_source(store, CASE, TelegramExportSource(str(root)), workers=workers, case_home=out)
    with store.session() as session:
        add_terms(session, CASE, [WatchTerm("name", VICTIM), WatchTerm("phone", VICTIM_PHONE)], actor="demo-officer")
        terms = case_terms(session, CASE)
        items = case_items(session, CASE)
    naming = [i.locator for i in items if find_mentions(message_text(i.context), terms)]
    doxx = [i.locator for i in items if i.sha256 and doxxing(message_text(i.context))]
    found = [p.as_json() for p in posters(items)]
    say(f"scanned a Telegram export of {count} messages into case {CASE!r}: {len(report.matches)} posts carry a "
        f"known image, {len(naming)} name the victim (however spelt), {len(doxx)} post a phone number beside "
        f"media; posted by {', '.join(str(p['poster']) for p in found)}")
    return TelegramDemo(root, count, sorted(report.matches), naming, doxx, found)
