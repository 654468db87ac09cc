"""A case's watch terms flag the messages that name the victim (spaced or dotted out) or post their number;
``case posters`` says who posted the matching items, how many and when."""

from __future__ import annotations

import json
from pathlib import Path

from reclaim.synthetic.scenes import jpeg_bytes, scene

T0 = 1_790_000_000  # 2026-09-21 14:13:20 UTC


def write_export(root: Path, known: Path) -> Path:
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "a.jpg").write_bytes(known.read_bytes())
    (root / "photos" / "b.jpg").write_bytes(known.read_bytes())
    (root / "photos" / "c.jpg").write_bytes(jpeg_bytes(scene(seed=31), 90))

    def message(k: int, who: str, photo: str, text: str) -> dict:
        return {"id": k, "type": "message", "date": "2026-09-21T10:00:00", "date_unixtime": str(T0 + 60 * k),
                "from": who, "from_id": f"user{who[-1] * 3}", "photo": f"photos/{photo}", "text": text}

    messages = [message(1, "abuser1", "a.jpg", "김.지.수 한빛고 2학년"),
                message(2, "abuser2", "b.jpg", "번호 010 1234 5678 연락 ㄱ"),
                message(3, "abuser1", "c.jpg", "그냥 풍경"),
                message(4, "abuser1", "b.jpg", "again")]
    (root / "result.json").write_text(json.dumps({"name": "Room", "type": "private_supergroup", "id": 77,
                                                  "messages": messages}, ensure_ascii=False), encoding="utf-8")
    return root


def test_terms_mentions_doxxing_and_posters(cli, tmp_path: Path, known_jpeg: Path) -> None:  # type: ignore[no-untyped-def]
    export = write_export(tmp_path / "ChatExport", known_jpeg)
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg).code == 0
    assert cli("scan", export, "--case", "room").code == 0
    added = cli("case", "terms", "room", "--name", "김지수", "--phone", "+82 10-1234-5678", "--json")
    assert json.loads(added.out)["added"] == 2
    assert cli("case", "terms", "room", "--name", "x").code == 2  # too short to search for

    items = {i["locator"]: i for i in cli("case", "items", "room", "--json").json_lines()}
    assert items["telegram:77/1"]["mentions"] == [{"kind": "name", "term": "김지수"}]
    assert items["telegram:77/1"]["posted_at"] == "2026-09-21T14:14:20Z"
    assert items["telegram:77/2"]["mentions"] == [{"kind": "phone", "term": "+82 10-1234-5678"}]
    assert items["telegram:77/2"]["doxxing"] == ["phone"]
    assert (items["telegram:77/3"]["mentions"], items["telegram:77/3"]["doxxing"]) == ([], [])

    posters = cli("case", "posters", "room", "--json").json_lines()
    assert posters == [
        {"poster": "abuser1", "poster_id": "user111", "items": 2, "first_posted": "2026-09-21T14:14:20Z",
         "last_posted": "2026-09-21T14:17:20Z", "chats": ["Room"]},
        {"poster": "abuser2", "poster_id": "user222", "items": 1, "first_posted": "2026-09-21T14:15:20Z",
         "last_posted": "2026-09-21T14:15:20Z", "chats": ["Room"]},
    ]
    assert "abuser1" in cli("case", "posters", "room").out
