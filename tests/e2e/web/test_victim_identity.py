"""A victim account owns its face enrolment by id: an identity that merely shares the account's name (another
person's, enrolled by an officer) is neither shown to the victim as theirs nor erased by their withdrawal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from reclaim.cases import create_case
from reclaim.identities.service import list_identities
from reclaim.store.models import User


def test_a_victim_named_like_another_persons_identity_cannot_see_or_erase_it(
        make_client: Callable[..., TestClient], accounts: Any, cli, face_photos: dict[str, Path]) -> None:
    assert cli("identity", "enroll", "jieun", face_photos["grace_hopper"], "--consent",
               "enrolled by officer Lee for jieun, who consented in person on 2026-11-30").code == 0
    client = make_client(key=False)
    with client.app.state.store.session() as session:
        create_case(session, "other-case")
    accounts.new_user(client, "jieun", "victim", case="other-case")  # the attacker: same name, another case
    token = accounts.sign_in(client, "jieun")

    page = client.get("/my-case?lang=en").text
    assert "Not enrolled" in page and "Your face is enrolled" not in page
    client.post("/my-case/withdraw", data={"csrf_token": token, "lang": "en"})
    with client.app.state.store.session() as session:
        assert [i.name for i in list_identities(session)] == ["jieun"]  # the other person's enrolment stays

    photo = {"photo": ("../../me.jpg", face_photos["astronaut"].read_bytes(), "image/jpeg")}
    added = client.post("/my-case/photos", files=photo, data={"csrf_token": token, "lang": "en", "consent": "true"})
    assert "Your face is enrolled" in added.text
    with client.app.state.store.session() as session:
        own = session.query(User).filter_by(name="jieun").one().identity_id
        names = {i.name for i in list_identities(session)}
    assert names == {"jieun", "jieun (account 1)"} and own is not None

    client.post("/my-case/withdraw", data={"csrf_token": token, "lang": "en"})
    with client.app.state.store.session() as session:
        assert [i.name for i in list_identities(session)] == ["jieun"]  # only their own was erased
        assert session.query(User).filter_by(name="jieun").one().identity_id is None
