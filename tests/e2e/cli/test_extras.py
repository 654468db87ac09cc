"""A base install (no extras) still runs ``reclaim``; a command that needs an extra says which, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

# Run ``reclaim`` as if the extras' modules were not installed (None in sys.modules: their import fails).
HIDDEN = ("cv2", "faiss", "dlib", "uvicorn")
RUN = ("import sys; sys.modules.update(dict.fromkeys({hidden!r})); sys.argv = ['reclaim', *{args!r}]; "
       "from reclaim.cli.main import main; sys.exit(main())")


def reclaim_without_extras(*args: str) -> subprocess.CompletedProcess[str]:
    code = RUN.format(hidden=HIDDEN, args=list(args))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_cli_starts_and_hashes_without_any_extra(tmp_path: Path) -> None:
    picture = tmp_path / "p.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(picture)
    done = reclaim_without_extras("hash", str(picture))
    assert done.returncode == 0, done.stderr
    assert "pdq" in done.stdout.lower()


@pytest.mark.parametrize(("args", "message"), [
    (["demo", "--out", "OUT"], "reclaim demo needs dlib, cv2, faiss: pip install 'reclaim[demo]'"),
    (["attribute", "IMAGE", "--sources", "OUT"], "reclaim attribute needs cv2: pip install 'reclaim[faces]'"),
    (["serve"], "reclaim serve needs uvicorn: pip install 'reclaim[server]'"),
])
def test_a_command_whose_extra_is_missing_names_it(args: list[str], message: str, tmp_path: Path) -> None:
    done = reclaim_without_extras(*(str(tmp_path) if a in ("OUT", "IMAGE") else a for a in args))
    assert done.returncode != 0
    assert message in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
