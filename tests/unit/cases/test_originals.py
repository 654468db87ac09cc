"""The preview rule: an item's original is only ever bytes whose sha256 is the item's (DESIGN rule 5)."""

import hashlib
import zipfile
from pathlib import Path

import pytest

from reclaim.cases.originals import Original, Unavailable, verified_original
from reclaim.vault.keys import KdfParams
from reclaim.vault.store import Vault


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def scanned(tmp_path: Path) -> tuple[Path, Path, bytes]:
    root = tmp_path / "found"
    root.mkdir()
    data = b"the evidence" * 100
    (root / "a.jpg").write_bytes(data)
    return root, root / "a.jpg", data


def test_unchanged_file_is_returned(scanned) -> None:
    root, file, data = scanned
    got = verified_original(sha(data), str(file), {}, str(root))
    assert isinstance(got, Original) and got.data == data and got.source == "file"


def test_replaced_file_is_refused(scanned) -> None:
    root, file, data = scanned
    file.write_bytes(b"something else")
    got = verified_original(sha(data), str(file), {}, str(root))
    assert isinstance(got, Unavailable)
    assert got.message == "original not available: the file has changed since the scan (its sha256 differs)"


def test_missing_file_and_missing_scan(scanned) -> None:
    root, file, data = scanned
    assert isinstance(verified_original(sha(data), str(file), {}, None), Unavailable)
    file.unlink()
    assert "no longer where" in verified_original(sha(data), str(file), {}, str(root)).message  # type: ignore[union-attr]


def test_symlink_out_of_the_root_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "found"
    root.mkdir()
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"outside the scan")
    (root / "link.jpg").symlink_to(outside)
    got = verified_original(sha(b"outside the scan"), str(root / "link.jpg"), {}, str(root))
    assert isinstance(got, Unavailable) and "outside the scanned folder" in got.reason


def test_export_media_path_cannot_leave_the_export(tmp_path: Path) -> None:
    export = tmp_path / "export"
    (export / "photos").mkdir(parents=True)
    (export / "result.json").write_text("{}")
    (tmp_path / "beside.jpg").write_bytes(b"beside")
    (export / "photos" / "p.jpg").write_bytes(b"inside")
    inside = verified_original(sha(b"inside"), "telegram:c/1", {"media_path": "photos/p.jpg"},
                               str(export / "result.json"))
    assert isinstance(inside, Original)
    escaped = verified_original(sha(b"beside"), "telegram:c/2", {"media_path": "../beside.jpg"},
                                str(export / "result.json"))
    assert isinstance(escaped, Unavailable)


def test_zipped_export_never_resolves_beside_the_archive(tmp_path: Path) -> None:
    """A hostile archive naming 'beside.jpg' must not make the preview show the file next to it."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("result.json", "{}")
    (tmp_path / "beside.jpg").write_bytes(b"beside")
    got = verified_original(sha(b"beside"), "telegram:c/1", {"media_path": "beside.jpg"}, str(archive))
    assert isinstance(got, Unavailable) and "archive" in got.reason
    member = verified_original(sha(b"beside"), f"archive:{archive}!beside.jpg",
                               {"source": "archive", "archive": str(archive), "member": "beside.jpg"}, str(archive))
    assert isinstance(member, Unavailable)


def test_vault_copy_counts_when_the_file_is_gone(scanned, tmp_path: Path) -> None:
    root, file, data = scanned
    vault = Vault.create(tmp_path / "vault", "pw", params=KdfParams(time_cost=1, memory_kib=1024, parallelism=1))
    vault.put_bytes(data)
    file.write_bytes(b"replaced")
    got = verified_original(sha(data), str(file), {}, str(root), vault=vault)
    assert isinstance(got, Original) and got.source == "vault" and got.data == data
