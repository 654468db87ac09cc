"""Hostile chat exports and archives: each bad message is a skipped item with a reason, the rest is read, and
nesting costs neither memory nor recursion."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hostile_corpus import BIG_ID, empty_member_zip, hostile_export, hostile_names_zip, nested_html, nested_json
from reclaim.errors import SourceError
from reclaim.media import Limits
from reclaim.models import MediaItem, Skipped
from reclaim.sources.archive import ArchiveSource
from reclaim.sources.telegram import TelegramExportSource


def entries(target: Path) -> list[MediaItem | Skipped]:
    return list(TelegramExportSource(str(target)).iter_items())


def test_each_bad_json_message_is_skipped_with_a_reason_and_the_rest_read(tmp_path: Path) -> None:
    found = entries(hostile_export(tmp_path / "export"))
    got = {f.locator: (f.code if isinstance(f, Skipped) else "item") for f in found}
    assert got == {
        "telegram:1500/1": "item",
        "telegram:1500/?2": "bad_message",  # id 2^70
        "telegram:1500/?3": "bad_message",  # id "x"
        "telegram:1500/4": "bad_message",  # nested past the limit
        "telegram:1500/5": "bad_message",  # invalid UTF-8
        "telegram:1500/6": "path_escapes_root",
        "telegram:1500/7": "item",  # a date of 2^70 seconds is dropped, the message kept
    }
    reasons = {f.locator: f.reason for f in found if isinstance(f, Skipped)}
    assert str(BIG_ID) in reasons["telegram:1500/?2"] and "64 bits" in reasons["telegram:1500/?2"]
    assert "nests over 64 levels" in reasons["telegram:1500/4"]
    assert "has invalid UTF-8" in reasons["telegram:1500/5"]
    first = next(f for f in found if f.locator == "telegram:1500/1")
    assert isinstance(first, MediaItem) and first.path == (tmp_path / "export" / "photos" / "a.jpg").resolve()


def test_depth_at_the_limit_is_read(tmp_path: Path) -> None:
    found = entries(hostile_export(tmp_path / "export", depth_limit_case=50))
    assert isinstance(next(f for f in found if f.locator == "telegram:1500/4"), MediaItem)


@pytest.mark.parametrize("opener", ["[", "{"])
def test_a_maximally_nested_megabyte_export_reads_in_little_memory(tmp_path: Path, opener: str) -> None:
    """1 MB of '[[[[...' (500,000 levels) used to cost gigabytes: peak RSS of the whole process stays < 200 MB."""
    folder = tmp_path / "deep"
    folder.mkdir()
    (folder / "result.json").write_bytes(nested_json(1_000_000, opener))
    script = textwrap.dedent(f"""
        import re, sys
        def peak():  # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec)
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) // 1024
        from reclaim.sources.telegram import TelegramExportSource
        print(peak(), file=sys.stderr)
        found = list(TelegramExportSource({str(folder)!r}).iter_items())
        assert [f.code for f in found] == ["bad_message"], found
        print(peak())
    """)
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    peak_mb = int(out.stdout.strip())
    assert peak_mb < 200, f"peak RSS {peak_mb} MB ({out.stderr.strip()} MB after imports)"
    assert time.monotonic() - started < 60


def test_deeply_nested_html_is_read_without_recursion(tmp_path: Path) -> None:
    (tmp_path / "messages.html").write_text(nested_html(20_000))
    assert sys.getrecursionlimit() < 20_000
    (message,) = TelegramExportSource(str(tmp_path)).iter_messages()
    assert not isinstance(message, Skipped) and message.caption.endswith("deep")


def test_html_message_ids_too_big_are_skipped_each(tmp_path: Path) -> None:
    body = "".join(f'<div class="message default" id="message{n}"><div class="body"><div class="text">t</div>'
                   "</div></div>" for n in (BIG_ID, "9" * 5000, 3))
    (tmp_path / "messages.html").write_text(nested_html(1).replace(
        '<div class="message default" id="message1">', body + '<div class="message default" id="message1">'))
    found = list(TelegramExportSource(str(tmp_path)).iter_messages())
    assert [f.locator for f in found] == ["telegram:Deep/?1", "telegram:Deep/?2", "telegram:Deep/3",
                                          "telegram:Deep/1"]
    assert all(f.code == "bad_message" for f in found[:2] if isinstance(f, Skipped))


def test_archive_member_count_is_capped_before_reading(tmp_path: Path) -> None:
    archive = empty_member_zip(tmp_path / "many.zip", 2_001)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"many\.zip: 2,001 members, over the limit of 2,000"):
        list(ArchiveSource(str(archive), limits=Limits(max_archive_members=2_000)).iter_items())
    assert time.monotonic() - started < 5
    assert Limits().max_archive_members == 100_000


def test_archive_errors_name_the_member_not_the_spool(tmp_path: Path) -> None:
    found = list(ArchiveSource(str(hostile_names_zip(tmp_path / "names.zip"))).iter_items())
    escaped = [f for f in found if isinstance(f, Skipped)]
    assert [f.code for f in escaped] == ["path_escapes_root"] and "'../escape.jpg'" in escaped[0].reason
    assert all(f.locator.startswith(f"archive:{tmp_path / 'names.zip'}!") for f in found)


def test_a_scan_names_a_broken_archive_member_not_its_spool_copy(cli, tmp_path: Path) -> None:
    archive = hostile_names_zip(tmp_path / "names.zip")
    report = cli("scan", archive, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    failed = {f["path"]: f["error"] for f in report["failed"]}
    broken = failed[f"archive:{archive}!broken.jpg"]
    assert f"archive:{archive}!broken.jpg" in broken and "reclaim-archive-" not in broken
    assert not any("reclaim-archive-" in error for error in failed.values())


def test_verbose_shows_why_each_message_was_skipped_in_uvicorns_format(cli, tmp_path: Path) -> None:
    export = hostile_export(tmp_path / "export")
    quiet = cli("scan", export, "--case", "c1", "--workers", "1")
    assert "INFO:" not in quiet.err
    loud = cli("scan", export, "--case", "c2", "--workers", "1", "--verbose")
    assert loud.code in (0, 1)
    assert any(line.startswith("INFO:     reclaim.") for line in loud.err.splitlines()), loud.err


def test_zip_names_that_are_not_utf8_are_refused_not_raised(tmp_path: Path) -> None:
    """Found by fuzzing: a name flagged UTF-8 whose bytes are not raised UnicodeDecodeError out of the scan."""
    import zipfile

    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("\u00e9.jpg", b"x")  # non-ASCII: zipfile sets the UTF-8 flag
        zf.writestr("ok.jpg", b"y")
    data = good.read_bytes()
    both = tmp_path / "both.zip"
    both.write_bytes(data.replace(b"\xc3\xa9", b"\x8e\xa9"))  # local header and central directory
    with pytest.raises(SourceError, match=r"both\.zip: damaged archive"):
        list(ArchiveSource(str(both)).iter_items())
    local = tmp_path / "local.zip"
    local.write_bytes(data.replace(b"\xc3\xa9", b"\x8e\xa9", 1))  # the local header only
    found = list(ArchiveSource(str(local)).iter_items())
    assert [(f.locator.rsplit("!", 1)[1], getattr(f, "code", "item")) for f in found] == [
        ("\u00e9.jpg", "unreadable"), ("ok.jpg", "item")]


def test_tar_names_that_are_not_utf8_are_stored_escaped(cli, tmp_path: Path) -> None:
    import io
    import tarfile

    archive = tmp_path / "names.tar"
    with tarfile.open(archive, "w", encoding="utf-8", errors="surrogateescape") as tf:
        info = tarfile.TarInfo("bad\udc8e.jpg")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    report = cli("scan", archive, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    assert [f["path"] for f in report["failed"]] == [f"archive:{archive}!bad\\x8e.jpg"]


def test_a_lone_surrogate_read_by_the_python_parser_is_storable(tmp_path: Path) -> None:
    """An id past 64 bits sends the file to ijson's Python parser, which keeps "\\ud800" as a surrogate."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "result.json").write_bytes(
        b'{"name": "R\\ud800", "type": "private_group", "id": 1, "messages": ['
        b'{"id": 1180591620717411303424, "type": "message", "text": "x"},'
        b'{"id": 2, "type": "message", "photo": "(File not included.)", "text": "a\\udc00b"}]}')
    found = entries(folder)
    assert [f.locator for f in found] == ["telegram:1/?1", "telegram:1/2"]
    item = found[1]
    assert isinstance(item, MediaItem) and item.context["caption"] == "a?b" and item.context["chat_name"] == "R?"


