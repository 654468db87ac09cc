"""Synthetic: see docs/architecture.md."""
