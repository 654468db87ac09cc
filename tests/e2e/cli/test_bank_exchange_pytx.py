"""Hash lists against python-threatexchange's own code: its local_file exchange loads ``reclaim bank export
--format pytx`` and its signal types validate every row; a pytx index built from that file finds the banked
image; pytx's ``dataset`` output imports; withdrawals survive a round trip through the CSV and StopNCII JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from threatexchange.exchanges.impl.file_api import FileCollaborationConfig, LocalFileSignalExchangeAPI
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from reclaim.synthetic.scenes import jpeg_bytes

PYTX_TYPES = {cls.get_name(): cls for cls in (PdqSignal, VideoMD5Signal)}
VIDEO_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _pytx_load(path: Path) -> dict[tuple[str, str], object]:
    config = FileCollaborationConfig(name="reclaim", api=LocalFileSignalExchangeAPI.get_name(), enabled=True,
                                     filename=str(path))
    deltas = list(LocalFileSignalExchangeAPI.for_collab(config).fetch_iter(list(PYTX_TYPES.values()), None))
    return {key: meta for delta in deltas for key, meta in delta.updates.items()}


def _resized(src: Path, dest: Path) -> Path:
    with Image.open(src) as im:
        dest.write_bytes(jpeg_bytes(im.convert("RGB").resize((im.width // 2, im.height // 2)), 80))
    return dest


def test_pytx_loads_our_export_validates_every_row_and_matches_the_banked_image(
        cli, database_url: str, known_jpeg: Path, decoy_png: Path, tmp_path: Path) -> None:
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg, decoy_png).code == 0
    (tmp_path / "video.csv").write_text(f"video_md5,{VIDEO_MD5}\n")
    assert cli("bank", "import", "known", tmp_path / "video.csv").code == 0
    assert cli("bank", "withdraw", "known", decoy_png.name).code == 0
    exported = cli("bank", "export", "known", "--format", "pytx")
    assert exported.code == 0, exported.err
    path = tmp_path / "known.txt"
    path.write_text(exported.out)
    loaded = _pytx_load(path)
    assert len(loaded) == len(exported.out.splitlines()) == 2  # known's pdq and the video's md5
    for name, signal in loaded:
        assert PYTX_TYPES[name].validate_signal_str(signal) == signal
    assert {name for name, _ in loaded} == {"pdq", "video_md5"}
    assert PdqSignal.hash_from_file(decoy_png) not in {s for _, s in loaded}  # withdrawn: left out
    index = PdqSignal.get_index_cls().build([(s, n) for (n, s) in loaded if n == "pdq"])
    query = PdqSignal.hash_from_file(_resized(known_jpeg, tmp_path / "smaller.jpg"))
    assert [m.metadata for m in index.query(query)] == ["pdq"]


@pytest.mark.slow
def test_pytx_dataset_output_imports(cli, database_url: str, tmp_path: Path) -> None:
    pytx = Path(sys.executable).with_name("threatexchange")
    env = {**os.environ, "HOME": str(tmp_path)}  # pytx keeps its state under ~/.threatexchange
    subprocess.run([pytx, "fetch"], env=env, check=True, capture_output=True)
    outputs = {}
    for name, flags in (("signals.txt", ["-P", "-S"]), ("signals.csv", ["-P", "--csv"])):
        ran = subprocess.run([pytx, "dataset", *flags], env=env, check=True, capture_output=True, text=True)
        (tmp_path / name).write_text(ran.stdout)
        outputs[name] = ran.stdout
    lines = [line.split(" ", 1) for line in outputs["signals.txt"].splitlines()]
    matchable = {(n, s) for n, s in lines if n in ("pdq", "video_md5", "video_sha256")}
    assert matchable and len(matchable) < len(lines)  # pytx's sample has text and url signals too
    for name in outputs:
        bank = name.replace(".", "_")
        assert cli("bank", "create", bank).code == 0
        imported = cli("bank", "import", bank, tmp_path / name)
        assert imported.code == 0, imported.err
        assert f"imported {len(matchable)} entries" in imported.out
        exported = cli("bank", "export", bank, "--format", "pytx").out.splitlines()
        assert {tuple(line.split(" ", 1)) for line in exported} == matchable


@pytest.mark.parametrize("fmt", ["hma-csv", "stopncii-json"])
def test_withdrawals_survive_a_round_trip(cli, database_url: str, known_jpeg: Path, tmp_path: Path,
                                         fmt: str) -> None:
    other = tmp_path / "other.jpg"
    with Image.open(known_jpeg) as im:
        other.write_bytes(jpeg_bytes(im.convert("RGB").rotate(90, expand=True), 90))
    assert cli("bank", "create", "src").code == 0
    assert cli("bank", "add", "src", known_jpeg, other).code == 0
    before = cli("bank", "export", "src", "--format", fmt).out  # both active, shared earlier
    assert cli("bank", "withdraw", "src", known_jpeg.name).code == 0
    after = cli("bank", "export", "src", "--format", fmt, "--include-withdrawn").out
    if fmt == "stopncii-json":
        statuses = {r["hashStatus"] for r in json.loads(after)["hashRecords"]}
        assert statuses == {"Active", "Withdrawn"}
    (tmp_path / "before").write_text(before)
    (tmp_path / "after").write_text(after)
    assert cli("bank", "create", "partner").code == 0
    assert cli("bank", "import", "partner", tmp_path / "after").code == 0
    assert cli("bank", "import", "partner", tmp_path / "before").code == 0  # an old list brings nothing back
    gone = cli("match", _resized(known_jpeg, tmp_path / "k.jpg"), "--bank", "partner", "--json").json_lines()
    assert not gone or gone[0]["matches"] == []
    kept = cli("match", other, "--bank", "partner", "--json").json_lines()
    assert kept[0]["matches"] and kept[0]["matches"][0]["bank"] == "partner"


def test_pytx_stopncii_reader_still_ignores_withdrawn_status(cli, database_url: str, known_jpeg: Path) -> None:
    """The gap the README warns partners about: pytx maps our Withdrawn record like an active one. When pytx
    fixes it, this fails, and the README's warning goes."""
    import enum

    import dacite
    from threatexchange.exchanges.clients.stopncii import api
    from threatexchange.exchanges.impl.stop_ncii_api import _get_delta_mapping

    assert cli("bank", "create", "src").code == 0
    assert cli("bank", "add", "src", known_jpeg).code == 0
    assert cli("bank", "withdraw", "src", known_jpeg.name).code == 0
    exported = json.loads(cli("bank", "export", "src", "--format", "stopncii-json", "--include-withdrawn").out)
    config = dacite.Config(cast=[enum.Enum, set])  # as pytx's StopNCII client parses records
    (record,) = [dacite.from_dict(api.StopNCIIHashRecord, r, config=config) for r in exported["hashRecords"]]
    assert record.hashStatus is api.StopNCIICaseStatus.Withdrawn
    (_, signal), metadata = _get_delta_mapping(record)
    assert signal == PdqSignal.hash_from_file(known_jpeg) and metadata is not None  # still "active" to pytx


