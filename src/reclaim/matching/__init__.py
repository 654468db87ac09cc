"""Matching: see docs/architecture.md."""
