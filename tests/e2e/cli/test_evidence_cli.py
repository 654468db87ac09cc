"""``reclaim evidence export|verify|log`` from the outside, and every tamper the bundle must reveal."""

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reclaim.cli.main import main
from reclaim.evidence.signing import SigningKey
from reclaim.synthetic.scenes import GLOBAL_EDITS, composite, jpeg_bytes, scene

PASS = "correct horse battery"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, faces: dict) -> tuple[Path, Path]:
    """Once per module (export is slow on purpose: Argon2id): a scanned, reviewed case and its bundle.

    Two re-uploads of a banked image and two decoys; returns (RECLAIM_HOME, bundle path).
    """
    root = tmp_path_factory.mktemp("evidence")
    known = root / "known.jpg"
    known.write_bytes(jpeg_bytes(composite(faces["astronaut"], seed=1), 92))
    folder = root / "found"
    folder.mkdir()
    with Image.open(known) as im:
        rgb = im.convert("RGB")
    (folder / "repost.jpg").write_bytes(jpeg_bytes(GLOBAL_EDITS["resize_0.5"](rgb), 75))
    (folder / "copy.jpg").write_bytes(known.read_bytes())
    for k in range(2):
        scene(seed=70 + k).save(folder / f"decoy_{k}.png")
    bundle = root / "out" / "bundle.zip"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RECLAIM_HOME", str(root / "home"))
        env.delenv("RECLAIM_DATABASE_URL", raising=False)
        env.setenv("RECLAIM_EXPORT_PASSPHRASE", PASS)
        for args in (
            ["bank", "create", "known"],
            ["bank", "add", "known", str(known), "--content-id", "victim-photo"],
            ["scan", str(folder), "--case", "c1"],
            ["case", "review", "c1", str(folder / "repost.jpg"), "--decision", "confirmed", "--reviewer",
             "officer-kim"],
            ["evidence", "export", "c1", "--out", str(bundle), "--include-originals"],
        ):
            assert main(args) == 0, args
    return root / "home", bundle


@pytest.fixture
def bundle(built: tuple[Path, Path]) -> Path:
    return built[1]


def verify(cli, path: Path, *extra: str) -> tuple[int, dict]:
    result = cli("evidence", "verify", path, "--json", *extra)
    (report,) = result.json_lines()
    return result.code, report


