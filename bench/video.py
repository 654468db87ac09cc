"""Video hashing speed: seconds of 720p H.264 video processed per second, against decoding every frame.

A generated 60 s, 1280x720, 30 fps H.264 clip (a camera panning across generated scenes, so every frame
differs as in real footage) is made once into .bench-data/video/. Measured in the same run:
- baseline, one file: PyAV decoding every frame of the clip, nothing else, in this process;
- reclaim, one file: ``hash_file`` (sha256, md5 and vPDQ at 1 frame/s) in this process (both decode with
  PyAV's automatic threads, so both may use both cores);
- baseline, 2 processes: PyAV decoding every frame of 4 copies of the clip in a pool of 2 processes;
- reclaim, 2 processes: ``hash_files`` over the same 4 copies with 2 worker processes.
Each ratio compares rows on the same cores (pool start-up included on both sides).
Target (issue 6): >= 10x real time on 2 cores (aim: 30x).

    .venv/bin/python bench/video.py [--seconds 60] [--copies 4] [--no-append]
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np
from record import Figure, append_section, machine, table

from reclaim.hashing import hash_file, hash_files
from reclaim.synthetic.scenes import scene

DATA = Path(__file__).resolve().parents[1] / ".bench-data" / "video"
SIZE, FPS = (1280, 720), 30


def make_clip(path: Path, seconds: int) -> Path:
    """Pan across a wide strip of generated scenes, a few pixels per frame."""
    import av

    strip = np.concatenate([np.asarray(scene(seed=900 + k, size=(1280, 720)).convert("RGB")) for k in range(4)],
                           axis=1)
    span = strip.shape[1] - SIZE[0]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"preset": "veryfast", "crf": "23"})
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        frames = seconds * FPS
        for n in range(frames):
            x = int(span * n / max(frames - 1, 1))
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(strip[:, x : x + SIZE[0]]), format="rgb24")
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def decode_every_frame(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    clip = DATA / f"pan-{args.seconds}s-720p.mp4"
    if not clip.exists():
        make_clip(clip, args.seconds)
    copies = []
    for k in range(args.copies):
        copy = DATA / f"copy-{args.seconds}s-{k}.mp4"  # copies of this length of clip
        if not copy.exists():
            shutil.copyfile(clip, copy)
        copies.append(copy)

    start = time.perf_counter()
    frames = decode_every_frame(clip)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    one = hash_file(clip)
    single = time.perf_counter() - start
    sampled = sum(1 for v in one.values if v.signal == "vpdq")  # type: ignore[union-attr]
    start = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        decoded = sum(pool.map(decode_every_frame, copies))
    baseline_pooled = time.perf_counter() - start
    assert decoded == frames * args.copies
    start = time.perf_counter()
    outcomes = list(hash_files(copies, workers=2))
    pooled = time.perf_counter() - start
    assert all(not hasattr(o, "error") for o in outcomes)

    video_seconds = args.seconds
    pooled_rate = video_seconds * args.copies / pooled
    rows = [
        ["PyAV, decode every frame (baseline)", "1 process", f"{baseline:.2f}", f"{video_seconds / baseline:.1f}x",
         "1.00"],
        ["reclaim hash_file (sha256, md5, vPDQ 1 frame/s)", "1 process", f"{single:.2f}",
         f"{video_seconds / single:.1f}x", f"{baseline / single:.2f}"],
        [f"PyAV, decode every frame of {args.copies} clips (baseline)", "2 processes", f"{baseline_pooled:.2f}",
         f"{video_seconds * args.copies / baseline_pooled:.1f}x", "1.00"],
        [f"reclaim hash_files, {args.copies} clips", "2 processes", f"{pooled:.2f}", f"{pooled_rate:.1f}x",
         f"{baseline_pooled / pooled:.2f}"],
    ]
    body = (f"{video_seconds} s of {SIZE[0]}x{SIZE[1]} H.264 at {FPS} fps ({frames:,} frames, "
            f"{clip.stat().st_size / 2**20:.1f} MB; {sampled} vPDQ frames); {machine()}.\n\n"
            + table(["run", "cores", "seconds", "real time", "vs baseline on the same cores"], rows)
            + "\n\nTarget: >= 10x real time on 2 cores.")
    print(body)
    size = f"{video_seconds} s clip, {args.copies} copies"
    figures = [Figure("real time on 2 cores (reclaim hash_files, 2 processes)", f"{pooled_rate:.1f}x", ">= 10x",
                      pooled_rate >= 10, size),
               Figure("reclaim / decode-every-frame baseline, 2 processes each", f"{baseline_pooled / pooled:.2f}",
                      "", None, size),
               Figure("reclaim / decode-every-frame baseline, 1 process each", f"{baseline / single:.2f}", "", None,
                      size)]
    if not args.no_append:
        append_section("Video hashing speed, 720p H.264 (bench/video.py)", body, figures)
    os.sync()


if __name__ == "__main__":
    main()
