"""HMA's switches in a worker's memory: each bank's ``matching_enabled_ratio`` and the content switched off.

``/m/lookup`` applies both to every hit; reading them from the database per hit cost a third of the lookup
rate at 1 M hashes. The worker's ``LiveMatcher`` loads them with its index and reloads them when their stamp
moves (checked on every poll, and on the next lookup after a write through this worker). The stamp is cheap
however big the banks: the banks table is small, and content whose ``disable_until_ts`` is not 1 (the
default, enabled) is read through a partial index that holds only such rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Float, cast, func, select
from sqlalchemy.orm import Session

from reclaim.store.models import Bank, BankContent

ENABLED = 1  # HMA's disable_until_ts of content that is plainly enabled (the column's default)
Stamp = tuple[object, ...]


@dataclass(frozen=True)
class Switches:
    ratios: dict[str, float] = field(default_factory=dict)  # bank name -> matching_enabled_ratio
    disabled: dict[int, int] = field(default_factory=dict)  # bank_content id -> disable_until_ts, when not 1

    def ratio(self, bank: str) -> float:
        return self.ratios.get(bank, 1.0)

    def until(self, content_pk: int) -> int:
        return self.disabled.get(content_pk, ENABLED)


def _switched() -> ColumnElement[bool]:
    return BankContent.disable_until_ts != ENABLED  # the partial index's own condition, word for word


def switches_stamp(session: Session) -> Stamp:
    """Changes whenever a bank's ratio or name, or any content's ``disable_until_ts``, changes (the float sum
    of id x time tells apart two contents that swapped their times)."""
    banks = tuple(session.execute(select(Bank.id, Bank.name, Bank.matching_enabled_ratio).order_by(Bank.id)))
    contents = session.execute(
        select(func.count(), func.sum(BankContent.id), func.sum(BankContent.disable_until_ts),
               func.sum(cast(BankContent.id, Float) * cast(BankContent.disable_until_ts, Float)))
        .where(_switched())
    ).one()
    return (banks, tuple(contents))


def load_switches(session: Session) -> Switches:
    ratios = {name: ratio for name, ratio in session.execute(select(Bank.name, Bank.matching_enabled_ratio))}
    disabled = {pk: until for pk, until in session.execute(
        select(BankContent.id, BankContent.disable_until_ts).where(_switched()))}
    return Switches(ratios, disabled)
