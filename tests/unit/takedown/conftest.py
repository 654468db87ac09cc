"""Fixtures for the takedown tests: a seeded case (see takedown_seed.py)."""

from __future__ import annotations

import pytest
from takedown_seed import Seeded, seed_case

from reclaim.store import Store


@pytest.fixture
def seeded(store: Store) -> list[Seeded]:
    return seed_case(store)