def _hma_ids(csv_text: str) -> dict[str, int]:
    import csv
    import io

    return {row["content_id"]: int(row["hma_id"]) for row in csv.DictReader(io.StringIO(csv_text))}


def test_hma_content_ids_survive_export_and_import(cli, database_url: str, known_jpeg: Path, decoy_png: Path,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HMA's bank_content_id through ``bank export``/``bank import``: kept into an empty database, kept when above
    every id in use, renumbered and reported when taken; new content is then numbered after the kept ids."""
    assert cli("bank", "create", "src").code == 0
    assert cli("bank", "add", "src", known_jpeg, decoy_png).code == 0
    (tmp_path / "video.csv").write_text(f"video_md5,{VIDEO_MD5}\n")
    assert cli("bank", "import", "src", tmp_path / "video.csv").code == 0
    assert cli("bank", "withdraw", "src", decoy_png.name).code == 0
    exported = cli("bank", "export", "src", "--format", "hma-csv", "--include-withdrawn").out
    ids = _hma_ids(exported)
    assert sorted(ids.values()) == [1, 2, 3]
    listed = tmp_path / "src.csv"
    listed.write_text(exported)

    # elsewhere, an empty database: every id is kept, the withdrawn one stays withdrawn
    monkeypatch.setenv("RECLAIM_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    assert cli("bank", "create", "copy").code == 0
    imported = cli("bank", "import", "copy", listed)
    assert imported.code == 0 and "HMA content ids: 3 kept, 0 taken here and renumbered" in imported.out
    assert _hma_ids(cli("bank", "export", "copy", "--format", "hma-csv", "--include-withdrawn").out) == ids
    assert decoy_png.name not in cli("bank", "export", "copy", "--format", "hma-csv").out

    # back home (SQLite or PostgreSQL), ids 1-3 are taken: renumbered and shown; ids above every id kept
    monkeypatch.setenv("RECLAIM_DATABASE_URL", database_url)
    assert cli("bank", "create", "again").code == 0
    renumbered = cli("bank", "import", "again", listed)
    assert "HMA content ids: 0 kept, 3 taken here and renumbered" in renumbered.out
    for old in ids.values():
        assert f"HMA content id {old} -> " in renumbered.out
    again = _hma_ids(cli("bank", "export", "again", "--format", "hma-csv", "--include-withdrawn").out)
    assert sorted(again.values()) == [4, 5, 6]
    high = exported.replace(",1\n", ",101\n").replace(",2\n", ",102\n").replace(",3\n", ",103\n")
    (tmp_path / "high.csv").write_text(high)
    assert cli("bank", "create", "high").code == 0
    assert "3 kept" in cli("bank", "import", "high", tmp_path / "high.csv").out
    assert sorted(_hma_ids(cli("bank", "export", "high", "--format", "hma-csv", "--include-withdrawn").out)
                  .values()) == [101, 102, 103]
    (tmp_path / "later.csv").write_text(f"video_md5,{'0' * 32}\n")
    assert cli("bank", "import", "high", tmp_path / "later.csv").code == 0  # numbered after the kept ids
    assert max(_hma_ids(cli("bank", "export", "high", "--format", "hma-csv").out).values()) == 104
    bad = exported.replace(",1\n", ",one\n")
    (tmp_path / "bad.csv").write_text(bad)
    refused = cli("bank", "import", "high", tmp_path / "bad.csv")
    assert refused.code != 0 and "hma_id must be a positive integer" in refused.err
