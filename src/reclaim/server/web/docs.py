"""``/docs``: Swagger UI over the app's OpenAPI schema, served from files installed with the server, not a CDN.

FastAPI's own page loads Swagger UI from jsDelivr and starts it with an inline script, which the CSP forbids
(server.headers); here the files come from the ``swagger-ui-bundle`` package (Apache-2.0) and the start-up
script is a static file.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reclaim API</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script></body></html>
"""


def swagger_files() -> StaticFiles | None:
    """The installed Swagger UI's files, or None without the package (``/docs`` then answers 404)."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return StaticFiles(directory=Path(swagger_ui_bundle.swagger_ui_path))


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
