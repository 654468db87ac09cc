"""Faces seen over a video's frames fold into one match per identity and stretch of time."""

from __future__ import annotations

import numpy as np
import pytest

from reclaim.errors import InvalidHash
from reclaim.identities.matcher import FaceMatch
from reclaim.identities.spans import fold_spans, sampling_step
from reclaim.index.face_vectors import face_time, pack_face, unpack_face


def seen(identity: str, at: float | None, distance: float = 0.4) -> FaceMatch:
    return FaceMatch(identity, distance, 0.9, (1, 2, 30, 30), frame_time=at)


def test_one_match_per_identity_and_span_keeping_the_best_frame() -> None:
    found = [seen("a", 3.0, 0.45), seen("a", 4.0, 0.38), seen("a", 6.0, 0.41), seen("a", 20.0, 0.5),
             seen("b", 4.0, 0.3), seen("a", None, 0.2)]
    folded = fold_spans(found, [float(t) for t in range(25)])
    assert [(m.identity, m.frame_time, m.span, m.distance) for m in folded] == [
        ("a", None, None, 0.2),  # a still's face is left as it is
        ("a", 4.0, (3.0, 6.0), 0.38),  # 5 s missed by the detector: still one span
        ("a", 20.0, (20.0, 20.0), 0.5),
        ("b", 4.0, (4.0, 4.0), 0.3),
    ]
    assert seen("a", 4.0).as_json()["frame_time"] == 4.0 and "span" not in seen("a", 4.0).as_json()
    assert folded[1].as_json()["span"] == [3.0, 6.0] and "frame_time" not in seen("a", None).as_json()


def test_the_sampling_step_comes_from_the_frames_looked_at() -> None:
    assert sampling_step([]) == sampling_step([5.0]) == 1.0
    assert sampling_step([0.0, 20.0, 40.0, 40.0, 60.0]) == 20.0  # a long video looked at every 20 s
    folded = fold_spans([seen("a", 20.0), seen("a", 60.0)], [0.0, 20.0, 40.0, 60.0])
    assert [m.span for m in folded] == [(20.0, 60.0)]


def test_a_face_value_carries_its_frame_time() -> None:
    vector = np.linspace(-0.3, 0.3, 128, dtype=np.float32)
    text = pack_face(vector, (4, 5, 60, 61), at=3.25)
    assert text.endswith("@3.25") and face_time(text) == 3.25 and unpack_face(text)[1] == (4, 5, 60, 61)
    assert face_time(pack_face(vector, (4, 5, 60, 61))) is None
    for bad in (text + "@1", text.replace("@3.25", "@soon"), text.replace("@3.25", "@-1"),
                text.replace("@3.25", "@inf")):
        with pytest.raises(InvalidHash, match="not a face value"):
            unpack_face(bad)
