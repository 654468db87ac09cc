"""Crash safety of the vault with a real process killed by SIGKILL while it writes objects."""

from __future__ import annotations

import time
from hashlib import sha256
from pathlib import Path

from evidence_procs import kill, run_until

from reclaim.evidence import KdfParams, Vault

WRITER = """
import os
from pathlib import Path
from reclaim.evidence import Vault
vault = Vault.open(Path({root!r}), "pw")
block = os.urandom(2**20) * 8  # 8 segments: long enough for the kill to land inside put_file
n = 0
while True:
    src = Path({src!r}) / f"{{n}}.bin"
    src.write_bytes(n.to_bytes(8, "big") + block)
    print(vault.put_file(src), src, flush=True)
    n += 1
"""


def test_sigkill_while_writing_the_vault_loses_nothing_stored(tmp_path: Path) -> None:
    root, src = tmp_path / "vault", tmp_path / "src"
    src.mkdir()
    Vault.create(root, "pw", params=KdfParams(time_cost=1, memory_kib=1024, parallelism=1))
    acked: dict[str, Path] = {}
    for round_, delay in enumerate([0.0, 0.03]):
        (src / str(round_)).mkdir()
        proc, acks = run_until(WRITER.format(root=str(root), src=str(src / str(round_))), 2 + round_)
        time.sleep(delay)
        kill(proc)
        assert len(acks) == 2 + round_
        acked.update({sha: Path(path) for sha, path in (line.split(" ", 1) for line in acks)})
        vault = Vault.open(root, "pw")  # removes the killed writer's partial temp file
        assert not list((root / "tmp").iterdir())
        stored = set(vault.list())
        assert set(acked) <= stored
        for sha in stored:  # whatever made it under its final name is complete and authentic
            assert sha256(vault.get_bytes(sha, actor="test")).hexdigest() == sha
        for sha, path in acked.items():
            assert vault.get_bytes(sha, actor="test") == path.read_bytes()
