"""Routing (yt-dlp test_all_urls style): every sample target is claimed by exactly one source."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram_writer import write_html_export

from reclaim.errors import NotFound, SourceError, UserError
from reclaim.sources import (
    BUILTIN_SOURCES,
    FolderSource,
    TelegramExportSource,
    UrlListSource,
    source_for,
    source_names,
)
from reclaim.sources.registry import claimants

TELEGRAM_TARGETS = [
    "tg2md_test_channel", "ragtgbot_testrag_group", "ragtgbot_testrag_group/result.json",
    "chat_analytics/DM_2A_7M.json", "chat_analytics/MultiChat_2C_6M.json", "synthetic_tkonverter",
    "synthetic_tkonverter/result_group.json",
]


@pytest.fixture
def samples(evals: Path, tmp_path: Path) -> dict[str, type]:
    """Target -> the source that must read it."""
    seized = tmp_path / "seized"
    (seized / "sub").mkdir(parents=True)
    (seized / "sub" / "a.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "notes.json").write_text('{"not": "telegram"}')
    (tmp_path / "urls.txt").write_text("# hotline report\nhttps://a.example/x.jpg\nhttp://b.example/page\n")
    (tmp_path / "notes.txt").write_text("call the school\nhttps://a.example\n")
    html = write_html_export(evals / "telegram" / "synthetic_tkonverter" / "result_group.json", tmp_path / "html")
    account = write_html_export(evals / "telegram" / "chat_analytics" / "MultiChat_2C_6M.json", tmp_path / "acct")
    expected: dict[str, type] = {str(evals / "telegram" / t): TelegramExportSource for t in TELEGRAM_TARGETS}
    expected |= {str(html): TelegramExportSource, str(account): TelegramExportSource}
    expected |= {str(seized): FolderSource, str(seized / "sub" / "a.jpg"): FolderSource,
                 str(tmp_path / "notes.json"): FolderSource, str(tmp_path / "urls.txt"): UrlListSource,
                 str(tmp_path / "notes.txt"): FolderSource, str(evals / "telegram" / "chat_analytics"): FolderSource}
    return expected


def test_every_sample_target_is_claimed_by_exactly_one_source(samples: dict[str, type]) -> None:
    for target, cls in samples.items():
        assert claimants(target) == [cls], target
        assert type(source_for(target)) is cls


def test_names_are_unique_and_forcing_a_source(evals: Path, tmp_path: Path) -> None:
    assert source_names() == [cls.name for cls in BUILTIN_SOURCES] == ["telegram", "urls", "s3", "archive", "folder"]
    forced = source_for(str(evals / "telegram" / "tg2md_test_channel"), "folder")
    assert isinstance(forced, FolderSource)
    with pytest.raises(NotFound, match="unknown source 'ftp'"):
        source_for(str(tmp_path), "ftp")
    with pytest.raises(SourceError, match="no such file or folder"):
        source_for(str(tmp_path / "missing"))
    with pytest.raises(SourceError, match="not a Telegram Desktop export"):
        source_for(str(tmp_path), "telegram")


def test_ambiguous_targets_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class Greedy(TelegramExportSource):
        name = "greedy"

        @classmethod
        def claims(cls, target: str) -> bool:
            return True

    monkeypatch.setattr("reclaim.sources.registry.BUILTIN_SOURCES", (TelegramExportSource, Greedy, FolderSource))
    (tmp_path / "result.json").write_text('{"name": "a", "id": 1, "messages": []}')
    with pytest.raises(UserError, match="claimed by several sources"):
        source_for(str(tmp_path))
