"""Generated benign clips for tests and benches: one picture per second, encoded with PyAV (``reclaim[video]``).

A clip is a list of pictures, each shown for one second, so a test can say exactly which seconds show what
(a known image from 20 s to 25 s) and re-encode the same pictures at another size and bitrate, which is
what a re-upload does to a video.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from reclaim.errors import UserError


def write_clip(path: Path, pictures: Sequence[Image.Image], *, fps: int = 2, size: tuple[int, int] = (160, 120),
               codec: str = "libx264", bit_rate: int | None = None) -> Path:
    """Write ``pictures`` (one a second, resized to ``size``) as an MP4 at ``fps`` frames a second."""
    import av
    from av.video.stream import VideoStream

    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps, options={"preset": "ultrafast"} if codec == "libx264" else {})
        if not isinstance(stream, VideoStream):
            raise UserError(f"{codec} is not a video codec")
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        if bit_rate:
            stream.bit_rate = bit_rate
        for second, picture in enumerate(pictures):
            rgb = np.asarray(picture.convert("RGB").resize(size, Image.Resampling.BILINEAR))
            for n in range(fps):
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = second * fps + n
                out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path
