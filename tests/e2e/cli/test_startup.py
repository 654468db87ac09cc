"""``reclaim`` starts without the heavy libraries: a command's modules are imported only when it runs, and the
one-line help ``reclaim --help`` shows without importing a command is the command's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reclaim.cli.main import COMMANDS

HEAVY = ("numba", "sqlalchemy", "argon2", "cv2", "faiss", "httpx", "alembic")
RICH_HELP = ("markdown_it", "pygments")  # what typer's Rich help renderer brings (~0.1 s): the root help is plain
PLAIN = ("rich",)  # --help and hash print plain lines; Rich (~0.1 s) comes with tables, bars and errors
HEIF = ("pillow_heif",)  # registered only when a file looks like HEIF/AVIF
LOADED = ("import sys, json; {run}; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))")


def modules_after(run: str) -> set[str]:
    """Top-level packages imported in a fresh interpreter after ``run``."""
    done = subprocess.run([sys.executable, "-c", LOADED.format(run=run)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert modules_after("import reclaim.cli.main") & set(HEAVY) == set()


def test_help_and_hash_load_no_database_index_or_password_library(tmp_path: Path) -> None:
    picture = tmp_path / "p.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(picture)
    run = "from reclaim.cli.main import main; code = main({args!r}); assert code == 0, code"
    assert modules_after(run.format(args=["--help"])) & set(HEAVY + RICH_HELP + PLAIN) == set()
    assert modules_after(run.format(args=["hash", str(picture)])) & set(HEAVY + HEIF + PLAIN) == set()
    opt_in = "import sys; {run}; assert not {{'reclaim.signals.face', 'reclaim.signals.keypoints'}} & set(sys.modules)"
    modules_after(opt_in.format(run=run.format(args=["hash", str(picture)])))  # opt-in signals: imported when asked


def test_a_command_on_a_migrated_database_does_not_import_alembic() -> None:
    """Every database command asks for an upgrade; one already at head answers without Alembic."""
    run = "from reclaim.cli.main import main; code = main(['bank', 'list']); assert code == 0, code"
    loaded = modules_after(run)
    assert "sqlalchemy" in loaded and "alembic" not in loaded


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listed_help_is_the_commands_own(name: str) -> None:
    command = COMMANDS[name].load(name)
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].help == own


def test_a_command_still_runs_and_helps_through_the_lazy_root(cli) -> None:
    listed = cli("--help")
    assert listed.code == 0 and all(name in listed.out for name in COMMANDS)
    words = " ".join(listed.out.split())
    assert all(lazy.help in words for lazy in COMMANDS.values())  # each line whole, not cut at 45 characters
    assert "--kind" in cli("bank", "create", "--help").out
    assert cli("bank", "create", "b").code == 0
    assert "b" in cli("bank", "list").out
    typo = cli("bnak", "list")
    assert typo.code == 2 and "bank" in typo.err


THREADS = ("import os, sys; {setup}; from reclaim.cli.main import main; import numpy; "
           "print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'])")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_the_cli_starts_no_blas_threads_unless_the_user_asks() -> None:
    """numpy's import starts an OpenBLAS thread per core, which spins for a while: CPU that `reclaim hash` and the
    scan workers would compete with."""
    def run(setup: str) -> tuple[int, str]:
        done = subprocess.run([sys.executable, "-c", THREADS.format(setup=setup)], capture_output=True, text=True,
                              timeout=120, env={k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"})
        assert done.returncode == 0, done.stderr
        threads, setting = done.stdout.split()
        return int(threads), setting

    assert run("pass") == (1, "1")
    assert run("os.environ['OPENBLAS_NUM_THREADS'] = '2'") == (2, "2")  # the user's setting is kept
