"""Which frame of a video or animation stands for it: the best frame of its closest face match."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.store.models import FaceMatchRow, Item


def best_frame_time(session: Session, item_id: int) -> float | None:
    """Seconds to the frame of the item's closest face match; None for a photo or an item without one."""
    return session.scalar(select(FaceMatchRow.frame_time).where(FaceMatchRow.item_id == item_id)
                          .order_by(FaceMatchRow.distance).limit(1))


def best_frame_times(session: Session, case_id: int) -> dict[str, float]:
    """``best_frame_time`` of every item of a case that has one, by locator."""
    rows = session.execute(select(Item.locator, FaceMatchRow.frame_time).join(Item)
                           .where(Item.case_id == case_id, FaceMatchRow.frame_time.is_not(None))
                           .order_by(FaceMatchRow.distance.desc()))
    return {locator: at for locator, at in rows if at is not None}  # the closest match is written last
