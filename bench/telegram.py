"""Scan a generated 200,000-message Telegram Desktop export: messages per second and peak memory.

The export is benign and synthetic: text messages (some as entity lists), service messages, a few hundred
generated photos, voice notes (hashed as bytes only) and media the export left out. ``reclaim scan`` runs
as a child process (as a user runs it) twice: a first scan, then a rescan where every file is unchanged; then
into a fresh database a scan that is SIGKILLed part-way, and the same command again, which must finish with
the first scan's results.
Peak RSS is sampled from /proc for the scan process and, separately, for its largest hashing worker.

    .venv/bin/python bench/telegram.py [--messages 200000] [--photos 400] [--missing 20000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from record import Figure, append_section, machine, table

from reclaim.synthetic.scenes import jpeg_bytes, scene


def write_export(root: Path, messages: int, photos: int, missing: int) -> Path:
    """result.json written message by message (never built in memory), with its photos/ and voice/ files."""
    (root / "photos").mkdir(parents=True)
    (root / "voice_messages").mkdir()
    photo_every, voice_every, missing_every = messages // photos, messages // 50, messages // missing
    with (root / "result.json").open("w", encoding="utf-8") as out:
        out.write('{"name": "bench room", "type": "private_supergroup", "id": 4242, "messages": [\n')
        for n in range(1, messages + 1):
            message: dict = {"id": n, "type": "message", "date": "2026-07-01T00:00:00",
                             "date_unixtime": str(1_782_864_000 + n), "from": f"user {n % 97}",
                             "from_id": f"user{1000 + n % 97}", "text": f"message {n} about nothing in particular"}
            if n % 1000 == 0:  # distinct residues below, so each kind comes exactly as often as asked
                message = {"id": n, "type": "service", "date": message["date"], "actor": "admin",
                           "actor_id": "user1", "action": "pin_message", "text": ""}
            elif n % photo_every == 1:
                name = f"photos/photo_{n}.jpg"
                (root / name).write_bytes(jpeg_bytes(scene(seed=n, size=(320, 240)), 85))
                message |= {"photo": name, "width": 320, "height": 240, "text": [{"type": "bold", "text": "look"}]}
            elif n % voice_every == 2:
                name = f"voice_messages/audio_{n}.ogg"
                (root / name).write_bytes(b"OggS" + os.urandom(4000))
                message |= {"file": name, "media_type": "voice_message", "mime_type": "audio/ogg"}
            elif n % missing_every == 3:
                message |= {"photo": "(File not included. Change data exporting settings to download.)"}
            out.write(("" if n == 1 else ",\n") + json.dumps(message, ensure_ascii=False))
        out.write("\n]}\n")
    return root


def stored_items(home: Path) -> int:
    try:
        with sqlite3.connect(f"file:{home / 'reclaim.db'}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("select count(*) from items").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created or migrated yet


def scan(root: Path, home: Path, workers: int, kill_at: int | None = None) -> tuple[float, int, int, dict]:
    """(seconds, peak RSS of the scan process, of its largest worker, the JSON report); with ``kill_at``, the
    scan is SIGKILLed once that many items are stored and the report is {"stored": n}."""
    env = {**os.environ, "RECLAIM_HOME": str(home)}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "reclaim", "scan", str(root), "--case", "bench", "--json",
                             "--workers", str(workers)], env=env, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    main, worker = 0, 0
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            main = max(main, watched.memory_info().rss)
            worker = max([worker] + [c.memory_info().rss for c in watched.children(recursive=True)])
        except psutil.Error:
            pass
        if kill_at is not None and stored_items(home) >= kill_at:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return time.monotonic() - started, main, worker, {"stored": stored_items(home)}
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan failed with exit code {proc.returncode}")
    return time.monotonic() - started, main, worker, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--photos", type=int, default=400)
    parser.add_argument("--missing", type=int, default=20_000, help="Media messages whose file was left out.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="Write the export here and keep it.")
    parser.add_argument("--kill-at", type=int, default=20_000, help="Items stored before the scan is killed.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "export"
        started = time.monotonic()
        write_export(root, args.messages, args.photos, args.missing)
        made = time.monotonic() - started
        size = (root / "result.json").stat().st_size
        rows, reports, peaks = [], [], []
        for label in ("first scan", "rescan (all unchanged)"):
            seconds, main_rss, worker_rss, report = scan(root, Path(tmp) / "home", args.workers)
            reports.append(report)
            peaks.append(main_rss / 2**20)
            rows.append([label, f"{seconds:.1f} s", f"{args.messages / seconds:,.0f}", f"{report['items']:,}",
                         f"{report['hashed']:,} / {report['reused']:,}", f"{main_rss / 2**20:.0f} MB",
                         f"{worker_rss / 2**20:.0f} MB"])
            print(rows[-1], flush=True)
        killed_home = Path(tmp) / "killed"
        seconds, main_rss, worker_rss, killed = scan(root, killed_home, args.workers, kill_at=args.kill_at)
        rows.append([f"SIGKILL once {args.kill_at:,} items were stored", f"{seconds:.1f} s", "",
                     f"{killed['stored']:,} stored", "", f"{main_rss / 2**20:.0f} MB", f"{worker_rss / 2**20:.0f} MB"])
        seconds, main_rss, worker_rss, resumed = scan(root, killed_home, args.workers)
        same = (resumed["items"], resumed["matches"], len(resumed["failed"])) == (
            reports[0]["items"], reports[0]["matches"], len(reports[0]["failed"]))
        rows.append([f"same command again (results {'identical' if same else 'DIFFERENT'})", f"{seconds:.1f} s",
                     f"{args.messages / seconds:,.0f}", f"{resumed['items']:,}",
                     f"{resumed['hashed']:,} / {resumed['reused']:,}", f"{main_rss / 2**20:.0f} MB",
                     f"{worker_rss / 2**20:.0f} MB"])
        print(rows[-2:], flush=True)
    body = (f"{args.messages:,} messages ({size / 2**20:.0f} MB result.json, written in {made:.0f} s), "
            f"{args.photos} generated photos, 50 voice notes (bytes only), {args.missing:,} media left out of the "
            f"export (items kept as evidence); "
            f"`reclaim scan --workers {args.workers}` as a child process, SQLite; {machine()}.\n\n"
            + table(["run", "time", "messages/s", "media items", "hashed / reused", "peak RSS (scan)",
                     "peak RSS (largest worker)"], rows)
            + "\n\nTarget: < 500 MB for the scan process.")
    size = f"{args.messages:,} messages, {args.photos} photos, {args.workers} workers"
    figures = [Figure("peak RSS of the scan process (MB)", f"{max(peaks):.0f}", "< 500", max(peaks) < 500, size),
               Figure("first scan, messages/s", rows[0][2], "", None, size),
               Figure("resumed after SIGKILL: same results", "yes" if same else "no", "yes", same, size)]
    append_section(f"Telegram export scan, {args.messages:,} messages (bench/telegram.py)", body, figures)


if __name__ == "__main__":
    main()
