"""Resource limits applied before and during decoding, and the decode-time deadline."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from reclaim.errors import TooLarge


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one media file. Defaults admit any real photo or clip (3 h, 8K) and refuse bombs.

    A photo is read whole into memory, so its bound is tight; a video (or a file hashed as bytes only) is
    streamed from its file and decoded a frame at a time, so it may be far bigger.
    """

    max_file_bytes: int = 256 * 1024 * 1024  # a photo, or any file held in memory
    max_pixels: int = 178_956_970  # Pillow's own bomb threshold (2 x MAX_IMAGE_PIXELS)
    max_decode_seconds: float = 30.0
    max_video_bytes: int = 4 * 1024**3  # a video or bytes-only file, streamed from disk
    max_video_seconds: float = 3 * 3600.0
    max_frame_pixels: int = 7680 * 4320
    max_sampled_frames: int = 3 * 3600
    max_video_decode_seconds: float = 600.0
    max_archive_bytes: int = 64 * 1024**3  # all members of one archive, unpacked
    max_compression_ratio: int = 200  # a member (over 1 MiB) inflating more than this is taken for a bomb
    max_archive_members: int = 100_000  # entries in one archive (each costs a header parse, a file, a hash)


class _Deadline(Exception):
    """Raised inside the decode by the alarm; turned into TooLarge by ``deadline``."""


@contextmanager
def deadline(seconds: float, name: str) -> Iterator[None]:
    """Abort the block with TooLarge after ``seconds``.

    Uses SIGALRM, so it only arms in a process's main thread (scan workers are processes); elsewhere
    the file-size and pixel limits are the protection.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise _Deadline

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Deadline:
        raise TooLarge(f"{name}: decoding took longer than {seconds:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
