"""Scan: see docs/architecture.md."""
