"""The ``reclaim hash`` contract other tools rely on: keys, order, exit codes, no tracebacks."""

import re
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image


def test_hash_json_contract(cli, known_jpeg: Path, decoy_png: Path) -> None:
    result = cli("hash", known_jpeg, decoy_png, "--json", "--full-resolution")
    assert result.code == 0, result.err
    lines = result.json_lines()
    assert [line["path"] for line in lines] == [str(known_jpeg), str(decoy_png)]
    for line in lines:
        assert set(line) == {"path", "sha256", "md5", "pdq", "pdq_quality"}
        assert re.fullmatch(r"[0-9a-f]{64}", line["pdq"]) and re.fullmatch(r"[0-9a-f]{64}", line["sha256"])
        assert 0 <= line["pdq_quality"] <= 100
    with Image.open(decoy_png) as im:
        bits, quality = pdqhash.compute(np.asarray(im.convert("RGB")))
    assert lines[1]["pdq"] == np.packbits(bits.astype(np.uint8)).tobytes().hex()
    assert lines[1]["pdq_quality"] == quality


def test_usage_errors_exit_2(cli) -> None:
    assert cli("hash").code == 2
    assert cli("hash", "--bogus", "x").code == 2
    assert cli("no-such-command").code == 2


def test_missing_file_is_reported_and_others_still_print(cli, known_jpeg: Path, tmp_path: Path) -> None:
    result = cli("hash", tmp_path / "gone.jpg", known_jpeg, "--json")
    assert result.code == 1
    first, second = result.json_lines()
    assert first == {"path": str(tmp_path / "gone.jpg"), "error": f"{tmp_path / 'gone.jpg'}: no such file"}
    assert second["path"] == str(known_jpeg) and "pdq" in second
    assert "Traceback" not in result.err
