"""Attribution figures for the bundle: for each flagged item, which of the case victims' own photos its face was
taken from, with the overlay picture (source | suspect, matched keypoints drawn, everything below the face
blurred). Only the case's victims, enrolled with consent, are compared; each comparison is face-audited.
Needs the faces extra; without it, or without victims, the bundle simply has no attribution figures.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reclaim.cases.originals import Original, Unavailable
from reclaim.errors import ItemError, UserError
from reclaim.vault import Vault

MIN_CONFIDENCE = 0.5


def attribution_figures(session: Session, flagged: list[dict[str, Any]], victims: list[str], *, actor: str,
                        original: Callable[[dict[str, Any]], Original | Unavailable], photos: Vault | None = None
                        ) -> tuple[dict[str, dict[str, Any]], dict[str, bytes]]:
    """(per item sha256: the best attribution, per item sha256: overlay PNG) for items attributed confidently;
    needs the enrolled photos' vault (``photos``), without which there are none. ``original`` gives an item's
    verified bytes: a figure is drawn only from the evidence itself."""
    if not victims or not flagged:
        return {}, {}
    try:
        from reclaim.attribution.overlay import draw_overlay
        from reclaim.attribution.service import attribute
    except ImportError:  # the faces extra (dlib, OpenCV) is not installed
        return {}, {}
    found: dict[str, dict[str, Any]] = {}
    figures: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="reclaim-attribution-") as tmp:
        for record in flagged:
            found_original, sha = original(record), record["sha256"]
            if isinstance(found_original, Unavailable) or not sha:
                continue
            path = Path(tmp) / f"{sha}.item"
            path.write_bytes(found_original.data)
            for victim in victims:
                try:
                    result = attribute(session, path, actor=actor, identity=victim, vault=photos)
                except (ItemError, UserError):
                    continue
                best = result.best
                if best is None or best.confidence < MIN_CONFIDENCE:
                    continue
                if sha in found and found[sha]["confidence"] >= best.confidence:
                    continue
                overlay = draw_overlay(result.sources[best.source], result.suspect, best, Path(tmp) / f"{sha}.png")
                found[sha] = {"identity": victim, **best.as_json(), "figure": f"attribution/{sha}.png"}
                figures[sha] = overlay.read_bytes()
    return found, figures
