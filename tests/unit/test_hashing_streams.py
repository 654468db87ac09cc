"""Files hashed from disk without being read whole: videos over the photo size limit, and bytes-only files."""

from __future__ import annotations

import hashlib
import struct
import tracemalloc
from pathlib import Path

import pytest

from reclaim.hashing import FileHashes, HashFailure, hash_file, hash_files
from reclaim.media import Limits
from reclaim.synthetic.scenes import scene

pytest.importorskip("av")
from reclaim.synthetic.video import write_clip  # noqa: E402


def padded_clip(path: Path, pad_bytes: int) -> Path:
    """A short clip followed by an MP4 ``free`` box of ``pad_bytes`` zeros (sparse: costs no disk), as
    players and FFmpeg skip it: a big video that is cheap to make."""
    write_clip(path, [scene(s, (96, 72)) for s in range(4)], size=(96, 72))
    with path.open("r+b") as fh:
        end = fh.seek(0, 2)
        fh.write(struct.pack(">I4s", 8 + pad_bytes, b"free"))
        fh.truncate(end + 8 + pad_bytes)
    return path


def digests(path: Path) -> tuple[str, str]:
    sha, md5 = hashlib.sha256(), hashlib.md5()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def hashed_in_bounded_memory(path: Path, limits: Limits) -> tuple[FileHashes, int]:
    tracemalloc.start()
    try:
        outcome = hash_file(path, limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(outcome, FileHashes), outcome
    return outcome, peak


def test_video_over_the_photo_limit_is_streamed(tmp_path: Path) -> None:
    clip = padded_clip(tmp_path / "long.mp4", 24 * 1024 * 1024)
    limits = Limits(max_file_bytes=1024 * 1024)  # a photo this big would be refused
    outcome, peak = hashed_in_bounded_memory(clip, limits)
    assert (outcome.get("sha256").value, outcome.get("md5").value) == digests(clip)
    assert outcome.frames == 4 and peak < 8 * 1024 * 1024  # never the whole 24 MB in memory
    refused = hash_file(clip, Limits(max_video_bytes=1024 * 1024))
    assert isinstance(refused, HashFailure) and "over the video limit of 1,048,576" in refused.error.message
    photo = tmp_path / "big.png"
    scene(1, (640, 480)).save(photo)
    too_big = hash_file(photo, Limits(max_file_bytes=1000))
    assert isinstance(too_big, HashFailure) and too_big.error.code == "too_large"


def test_bytes_only_files_are_hashed_not_decoded(tmp_path: Path) -> None:
    voice, empty = tmp_path / "voice.ogg", tmp_path / "empty.txt"
    voice.write_bytes(b"OggS" + bytes(5000))
    empty.write_bytes(b"")
    outcomes = {o.path: o for o in hash_files([voice, empty], workers=2, bytes_only={voice, empty})}
    for path in (voice, empty):
        outcome = outcomes[path]
        assert isinstance(outcome, FileHashes) and outcome.bytes_only
        assert [v.signal for v in outcome.values] == ["sha256", "md5"]
        assert (outcome.get("sha256").value, outcome.get("md5").value) == digests(path)
    assert isinstance(hash_file(voice), HashFailure)  # without the source's word, it is a broken photo


@pytest.mark.slow
def test_video_over_256_mb_hashes_in_bounded_memory(tmp_path: Path, cli) -> None:
    clip = padded_clip(tmp_path / "huge.mp4", 300 * 1024 * 1024)
    outcome, peak = hashed_in_bounded_memory(clip, Limits())
    assert clip.stat().st_size > Limits().max_file_bytes and peak < 8 * 1024 * 1024
    assert outcome.get("sha256").value == digests(clip)[0]
    (printed,) = cli("hash", "--json", clip).json_lines()
    assert printed["vpdq"]["frames"] == 4 and printed["sha256"] == outcome.get("sha256").value
