"""Shared fixtures: a private RECLAIM_HOME per test, the CLI in-process, generated benign images."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reclaim.cli.main import main
from reclaim.store import Store, open_store
from reclaim.synthetic.scenes import composite, jpeg_bytes, sample_faces, scene
from reclaim_testdata import EVALS, IDENTITY_PASSPHRASE, REPO  # noqa: F401 - re-exported for fixtures

# The longest test files (minutes each on CI's 2 cores), started first: pytest-xdist hands out files in
# collection order, so one of these collected last would leave the other worker idle at the end.
LONGEST_FIRST = ("e2e/cli/test_scan_engines.py", "e2e/web/test_demo.py", "e2e/hma/test_hma_suite.py",
                 "e2e/web/test_self_report_browser.py", "e2e/server/test_decode_pool.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.path.as_posix()
        return next((k for k, name in enumerate(LONGEST_FIRST) if path.endswith(name)), len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: every other test keeps its order

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

POSTGRES_URL = os.environ.get("RECLAIM_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head, made once per test process and copied into each test's home:
    running every migration on each new home cost 0.3-0.6 s a test."""
    database = tmp_path_factory.mktemp("template") / "reclaim.db"
    open_store(f"sqlite:///{database}").close()
    return database


@pytest.fixture(autouse=True)
def reclaim_home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder and SQLite database, already migrated (``@pytest.mark.fresh_home``
    for an empty folder); nothing touches the user's."""
    home = tmp_path / "reclaim-home"
    monkeypatch.setenv("RECLAIM_HOME", str(home))
    monkeypatch.setenv("RECLAIM_IDENTITY_PASSPHRASE", IDENTITY_PASSPHRASE)
    monkeypatch.delenv("RECLAIM_DATABASE_URL", raising=False)
    if request.node.get_closest_marker("fresh_home") is None:
        home.mkdir(mode=0o700)
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), home / "reclaim.db")
        (home / "reclaim.db").chmod(0o600)
    return home


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at 1 MiB / 1 pass for passwords and PINs made or checked in this process (the same code path;
    the defaults cost ~0.6 s a hash or check on these cores, and many tests sign in several times). Each hash
    carries its parameters, so hashes made by a CLI child at the defaults still verify."""
    from argon2 import PasswordHasher

    from reclaim.accounts import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    passwords._dummy.cache_clear()


@pytest.fixture
def photo_vault(reclaim_home: Path):  # type: ignore[no-untyped-def]
    """The enrolled photos' vault where the CLI looks for it, with a cheap KDF so tests stay fast."""
    from reclaim.identities.photos import open_photos
    from reclaim.vault import KdfParams

    return open_photos(IDENTITY_PASSPHRASE, params=KdfParams(time_cost=1, memory_kib=1024, parallelism=1))


@pytest.fixture
def evals() -> Path:
    if not EVALS.is_dir():
        pytest.skip(f"reference data not found at {EVALS} (set RECLAIM_EVALS)")
    return EVALS


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict]:
        import json

        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``reclaim ARGS`` in-process through the real entry point (error mapping included)."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def faces() -> dict:
    return sample_faces()


@pytest.fixture
def known_jpeg(tmp_path: Path, faces: dict) -> Path:
    """A benign stand-in for a known abusive image: a portrait pasted onto a generated scene."""
    path = tmp_path / "known.jpg"
    path.write_bytes(jpeg_bytes(composite(faces["astronaut"], seed=1), 92))
    return path


