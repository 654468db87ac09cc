"""How fast ``reclaim`` answers: ``--help`` and ``hash photo.jpg``, now and at a start commit, in one run.

Each run is a fresh interpreter started the way the ``reclaim`` console script starts (``from
reclaim.cli.main import main``), timed from spawn to exit, with its own CPU time (user + system, from
``wait4``). The start commit's ``src/`` is copied out with ``git archive`` into a temporary folder and run
with ``PYTHONPATH`` pointing there, the current tree likewise, against the same interpreter and packages;
``python -c pass`` runs beside them as the floor. The variants take turns within every repetition, so load
from other processes on the shared cores falls on all of them alike. One untimed run of each comes first
(it writes the ``.pyc`` files an installed copy would already have). Targets (issue 22): ``--help`` within
0.3 s and ``hash`` within 0.6 s, on the median wall time.

    python bench/startup.py [--runs 30] [--base f142e87] [--no-record]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from record import Figure, append_section, machine, table

REPO = Path(__file__).resolve().parents[1]
CLI = "import sys; from reclaim.cli.main import main; sys.exit(main())"
TARGETS = {"--help": 0.3, "hash photo.jpg": 0.6}


def checkout(commit: str, into: Path) -> Path:
    """``src/`` of ``commit``, unpacked under ``into``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def photo(path: Path) -> Path:
    """A benign phone-sized photo (scikit-image's astronaut, 2000 x 2000 JPEG)."""
    from PIL import Image
    from skimage import data

    Image.fromarray(data.astronaut()).resize((2000, 2000)).save(path, quality=90)
    return path


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run; a failing run stops the bench (a crash is not a fast start)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {stderr.strip()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def p99(values: list[float]) -> float:
    """Nearest-rank 99th percentile (with fewer than 100 runs, the slowest but one per hundred: the max)."""
    ordered = sorted(values)
    return ordered[max(0, int(np.ceil(0.99 * len(ordered))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--base", default="f142e87", help="The start commit to compare with.")
    parser.add_argument("--no-record", action="store_true", help="Print only; do not append to RESULTS.md.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reclaim-startup-") as tmp:
        root = Path(tmp)
        (root / "base").mkdir()
        trees = {f"start ({args.base})": checkout(args.base, root / "base"), "now": REPO / "src"}
        picture = photo(root / "photo.jpg")
        commands = {"--help": ["--help"], "hash photo.jpg": ["hash", str(picture)]}
        # PYTHONDONTWRITEBYTECODE (set on these sandboxes) would keep the warm-up from writing .pyc files, and every
        # run would compile every module of the tree: an installed copy has them (pip compiles at install)
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "RECLAIM_DATABASE_URL", "PYTHONDONTWRITEBYTECODE")}
        env["RECLAIM_HOME"] = str(root / "home")
        variants: dict[tuple[str, str], tuple[list[str], dict[str, str]]] = {
            ("python -c pass", ""): ([sys.executable, "-c", "pass"], env)}
        for command, cli_args in commands.items():
            for tree, src in trees.items():
                variants[(command, tree)] = ([sys.executable, "-c", CLI, *cli_args], {**env, "PYTHONPATH": str(src)})
        for argv, run_env in variants.values():
            timed(argv, run_env)  # warm-up: .pyc files, page cache
        walls: dict[tuple[str, str], list[float]] = {key: [] for key in variants}
        cpus: dict[tuple[str, str], list[float]] = {key: [] for key in variants}
        for _ in range(args.runs):
            for key, (argv, run_env) in variants.items():
                wall, cpu = timed(argv, run_env)
                walls[key].append(wall)
                cpus[key].append(cpu)

    def cells(key: tuple[str, str]) -> list[object]:
        return [f"{np.median(walls[key]):.3f}", f"{p99(walls[key]):.3f}", f"{np.median(cpus[key]):.3f}"]

    start_tree = f"start ({args.base})"
    rows: list[list[object]] = [["python -c pass", "", *cells(("python -c pass", "")), "", "", ""]]
    figures = []
    for command in commands:
        now, start = np.median(walls[(command, "now")]), np.median(walls[(command, start_tree)])
        rows.append([f"reclaim {command}", start_tree, *cells((command, start_tree)), "", "", ""])
        rows.append([f"reclaim {command}", "now", *cells((command, "now")), f"{start / now:.1f}x",
                     f"<= {TARGETS[command]} s", "yes" if now <= TARGETS[command] else "no"])
        size = f"{args.runs} runs; python -c pass {np.median(walls[('python -c pass', '')]):.3f} s"
        figures += [Figure(f"reclaim {command}: wall median (s)", f"{now:.3f}", f"<= {TARGETS[command]}",
                           bool(now <= TARGETS[command]), size),
                    Figure(f"reclaim {command}: start commit / now (median)", f"{start / now:.1f}x", "", None, size)]
    body = (f"{args.runs} runs of each, taking turns, after one untimed warm-up; wall time from spawn to exit "
            f"(median and nearest-rank p99) and CPU time (user + system, median), in seconds. {machine()}.\n\n"
            + table(["command", "tree", "wall median", "wall p99", "CPU median", "start / now (median)",
                     "target", "met"], rows))
    print(body)
    if not args.no_record:
        append_section("start-up: reclaim --help and hash, now vs the start commit (bench/startup.py)", body,
                       figures)


if __name__ == "__main__":
    main()
