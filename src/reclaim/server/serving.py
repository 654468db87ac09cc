"""Run the app under uvicorn, as ``uvicorn.run`` does, but with Nagle's algorithm off for every worker.

With ``--workers`` above 1 uvicorn binds the listening socket itself with protocol 0, and asyncio only sets
``TCP_NODELAY`` on accepted sockets whose protocol is TCP; so each response (head and body written
separately) waited for the client's delayed ACK: 40 ms per request on a keep-alive connection, 180
requests/s in all (bench/server.py). Set on the listening socket, ``TCP_NODELAY`` is inherited by every
connection it accepts (Linux, macOS).
"""

from __future__ import annotations

import os
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "reclaim.server:create_app"


FORWARDED_ENV = "RECLAIM_FORWARDED_ALLOW_IPS"


def proxy_settings() -> dict[str, object]:
    """uvicorn believes ``X-Forwarded-For``/``-Proto`` only from the proxies named in
    ``RECLAIM_FORWARDED_ALLOW_IPS`` (comma-separated addresses or networks); by default from nobody.

    uvicorn's own default trusts 127.0.0.1, so any local process could claim any address: skip the per-address
    sign-in limit and write false addresses into the audit. Behind a reverse proxy on this machine, set
    ``RECLAIM_FORWARDED_ALLOW_IPS=127.0.0.1``."""
    allowed = os.environ.get(FORWARDED_ENV, "").strip()
    return {"proxy_headers": bool(allowed), "forwarded_allow_ips": allowed or None}


def run_uvicorn(host: str, port: int, workers: int, *, access_log: bool = False) -> None:
    """``access_log`` is off unless asked for: each line would carry the query string (the hash or URL looked up)
    to wherever stdout is kept, and it costs a fifth of an empty request's CPU. Refusals and every read of media
    or faces are in the access audit whatever this says."""
    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, access_log=access_log,
                    **proxy_settings())  # type: ignore[arg-type]
        return
    config = uvicorn.Config(APP, factory=True, host=host, port=port, workers=workers, access_log=access_log,
                            **proxy_settings())  # type: ignore[arg-type]
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()
