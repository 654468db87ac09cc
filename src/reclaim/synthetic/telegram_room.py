"""A large generated Telegram Desktop export (JSON) of one room, with its ground truth, for whole-case benches
and tests: photos, some showing an enrolled person's composite face, some re-posts of banked images; videos,
some showing the face for a known span of seconds; text messages.

Laid out as Desktop writes it: ``export/result.json`` (``{name, type, id, messages}``, ``date`` in local time
and ``date_unixtime``), ``export/photos/photo_N@DD-MM-YYYY_HH-MM-SS.jpg``, ``export/video_files/video_N@….mp4``
with a ``…mp4_thumb.jpg`` thumbnail. Beside the export: ``bank/`` (the originals the re-posts come from),
``own_photos/`` (the two people's own photos, to enrol) and ``truth.json`` (what every item is).
Benign only: faces are scikit-image's astronaut and Matplotlib's grace_hopper pasted onto generated scenes.
Files are made in a process pool; everything follows from the seed, so the same spec gives the same bytes.
"""

from __future__ import annotations

import functools
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reclaim.synthetic.faces import Edit, decode, face_region, fake
from reclaim.synthetic.reposts import crop_area
from reclaim.synthetic.scenes import GLOBAL_EDITS, jpeg_bytes, photo_scene, sample_faces
from reclaim.synthetic.video import write_clip

VERSION = 1  # part of every room's key: bump it when the same spec would give other files
CHAT_ID = 7_310_000_042
START = 1_790_000_000  # 2026-09-21 14:13:20 UTC
LOCAL = timedelta(hours=9)  # the exporting computer's zone (KST); `date` is local time, `date_unixtime` UTC
PEOPLE = ("astronaut", "grace_hopper")
REPOST_EDITS = ("jpeg_q50", "resize_0.5", "crop")
SPAN = (4, 7)  # seconds a face video shows the face (from, up to)
WORDS = ("ㅋㅋㅋ", "봤어?", "새거", "원본 있음", "링크", "more tomorrow", "who is this", "lol", "join the backup room",
         "3학년", "정리함", "admin pls pin", "ㅇㅇ", "old one", "nice")


@dataclass(frozen=True)
class RoomSpec:
    """How big the room is and what it holds; the cache key of a generated room is this, as JSON."""

    photos: int
    face_photos: int
    reposts: int
    videos: int
    face_videos: int
    texts: int
    seed: int = 0
    photo_size: tuple[int, int] = (1280, 960)
    video_size: tuple[int, int] = (320, 240)
    video_fps: int = 2
    video_seconds: tuple[int, int] = (10, 30)

    @classmethod
    def scaled(cls, items: int, seed: int = 0) -> RoomSpec:
        """Issue 23's room (10,000 items: 9,000 photos, 30 with a face, 40 re-posts; 200 videos, 5 with a face;
        800 texts) scaled to ``items``, with at least one of each kind."""
        photos, videos = round(items * 0.9), max(1, round(items * 0.02))
        return cls(photos=photos, face_photos=max(1, round(items * 0.003)), reposts=max(1, round(items * 0.004)),
                   videos=videos, face_videos=max(1, round(items * 0.0005)), texts=max(0, items - photos - videos),
                   seed=seed)

    @property
    def items(self) -> int:
        return self.photos + self.videos + self.texts

    def key(self) -> str:
        return json.dumps({"version": VERSION, **asdict(self)}, sort_keys=True)


