"""HMA's test fixtures, Reclaim's way: ``app`` is a fresh ``reclaim serve`` (its own RECLAIM_HOME, copied from a
template that holds an API key), ``client`` speaks HTTP to it with that key, ``image_server`` serves generated
checkerboards and Meta's own reference image (from ../shared/evals) in place of its GitHub address."""

from __future__ import annotations

import functools
import http.server
import json as jsonlib
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import typing as t
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from PIL import Image
from threatexchange.signal_type.pdq.signal import PdqSignal

from OpenMediaMatch import persistence
from reclaim.accounts.apikeys import create_api_key
from reclaim.cli.serve_cmd import run_server
from reclaim.index.pdq import PDQHashIndex
from reclaim.server import create_app, serving  # noqa: F401 - the app and uvicorn, imported once before the forks
from reclaim.store import open_store

IMAGE_URL_TO_PDQ: dict[str, str] = {}
GITHUB_BLOB = "https://github.com/facebook/ThreatExchange/blob/main/"
_IMAGE_BASE: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def image_server() -> t.Iterator[str]:
    folder = Path(tempfile.mkdtemp())
    for name, cell in (("image1.jpg", 8), ("image2.jpg", 16)):
        grid = [(255, 255, 255) if (x // cell + y // cell) % 2 else (0, 0, 0) for y in range(128) for x in range(128)]
        image = Image.new("RGB", (128, 128))
        image.putdata(grid)
        image.save(folder / name, format="JPEG")
    evals = Path(os.environ.get("RECLAIM_EVALS_PDQ", "")) / "pdq/data/bridge-mods/aaa-orig.jpg"
    if evals.is_file():
        (folder / "github/pdq/data/bridge-mods").mkdir(parents=True)
        shutil.copy(evals, folder / "github/pdq/data/bridge-mods/aaa-orig.jpg")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _IMAGE_BASE.append(base)
    for name in ("image1.jpg", "image2.jpg"):
        IMAGE_URL_TO_PDQ[f"{base}/{name}"] = PdqSignal.hash_from_file(folder / name)
    try:
        yield base
    finally:
        server.shutdown()
        shutil.rmtree(folder)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002 - the base class's name
        pass


class ServerApp:
    """A running ``reclaim serve``; ``config`` stands for HMA's Flask config (read by no server here)."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url, self.key, self.config = base_url, key, {"ROLE_HASHER": True}

    def test_client(self) -> HttpClient:
        return HttpClient(self)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@functools.cache
def _warm_numba() -> None:
    """One PDQ search in this process before the forks: numba sets itself up (its typing registry, cached kernels)
    on its first call, ~0.3 s of CPU that every forked server would otherwise spend again."""
    index = PDQHashIndex()
    index.add([1], ["0" * 64])
    assert index.query("0" * 64, 31)


@functools.cache
def template_home() -> Path:
    """A migrated SQLite home with one API key that may look up and write every bank (the key in a file);
    made once a session (HMA's test modules import fixtures by name, so this is not one)."""
    home = Path(tempfile.mkdtemp(prefix="reclaim-hma-template-"))
    before = os.environ.get("RECLAIM_HOME")
    os.environ["RECLAIM_HOME"] = str(home)
    try:
        with open_store() as store, store.session() as session:
            key = create_api_key(session, "hma", ["lookup", "bank:write"], created_by="hma-suite")
    finally:
        os.environ.pop("RECLAIM_HOME")
        if before is not None:
            os.environ["RECLAIM_HOME"] = before
    (home / "hma-key.txt").write_text(key)
    return home


@pytest.fixture()
def app(tmp_path: Path) -> t.Iterator[ServerApp]:
    """``reclaim serve`` (the CLI's own ``run_server``) on a copy of the template home, in a child forked from
    this process, which has imported the server once: a fresh interpreter per test costs ~4 s of imports."""
    _warm_numba()
    home = tmp_path / "home"
    shutil.copytree(template_home(), home)
    key = (home / "hma-key.txt").read_text().strip()
    port = _free_port()
    log = tmp_path / "serve.log"
    pid = os.fork()
    if pid == 0:  # the server: never returns into pytest
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.environ.pop("RECLAIM_DATABASE_URL", None)
            os.environ["RECLAIM_HMA_URL_HOSTS"] = "127.0.0.1"
            os.environ["RECLAIM_DECODE_WORKERS"] = "1"  # HMA's tests upload one image at a time; each worker
            # the server starts is a new interpreter (spawn), 1 s of CPU or more, and there are 30 servers
            run_server("127.0.0.1", port, 1, home=home)
        finally:
            os._exit(0)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            # any answer: listening (/status would load the index); no TLS set-up (60 ms of CPU a call otherwise)
            httpx.get(f"{base}/status/live", timeout=1, verify=False)
            break
        except httpx.HTTPError:
            pass
        assert os.waitpid(pid, os.WNOHANG) == (0, 0) and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    server = ServerApp(base, key)
    persistence.set_storage(persistence.ServerStorage(HttpClient(server)))
    try:
        yield server
    finally:
        persistence.set_storage(None)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


class HttpResponse:
    """The parts of Flask's test response HMA's tests read."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content
        self.is_json = response.headers.get("content-type", "").startswith("application/json")

    @property
    def json(self) -> t.Any:
        return jsonlib.loads(self.data) if self.is_json else None

    def get_json(self) -> t.Any:
        return self.json


class HttpClient:
    """Flask's test client, over HTTP with the server's API key (the one change an HMA client makes)."""

    def __init__(self, application: ServerApp) -> None:
        self.application = application
        self._http = httpx.Client(base_url=application.base_url, timeout=60, verify=False,  # plain http: no CA
                                  headers={"Authorization": f"Bearer {application.key}"})  # bundle to load

    def _send(self, method: str, path: str, *, json: t.Any = None, data: t.Any = None,
              query_string: dict[str, t.Any] | None = None) -> HttpResponse:
        path = _local_urls(path)
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in (query_string or {}).items()}
        files = None
        if isinstance(data, dict):
            files = {field: (Path(name).name, Path(path_).read_bytes(), ctype)
                     for field, (path_, name, ctype) in data.items()}
        kwargs: dict[str, t.Any] = {"params": params or None, "files": files}
        if json is not None:
            kwargs["content"] = jsonlib.dumps(json)
            kwargs["headers"] = {"content-type": "application/json"}
        return HttpResponse(self._http.request(method, path, **kwargs))

    def get(self, path: str, **kwargs: t.Any) -> HttpResponse:
        return self._send("GET", path, **kwargs)

    def post(self, path: str, **kwargs: t.Any) -> HttpResponse:
        return self._send("POST", path, **kwargs)

    def put(self, path: str, **kwargs: t.Any) -> HttpResponse:
        return self._send("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: t.Any) -> HttpResponse:
        return self._send("DELETE", path, **kwargs)


def _local_urls(path: str) -> str:
    """A ``url=`` on GitHub's copy of Meta's reference image points at the local image server's copy."""
    parts = urlsplit(path)
    query = parse_qsl(parts.query, keep_blank_values=True)
    changed = False
    for i, (name, value) in enumerate(query):
        if name == "url" and value.startswith(GITHUB_BLOB) and _IMAGE_BASE:
            query[i] = (name, f"{_IMAGE_BASE[0]}/github/{value[len(GITHUB_BLOB):].split('?')[0]}")
            changed = True
    return f"{parts.path}?{urlencode(query)}" if changed else path


@pytest.fixture()
def client(app: ServerApp) -> HttpClient:
    return HttpClient(app)


def create_bank(client: HttpClient, bank_name: str) -> None:
    response = client.post("/c/banks", json={"name": bank_name})
    assert response.status_code == 201
    assert response.json == {"matching_enabled_ratio": 1.0, "name": bank_name}


def add_hash_to_bank(client: HttpClient, bank_name: str, image_url: str, content_id: int = 1) -> None:
    response = client.post(f"/c/bank/{bank_name}/content?url={image_url}&content_type=photo")
    assert response.status_code == 200
    assert response.json == {"id": content_id, "signals": {"pdq": IMAGE_URL_TO_PDQ[image_url]}}
