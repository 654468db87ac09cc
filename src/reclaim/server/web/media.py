"""An item's picture: blurred by default; unblurred only on an explicit click, answered inline and audited.

The unblurred picture is sent once, inside the HTML fragment that replaces the blurred one, with
``Cache-Control: no-store``: there is no URL of it to bookmark, share or find in a cache.
"""

from __future__ import annotations

import base64
import io

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from PIL import Image
from sqlalchemy.orm import Session

from reclaim.cases.frames import best_frame_time
from reclaim.errors import ItemError
from reclaim.evidence.blur import blurred_thumbnail
from reclaim.media import Limits
from reclaim.media.still import still_pixels
from reclaim.server.auth import StaffUser, WebUser, audit
from reclaim.server.deps import SessionDep
from reclaim.server.web.common import item_bytes, visible_item
from reclaim.store.models import Item

router = APIRouter(include_in_schema=False)
UNBLURRED_MAX_SIDE = 1024
NO_STORE = {"Cache-Control": "no-store, private"}


def _picture(session: Session, item: Item) -> Image.Image:
    """The item's picture; for a video or animation, the best frame of its closest face match (else its first)."""
    data = item_bytes(session, item)
    try:
        rgb, _ = still_pixels(data, item.locator, best_frame_time(session, item.id), Limits())
    except ItemError as exc:
        raise HTTPException(422, f"no preview: {exc}") from exc
    return Image.fromarray(rgb)


@router.get("/items/{item_id}/thumb")
def thumbnail(item_id: int, who: WebUser, session: SessionDep) -> Response:
    """A pixelated, blurred thumbnail (staff; a victim only of the items their page lists)."""
    item = visible_item(session, item_id, who)
    return Response(blurred_thumbnail(_picture(session, item)), media_type="image/jpeg", headers=NO_STORE)


@router.post("/items/{item_id}/unblurred", response_class=HTMLResponse)
def unblurred(request: Request, item_id: int, who: StaffUser, session: SessionDep) -> HTMLResponse:
    """The real picture as an inline ``<img>``, for staff only; the access is audited before it is read.

    A POST with the session's CSRF token (htmx sends it): a GET could be a cross-site link that unblurs, and
    writes to the audit in the officer's name, without the officer asking."""
    item = visible_item(session, item_id, who)
    audit(request, who, "media.unblurred", f"item:{item.id} {item.locator}")
    picture = _picture(session, item)
    picture.thumbnail((UNBLURRED_MAX_SIDE, UNBLURRED_MAX_SIDE))
    out = io.BytesIO()
    picture.convert("RGB").save(out, "JPEG", quality=88)
    data = base64.b64encode(out.getvalue()).decode()
    return HTMLResponse(f'<img class="media clear" alt="item {item.id}, unblurred" '
                        f'src="data:image/jpeg;base64,{data}">', headers=NO_STORE)
