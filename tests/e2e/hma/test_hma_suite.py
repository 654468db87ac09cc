"""HMA 2.0's own API tests (facebook/ThreatExchange, hasher-matcher-actioner/src/OpenMediaMatch/tests) run over
HTTP against a real ``reclaim serve``.

The four test files are copied at test time from a local git mirror of facebook/ThreatExchange
(``$RECLAIM_HMA_GIT``, a git directory holding the pinned commit; never committed here) next to ``shim/``, our
stand-in for the OpenMediaMatch modules they import: a fresh server per test, a client over HTTP with an API
key, HMA's storage calls made through the server's own routes. They run in their own pytest process; this
test reads its JUnit report. Tests that cannot apply over HTTP are skipped with their reason (shim/conftest_hma.py).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import reclaim
from reclaim_testdata import EVALS

HMA_COMMIT = "baefb4ed67b6cdc1d4c82dbaef858d50866ac424"  # facebook/ThreatExchange, 2026-07-17
HMA_TESTS = "hasher-matcher-actioner/src/OpenMediaMatch/tests"
HMA_FILES = ("test_api.py", "test_api_banks.py", "test_e2e_workflow.py", "test_match_api.py")
DEFAULT_MIRRORS = ("/work/.mirror/facebook+ThreatExchange/repo",)
SHIM = Path(__file__).with_name("shim")
EXPECTED_SKIPS = 7  # shim/conftest_hma.py's NOT_APPLICABLE


def _mirror() -> Path | None:
    for candidate in (os.environ.get("RECLAIM_HMA_GIT"), *DEFAULT_MIRRORS):
        if candidate and Path(candidate).exists():
            found = subprocess.run(["git", "--git-dir", candidate, "cat-file", "-e", f"{HMA_COMMIT}^{{commit}}"],
                                   capture_output=True, check=False)
            if found.returncode == 0:
                return Path(candidate)
    return None


def _copy_tree(into: Path, mirror: Path) -> Path:
    shutil.copytree(SHIM / "OpenMediaMatch", into / "OpenMediaMatch")
    tests = into / "OpenMediaMatch" / "tests"
    for name in HMA_FILES:
        text = subprocess.run(["git", "--git-dir", str(mirror), "show", f"{HMA_COMMIT}:{HMA_TESTS}/{name}"],
                              capture_output=True, check=True, text=True).stdout
        (tests / name).write_text(text)
    shutil.copy(SHIM / "conftest_hma.py", tests / "conftest.py")
    if importlib.util.find_spec("flask") is None:
        (into / "flask").mkdir()
        shutil.copy(SHIM / "flask_stub.py", into / "flask" / "__init__.py")
        (into / "flask" / "testing.py").write_text("from flask import FlaskClient  # noqa: F401\n")
    return tests


@pytest.mark.slow
def test_hma_api_tests_pass_against_reclaim_serve(tmp_path: Path) -> None:
    mirror = _mirror()
    if mirror is None:
        pytest.skip(f"no git mirror of facebook/ThreatExchange holding {HMA_COMMIT} (set RECLAIM_HMA_GIT)")
    tests = _copy_tree(tmp_path / "hma", mirror)
    src = Path(reclaim.__file__).resolve().parents[1]  # the reclaim under test (PYTHONPATH may pick another)
    env = {k: v for k, v in os.environ.items() if k != "RECLAIM_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "hma"), str(src), env.get("PYTHONPATH", "")])
    env["RECLAIM_EVALS_PDQ"] = str(EVALS / "pdq" / "images")
    report = tmp_path / "report.xml"
    run = subprocess.run([sys.executable, "-m", "pytest", str(tests), "-p", "no:cacheprovider", "-q",
                          "-o", "addopts=", "-W", "ignore::DeprecationWarning", f"--junitxml={report}",
                          "--rootdir", str(tmp_path / "hma")], env=env, capture_output=True, text=True,
                         cwd=tmp_path / "hma", check=False)
    suite = ET.parse(report).getroot()
    cases = suite.iter("testcase")
    outcome = {}
    for case in cases:
        kinds = {child.tag for child in case}
        outcome[case.get("name")] = ("failed" if kinds & {"failure", "error"} else
                                     "skipped" if "skipped" in kinds else "passed")
    counts = {k: list(outcome.values()).count(k) for k in ("passed", "failed", "skipped")}
    print(f"HMA {HMA_COMMIT[:12]}: {counts}")
    assert counts["failed"] == 0, run.stdout[-6000:]
    assert counts["skipped"] == EXPECTED_SKIPS and counts["passed"] == len(outcome) - EXPECTED_SKIPS, counts