@pytest.fixture
def decoy_png(tmp_path: Path) -> Path:
    path = tmp_path / "decoy.png"
    scene(seed=4242).save(path)
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head, made once per test process: tests get copies of it."""
    for name in _postgres_database(template=None):
        open_store(_postgres_url(name)).close()
        yield name


def _postgres_url(name: str) -> str:
    """The test server's URL, naming database ``name``."""
    from sqlalchemy.engine import make_url

    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _postgres_database(template: str | None) -> Iterator[str]:
    """A PostgreSQL database (a copy of ``template``, or empty) for one test, dropped afterwards; its name."""
    from sqlalchemy import create_engine, text

    if not POSTGRES_URL:
        pytest.skip("RECLAIM_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)")
    name = f"reclaim_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, reclaim_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test once on SQLite and once on PostgreSQL; the CLI sees it via RECLAIM_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{reclaim_home / 'reclaim.db'}"
        monkeypatch.setenv("RECLAIM_DATABASE_URL", url)
        yield url
        return
    fresh = request.node.get_closest_marker("fresh_home") is not None
    for name in _postgres_database(None if fresh else request.getfixturevalue("postgres_template")):
        url = _postgres_url(name)
        monkeypatch.setenv("RECLAIM_DATABASE_URL", url)
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def face_photos(tmp_path_factory: pytest.TempPathFactory, faces: dict) -> dict[str, Path]:
    """Benign face files: each portrait as its owner's own photo, a composite of each, and a face-free scene."""
    pytest.importorskip("dlib", reason="needs reclaim[faces]")
    folder = tmp_path_factory.mktemp("faces")
    paths = {}
    for name, image in faces.items():
        paths[name] = folder / f"{name}.jpg"
        paths[name].write_bytes(jpeg_bytes(image, 92))
        paths[f"fake_{name}"] = folder / f"fake_{name}.jpg"
        paths[f"fake_{name}"].write_bytes(jpeg_bytes(composite(image, seed=3), 85))
    paths["scene"] = folder / "scene.png"
    scene(seed=77).save(paths["scene"])
    return paths


def _small_images(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """Small generated photos: smooth random colour fields, each distinct to PDQ; quick to hash in bulk."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(count):
        coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        path = folder / f"img_{k:05d}.jpg"
        Image.fromarray(coarse).resize((96, 96), Image.Resampling.BICUBIC).save(path, quality=90)
        paths.append(path)
    return paths


@pytest.fixture
def make_images() -> Callable[..., list[Path]]:
    """``make_images(folder, count, seed=0)``: many small distinct generated JPEGs."""
    return _small_images


# Server fixtures (tests/e2e/server, tests/e2e/web): apps over the test database, API keys, users and
# signed-in browsers. ``make_client`` clients carry an all-scopes API key unless ``key=False``. Imports are lazy:
# without reclaim[server] only the tests using them are skipped.

SERVER_PASSWORD = "correct horse battery"


class Accounts:
    password = SERVER_PASSWORD

    @staticmethod
    def new_key(client: TestClient, name: str, scopes: list[str]) -> str:
        from reclaim.accounts import create_api_key

        with client.app.state.store.session() as session:
            return create_api_key(session, name, scopes, created_by="tests")

    @staticmethod
    def new_user(client: TestClient, name: str, role: str, case: str | None = None) -> None:
        from reclaim.accounts import add_user

        with client.app.state.store.session() as session:
            add_user(session, name, SERVER_PASSWORD, role, case=case)

    @staticmethod
    def form_token(page: str) -> str:
        return page.split('name="csrf_token" value="')[1].split('"')[0]

    def sign_in(self, client: TestClient, name: str, password: str = SERVER_PASSWORD) -> str:
        """Sign ``client`` in through the login form; returns the session's CSRF token."""
        token = self.form_token(client.get("/login").text)
        answer = client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                             follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return client.get("/session").json()["csrf_token"]


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


@pytest.fixture
def make_client(database_url: str) -> Iterator[Callable[..., TestClient]]:
    """Each call: a new app (a worker of its own) over the same database."""
    pytest.importorskip("fastapi", reason="needs reclaim[server]")
    from fastapi.testclient import TestClient

    from reclaim.server import create_app

    clients: list[TestClient] = []

    def make(*, key: bool = True, **settings: float) -> TestClient:
        client = TestClient(create_app(database_url, **settings))  # type: ignore[arg-type]
        client.__enter__()
        clients.append(client)
        if key:
            client.headers["Authorization"] = "Bearer " + Accounts.new_key(
                client, f"test-key-{len(clients)}", ["lookup", "bank:write"])
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def anonymous_client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(key=False)
