"""What runs inside a decode worker process (``server.decodepool``): its start-up and its one job.

A worker's start is mostly imports, and every server start waits for its workers, so this module imports no
web framework: FastAPI alone cost a worker 0.8 s of its ~1.8 s start.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from reclaim.hashing import FileHashes, hash_bytes
from reclaim.media.limits import Limits
from reclaim.models import SignalValue

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
# Uploads come from strangers and are decoded while other requests wait for memory: a tighter pixel bound
# than a local scan's (Pillow's 179 Mpx). 40 Mpx admits any phone or camera photo at its usual size and
# keeps a decoded RGB image near 120 MB.
SERVER_LIMITS = Limits(max_file_bytes=MAX_UPLOAD_BYTES, max_pixels=40_000_000, max_frame_pixels=3840 * 2160,
                       max_decode_seconds=10.0, max_video_decode_seconds=60.0)


def hash_job(data: bytes, name: str, exact: bool = False) -> list[SignalValue]:
    """Every default signal of an upload's bytes; a file that cannot be decoded raises its ItemError.
    ``exact``: decode at full resolution, so PDQ is python-threatexchange's bit for bit (HMA's routes)."""
    outcome = hash_bytes(data, Path(name or "upload"), SERVER_LIMITS, fast=not exact, pytx_pdq=exact)
    if not isinstance(outcome, FileHashes):
        raise outcome.error
    return list(outcome.values)


def start_worker(server: int) -> None:
    """A decode worker runs at a lower priority than the server: answering requests comes first. It also leaves
    when its server process is gone (killed, or stopped without shutting the pool down): a pool's workers wait
    on their queue for ever otherwise, each holding its decoder's memory. ``server`` is the pid that started the
    pool, not ``os.getppid()`` here: a worker still importing when its server was killed would watch init (1)
    and never leave.

    The decoders are imported with this module, at the server's start, not by the first upload, and before the
    priority drops: the server waits for its workers to start, and at nice 10 beside a busy process that took
    seconds."""
    threading.Thread(target=_exit_with_parent, args=(server,), name="reclaim-parent-watch", daemon=True).start()
    try:
        os.nice(10)
    except OSError:  # not allowed here (some containers): the pool still keeps decodes off the loop
        log.warning("could not lower the decode workers' priority")


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)
