"""Request and response bodies of the curating API (HMA's field names, plus Reclaim's bank settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from reclaim.models import BankKind


class BankIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    enabled_ratio: float = Field(1.0, ge=0.0, le=1.0)  # HMA's field; Reclaim matches every bank fully
    kind: BankKind = BankKind.KNOWN
    pdq_threshold: int = Field(31, ge=0, le=128)


class BankUpdate(BaseModel):
    pdq_threshold: int | None = Field(None, ge=0, le=128)
    kind: BankKind | None = None


class BankOut(BaseModel):
    name: str
    matching_enabled_ratio: float
    kind: BankKind
    pdq_threshold: int
    active: int
    withdrawn: int


class ContentOut(BaseModel):
    id: str
    signals: dict[str, str]
