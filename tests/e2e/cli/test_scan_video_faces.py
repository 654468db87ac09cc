"""Enrolled faces inside videos and animated GIFs, found by ``reclaim scan`` with the time they show.

A 10-second clip shows the enrolled person's composite face (scikit-image's astronaut pasted on a generated
scene) from second 3 to 7; another shows Grace Hopper over the same seconds, a third no face at all; an
animated GIF shows the astronaut in some of its frames. Only the astronaut's clip and GIF match, each once,
with the best frame's time inside [3, 7] and the span it shows in.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from sqlalchemy import create_engine, text

from reclaim.synthetic.scenes import composite, scene

pytest.importorskip("av")
pytest.importorskip("dlib", reason="needs reclaim[faces]")
from reclaim.synthetic.video import write_clip  # noqa: E402

CONSENT = "enrolled by officer kim at the victim's request, 2026-11-28"
SIZE = (320, 240)
SHOWN = (3, 7)  # the face is on screen from second 3 up to second 7


def _pictures(face: Image.Image | None, seed: int, still: bool = False) -> list[Image.Image]:
    """One picture a second for 10 s; ``face``'s composite in seconds 3-6, moving a few pixels each second
    unless ``still`` (a GIF encoder then merges them into one frame shown for 4 s)."""
    shown = composite(face, seed=5, size=SIZE) if face is not None else None  # a 36 px face, found in each frame
    return [ImageChops.offset(shown, 0 if still else 3 * s, 0) if shown is not None and SHOWN[0] <= s < SHOWN[1]
            else scene(seed + s, SIZE) for s in range(10)]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, faces: dict) -> Path:
    folder = tmp_path_factory.mktemp("found")
    write_clip(folder / "astronaut.mp4", _pictures(faces["astronaut"], 100), fps=10, size=SIZE)
    write_clip(folder / "hopper.mp4", _pictures(faces["grace_hopper"], 200), fps=10, size=SIZE)
    write_clip(folder / "no-face.mp4", _pictures(None, 300), fps=10, size=SIZE)
    frames = _pictures(faces["astronaut"], 400, still=True)
    frames[0].save(folder / "astronaut.gif", save_all=True, append_images=frames[1:], duration=1000, loop=0)
    return folder


@pytest.mark.slow
def test_scan_finds_the_enrolled_face_in_a_video_and_a_gif_with_its_time(
    cli, database_url: str, face_photos: dict[str, Path], clips: Path
) -> None:
    assert cli("identity", "enroll", "student-a", face_photos["astronaut"], "--consent", CONSENT).code == 0
    result = cli("scan", clips, "--case", "c", "--json")
    assert result.code == 0, result.err
    report = result.json_lines()[0]
    found = {Path(m["path"]).name: [f for f in m["matches"] if f["signal_type"] == "face"]
             for m in report["matches"]}
    assert sorted(n for n, faces in found.items() if faces) == ["astronaut.gif", "astronaut.mp4"]
    for name in ("astronaut.mp4", "astronaut.gif"):
        (match,) = found[name]  # one match for the whole span, not one per frame
        assert match["identity"] == "student-a" and match["distance"] <= 0.6
        assert SHOWN[0] <= match["frame_time"] <= SHOWN[1], match
        start, end = match["span"]
        assert abs(start - SHOWN[0]) <= 1 and abs(end - SHOWN[1]) <= 1.5 and start <= match["frame_time"] <= end

    said = cli("match", clips / "astronaut.mp4").out  # a one-off match says when the face shows, too
    assert "face of student-a" in said and f"at {found['astronaut.mp4'][0]['frame_time']:g} s, seen 3-6 s" in said

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT i.locator, f.identity, f.frame_time, f.span_start, f.span_end, f.box FROM face_matches f "
            "JOIN items i ON i.id = f.item_id ORDER BY i.locator")).all()
        described = dict(conn.execute(text(
            "SELECT i.locator, count(*) FROM item_signals s JOIN items i ON i.id = s.item_id "
            "WHERE s.signal = 'face' GROUP BY i.locator")).all())
    engine.dispose()
    assert [Path(r[0]).name for r in rows] == ["astronaut.gif", "astronaut.mp4"]
    faces_in = {Path(loc).name: n for loc, n in described.items()}
    assert faces_in.get("hopper.mp4", 0) >= 3 and "no-face.mp4" not in faces_in  # seen, and not her
    for _, identity, at, start, end, box in rows:
        assert identity == "student-a" and start <= at <= end and SHOWN[0] <= at <= SHOWN[1]
        assert len(json.loads(box) if isinstance(box, str) else box) == 4  # SQLite hands JSON back as text


@pytest.mark.slow
def test_a_video_scanned_before_enrolment_is_matched_after_it(
    cli, database_url: str, face_photos: dict[str, Path], clips: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "astronaut.mp4").write_bytes((clips / "astronaut.mp4").read_bytes())
    assert cli("scan", folder, "--case", "c").code == 0
    assert cli("identity", "enroll", "student-a", face_photos["astronaut"], "--consent", CONSENT).code == 0
    again = cli("scan", folder, "--case", "c", "--json")
    assert again.code == 0, again.err
    (item,) = again.json_lines()[0]["matches"]
    (face,) = [m for m in item["matches"] if m["signal_type"] == "face"]
    assert SHOWN[0] <= face["frame_time"] <= SHOWN[1]


@pytest.mark.slow
def test_previews_and_attribution_use_the_best_frame(
    cli, database_url: str, face_photos: dict[str, Path], clips: Path, tmp_path: Path,
    make_client, accounts,
) -> None:
    """The review queue's thumbnail, the bundle's thumbnail and the attribution figure of a video are its best
    face frame, blurred; its first frame (no face) would say nothing to a reviewer."""
    pytest.importorskip("fastapi", reason="needs reclaim[server]")
    from reclaim.evidence.blur import blurred_thumbnail
    from reclaim.media.video import frame_at

    folder = tmp_path / "one"
    folder.mkdir()
    video = folder / "astronaut.mp4"
    video.write_bytes((clips / "astronaut.mp4").read_bytes())
    assert cli("identity", "enroll", "student-a", face_photos["astronaut"], "--consent", CONSENT).code == 0
    assert cli("case", "new", "c", "--victim", "student-a").code == 0
    assert cli("scan", folder, "--case", "c", "--workers", "1").code == 0
    engine = create_engine(database_url)
    with engine.connect() as conn:
        item_id, sha, at = conn.execute(text(
            "SELECT i.id, i.sha256, f.frame_time FROM items i JOIN face_matches f ON f.item_id = i.id")).one()
    engine.dispose()
    best = blurred_thumbnail(frame_at(video, str(video), at).rgb)
    assert best != blurred_thumbnail(frame_at(video, str(video), 0.0).rgb)

    officer = make_client(key=False)
    accounts.new_user(officer, "officer-kim", "officer")
    token = accounts.sign_in(officer, "officer-kim")
    thumb = officer.get(f"/items/{item_id}/thumb")
    assert thumb.status_code == 200 and thumb.content == best
    page = officer.get(f"/items/{item_id}").text
    assert f"at {at:.1f} s" in page and "facebox" in page and f'id="item-{item_id}"' in officer.get("/cases/c").text
    overlay = officer.post(f"/items/{item_id}/attribution", headers={"X-CSRF-Token": token})
    assert overlay.status_code == 200 and 'src="data:image/png;base64,' in overlay.text
    assert "astronaut.jpg" in overlay.text  # the enrolled photo the best frame's face came from

    assert cli("case", "review", "c", str(video), "--decision", "confirmed").code == 0
    bundle = tmp_path / "c.zip"
    assert cli("evidence", "export", "c", "--out", bundle).code == 0, "export failed"
    with zipfile.ZipFile(bundle) as zf:
        assert zf.read(f"thumbnails/{sha}.jpg") == best
        (item,) = json.loads(zf.read("manifest.json"))["items"]
        attribution = item["attribution"]
        assert attribution and attribution["identity"] == "student-a", attribution
        assert zf.read(attribution["figure"]).startswith(b"\x89PNG")
