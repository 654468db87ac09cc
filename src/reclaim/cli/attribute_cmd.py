"""``reclaim attribute``: which source photo a suspect image's face was taken from, with an overlay picture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reclaim.cli.extras import require_extra
from reclaim.cli.output import emit_json, out
from reclaim.cli.passphrases import photos_vault
from reclaim.identities import current_actor
from reclaim.store import open_store


def attribute_command(
    image: Annotated[Path, typer.Argument(help="The suspect image (a fake showing someone's face).")],
    identity: Annotated[str | None, typer.Option(
        "--identity", help="Compare with this enrolled identity's own photos.")] = None,
    sources: Annotated[Path | None, typer.Option(
        "--sources", help="Compare with the photos in this folder (pixel evidence only, no face recognition).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the ranking as JSON.")] = False,
    overlay: Annotated[Path | None, typer.Option(
        "--out", help="Write the overlay picture (source | suspect, matches drawn, body blurred) here.")] = None,
    top: Annotated[int, typer.Option(min=1, help="How many sources to list.")] = 5,
) -> int:
    """Rank source photos by how likely IMAGE's face was cut from them (keypoints + RANSAC, aligned-crop PDQ,
    face distance for enrolled identities); the best one is the lead to show."""
    require_extra("reclaim attribute", "faces", "cv2")
    from reclaim.attribution import MIN_INLIERS, attribute, draw_overlay

    vault = photos_vault() if identity is not None else None
    with open_store() as store, store.session() as session:
        result = attribute(session, image, actor=current_actor(), identity=identity, sources_dir=sources,
                           vault=vault)
    best = result.best
    if overlay is not None and best is not None:
        draw_overlay(result.sources[best.source], result.suspect, best, overlay)
    if json:
        emit_json({"image": str(image), "ranked": [c.as_json() for c in result.ranked],
                   "overlay": str(overlay) if overlay and best else None})
        return 0
    for rank, c in enumerate(result.ranked[:top], 1):
        t = c.transform
        how = (f", scaled {t.scale:.2f}x, turned {t.rotation:+.0f} deg" + (", mirrored" if t.mirrored else "")) \
            if t and c.inliers >= MIN_INLIERS else ""
        face = f", face distance {c.face_distance:.3f}" if c.face_distance is not None else ""
        out.print(f"{rank}. {escape(c.source)}: {c.inliers} inliers{how}{face}, score {c.attribution_score:.2f}")
    if best is not None and best.inliers < MIN_INLIERS:
        out.print(f"[yellow]no source shares enough keypoints (>= {MIN_INLIERS}) to say the face came from it[/]")
    if overlay is not None and best is not None:
        out.print(f"overlay: {escape(str(overlay))}")
    return 0
