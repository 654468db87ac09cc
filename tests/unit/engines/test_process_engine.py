"""The process engine when a worker dies between two of its looks at the pool, and when its parent has used OpenCV."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from reclaim.engines.process import ProcessEngine


def _work(chunk: list[str]) -> list[str]:
    """Module-level (picklable); "crash" exits the worker as a crashing decoder would, a moment after starting."""
    if "crash" in chunk:
        time.sleep(0.2)
        os._exit(70)
    return [f"done {name}" for name in chunk]


def _slow_source() -> Iterator[list[str]]:
    """The second chunk kills its worker while the engine waits for the third one, so the pool is broken by the
    time the engine hands it out."""
    yield ["a"]
    yield ["crash"]
    time.sleep(1.0)
    yield ["b"]


def test_a_chunk_handed_out_after_a_worker_died_runs_again_instead_of_failing_the_scan() -> None:
    outcomes = dict((tuple(chunk), results) for chunk, results in ProcessEngine(1).run(_work, _slow_source()))
    assert outcomes == {("a",): ["done a"], ("crash",): None, ("b",): ["done b"]}


FACES_THEN_FORK = """
import sys
import numpy as np
from pathlib import Path
from reclaim.hashing import FileHashes, hash_files
from reclaim.signals.face import detect_faces

photo = np.random.default_rng(0).integers(0, 256, (1600, 2000, 3), dtype=np.uint8)
detect_faces(photo)  # OpenCV converts, resizes and turns in this process, as a driver finding faces does
done = list(hash_files([Path(sys.argv[1])] * 4, workers=2, opt_in=frozenset({"keypoints"})))
assert all(isinstance(d, FileHashes) for d in done), done
"""


def test_workers_forked_after_face_detection_in_the_parent_do_not_hang(known_jpeg) -> None:  # type: ignore[no-untyped-def]
    """OpenCV's thread pool, started in the parent, deadlocked every forked worker at its first OpenCV call: all
    OpenCV use goes through ``keypoint_set.opencv()``, which makes it single-threaded first."""
    pytest.importorskip("dlib", reason="needs reclaim[faces]")
    pytest.importorskip("cv2", reason="needs reclaim[keypoints]")
    done = subprocess.run([sys.executable, "-c", FACES_THEN_FORK, str(known_jpeg)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


IMPORT_UNDER_WAY = """
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import worker_fn
from reclaim.engines.process import ProcessEngine

threading.Thread(target=lambda: __import__("slow_module")).start()
time.sleep(0.5)  # that thread is now inside slow_module's import, holding its module lock
done = sorted(results for _, results in ProcessEngine(2).run(worker_fn.run, iter([["a"], ["b"]])))
assert done == [["a"], ["b"]], done
"""


def test_workers_do_not_inherit_a_lock_another_thread_holds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A worker forked while another thread of the parent was importing a module inherited that module's lock,
    held for ever, and hung at its own import of it (a scan in a test worker did, importing a Pillow plugin).
    A process running threads now gets its workers from the fork server, whose only thread is its own."""
    (tmp_path / "slow_module.py").write_text("import time\ntime.sleep(3)\n")
    (tmp_path / "worker_fn.py").write_text("def run(chunk):\n    import slow_module\n    return chunk\n")
    done = subprocess.run([sys.executable, "-c", IMPORT_UNDER_WAY, str(tmp_path)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


ENVIRONMENT_SET_LATER = """
import os
import sys
import threading

sys.path.insert(0, sys.argv[1])
import worker_env
from reclaim.engines.process import ProcessEngine

stop = threading.Event()
threading.Thread(target=stop.wait).start()  # a thread of its own: workers now come from the fork server
list(ProcessEngine(1).run(worker_env.read, iter([["HOME"]])))  # which starts, with the environment of now
os.environ["RECLAIM_TEST_MARK"] = "set later"
(_, seen), = ProcessEngine(1).run(worker_env.read, iter([["RECLAIM_TEST_MARK"]]))
stop.set()
assert seen == ["set later"], seen
"""


def test_workers_see_the_environment_as_it_is_when_the_pool_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The fork server keeps the environment it started with; a scan's S3 credentials set since must still
    reach its workers."""
    (tmp_path / "worker_env.py").write_text("import os\n\n\ndef read(chunk):\n"
                                            "    return [os.environ.get(k) for k in chunk]\n")
    done = subprocess.run([sys.executable, "-c", ENVIRONMENT_SET_LATER, str(tmp_path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
