"""Request and response bodies of the curating API (HMA's field names, plus Reclaim's bank settings)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


# HMA 2.0's curation shapes (OpenMediaMatch/schemas/curation.py), written from its field names and types.
class HmaBank(BaseModel):
    name: str
    matching_enabled_ratio: float


class HmaBankCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    enabled_ratio: float | None = Field(1.0, ge=0.0, le=1.0)  # HMA's default: 1.0 even when enabled is false
    enabled: bool | None = None


class HmaBankUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    enabled_ratio: float | None = Field(None, ge=0.0, le=1.0)
    enabled: bool | None = None


class BankedContentMetadata(BaseModel):
    """What an HMA client may say about banked content; anything else is refused (HMA: 400)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    content_id: str | None = Field(None, max_length=500)
    content_uri: str | None = Field(None, max_length=2000)
    json_data: dict[str, Any] | None = Field(None, alias="json", serialization_alias="json")
