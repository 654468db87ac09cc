"""Uploads to Reclaim's own API (``/api/v1``): a video's ``vpdq`` is answered as every frame (pytx's JSON list),
not its last frame; the file may come as ``photo`` or ``video``; refusals are ``{"error", "message"}``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reclaim.signals.base import Media
from reclaim.signals.vpdq import VPDQSignal, features_of, to_pytx

av = pytest.importorskip("av", reason="needs reclaim[video]")


@pytest.fixture
def clip(tmp_path: Path, known_jpeg: Path) -> tuple[bytes, str]:
    """A four-second clip of four pictures, and its vpdq as ``reclaim.signals.vpdq`` computes it (pytx's form)."""
    from reclaim.synthetic.video import write_clip

    with Image.open(known_jpeg) as known:
        pictures = [known.copy(), Image.new("RGB", (64, 64), "white"), known.rotate(90), known.rotate(180)]
    path = write_clip(tmp_path / "clip.mp4", pictures)
    frames = features_of(VPDQSignal().compute(Media(path.name, data=path.read_bytes())))
    assert len(frames) > 1
    return path.read_bytes(), to_pytx(frames)


def _bank(client: TestClient, name: str = "known") -> None:
    assert client.post("/api/v1/c/banks", json={"name": name}).status_code == 201


@pytest.mark.parametrize("field", ["video", "photo"])
def test_hash_answers_every_vpdq_frame(client: TestClient, clip: tuple[bytes, str], field: str) -> None:
    data, expected = clip
    answer = client.post("/api/v1/h/hash", files={field: ("clip.mp4", data, "video/mp4")})
    assert answer.status_code == 200, answer.text
    hashed = answer.json()
    assert {"md5", "sha256", "vpdq"} <= set(hashed)
    assert json.loads(hashed["vpdq"]) == json.loads(expected) and len(json.loads(expected)) == 4


@pytest.mark.parametrize("field", ["video", "photo"])
def test_bank_content_answers_every_vpdq_frame(client: TestClient, clip: tuple[bytes, str], field: str) -> None:
    data, expected = clip
    _bank(client)
    added = client.post("/api/v1/c/bank/known/content", files={field: ("clip.mp4", data, "video/mp4")},
                        data={"content_id": "case-7/clip"})
    assert added.status_code == 201, added.text
    assert added.json()["id"] == "case-7/clip"
    assert json.loads(added.json()["signals"]["vpdq"]) == json.loads(expected)


@pytest.mark.parametrize("path", ["/api/v1/h/hash", "/api/v1/c/bank/known/content"])
def test_an_upload_with_neither_or_both_fields_is_refused_with_400(client: TestClient, clip: tuple[bytes, str],
                                                                   path: str) -> None:
    data, _ = clip
    _bank(client)
    upload = ("clip.mp4", data, "video/mp4")
    for files in ({"audio": upload}, {"photo": upload, "video": upload}):
        answer = client.post(path, files=files)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "bad_request" and "'video'" in answer.json()["message"]
    assert client.post(path, data={"content_id": "x"}).status_code == 400
    assert client.get("/api/v1/c/bank/known").json()["active"] == 0


def test_validation_errors_under_api_v1_answer_error_and_message(client: TestClient,
                                                                 clip: tuple[bytes, str]) -> None:
    data, _ = clip
    _bank(client)
    answer = client.post("/api/v1/c/bank/known/content", files={"video": ("clip.mp4", data, "video/mp4")},
                         data={"content_id": "x" * 201})
    assert answer.status_code == 422
    body = answer.json()
    assert set(body) == {"error", "message"} and body["error"] == "invalid_request"
    assert "content_id" in body["message"] and "\n" not in body["message"]


def test_hash_of_a_photo_gives_its_pdq_and_quality_as_the_cli(client: TestClient, cli, known_jpeg: Path) -> None:  # noqa: ANN001
    hashed = client.post("/api/v1/h/hash", files={"photo": ("k.jpg", known_jpeg.read_bytes(), "image/jpeg")}).json()
    (line,) = cli("hash", known_jpeg, "--json").json_lines()
    assert (hashed["pdq"], hashed["pdq_quality"]) == (line["pdq"], line["pdq_quality"])
    assert isinstance(hashed["pdq_quality"], int) and hashed["pdq_quality"] > 50


def test_lookup_takes_a_video_upload_too(client: TestClient, clip: tuple[bytes, str]) -> None:
    data, _ = clip
    _bank(client)
    added = client.post("/api/v1/c/bank/known/content", files={"video": ("clip.mp4", data, "video/mp4")})
    assert added.status_code == 201, added.text
    found = client.post("/api/v1/m/lookup", files={"video": ("clip.mp4", data, "video/mp4")})
    assert found.status_code == 200, found.text
    # one match per banked content, by its best signal (the exact sha256 here)
    assert [m["bank_content_id"] for per_bank in found.json().values() for m in per_bank["known"]] == \
        [added.json()["id"]]
    assert client.post("/api/v1/m/lookup", files={}).status_code in (400, 422)
