"""The web service: an HMA-compatible hash-matching API over the same banks the CLI uses."""

from reclaim.server.app import create_app

__all__ = ["create_app"]
