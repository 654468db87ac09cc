"""HMA builds its index in a background task; Reclaim's workers build theirs themselves: wait for /status."""

from __future__ import annotations

import time
import typing as t


def build_all_indices(*stores: t.Any) -> None:
    client = stores[0].client
    deadline = time.monotonic() + 30
    while client.get("/status").status_code != 200:
        assert time.monotonic() < deadline, "the server's index did not load within 30 s"
        time.sleep(0.05)