def write_room(out: Path, spec: RoomSpec, *, workers: int = 2) -> dict[str, Any]:
    """Write the export, the bank originals and the own photos under ``out``; return the truth (also written
    to ``out``/truth.json, last, so its presence means the room is complete)."""
    if spec.face_photos + spec.reposts > spec.photos or spec.face_videos > spec.videos:
        raise ValueError(f"{spec}: more special photos or videos than photos or videos")
    export = out / "export"
    for folder in (export / "photos", export / "video_files", out / "bank", out / "own_photos"):
        folder.mkdir(parents=True, exist_ok=True)
    for name, image in sample_faces().items():
        (out / "own_photos" / f"{name}.jpg").write_bytes(jpeg_bytes(image, 92))
    rng = np.random.default_rng(spec.seed)
    kinds = (["face"] * spec.face_photos + ["repost"] * spec.reposts
             + ["photo"] * (spec.photos - spec.face_photos - spec.reposts)
             + ["face_video"] * spec.face_videos + ["video"] * (spec.videos - spec.face_videos) + ["text"] * spec.texts)
    order = rng.permutation(len(kinds))
    truth: dict[str, Any] = {"spec": asdict(spec), "chat_id": CHAT_ID, "faces": {}, "face_videos": {}, "reposts": {},
                             "bank": [], "photos": spec.photos, "videos": spec.videos, "texts": spec.texts}
    jobs: list[tuple[Any, ...]] = [("bank", str(out / "bank" / f"original_{k:04d}.jpg"), _bank_seed(spec, k), spec)
                                   for k in range(2 * spec.reposts)]
    truth["bank"] = [Path(job[1]).name for job in jobs]
    messages: list[dict[str, Any]] = [_service(spec)]
    counters = {"face": 0, "repost": 0, "photo_file": 0, "video_file": 0}
    for position, index in enumerate(order):
        kind, message_id = kinds[index], position + 2
        message = _message(message_id, rng, kind in ("face", "repost", "face_video"))
        locator = f"telegram:{CHAT_ID}/{message_id}"
        stamp = _file_stamp(message)
        seed = spec.seed * 1_000_003 + message_id
        if kind in ("face", "repost", "photo"):
            counters["photo_file"] += 1
            name = f"photos/photo_{counters['photo_file']}@{stamp}.jpg"
            message.update({"photo": name, "photo_file_size": 0, "width": spec.photo_size[0],
                            "height": spec.photo_size[1]})
            if kind == "face":
                who = PEOPLE[counters["face"] % 2]
                counters["face"] += 1
                truth["faces"][locator] = who
                jobs.append(("face", str(export / name), seed, spec, who))
            elif kind == "repost":
                k = counters["repost"]
                counters["repost"] += 1
                edit = REPOST_EDITS[k % len(REPOST_EDITS)]
                truth["reposts"][locator] = {"original": truth["bank"][k], "edit": edit}
                jobs.append(("repost", str(export / name), _bank_seed(spec, k), spec, edit))
            else:
                jobs.append(("photo", str(export / name), seed, spec))
        elif kind in ("video", "face_video"):
            counters["video_file"] += 1
            name = f"video_files/video_{counters['video_file']}@{stamp}.mp4"
            seconds = int(rng.integers(spec.video_seconds[0], spec.video_seconds[1] + 1))
            shown = PEOPLE[len(truth["face_videos"]) % 2] if kind == "face_video" else None
            if shown is not None:
                truth["face_videos"][locator] = {"identity": shown, "start": SPAN[0], "end": SPAN[1]}
            message.update({"file": name, "thumbnail": f"{name}_thumb.jpg", "file_size": 0,
                            "media_type": "video_file", "mime_type": "video/mp4", "duration_seconds": seconds,
                            "width": spec.video_size[0], "height": spec.video_size[1]})
            jobs.append(("video", str(export / name), seed, spec, shown, seconds))
        messages.append(message | _text(rng))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            sizes = dict(pool.map(_make, jobs, chunksize=16))
    else:
        sizes = dict(map(_make, jobs))
    for message in messages:  # the sizes Desktop records, now that the files exist
        for key, size_key in (("photo", "photo_file_size"), ("file", "file_size")):
            if key in message:
                message[size_key] = sizes[str(export / message[key])]
    room = {"name": "benchmark room", "type": "private_supergroup", "id": CHAT_ID, "messages": messages}
    (export / "result.json").write_text(json.dumps(room, ensure_ascii=False, indent=1), encoding="utf-8")
    text = json.dumps(truth, ensure_ascii=False, indent=1)
    (out / "truth.json").write_text(text, encoding="utf-8")
    return dict(json.loads(text))  # as a reader of truth.json sees it (lists, not tuples)


def _bank_seed(spec: RoomSpec, k: int) -> int:
    return spec.seed * 1_000_003 + 900_000 + k


