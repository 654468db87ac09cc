"""Reclaim's stand-in for HMA's OpenMediaMatch package: just what HMA's four API test files import, each
reaching a real ``reclaim serve`` over HTTP with an API key (see tests/e2e/hma/test_hma_suite.py)."""
