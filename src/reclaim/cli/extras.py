"""Commands whose parts come in pip extras load them when run, so a base install's ``reclaim`` still starts."""

from __future__ import annotations

import importlib.util

from reclaim.errors import UserError


def require_extra(command: str, extra: str, *modules: str) -> None:
    """A one-line UserError naming the extra to install when any of ``modules`` is missing."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise UserError(f"{command} needs {', '.join(missing)}: pip install 'reclaim[{extra}]'")