def test_zip_versions_and_methods_python_cannot_read_are_refused_not_raised(tmp_path: Path) -> None:
    """Found by fuzzing: zipfile's NotImplementedError escaped the scan."""
    import struct
    import zipfile

    base = tmp_path / "base.zip"
    with zipfile.ZipFile(base, "w") as zf:
        zf.writestr("a.jpg", b"x")
        zf.writestr("b.jpg", b"y")
    data = base.read_bytes()
    central = data.index(b"PK\x01\x02")
    version = tmp_path / "version.zip"  # "version needed to extract" 18.4 in the central directory
    version.write_bytes(data[:central + 6] + struct.pack("<H", 184) + data[central + 8:])
    with pytest.raises(SourceError, match=r"version\.zip: damaged archive \(zip file version 18\.4\)"):
        list(ArchiveSource(str(version)).iter_items())
    method = tmp_path / "method.zip"  # compression method 99 for the first member, in both headers
    patched = bytearray(data)
    struct.pack_into("<H", patched, 8, 99)
    struct.pack_into("<H", patched, central + 10, 99)
    method.write_bytes(bytes(patched))
    found = list(ArchiveSource(str(method)).iter_items())
    assert [getattr(f, "code", "item") for f in found] == ["unreadable", "item"]


def test_a_media_path_with_a_nul_byte_is_skipped(tmp_path: Path) -> None:
    """Found by fuzzing the HTML parser: a NUL in an href raised ValueError out of the scan."""
    (tmp_path / "messages.html").write_text(nested_html(1).replace(
        '<div class="text">', '<div class="media_wrap"><a class="photo_wrap" href="photos/a\x00.jpg">p</a></div>'
        '<div class="text">'))
    (found,) = TelegramExportSource(str(tmp_path)).iter_items()
    assert isinstance(found, Skipped) and found.code == "unreadable_file" and "NUL" in found.reason


def test_a_zip_member_with_an_empty_name_is_refused_not_raised(tmp_path: Path) -> None:
    """Found by the long fuzzing run: zipfile's is_dir() indexes the name's last character (IndexError)."""
    import zipfile

    path = tmp_path / "empty-name.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo(""), b"x")
        zf.writestr("ok.jpg", b"y")
    found = list(ArchiveSource(str(path)).iter_items())
    assert [f.locator.rsplit("!", 1)[1] for f in found][-1] == "ok.jpg"
    assert all(isinstance(f, (Skipped, MediaItem)) for f in found)
