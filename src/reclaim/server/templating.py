"""Jinja2 pages: one environment for the app, and ``render`` which gives every page who is signed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

# Autoescape whatever a template's name (select_autoescape would leave a ``.j2`` or ``.txt`` page raw).
templates = Jinja2Templates(env=Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                                            autoescape=True))


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           csrf_token: str | None = None) -> HTMLResponse:
    """Render ``name`` with ``user`` (the signed-in Principal or None) and the CSRF token forms must echo."""
    who = getattr(request.state, "principal", None)
    page = {"user": who, "csrf_token": csrf_token or (who.csrf_token if who else "")} | (context or {})
    return templates.TemplateResponse(request, name, page, status_code=status_code)
