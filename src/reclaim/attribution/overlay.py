"""The picture that shows an attribution: source photo and suspect side by side, the matched keypoints joined.

Everything below the face is blurred in both halves (a strong blur, then pixelation), so the overlay can sit
in a report or be shown to the victim without repeating the abuse; the face and its surroundings, which
carry the evidence, stay sharp.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reclaim.attribution.features import PhotoFeatures
from reclaim.attribution.rank import Candidate
from reclaim.errors import UserError
from reclaim.index.keypoint_set import opencv

cv2 = opencv()  # one thread: an OpenCV pool started in a process hangs the workers it forks

HEIGHT = 480
MAX_LINES = 60
BLOCK = 12  # pixelation block after the blur, px


def below_face_blurred(features: PhotoFeatures) -> np.ndarray:
    """The decoded pixels with everything under the face's chin blurred (the whole photo when no face)."""
    rgb = features.rgb.copy()
    if features.face is None:
        top = 0
    else:
        _, y, _, h = (v * features.scale for v in features.face.box)
        top = min(rgb.shape[0], int(y + 1.15 * h))
    if top < rgb.shape[0]:
        region = rgb[top:]
        blurred = cv2.GaussianBlur(region, (0, 0), sigmaX=max(8.0, rgb.shape[1] / 40))
        small = cv2.resize(blurred, (max(1, region.shape[1] // BLOCK), max(1, region.shape[0] // BLOCK)),
                           interpolation=cv2.INTER_AREA)
        rgb[top:] = cv2.resize(small, (region.shape[1], region.shape[0]), interpolation=cv2.INTER_NEAREST)
    return rgb


def draw_overlay(source: PhotoFeatures, suspect: PhotoFeatures, candidate: Candidate, out: Path) -> Path:
    """Write the side-by-side PNG to ``out``; lines join the inlier keypoints (a sample of them)."""
    left, right = below_face_blurred(source), below_face_blurred(suspect)
    zl, zr = HEIGHT / left.shape[0], HEIGHT / right.shape[0]
    left = cv2.resize(left, (max(1, round(left.shape[1] * zl)), HEIGHT), interpolation=cv2.INTER_AREA)
    right = cv2.resize(right, (max(1, round(right.shape[1] * zr)), HEIGHT), interpolation=cv2.INTER_AREA)
    canvas = np.ascontiguousarray(np.hstack([left, right]))
    pairs = candidate.pairs[:: max(1, len(candidate.pairs) // MAX_LINES)]
    for sx, sy, tx, ty in pairs:
        a = (round(sx * source.scale * zl), round(sy * source.scale * zl))
        b = (left.shape[1] + round(tx * suspect.scale * zr), round(ty * suspect.scale * zr))
        cv2.line(canvas, a, b, (0, 255, 0), 1, cv2.LINE_AA)
        cv2.circle(canvas, a, 3, (255, 200, 0), 1, cv2.LINE_AA)
        cv2.circle(canvas, b, 3, (255, 200, 0), 1, cv2.LINE_AA)
    label = f"{candidate.inliers} inliers, score {candidate.attribution_score:.2f}"
    cv2.putText(canvas, label, (8, HEIGHT - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR)):
        raise UserError(f"{out}: cannot write the overlay (is the extension .png or .jpg?)")
    return out
