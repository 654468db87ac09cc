"""Uploads are decoded off the event loop, in a bounded pool: a worker keeps answering ``/status`` while large
uploads decode, and a full pool answers 503 at once instead of queueing without end."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi import HTTPException
from PIL import Image

from reclaim_testdata import answers, free_port, running

pytestmark = pytest.mark.slow


def _large_png() -> bytes:
    """A 4000 x 4000 picture (16 Mpx) that is small to send and slow to decode; not larger, because an upload
    is decoded and hashed at full resolution within the server's 10 s deadline, and CI's cores are shared
    with a second test process (36 Mpx missed it there)."""
    side = 4000
    rows = np.linspace(0, 255, side, dtype=np.uint8)
    pixels = np.stack([np.tile(rows, (side, 1)), np.tile(rows[:, None], (1, side)),
                       np.full((side, side), 90, np.uint8)], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


@pytest.fixture
def one_worker(reclaim_home: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``reclaim serve`` with one worker process: (its address, an API key with lookup)."""
    made = subprocess.run([sys.executable, "-m", "reclaim", "apikey", "create", "--name", "platform",
                           "--scope", "lookup"], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "reclaim", "serve", "--port", str(port), "--workers", "1"]
    with running(argv, {**os.environ, "RECLAIM_DECODE_QUEUE": "16"}, tmp_path / "serve.log",
                 lambda: answers(f"{base}/status"), "reclaim serve", timeout=120):
        yield base, key


def test_status_answers_quickly_while_eight_large_uploads_decode(
        one_worker: tuple[str, str], tmp_path: Path) -> None:
    """The uploads are sent by curl processes, so the probe's timing is the server's, not this process's GIL."""
    base, key = one_worker
    picture = tmp_path / "large.png"
    picture.write_bytes(_large_png())
    command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {key}",
               "-F", f"photo=@{picture};type=image/png", f"{base}/api/v1/m/lookup"]
    uploads = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(8)]
    waits = []
    with httpx.Client(base_url=base, timeout=30) as probe:
        time.sleep(0.1)  # the uploads are on their way (on a fast machine all eight are done within 0.5 s)
        while any(u.poll() is None for u in uploads):
            started = time.perf_counter()
            assert probe.get("/status").text == "I-AM-ALIVE"
            waits.append(time.perf_counter() - started)
            time.sleep(0.02)
    assert [u.communicate()[0] for u in uploads] == ["200"] * 8
    assert len(waits) >= 5, "the uploads finished before /status was probed: make them larger"
    assert max(waits) < 0.2, f"/status took up to {max(waits) * 1000:.0f} ms while uploads decoded"


def test_a_full_pool_answers_503_at_once() -> None:
    from reclaim.server.decodepool import DecodePool

    pool = DecodePool(workers=1, queue=1)

    async def scenario() -> None:
        running = [asyncio.create_task(pool.run(time.sleep, 2.0)) for _ in range(2)]
        await asyncio.sleep(0.05)
        assert pool.admitted == 2
        with pytest.raises(HTTPException) as refused:
            await pool.run(time.sleep, 0.0)
        assert refused.value.status_code == 503 and refused.value.headers == {"Retry-After": "2"}
        await asyncio.gather(*running)
        assert pool.admitted == 0
        assert await pool.run(sum, [1, 2]) == 3  # room again once the jobs are done

    asyncio.run(scenario())


def test_an_app_starts_after_a_worker_of_its_process_pool_died() -> None:
    """Apps of one process share its pool: one whose worker was killed (OOM) is replaced at the next app's start,
    instead of failing that start and every later one."""
    import psutil

    from reclaim.server.decodepool import DecodePool

    DecodePool(workers=1).start()
    workers = [p for p in psutil.Process().children() if "spawn_main" in " ".join(p.cmdline())]  # not the
    assert workers  # resource tracker
    for worker in workers:
        try:
            worker.kill()
        except psutil.NoSuchProcess:  # a spawned child of an earlier test in this process, gone on its own since
            continue
    psutil.wait_procs(workers, timeout=10)
    DecodePool(workers=1).start()
    assert asyncio.run(DecodePool(workers=1).run(sum, [1, 2])) == 3


def test_decode_workers_leave_when_their_server_is_killed(reclaim_home: Path, tmp_path: Path) -> None:
    """A server killed outright (SIGKILL, OOM) leaves no decode workers behind holding memory: they notice
    their parent is gone and exit. Before, every killed server left its pool's processes for ever."""
    import psutil

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "reclaim", "serve", "--port", str(port), "--workers", "1"]
    with running(argv, dict(os.environ), tmp_path / "serve.log",
                 lambda: answers(f"{base}/status"), "reclaim serve", timeout=120) as process:
        server = psutil.Process(process.pid)
        tree = [server, *server.children(recursive=True)]
        decoders = [p for p in tree if "spawn_main" in " ".join(p.cmdline())]
        assert decoders, [p.cmdline() for p in tree]
        for part in tree:
            if part not in decoders:
                part.kill()
        _, alive = psutil.wait_procs(decoders, timeout=15)
        assert not alive, f"{len(alive)} decode workers outlived their server"
