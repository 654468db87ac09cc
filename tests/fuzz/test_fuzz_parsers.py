"""A short fuzzing run in CI (bounded: a few hundred inputs per target, well under 60 s in all)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from targets import archive_inputs, html_inputs, json_inputs, run_archive, run_html, run_json

pytestmark = pytest.mark.slow
SHORT = settings(max_examples=100, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SHORT
@given(json_inputs())
def test_telegram_json_parser_only_refuses_with_source_error(data: bytes) -> None:
    run_json(data)


@SHORT
@given(html_inputs())
def test_telegram_html_parser_only_refuses_with_source_error(text: str) -> None:
    run_html(text)


@SHORT
@given(archive_inputs())
def test_archive_reader_only_refuses_with_source_error(data: bytes) -> None:
    run_archive(data)
