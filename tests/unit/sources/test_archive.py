"""Zip and tar archives: every regular member becomes an item; traversal, links, bombs, lying headers,
encryption and damage are refused one member (or one archive) at a time, with a one-line reason."""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from reclaim.errors import SourceError
from reclaim.media import Limits
from reclaim.models import MediaItem, Skipped
from reclaim.sources import ArchiveSource, TelegramExportSource, source_for
from reclaim.sources.archive import safe_name


def jpeg(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (seed * 40 % 256, 90, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def make_zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, (2026, 11, 1, 12, 0, 0))
            info.compress_type = compression
            archive.writestr(info, data)
    return path


def make_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_790_000_000
            archive.addfile(info, io.BytesIO(data))
    return path


def listed(source: ArchiveSource) -> tuple[dict[str, bytes], dict[str, Skipped]]:
    items, skipped = {}, {}
    for entry in source.iter_items():
        member = entry.locator.split("!", 1)[1]
        if isinstance(entry, MediaItem):
            assert entry.path is not None
            items[member] = entry.path.read_bytes()
        else:
            skipped[member] = entry
    return items, skipped


@pytest.mark.parametrize("suffix", [".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"])
def test_every_format_yields_its_files_with_their_bytes(tmp_path: Path, suffix: str) -> None:
    members = {"a.jpg": jpeg(1), "sub/b.jpg": jpeg(2), "notes.txt": b"hello"}
    path = tmp_path / f"seized{suffix}"
    if suffix == ".zip":
        make_zip(path, members)
    else:
        mode = {".tar": "w", ".tar.gz": "w:gz", ".tgz": "w:gz", ".tar.bz2": "w:bz2", ".tar.xz": "w:xz"}[suffix]
        make_tar(path, members, mode)
    source = source_for(str(path))
    assert isinstance(source, ArchiveSource)
    items, skipped = listed(source)
    assert items == members and skipped == {}
    first = next(iter(source.iter_items()))
    assert first.locator == f"archive:{path}!a.jpg"
    assert first.context["member"] == "a.jpg" and first.context["source"] == "archive"  # type: ignore[union-attr]


def test_members_that_leave_the_archive_are_never_written(tmp_path: Path) -> None:
    evil = {"../evil.jpg": jpeg(1), "/etc/cron.d/x": b"x", "a/../../b.jpg": jpeg(2), "C:/win.jpg": b"w",
            "..\\up.jpg": b"u", "fine.jpg": jpeg(3)}
    source = ArchiveSource(str(make_zip(tmp_path / "evil.zip", evil)))
    items, skipped = listed(source)
    assert list(items) == ["fine.jpg"]
    assert set(skipped) == set(evil) - {"fine.jpg"}
    assert all(s.code == "path_escapes_root" and "leaves the archive" in s.reason for s in skipped.values())
    assert not (tmp_path / "evil.jpg").exists() and not (tmp_path.parent / "b.jpg").exists()
    assert [p.name for p in source.spool.iterdir()] == ["0000005.jpg"]  # only our own names, only inside


def test_links_and_devices_in_a_tar_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "links.tar"
    with tarfile.open(path, "w") as archive:
        for name, kind in (("to-passwd", tarfile.SYMTYPE), ("hard", tarfile.LNKTYPE), ("fifo", tarfile.FIFOTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            archive.addfile(info)
        info = tarfile.TarInfo("real.jpg")
        data = jpeg(4)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    items, skipped = listed(ArchiveSource(str(path)))
    assert list(items) == ["real.jpg"]
    assert {k: s.code for k, s in skipped.items()} == {"to-passwd": "not_a_file", "hard": "not_a_file",
                                                         "fifo": "not_a_file"}


def test_a_zip_bomb_is_refused_by_its_ratio_before_inflating(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * (64 << 20), "ok.jpg": jpeg(5)})
    assert bomb.stat().st_size < 200_000
    items, skipped = listed(ArchiveSource(str(bomb)))
    assert list(items) == ["ok.jpg"]
    assert "refused as a decompression bomb" in skipped["zeros.bin"].reason


def test_total_and_member_limits_apply(tmp_path: Path) -> None:
    stored = make_zip(tmp_path / "big.zip", {f"{k}.bin": bytes([k]) * 4000 for k in range(5)},
                      compression=zipfile.ZIP_STORED)
    items, skipped = listed(ArchiveSource(str(stored), limits=replace(Limits(), max_archive_bytes=10_000)))
    assert sorted(items) == ["0.bin", "1.bin"] and len(skipped) == 3
    assert all("past 10,000 bytes unpacked" in s.reason for s in skipped.values())
    items, skipped = listed(ArchiveSource(str(stored), limits=replace(Limits(), max_file_bytes=3000)))
    assert items == {} and all("over the limit of 3,000" in s.reason for s in skipped.values())


def test_an_archive_of_too_many_entries_is_refused_whole(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "many.zip", {f"{k}.txt": b"x" for k in range(50)})
    with pytest.raises(SourceError, match=r"many\.zip: 50 members, over the limit of 40; not read"):
        list(ArchiveSource(str(path), limits=replace(Limits(), max_archive_members=40)).iter_items())
    assert len(list(ArchiveSource(str(path)).iter_items())) == 50


def test_a_member_whose_header_understates_its_size_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "liar.zip", {"liar.jpg": b"A" * 50_000, "ok.jpg": jpeg(6)})
    data = bytearray(path.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # local header and central directory: size says 100
        at = data.find(header)
        offset = 22 if header == b"PK\x03\x04" else 24
        data[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    items, skipped = listed(ArchiveSource(str(path)))
    assert list(items) == ["ok.jpg"]
    assert skipped["liar.jpg"].code in ("too_large", "unreadable")
    assert "liar.jpg" in skipped["liar.jpg"].reason


def test_encrypted_members_are_skipped(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "enc.zip", {"secret.jpg": jpeg(7), "open.jpg": jpeg(8)})
    data = bytearray(path.read_bytes())
    for header, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set bit 0 (encrypted) on the first entry
        at = data.find(header)
        data[at + flag_at] |= 1
    path.write_bytes(bytes(data))
    items, skipped = listed(ArchiveSource(str(path)))
    assert list(items) == ["open.jpg"]
    assert skipped["secret.jpg"].code == "encrypted"


def test_a_damaged_archive_is_one_clear_error(tmp_path: Path) -> None:
    good = make_tar(tmp_path / "x.tar.gz", {f"{k}.jpg": jpeg(k) for k in range(20)})
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(SourceError, match=r"cut\.tar\.gz: (damaged archive|not a zip or tar)"):
        list(ArchiveSource(str(cut)).iter_items())
    (tmp_path / "text.zip").write_text("not an archive")
    with pytest.raises(SourceError, match="not a zip or tar archive"):
        ArchiveSource(str(tmp_path / "text.zip"))


def test_resume_after_a_locator_and_mtimes_kept(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "r.zip", {f"{k}.jpg": jpeg(k) for k in range(4)})
    every = [i.locator for i in ArchiveSource(str(path)).iter_items()]
    source = ArchiveSource(str(path))  # kept: its spool holds the copies
    rest = list(source.iter_items(resume_after=every[1]))
    assert [i.locator for i in rest] == every[2:]
    copy = rest[0].path  # type: ignore[union-attr]
    assert copy.stat().st_mtime == pytest.approx(1_793_534_400, abs=2)  # 2026-11-01 12:00 UTC, from the zip


def test_the_spool_goes_with_the_source(tmp_path: Path) -> None:
    source = ArchiveSource(str(make_zip(tmp_path / "s.zip", {"a.jpg": jpeg(1)})))
    list(source.iter_items())
    spool = source.spool
    assert spool.exists()
    del source
    import gc

    gc.collect()
    assert not spool.exists()


@pytest.mark.parametrize("top", ["", "ChatExport_2026-11-01/"])
def test_a_zipped_telegram_export_gives_the_items_of_the_export(evals: Path, tmp_path: Path, top: str) -> None:
    export = evals / "telegram" / "tg2md_test_channel"
    members = {f"{top}{p.relative_to(export)}": p.read_bytes() for p in sorted(export.rglob("*")) if p.is_file()}
    zipped = ArchiveSource(str(make_zip(tmp_path / "export.zip", members)))
    plain = list(TelegramExportSource(str(export)).iter_items())

    def key(entry: MediaItem | Skipped) -> tuple:
        if isinstance(entry, Skipped):
            return (entry.locator, entry.code)
        context = {k: v for k, v in entry.context.items() if k != "media_path"}
        return (entry.locator, entry.path.read_bytes() if entry.path else None, sorted(context.items(), key=str))

    got = list(zipped.iter_items())
    assert len(got) == len(plain) == 9
    assert [key(e) for e in got] == [key(e) for e in plain]


def test_safe_name() -> None:
    assert str(safe_name("a/./b/c.jpg")) == "a/b/c.jpg"
    assert [safe_name(n) for n in ("../x", "/x", "x/../../y", "C:x", "a\\b", "", "./")] == [None] * 7
