"""Demo: see docs/architecture.md."""
