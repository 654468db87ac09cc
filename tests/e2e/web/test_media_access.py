"""Pictures are served only from bytes that still hash to the item, inside the scan's folder; unblurring is a
POST with the CSRF token; a victim fetches only the pictures their page lists; whatever a caller may not see,
and ids no row can have, answer 404 alike."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reclaim.synthetic.scenes import jpeg_bytes

pytest.importorskip("fastapi", reason="needs reclaim[server]")


@pytest.fixture
def scanned(cli, tmp_path: Path, known_jpeg: Path, decoy_png: Path) -> Path:
    """Case c1 scanned from ``found/``: a matched repost, and a decoy that matches nothing (but has signals)."""
    found = tmp_path / "found"
    found.mkdir()
    (found / "repost.jpg").write_bytes(jpeg_bytes(Image.open(known_jpeg), 60))
    Image.new("RGB", (120, 90), (30, 160, 90)).save(found / "plain.png")
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg).code == 0
    assert cli("scan", found, "--case", "c1", "--workers", "1").code == 0
    assert cli("case", "new", "c2").code == 0
    return found


def _officer(make_client: Callable[..., TestClient], accounts: Any) -> tuple[TestClient, str]:
    client = make_client(key=False)
    accounts.new_user(client, "officer-kim", "officer")
    return client, accounts.sign_in(client, "officer-kim")


def _ids(client: TestClient) -> dict[str, int]:
    from reclaim.store.models import Item

    with client.app.state.store.session() as session:
        return {Path(i.locator).name: i.id for i in session.query(Item)}


def test_a_changed_or_escaping_file_gives_no_preview(
        make_client: Callable[..., TestClient], accounts: Any, scanned: Path, tmp_path: Path) -> None:
    officer, token = _officer(make_client, accounts)
    ids = _ids(officer)
    repost = ids["repost.jpg"]
    assert officer.get(f"/items/{repost}/thumb").status_code == 200
    original = (scanned / "repost.jpg").read_bytes()

    Image.new("RGB", (64, 64), (255, 0, 0)).save(scanned / "repost.jpg", "JPEG")  # replaced after the scan
    assert officer.get(f"/items/{repost}/thumb").status_code == 404
    assert officer.post(f"/items/{repost}/unblurred", headers={"X-CSRF-Token": token}).status_code == 404

    outside = tmp_path / "outside.jpg"
    outside.write_bytes(original)  # the right bytes, but outside the scanned folder
    os.remove(scanned / "repost.jpg")
    os.symlink(outside, scanned / "repost.jpg")
    assert officer.get(f"/items/{repost}/thumb").status_code == 404
    assert officer.post(f"/items/{repost}/unblurred", headers={"X-CSRF-Token": token}).status_code == 404


def test_unblurring_is_a_post_with_the_csrf_token(
        make_client: Callable[..., TestClient], accounts: Any, scanned: Path) -> None:
    officer, token = _officer(make_client, accounts)
    repost = _ids(officer)["repost.jpg"]
    page = officer.get(f"/items/{repost}").text
    assert f'hx-post="/items/{repost}/unblurred"' in page and "hx-get" not in page
    assert officer.get(f"/items/{repost}/unblurred").status_code == 405
    assert officer.post(f"/items/{repost}/unblurred").status_code == 403
    assert officer.post(f"/items/{repost}/unblurred", headers={"X-CSRF-Token": token}).status_code == 200


def test_a_victim_fetches_only_the_pictures_their_page_lists(
        make_client: Callable[..., TestClient], accounts: Any, scanned: Path) -> None:
    victim = make_client(key=False)
    accounts.new_user(victim, "minji", "victim", case="c1")
    accounts.sign_in(victim, "minji")
    ids = _ids(victim)
    listed = [int(i) for i in re.findall(r"/items/(\d+)/thumb", victim.get("/my-case").text)]
    assert listed == [ids["repost.jpg"]]
    assert victim.get(f"/items/{ids['repost.jpg']}/thumb").status_code == 200
    assert victim.get(f"/items/{ids['plain.png']}/thumb").status_code == 404  # in their case, not on their page

    outsider = make_client(key=False)
    accounts.new_user(outsider, "jiwoo", "victim", case="c2")
    accounts.sign_in(outsider, "jiwoo")
    missing = outsider.get("/items/999999/thumb")
    other = outsider.get(f"/items/{ids['repost.jpg']}/thumb")
    assert other.status_code == missing.status_code == 404  # another case's item looks like no item at all


@pytest.mark.parametrize("item_id", [2**31, 2**63 - 1, 2**63, 2**64, 10**30])
def test_ids_no_row_can_have_give_404(
        make_client: Callable[..., TestClient], accounts: Any, scanned: Path, item_id: int) -> None:
    officer, token = _officer(make_client, accounts)
    for path in (f"/items/{item_id}", f"/items/{item_id}/thumb", f"/cases/c1/takedowns/{item_id}"):
        assert officer.get(path).status_code == 404, path
    assert officer.post(f"/items/{item_id}/unblurred", headers={"X-CSRF-Token": token}).status_code == 404
