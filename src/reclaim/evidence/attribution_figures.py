"""Attribution figures for the bundle: for each flagged item, which of the case victims' own photos its face was
taken from, with the overlay picture (source | suspect, matched keypoints drawn, everything below the face
blurred). Only the case's victims, enrolled with consent, are compared; each comparison is face-audited.
Needs the faces extra; without it, or without victims, the bundle simply has no attribution figures.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reclaim.cases.originals import Original, Unavailable
from reclaim.errors import ItemError, UserError
from reclaim.vault import Vault

MIN_SCORE = 0.5  # of Candidate.attribution_score (hand-set, uncalibrated)
FACES_EXTRA_MODULES = frozenset({"cv2", "dlib", "face_recognition_models"})  # reclaim[faces]
log = logging.getLogger(__name__)


def attribution_figures(session: Session, flagged: list[dict[str, Any]], victims: list[str], *, actor: str,
                        original: Callable[[dict[str, Any]], Original | Unavailable], photos: Vault | None = None,
                        frame_times: Mapping[str, float] | None = None
                        ) -> tuple[dict[str, dict[str, Any]], dict[str, bytes]]:
    """(per item sha256: the best attribution, per item sha256: overlay PNG) for items attributed with a score
    of at least ``MIN_SCORE``; needs the enrolled photos' vault (``photos``), without which there are none.
    ``original`` gives an item's verified bytes: a figure is drawn only from the evidence itself. ``frame_times``
    (by locator): the best face frame of a video or animation, which is the picture attributed."""
    if not victims or not flagged:
        return {}, {}
    try:
        from reclaim.attribution.overlay import draw_overlay
        from reclaim.attribution.service import attribute
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in FACES_EXTRA_MODULES:
            raise  # a bug (a module of ours or a dependency missing), not an extra left out
        log.info("no attribution figures: the faces extra is not installed (%s missing)", exc.name)
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
                    result = attribute(session, path, actor=actor, identity=victim, vault=photos,
                                       at=(frame_times or {}).get(record["locator"]))
                except (ItemError, UserError):
                    continue
                best = result.best
                if best is None or best.attribution_score < MIN_SCORE:
                    continue
                if sha in found and found[sha]["attribution_score"] >= best.attribution_score:
                    continue
                overlay = draw_overlay(result.sources[best.source], result.suspect, best, Path(tmp) / f"{sha}.png")
                found[sha] = {"identity": victim, **best.as_json(), "figure": f"attribution/{sha}.png"}
                figures[sha] = overlay.read_bytes()
    return found, figures
