"""What the pages share: finding a case or item the signed-in person may see, and where an item's file is."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException
from sqlalchemy.orm import Session

from reclaim.cases import get_case
from reclaim.evidence.bundle import media_path
from reclaim.server.auth import Principal, require_case
from reclaim.store.models import Case, Item, Scan


def visible_case(session: Session, name: str, who: Principal) -> Case:
    case = get_case(session, name)
    require_case(who, case.id)
    return case


def visible_item(session: Session, item_id: int, who: Principal) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise HTTPException(404, f"no item {item_id}")
    require_case(who, item.case_id)
    return item


def item_file(session: Session, item: Item) -> Path | None:
    """The item's media file on this machine, if it is still there (folder scans and chat exports)."""
    scan = session.get(Scan, item.scan_id)
    return media_path({"locator": item.locator, "context": dict(item.context or {}),
                       "scan_target": scan.target if scan else None})


def case_name(session: Session, item: Item) -> str:
    case = session.get(Case, item.case_id)
    assert case is not None  # items are deleted with their case
    return case.name
