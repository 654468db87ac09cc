"""What the pages share: finding a case or item the signed-in person may see, and where an item's file is."""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.accounts import Role
from reclaim.cases import case_items, get_case
from reclaim.cases.originals import Unavailable, item_original
from reclaim.server.auth import Principal, require_case
from reclaim.store.models import Case, Item


def visible_case(session: Session, name: str, who: Principal) -> Case:
    case = get_case(session, name)
    require_case(who, case.id)
    return case


# Row ids are 32-bit INTEGER columns (PostgreSQL refuses a larger parameter with an error, not an empty result):
# a larger id in a URL names nothing and must not reach the driver.
MAX_ID = 2**31 - 1


def stored_id(value: int, what: str) -> int:
    """``value`` if it can be a row id, else 404 (not the 500 the driver's overflow gave)."""
    if not 1 <= value <= MAX_ID:
        raise HTTPException(404, f"no {what} {value}")
    return value


def visible_item(session: Session, item_id: int, who: Principal) -> Item:
    """The item, if the caller may see it; 404 alike for a missing item and another case's (a 403 told a
    victim which ids exist in other cases)."""
    item = session.get(Item, stored_id(item_id, "item"))
    if item is None:
        raise HTTPException(404, f"no item {item_id}")
    try:
        require_case(who, item.case_id)
    except HTTPException:
        raise HTTPException(404, f"no item {item_id}") from None
    if who.role == Role.VICTIM and item.id not in listed_for_victim(session, item.case_id):
        raise HTTPException(404, f"no item {item_id}")
    return item


def listed_for_victim(session: Session, case_id: int) -> list[int]:
    """The items a victim's page shows (their case's matched items): all a victim may fetch a picture of."""
    case = session.get(Case, case_id)
    if case is None:
        return []
    locators = {v.locator for v in case_items(session, case.name, matched_only=True)}
    rows = session.execute(select(Item.locator, Item.id).where(Item.case_id == case_id))
    return [item_id for locator, item_id in rows if locator in locators]


def item_bytes(session: Session, item: Item) -> bytes:
    """The item's original bytes, only if they still hash to the item (DESIGN rule 5, inside the scan root and
    never through a symlink out: reclaim.cases.originals); 404 otherwise."""
    found = item_original(session, item)
    if isinstance(found, Unavailable):
        raise HTTPException(404, found.message)
    return found.data


def case_name(session: Session, item: Item) -> str:
    case = session.get(Case, item.case_id)
    assert case is not None  # items are deleted with their case
    return case.name
