"""Video matching rules: a re-encoded clip against the banked original (vPDQ 80 % rule), a clip that shows a
known photo for five seconds, a still pulled from a banked video, and versions that must not mix."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from reclaim.banks import add_content, create_bank
from reclaim.hashing import FileHashes, hash_bytes, hash_file
from reclaim.matching.matcher import Matcher
from reclaim.models import SignalValue
from reclaim.store import Store
from reclaim.synthetic.scenes import composite, jpeg_bytes, scene

pytest.importorskip("av")
from reclaim.synthetic.video import write_clip  # noqa: E402

SECONDS = 60
SHOWN = range(20, 25)  # the seconds of the clip that show the known photo


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, faces: dict) -> dict[str, FileHashes]:
    """A 60 s clip showing the known photo from 20 s to 25 s, its re-encode, an unrelated clip, and the photo."""
    folder = tmp_path_factory.mktemp("clips")
    known = composite(faces["astronaut"], seed=1, size=(256, 192))
    pictures = [known if s in SHOWN else scene(500 + s, (256, 192)) for s in range(SECONDS)]
    other = [scene(900 + s, (256, 192)) for s in range(SECONDS)]
    paths = {
        "original": write_clip(folder / "original.mp4", pictures, size=(256, 192)),
        "reencoded": write_clip(folder / "reencoded.mp4", pictures, size=(160, 120), codec="mpeg4",
                                bit_rate=150_000, fps=3),
        "other": write_clip(folder / "other.mp4", other, size=(256, 192)),
    }
    hashed = {name: hash_file(path) for name, path in paths.items()}
    hashed["photo"] = hash_bytes(jpeg_bytes(known, 90), folder / "known.jpg")
    assert all(isinstance(h, FileHashes) for h in hashed.values()), hashed
    return hashed  # type: ignore[return-value]


def perceptual(outcome: FileHashes) -> list[SignalValue]:
    """Only the perceptual hashes, so exact digests cannot be what matched."""
    return [v for v in outcome.values if v.signal in ("pdq", "vpdq")]


def bank(store: Store, **contents: FileHashes) -> Matcher:
    with store.session() as s:
        known = create_bank(s, "known")
        for content_id, outcome in contents.items():
            add_content(s, known, content_id, perceptual(outcome))
        return Matcher.from_store(s)


def test_reencoded_clip_matches_the_banked_original(store: Store, clips: dict[str, FileHashes]) -> None:
    matcher = bank(store, original=clips["original"])
    (match,) = matcher.match(perceptual(clips["reencoded"])).matches
    assert (match.content_id, match.signal, match.frame_time) == ("original", "vpdq", None)
    assert match.match_percent is not None and match.match_percent >= 80 and match.distance <= 31
    assert matcher.match(perceptual(clips["other"])).matches == []
    assert clips["reencoded"].frames == SECONDS  # sampled once a second although it runs at 3 frames a second


def test_clip_showing_a_known_photo_matches_it_at_that_time(store: Store, clips: dict[str, FileHashes]) -> None:
    matcher = bank(store, photo=clips["photo"])
    for name in ("original", "reencoded"):
        (match,) = matcher.match(perceptual(clips[name])).matches
        assert (match.content_id, match.signal) == ("photo", "pdq")
        assert match.frame_time in SHOWN and match.distance <= 31
    assert matcher.match(perceptual(clips["other"])).matches == []


def test_still_from_a_banked_video_matches_it(store: Store, clips: dict[str, FileHashes]) -> None:
    matcher = bank(store, original=clips["original"], other=clips["other"])
    (match,) = matcher.match(perceptual(clips["photo"])).matches
    assert (match.content_id, match.signal) == ("original", "vpdq") and match.frame_time in SHOWN


def test_frames_of_another_vpdq_version_never_match(store: Store, clips: dict[str, FileHashes]) -> None:
    old = [SignalValue(v.signal, "1", v.value.split(",")[0], v.quality) for v in perceptual(clips["original"])]
    with store.session() as s:
        add_content(s, create_bank(s, "old"), "original", old)
        matcher = Matcher.from_store(s)
    assert matcher.match(perceptual(clips["original"])).matches == []
    assert matcher.match(perceptual(clips["photo"])).matches == []


def test_a_picture_shown_for_a_second_is_one_frame(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", [Image.new("RGB", (64, 48), c) for c in ("red", "blue")], size=(64, 48))
    outcome = hash_file(clip)
    assert isinstance(outcome, FileHashes) and outcome.frames == 2
