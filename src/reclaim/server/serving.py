"""Run the app under uvicorn, as ``uvicorn.run`` does, but with Nagle's algorithm off for every worker.

With ``--workers`` above 1 uvicorn binds the listening socket itself with protocol 0, and asyncio only sets
``TCP_NODELAY`` on accepted sockets whose protocol is TCP; so each response (head and body written
separately) waited for the client's delayed ACK: 40 ms per request on a keep-alive connection, 180
requests/s in all (bench/server.py). Set on the listening socket, ``TCP_NODELAY`` is inherited by every
connection it accepts (Linux, macOS).
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "reclaim.server:create_app"


def run_uvicorn(host: str, port: int, workers: int) -> None:
    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port)
        return
    config = uvicorn.Config(APP, factory=True, host=host, port=port, workers=workers)
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()