def rewrite(src: Path, dest: Path, change) -> Path:
    """Copy the bundle, letting ``change(members)`` edit the dict of member bytes."""
    with zipfile.ZipFile(src) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    change(members)
    with zipfile.ZipFile(dest, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dest


def test_export_verifies_and_contains_what_a_court_needs(cli, bundle: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RECLAIM_EXPORT_PASSPHRASE", PASS)
    code, report = verify(cli, bundle, "--check-originals")
    assert (code, report["problems"]) == (0, [])
    assert report["items"] == 4 and report["originals_checked"] == 2
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        html = zf.read("report.html").decode()
        pdf = zf.read("report.pdf")
    assert {"manifest.json", "manifest.sig", "public_key.pem", "custody.jsonl", "custody.sig", "report.pdf"} <= names
    assert len([n for n in names if n.startswith("thumbnails/")]) == 2
    flagged = {Path(i["locator"]).name: i for i in manifest["items"] if i["matches"]}
    assert set(flagged) == {"repost.jpg", "copy.jpg"}
    assert flagged["repost.jpg"]["review"]["decision"] == "confirmed"
    assert manifest["summary"]["flagged"] == 2 and manifest["summary"]["confirmed"] == 1
    assert "요약 / Summary" in html and "officer-kim" in html
    assert not any(n.startswith("originals/") and n.endswith(".jpg") for n in names)  # originals only encrypted
    # the thumbnail is a blurred preview, not the image: far from the original pixel for pixel
    with zipfile.ZipFile(bundle) as zf:
        thumb = Image.open(io.BytesIO(zf.read(next(n for n in names if n.startswith("thumbnails/")))))
        assert max(thumb.size) <= 256
    if shutil.which("pdftoppm"):
        (tmp_path / "report.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-singlefile", tmp_path / "report.pdf", tmp_path / "page"],
                       check=True)
        page = np.asarray(Image.open(tmp_path / "page.png").convert("L"))
        assert (page < 128).mean() > 0.005  # text (Korean included) was drawn, the page is not blank


def test_custody_log_records_acquisitions_reviews_and_exports(cli, built, monkeypatch) -> None:
    monkeypatch.setenv("RECLAIM_HOME", str(built[0]))
    entries = cli("evidence", "log", "c1", "--json").json_lines()
    actions = [e["action"] for e in entries]
    assert actions[0] == "custody.created"
    assert actions.count("item.acquired") == 4  # once per item, however often it was recorded
    assert actions.count("review.decided") == 1 and actions[-1] == "evidence.exported"
    decided = next(e for e in entries if e["action"] == "review.decided")
    assert decided["details"]["decision"] == "confirmed" and len(decided["object_sha256"]) == 64


def flip_first_byte_of(prefix: str):
    def change(members: dict[str, bytes]) -> None:
        name = next(n for n in sorted(members) if n.startswith(prefix))
        data = bytearray(members[name])
        data[len(data) // 2] ^= 0x01
        members[name] = bytes(data)
    return change


def drop_custody_line(index: int):
    def change(members: dict[str, bytes]) -> None:
        lines = members["custody.jsonl"].splitlines(keepends=True)
        del lines[index]
        members["custody.jsonl"] = b"".join(lines)
    return change


def swap_custody_lines(members: dict[str, bytes]) -> None:
    lines = members["custody.jsonl"].splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    members["custody.jsonl"] = b"".join(lines)


def insert_custody_line(members: dict[str, bytes]) -> None:
    lines = members["custody.jsonl"].splitlines(keepends=True)
    members["custody.jsonl"] = b"".join(lines[:2] + [lines[1]] + lines[2:])


def resign_with_another_key(members: dict[str, bytes]) -> None:
    other = SigningKey.generate()
    sig = json.loads(members["manifest.sig"])
    sig.update(public_key=other.public_key.hex, signature=other.sign(members["manifest.json"]).hex())
    members["manifest.sig"] = json.dumps(sig).encode()
    members["public_key.pem"] = other.public_key.pem()


def edit_manifest(members: dict[str, bytes]) -> None:
    members["manifest.json"] = members["manifest.json"].replace(b"officer-kim", b"officer-lee")


@pytest.mark.parametrize(("change", "expected"), [
    (flip_first_byte_of("thumbnails/"), "thumbnails/"),
    (flip_first_byte_of("report.pdf"), "report.pdf: sha256 differs"),
    (flip_first_byte_of("originals/objects/"), "originals/objects/"),
    (edit_manifest, "manifest.json: signature does not match"),
    (drop_custody_line(2), "custody log:"),
    (drop_custody_line(-1), "custody log:"),
    (swap_custody_lines, "custody log:"),
    (insert_custody_line, "custody log:"),
    (resign_with_another_key, "custody log:"),
])
def test_every_tamper_is_detected_precisely(cli, bundle: Path, tmp_path: Path, change, expected: str) -> None:
    tampered = rewrite(bundle, tmp_path / "tampered.zip", change)
    code, report = verify(cli, tampered)
    assert code == 4
    assert any(expected in p for p in report["problems"]), report["problems"]


def test_an_added_file_is_reported(cli, bundle: Path, tmp_path: Path) -> None:
    tampered = rewrite(bundle, tmp_path / "t.zip", lambda m: m.__setitem__("thumbnails/extra.jpg", b"x"))
    assert verify(cli, tampered)[1]["problems"] == [
        "thumbnails/extra.jpg: in the bundle but not listed in the manifest (added later?)"]


def test_wrong_originals_passphrase_is_one_clear_problem(cli, bundle: Path, monkeypatch) -> None:
    monkeypatch.setenv("RECLAIM_EXPORT_PASSPHRASE", "not the passphrase")
    code, report = verify(cli, bundle, "--check-originals")
    assert code == 4 and len(report["problems"]) == 1 and "wrong passphrase" in report["problems"][0]


def test_verify_on_a_machine_that_never_saw_the_case(cli, bundle: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RECLAIM_HOME", str(tmp_path / "elsewhere"))
    assert verify(cli, bundle)[0] == 0
    assert not (tmp_path / "elsewhere").exists()


def test_not_a_zip(cli, tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_text("hello")
    result = cli("evidence", "verify", fake)
    assert result.code == 4 and "not a readable zip archive" in result.err


def test_vault_acquire_preview_and_logged_unblur(cli, built, monkeypatch, tmp_path: Path) -> None:
    home, bundle = built
    monkeypatch.setenv("RECLAIM_HOME", str(home))
    monkeypatch.setenv("RECLAIM_VAULT_PASSPHRASE", "vault passphrase 1")
    acquired = cli("evidence", "acquire", "c1")
    assert acquired.code == 0 and "vaulted 2 originals" in acquired.out
    assert "vaulted 0 originals (2 were already" in cli("evidence", "acquire", "c1").out
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    sha = next(i["sha256"] for i in manifest["items"] if i["locator"].endswith("copy.jpg"))
    blurred, clear = tmp_path / "b.jpg", tmp_path / "c.jpg"
    assert cli("evidence", "preview", "c1", sha, "--out", blurred).code == 0
    assert cli("evidence", "preview", "c1", sha, "--out", clear, "--unblur").code == 0
    with Image.open(blurred) as b, Image.open(clear) as c:
        assert max(b.size) <= 256 and c.size == (640, 480)
    actions = [(e["action"], e["object_sha256"]) for e in cli("evidence", "log", "c1", "--json").json_lines()]
    assert actions.count(("media.vaulted", sha)) == 1
    assert ("media.unblurred", sha) in actions and actions.count(("media.read", sha)) == 2
    monkeypatch.setenv("RECLAIM_VAULT_PASSPHRASE", "wrong passphrase")
    wrong = cli("evidence", "preview", "c1", sha, "--out", blurred)
    assert wrong.code == 2 and "wrong passphrase" in wrong.err


def rekey_everything(members: dict[str, bytes]) -> None:
    """The forgery a valid signature cannot reveal: a new key signs the manifest and the custody head."""
    from reclaim.evidence.chain import SignedHead

    other = SigningKey.generate()
    sig = json.loads(members["manifest.sig"])
    sig.update(public_key=other.public_key.hex, signature=other.sign(members["manifest.json"]).hex())
    members["manifest.sig"] = json.dumps(sig).encode()
    members["public_key.pem"] = other.public_key.pem()
    head = json.loads(members["custody.sig"])
    head["public_key"] = other.public_key.hex
    unsigned = SignedHead(**{k: v for k, v in head.items() if k not in ("format", "version", "signature")},
                          signature="")
    head["signature"] = other.sign(unsigned.message()).hex()
    members["custody.sig"] = json.dumps(head).encode()


def test_a_rekeyed_bundle_verifies_only_until_the_key_is_checked(cli, bundle: Path, tmp_path: Path) -> None:
    _, genuine = verify(cli, bundle)
    fingerprint = genuine["key_fingerprint"]
    assert len(fingerprint) == 64 and genuine["key_expected"] is False
    forged = rewrite(bundle, tmp_path / "forged.zip", rekey_everything)
    forged_code, forged_report = verify(cli, forged)
    assert forged_code == 0 and forged_report["key_fingerprint"] != fingerprint  # the signatures are all valid
    shown = cli("evidence", "verify", forged)
    assert f"signed by key {forged_report['key_fingerprint']}" in shown.out and "out of band" in shown.out
    code, report = verify(cli, forged, "--expect-key", fingerprint)
    assert code == 4 and report["problems"] == [
        f"public_key.pem: the bundle is signed by key {forged_report['key_fingerprint']}, not the expected key "
        f"{fingerprint}; it was not exported by that key's holder"]
    spaced = " ".join(fingerprint[i:i + 4].upper() for i in range(0, 64, 4))
    assert verify(cli, bundle, "--expect-key", spaced)[1]["key_expected"] is True
    with zipfile.ZipFile(bundle) as zf:
        (tmp_path / "exporter.pem").write_bytes(zf.read("public_key.pem"))
    assert verify(cli, bundle, "--expect-key", tmp_path / "exporter.pem")[0] == 0
    assert verify(cli, forged, "--expect-key", tmp_path / "exporter.pem")[0] == 4
    bad = cli("evidence", "verify", bundle, "--expect-key", "abc")
    assert bad.code == 2 and "not a key fingerprint" in bad.err


def test_a_duplicate_entry_fails_even_when_the_last_copy_is_genuine(cli, bundle: Path, tmp_path: Path) -> None:
    """unzip shows the first report.html (forged), Python's zipfile reads the last (genuine)."""
    forged = tmp_path / "duplicate.zip"
    with (zipfile.ZipFile(bundle) as src, zipfile.ZipFile(forged, "w") as out,
          pytest.warns(UserWarning, match="Duplicate name")):  # zipfile warns; a forger does not care
        out.writestr("report.html", b"<h1>forged</h1>")
        for info in src.infolist():
            out.writestr(info, src.read(info))
    code, report = verify(cli, forged)
    assert code == 4 and any("report.html: appears twice in the zip" in p for p in report["problems"])


def test_unexpected_entries_fail(cli, bundle: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(odd, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        out.writestr("thumbnails/", b"")
        out.writestr("./report.html", b"x")
    code, report = verify(cli, odd)
    assert code == 4
    assert "'thumbnails/': unexpected entry (an export writes only plain file names)" in report["problems"]
    assert "'./report.html': unexpected entry (an export writes only plain file names)" in report["problems"]
