"""Fixtures for Telegram capture: a fake room served through the real CLI, a stored (encrypted) sign-in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_telegram import CHEAP, ME, SIGN_IN_PASSPHRASE, VAULT_PASSPHRASE, FakeTelegram, build_room  # noqa: E402

from reclaim.telegram import session  # noqa: E402


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(build_room())


@pytest.fixture
def signed_in(reclaim_home: Path, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> FakeTelegram:
    """A stored sign-in, passphrases in the environment, and every client the CLI makes being ``fake``."""
    monkeypatch.setenv(session.PASSPHRASE_ENV, SIGN_IN_PASSPHRASE)
    monkeypatch.setenv("RECLAIM_VAULT_PASSPHRASE", VAULT_PASSPHRASE)
    session.save(session.SignIn(12345, "0123456789abcdef0123456789abcdef", fake.session.secret, ME.id,
                                "@centre_inv"), SIGN_IN_PASSPHRASE, params=CHEAP)
    monkeypatch.setattr("reclaim.telegram.client.make_client", lambda *a, **k: fake)
    return fake
