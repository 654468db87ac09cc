"""Which of an enrolled person's own photos a matched face was cut from: the attribution overlay, on demand.

It is a face query (DESIGN.md rule 2): staff only, for a face already matched to an enrolled identity, written
to the access audit before the photos are read and to the identity audit by ``reclaim.attribution`` itself. The
overlay blurs everything below the face in both pictures; it is sent inline, once, never cached. A POST with the
session's CSRF token, never a GET link.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from reclaim.attribution import MIN_INLIERS, attribute, draw_overlay
from reclaim.errors import ReclaimError
from reclaim.identities.photos import open_photos, passphrase_from_env
from reclaim.server.auth import StaffUser, audit
from reclaim.server.deps import SessionDep
from reclaim.server.templating import render
from reclaim.server.web.common import item_bytes, visible_item
from reclaim.server.web.media import NO_STORE
from reclaim.store.models import FaceMatchRow

router = APIRouter(include_in_schema=False)
TOP = 3


@router.post("/items/{item_id}/attribution", response_class=HTMLResponse)
def attribution(request: Request, item_id: int, who: StaffUser, session: SessionDep) -> HTMLResponse:
    """Rank the matched identity's enrolled photos as the face's source; answers an htmx fragment."""
    item = visible_item(session, item_id, who)
    face = session.scalars(select(FaceMatchRow).where(FaceMatchRow.item_id == item.id)
                           .order_by(FaceMatchRow.distance).limit(1)).first()
    if face is None:
        raise HTTPException(404, f"item {item.id} shows no enrolled face to attribute")
    data = item_bytes(session, item)  # only bytes that hash to the item
    audit(request, who, "faces.attributed", f"item:{item.id} identity:{face.identity}")
    try:
        with tempfile.TemporaryDirectory(prefix="reclaim-overlay-") as folder:
            suspect = Path(folder) / ("suspect" + Path(item.locator).suffix[:8])
            suspect.write_bytes(data)
            result = attribute(session, suspect, actor=who.actor, identity=face.identity,
                               vault=open_photos(passphrase_from_env()), at=face.frame_time)
            best = result.best
            overlay = None
            if best is not None:
                png = draw_overlay(result.sources[best.source], result.suspect, best, Path(folder) / "overlay.png")
                overlay = base64.b64encode(png.read_bytes()).decode()
    except ReclaimError as exc:
        session.rollback()
        page = render(request, "_attribution.html", {"error": exc.message}, status_code=422)
    else:
        page = render(request, "_attribution.html", {
            "identity": face.identity, "ranked": result.ranked[:TOP], "overlay": overlay,
            "min_inliers": MIN_INLIERS})
    page.headers.update(NO_STORE)
    return page
