"""A 200 MB video-sized file goes in and out of the vault in bounded memory (measured in a fresh process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from hashlib import sha256
from pathlib import Path

import pytest

SIZE = 200 * 2**20
LIMIT = 64 * 2**20

MEASURE = """
import json, sys
from hashlib import sha256
from pathlib import Path
from reclaim.evidence import KdfParams, Vault


def peak_rss() -> int:
    # VmHWM, reset below: ru_maxrss would include the forking pytest parent (Linux keeps it across exec)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


root, src, dest = map(Path, sys.argv[1:])
vault = Vault.create(root, "pw", params=KdfParams(time_cost=1, memory_kib=1024, parallelism=1))
vault.get_bytes(vault.put_bytes(b"warm-up"), actor="test")  # lazy imports and caches before the baseline
Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the current RSS
base = peak_rss()
sha = vault.put_file(src)
vault.extract_to(sha, dest, actor="test")
digest = sha256()
with vault.open_stream(sha, actor="test") as stream:
    while block := stream.read(1 << 20):
        digest.update(block)
print(json.dumps({"sha": sha, "streamed": digest.hexdigest(), "growth": peak_rss() - base}))
"""


@pytest.mark.slow
def test_200mb_round_trip_in_bounded_memory(tmp_path: Path) -> None:
    src, expected = tmp_path / "video.mp4", sha256()
    with open(src, "wb") as fh:
        for n in range(SIZE // 2**20):
            block = n.to_bytes(8, "big") + os.urandom(2**20 - 8)
            expected.update(block)
            fh.write(block)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(tmp_path / "vault"), str(src), str(tmp_path / "out.mp4")],
        capture_output=True, text=True, timeout=600, check=True,
    )
    measured = json.loads(result.stdout)
    assert measured["sha"] == measured["streamed"] == expected.hexdigest()
    extracted = sha256()
    with open(tmp_path / "out.mp4", "rb") as fh:
        while block := fh.read(2**20):
            extracted.update(block)
    assert extracted.hexdigest() == expected.hexdigest()
    assert measured["growth"] < LIMIT, f"peak RSS grew by {measured['growth'] / 2**20:.1f} MiB"
    print(f"peak RSS growth for put + extract + stream of 200 MiB: {measured['growth'] / 2**20:.1f} MiB")
