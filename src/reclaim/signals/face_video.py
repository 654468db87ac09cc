"""Faces in videos and animations: enrolled people are looked for over time, not only in stills.

A video's frames come from the one decode vPDQ also reads (``signals.frames``): one frame a second plus the
first frame of each new scene, so a shot shorter than a second is still seen. Detection costs far more than
hashing, so at most ``MAX_GRID_FRAMES`` grid frames are looked at per file (a longer video is looked at every
``duration / MAX_GRID_FRAMES`` seconds instead) and at most ``MAX_CUT_FRAMES`` cut frames. Each face found is
one ``face`` value like a photo's, ending in its frame's time (``index.face_vectors``), so a match can say when
the person shows; ``identities.spans`` then folds the frames of one person into spans.
"""

from __future__ import annotations

import logging
from typing import Any

from reclaim.index.face_vectors import pack_face
from reclaim.media.animation import animation_frames
from reclaim.media.video import VideoFrame, VideoInfo
from reclaim.models import SignalValue
from reclaim.signals.base import FrameReader, Media
from reclaim.signals.face import Face, FaceSignal, detect_faces
from reclaim.signals.frames import Grid

log = logging.getLogger(__name__)
SECONDS = 1.0
MAX_GRID_FRAMES = 90
MAX_CUT_FRAMES = 30
MAX_FACES_PER_FRAME = 5  # the largest ones: a crowd in a video is not whom a fake is about


class FaceFrames(FrameReader):
    """Faces in the sampled frames of one video or animation."""

    every = SECONDS
    cuts = True

    def __init__(self, name: str = "video") -> None:
        self.name, self._grid = name, Grid(SECONDS)
        self._grid_frames = self._cut_frames = 0
        self._values: list[SignalValue] = []
        self._last: tuple[int, list[Face]] | None = None  # an animation gives a long frame once per second

    def start(self, name: str, info: VideoInfo) -> None:
        self.name = name
        if info.duration and info.duration / SECONDS > MAX_GRID_FRAMES:
            self._grid = Grid(info.duration / MAX_GRID_FRAMES)

    def see(self, frame: VideoFrame) -> None:
        if frame.cut:
            if self._cut_frames >= MAX_CUT_FRAMES:
                return
            self._cut_frames += 1
        else:
            if self._grid_frames >= MAX_GRID_FRAMES or not self._grid.take(frame.timestamp):
                return
            self._grid_frames += 1
            if self._grid_frames == MAX_GRID_FRAMES:
                log.info("%s: faces looked for in %d frames; later ones are not looked at", self.name,
                         MAX_GRID_FRAMES)
        at = round(frame.timestamp, 3)
        if self._last is None or self._last[0] != frame.number:
            self._last = (frame.number, detect_faces(frame.rgb, max_faces=MAX_FACES_PER_FRAME))
        for face in self._last[1]:
            extras: dict[str, Any] = {**face.extras(), "frame_time": at, "frame": frame.number, "cut": frame.cut}
            self._values.append(SignalValue(FaceSignal.name, FaceSignal.version,
                                            pack_face(face.descriptor, face.box, at), None, extras))

    def values(self, info: VideoInfo | None = None) -> list[SignalValue]:
        return list(self._values)


def animation_faces(media: Media) -> list[SignalValue] | None:
    """Faces over the frames of an animated GIF or WebP (its first frame included); None when no frame could be
    read that way (damage, frames too large), and the first frame is then looked at as a still."""
    reader, seen = FaceFrames(media.name), False
    for frame in animation_frames(media.data, media.name, media.limits, every=SECONDS, cuts=True):
        reader.see(frame)
        seen = True
    return reader.values() if seen else None