def _service(spec: RoomSpec) -> dict[str, Any]:
    return {"id": 1, "type": "service", **_dates(START), "actor": "room admin", "actor_id": "user7000000",
            "action": "create_group", "title": "benchmark room", "members": ["room admin"]}


def _dates(unixtime: int) -> dict[str, str]:
    local = datetime.fromtimestamp(unixtime, UTC) + LOCAL
    return {"date": local.strftime("%Y-%m-%dT%H:%M:%S"), "date_unixtime": str(unixtime)}


def _file_stamp(message: dict[str, Any]) -> str:
    return datetime.strptime(message["date"], "%Y-%m-%dT%H:%M:%S").strftime("%d-%m-%Y_%H-%M-%S")


def _message(message_id: int, rng: np.random.Generator, uploader: bool) -> dict[str, Any]:
    """A message from one of the room's members (the planted media from its two uploaders), without its text."""
    member = int(rng.integers(0, 2)) if uploader else int(rng.integers(2, 40))
    message: dict[str, Any] = {"id": message_id, "type": "message", **_dates(START + 37 * message_id),
                               "from": f"member {member}", "from_id": f"user{7_000_001 + member}"}
    if rng.random() < 0.1:
        message["forwarded_from"] = "backup channel"
    return message


def _text(rng: np.random.Generator) -> dict[str, Any]:
    """``text`` and ``text_entities`` as Desktop writes them: a string, or a list when there is markup."""
    words = [str(w) for w in rng.choice(WORDS, int(rng.integers(0, 5)))]
    if words and rng.random() < 0.2:
        rest = " " + " ".join(words[1:])
        return {"text": [{"type": "bold", "text": words[0]}, rest],
                "text_entities": [{"type": "bold", "text": words[0]}, {"type": "plain", "text": rest}]}
    text = " ".join(words)
    return {"text": text, "text_entities": [{"type": "plain", "text": text}] if text else []}


@functools.cache
def _portraits() -> dict[str, Image.Image]:
    return sample_faces()


def _make(job: tuple[Any, ...]) -> tuple[str, int]:
    """Write one file; return (path, size). Runs in a worker: everything it needs is in the job."""
    kind, path, seed, spec = job[:4]
    if kind == "video":
        who, seconds = job[4], job[5]
        pictures = _clip(seed, spec, who, seconds)
        write_clip(Path(path), pictures, fps=spec.video_fps, size=spec.video_size)
        Path(f"{path}_thumb.jpg").write_bytes(jpeg_bytes(pictures[0], 80))
        return path, Path(path).stat().st_size
    if kind == "face":
        edit = Edit.random(np.random.default_rng(seed))
        data = fake(_portraits()[job[4]], seed, edit, background=photo_scene(seed, spec.photo_size))
    elif kind == "repost":
        original = photo_scene(seed, spec.photo_size)
        edited = crop_area(original, seed, (0.10, 0.30)) if job[4] == "crop" else GLOBAL_EDITS[job[4]](original)
        data = jpeg_bytes(edited, 85)
    else:
        data = jpeg_bytes(photo_scene(seed, spec.photo_size), 92 if kind == "bank" else 85)
    Path(path).write_bytes(data)
    return path, len(data)


def _clip(seed: int, spec: RoomSpec, who: str | None, seconds: int) -> list[Image.Image]:
    """One picture a second: shots of 3-8 s, each a slow pan across a wider scene; with ``who``, that person's
    face is pasted in (about 60 % of the frame's height) from second SPAN[0] up to SPAN[1]."""
    rng = np.random.default_rng(seed)
    w, h = spec.video_size
    pictures: list[Image.Image] = []
    while len(pictures) < seconds:
        length = int(rng.integers(3, 9))
        wide = photo_scene(int(rng.integers(0, 2**31)), (w + 8 * length, h))
        pictures += [wide.crop((8 * t, 0, 8 * t + w, h)) for t in range(length)]
    pictures = pictures[:seconds]
    if who is not None:
        portrait = _portraits()[who]
        scale = 0.6 * h / face_region(portrait).height
        for t in range(SPAN[0], min(SPAN[1], seconds)):
            pictures[t] = decode(fake(portrait, seed, Edit(scale=scale, quality=90), background=pictures[t]))
    return pictures
