"""Fuzz targets: the Telegram JSON and HTML parsers and the archive reader, fed arbitrary bytes.

Each target writes its input where the parser expects a file and reads it whole; the only failure it may
raise is ``SourceError`` (a one-line refusal of the whole input). Anything else — a crash, a RecursionError,
a MemoryError, an unhandled UnicodeError — is a bug. Hypothesis drives them (atheris does not build for this
Python): ``test_fuzz_parsers.py`` for a short run in CI, ``long_run.py`` for a long one.
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import tempfile
import warnings
import zipfile
from pathlib import Path

from hypothesis import strategies as st

from reclaim.errors import SourceError
from reclaim.models import MediaItem, Skipped
from reclaim.sources.archive import ArchiveSource
from reclaim.sources.telegram import TelegramExportSource
from reclaim.sources.telegram_common import TelegramMessage

SEED_JSON = json.dumps({"name": "R", "type": "private_supergroup", "id": 1, "messages": [
    {"id": 1, "type": "message", "date": "2026-01-01T00:00:00", "date_unixtime": "1767225600", "from": "p",
     "from_id": "user1", "photo": "photos/a.jpg", "text": ["x", {"type": "bold", "text": "y"}]},
    {"id": 2, "type": "service", "actor": "a", "action": "pin_message", "text": ""}]}).encode()
SEED_HTML = ('<html><body><div class="page_header"><div class="content"><div class="text bold">Room</div></div>'
             '</div><div class="history"><div class="message default clearfix" id="message3"><div class="body">'
             '<div class="pull_right date details" title="01.07.2026 00:08:03 UTC+08:00">00:08</div>'
             '<div class="from_name">Eve</div><div class="media_wrap clearfix"><a class="photo_wrap clearfix '
             'pull_left" href="photos/a.jpg"><img class="photo" src="photos/a.jpg"></a></div>'
             '<div class="text">hi<br>there</div></div></div></div></body></html>')

TOKENS = [b"{", b"}", b"[", b"]", b",", b":", b'"messages"', b'"id"', b'"text"', b'"photo"', b'"chats"',
          b'"list"', b'"name"', b"1", b"-1", b"1180591620717411303424", b"1e999", b'"\\ud800"', b'"\xff"',
          b"null", b"true", b'"x"', b'"../a"', b"\x00", b" "]
HTML_TOKENS = ["<div>", "</div>", '<div class="message default" id="message', '">', '<div class="body">',
               '<div class="text">', "<br>", '<a class="photo_wrap" href="', "../x", "&amp;", "&#0;", "<b>",
               "</b>", '<div class="from_name">', "99999999999999999999999", "\x00", "\udcff", "<!--", "-->"]


def json_inputs() -> st.SearchStrategy[bytes]:
    """Raw bytes, token soups (deep nesting, huge numbers, bad escapes) and byte-level mutations of a seed."""
    mutated = st.tuples(st.integers(0, len(SEED_JSON)), st.integers(0, 64), st.binary(max_size=64)).map(
        lambda t: SEED_JSON[:t[0]] + t[2] + SEED_JSON[t[0] + t[1]:])
    soup = st.lists(st.sampled_from(TOKENS), max_size=400).map(b"".join)
    wrapped = soup.map(lambda body: b'{"name":"R","id":1,"messages":[' + body + b"]}")
    return st.one_of(st.binary(max_size=512), mutated, soup, wrapped)


def html_inputs() -> st.SearchStrategy[str]:
    mutated = st.tuples(st.integers(0, len(SEED_HTML)), st.integers(0, 64), st.text(max_size=64)).map(
        lambda t: SEED_HTML[:t[0]] + t[2] + SEED_HTML[t[0] + t[1]:])
    soup = st.lists(st.sampled_from(HTML_TOKENS), max_size=400).map(
        lambda parts: SEED_HTML.replace('<div class="history">', '<div class="history">' + "".join(parts)))
    return st.one_of(st.text(max_size=512), mutated, soup)


def archive_inputs() -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, zips and tars with hostile names and contents, and byte mutations of those."""
    names = st.one_of(st.text(max_size=40), st.sampled_from(
        ["../x", "/abs", "C:\\x", "a/../../b", "result.json", "messages.html", "photos/a.jpg", "", ".", "a/"]))
    entries = st.lists(st.tuples(names, st.binary(max_size=64)), max_size=8)
    zipped = entries.map(_zip)
    tarred = entries.map(_tar)
    mutated = st.tuples(st.one_of(zipped, tarred), st.integers(0, 2000), st.binary(min_size=1, max_size=16)).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + len(t[2]):])
    return st.one_of(st.binary(max_size=512), zipped, tarred, mutated)


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are wanted: hostile zips have them
        for name, data in entries:
            try:
                zf.writestr(name or "empty", data)
            except (ValueError, UnicodeError, IndexError):  # names zipfile itself cannot write ("/")
                continue
    return out.getvalue()


def _tar(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name or "empty")
            info.size = len(data)
            try:
                tf.addfile(info, io.BytesIO(data))
            except (ValueError, UnicodeError, tarfile.TarError):
                continue
    return out.getvalue()


def _check(entries: list[object]) -> None:
    for entry in entries:
        assert isinstance(entry, MediaItem | Skipped | TelegramMessage), entry
        entry.locator.encode("utf-8")  # type: ignore[union-attr]  # storable as the scan stores it: no surrogates
        json.dumps(getattr(entry, "context", None) or {}, ensure_ascii=False).encode("utf-8")


def run_json(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="reclaim-fuzz-") as tmp:
        (Path(tmp) / "result.json").write_bytes(data)
        with contextlib.suppress(SourceError):
            _check(list(TelegramExportSource(tmp).iter_items()))


def run_html(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="reclaim-fuzz-") as tmp:
        (Path(tmp) / "messages.html").write_text(text, encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(SourceError):
            _check(list(TelegramExportSource(tmp).iter_items()))


def run_archive(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="reclaim-fuzz-") as tmp:
        for suffix in (".zip", ".tar"):
            path = Path(tmp) / f"input{suffix}"
            path.write_bytes(data)
            try:
                source = ArchiveSource(str(path))
                _check(list(source.iter_items()))
            except SourceError:
                pass
