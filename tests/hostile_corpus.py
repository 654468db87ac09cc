"""A hostile-input corpus, generated: what someone who made the abuse could put in an export or an archive.

Used by the parser tests, the fuzzers' seeds and the end-to-end test (scan -> review -> evidence -> takedown).
Every value that a person or a platform chose (chat names, posters, captions, file names, content ids) carries
markup, script, control characters and newlines.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from PIL import Image

SCRIPT = "<script>alert(document.domain)</script>"
MARKUP = "\"'><img src=x onerror=alert(1)><svg onload=alert(2)>"
CONTROL = "line one\r\nX-Injected: yes\n\x00\x1b[31m\x07\u2028\u2029\x85end"
HOSTILE = f"{SCRIPT}{MARKUP}{CONTROL}"
BIG_ID = 2**70


def jpeg(seed: int, size: int = 64) -> bytes:
    """A small benign picture, different for each seed."""
    image = Image.new("RGB", (size, size), ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(0, size, 8):
        for y in range(0, size, 8):
            if (x // 8 + y // 8 + seed) % 3 == 0:
                image.paste((255 - (seed * 37) % 256, 40, 90), (x, y, x + 8, y + 8))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def nested_json(size: int, opener: str = "[") -> bytes:
    """A single-chat export whose one message's text nests as deep as ``size`` bytes allow."""
    head = b'{"name": "Deep", "type": "private_group", "id": 1, "messages": [{"id": 1, "type": "message", "text": '
    tail = b'}]}'
    if opener == "[":
        depth = (size - len(head) - len(tail)) // 2
        body = b"[" * depth + b"]" * depth
    else:
        unit = b'{"a":'
        depth = (size - len(head) - len(tail) - 1) // (len(unit) + 1)
        body = unit * depth + b"1" + b"}" * depth
    return head + body + tail


def hostile_messages(photo: str = "photos/a.jpg") -> list[dict]:
    """Messages with hostile text everywhere, each kind of bad message, and one good photo among them."""
    return [
        {"id": 1, "type": "message", "date": "2026-01-01T00:00:00", "date_unixtime": "1767225600",
         "from": HOSTILE, "from_id": f"user{HOSTILE}", "forwarded_from": HOSTILE, "photo": photo,
         "text": [HOSTILE, {"type": "link", "text": "javascript:alert(3)"}]},
        {"id": BIG_ID, "type": "message", "photo": photo, "text": "an id of 2^70"},
        {"id": "x", "type": "message", "photo": photo, "text": "an id that is no number"},
        {"id": 4, "type": "message", "photo": photo, "text": [[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]},
        {"id": 5, "type": "message", "photo": photo, "text": "INVALID-UTF8"},
        {"id": 6, "type": "message", "photo": "../../outside.jpg", "text": "leaves the export"},
        {"id": 7, "type": "message", "date_unixtime": str(BIG_ID), "photo": photo, "text": HOSTILE},
    ]


def hostile_export(folder: Path, *, depth_limit_case: int = 80) -> Path:
    """A Telegram JSON export under ``folder``: a hostile chat name, the messages above (one nested past the
    depth limit, one with invalid UTF-8), and the photo they share."""
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    (folder / "photos" / "a.jpg").write_bytes(jpeg(1))
    messages = hostile_messages()
    messages[3]["text"] = _nest(depth_limit_case)
    doc = {"name": HOSTILE, "type": "private_supergroup", "id": 1500, "messages": messages}
    data = json.dumps(doc, ensure_ascii=False).encode()
    data = data.replace(b"INVALID-UTF8", b"bad \xff\xfe byte \xed\xa0\x80 surrogate")
    (folder / "result.json").write_bytes(data)
    return folder


def _nest(depth: int) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


def nested_html(depth: int) -> str:
    """A Desktop HTML page whose one message nests ``depth`` tags deep."""
    return ('<html><body><div class="page_header"><div class="content"><div class="text bold">Deep</div></div>'
            '</div><div class="history"><div class="message default" id="message1"><div class="body">'
            '<div class="text">' + "<b>" * depth + "deep" + "</b>" * depth + "</div></div></div></div></body></html>")


def empty_member_zip(path: Path, members: int) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for n in range(members):
            zf.writestr(f"m{n}.txt", b"")
    return path


def hostile_names_zip(path: Path) -> Path:
    """A zip whose member names traverse, carry markup and control characters, and one that is not a picture."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{SCRIPT}.jpg".replace("/", "_"), jpeg(2))
        zf.writestr("../escape.jpg", jpeg(3))
        zf.writestr("line\nbreak\x00.jpg", jpeg(4))
        zf.writestr("broken.jpg", b"\xff\xd8\xff not really a jpeg")
    return path
