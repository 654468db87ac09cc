"""Identities: consent recorded, photos refused when the face is unclear, matching only against the enrolled,
every comparison and refusal in the audit log; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from reclaim.errors import AlreadyExists, ConsentError, NotFound, UserError
from reclaim.hashing import FileHashes, hash_file
from reclaim.identities import (
    FaceMatcher,
    audit_log,
    enroll,
    face_opt_in,
    face_score,
    list_identities,
    remove_identity,
    require_identity,
)
from reclaim.store import Store
from reclaim.store.models import IdentitySource
from reclaim.vault import Vault

CONSENT = "enrolled herself at the support centre, 2026-11-28, for finding fakes"


@pytest.fixture
def enrolled(store: Store, face_photos: dict[str, Path], photo_vault: Vault) -> Store:
    with store.session() as session:
        enroll(session, "astro", CONSENT, [face_photos["astronaut"]], actor="officer kim", vault=photo_vault)
    return store


def faces_of(path: Path) -> tuple:
    outcome = hash_file(path, opt_in=frozenset({"face"}))
    assert isinstance(outcome, FileHashes)
    return outcome.values


def test_enrol_records_consent_and_who(enrolled: Store) -> None:
    with enrolled.session() as session:
        (identity,) = list_identities(session)
        assert (identity.name, identity.photos, identity.consent) == ("astro", 1, CONSENT)
        assert (identity.recorded_by, identity.on_behalf_of) == ("officer kim", None)
        assert face_opt_in(session) == {"face"}
        assert [(e.action, e.actor, e.query) for e in audit_log(session)] == [("enroll", "officer kim", "astro")]


def test_enrol_refuses_what_it_cannot_stand_behind(store: Store, face_photos: dict[str, Path],
                                                   photo_vault: Vault) -> None:
    with store.session() as session:
        with pytest.raises(UserError, match="no face found"):
            enroll(session, "x", CONSENT, [face_photos["scene"]], actor="a", vault=photo_vault)
        with pytest.raises(UserError, match="--consent"):
            enroll(session, "x", "yes", [face_photos["astronaut"]], actor="a", vault=photo_vault)
        with pytest.raises(UserError, match="at least one photo"):
            enroll(session, "x", CONSENT, [], actor="a", vault=photo_vault)
        enroll(session, "x", CONSENT, [face_photos["astronaut"]], actor="a", vault=photo_vault)
        with pytest.raises(AlreadyExists):
            enroll(session, "x", CONSENT, [face_photos["astronaut"]], actor="a", vault=photo_vault)


def test_nobody_enrolled_means_no_faces_at_all(store: Store, face_photos: dict[str, Path]) -> None:
    with store.session() as session:
        assert face_opt_in(session) == frozenset()
        matcher = FaceMatcher.from_store(session, "a")
        assert matcher.match(session, faces_of(face_photos["fake_astronaut"]), query="q") == []
        assert audit_log(session) == []
    assert all(v.signal != "face" for v in hash_file(face_photos["fake_astronaut"]).values)


def test_faces_match_only_their_own_identity_and_every_query_is_logged(
    enrolled: Store, face_photos: dict[str, Path]
) -> None:
    with enrolled.session() as session:
        matcher = FaceMatcher.from_store(session, "officer lee")
        (hit,) = matcher.match(session, faces_of(face_photos["fake_astronaut"]), query="fake_a.jpg")
        assert hit.identity == "astro" and hit.distance < 0.4 and hit.flagged and hit.score > 0.95
        assert hit.as_json()["signal_type"] == "face" and len(hit.as_json()["box"]) == 4
        assert matcher.match(session, faces_of(face_photos["fake_grace_hopper"]), query="fake_g.jpg") == []
        assert matcher.match(session, faces_of(face_photos["scene"]), query="scene.png") == []  # no face: no query
        log = audit_log(session)
    assert [(e.actor, e.query, e.matched, e.compared) for e in log[:2]] == [
        ("officer lee", "fake_g.jpg", [], ["astro"]), ("officer lee", "fake_a.jpg", ["astro"], ["astro"])]


def test_photos_are_kept_encrypted_only(enrolled: Store, face_photos: dict[str, Path], reclaim_home: Path,
                                        photo_vault: Vault) -> None:
    """The photo's bytes are nowhere in plain text: not in the database, not in any file under RECLAIM_HOME."""
    photo = face_photos["astronaut"].read_bytes()
    with enrolled.session() as session:
        (row,) = session.scalars(select(IdentitySource))
        assert row.data is None and photo_vault.get_bytes(row.sha256, actor="test") == photo
    probe = photo[1000:1064]  # 64 bytes from the middle of the JPEG
    files = [p for p in reclaim_home.rglob("*") if p.is_file()]
    assert files and not any(probe in p.read_bytes() for p in files)


def test_remove_deletes_descriptors_and_erases_photos(enrolled: Store, photo_vault: Vault) -> None:
    with enrolled.session() as session:
        (sha,) = session.scalars(select(IdentitySource.sha256))
        assert photo_vault.contains(sha)
        assert remove_identity(session, "astro", actor="officer kim") == 1
        assert session.scalar(select(func.count()).select_from(IdentitySource)) == 0
        assert not photo_vault.contains(sha) and photo_vault.list() == []
        assert face_opt_in(session) == frozenset()
        with pytest.raises(NotFound):
            remove_identity(session, "astro", actor="officer kim")
        assert audit_log(session)[0].action == "remove"


def test_asking_for_someone_not_enrolled_is_refused_and_logged(enrolled: Store) -> None:
    with pytest.raises(ConsentError), enrolled.session() as session:
        require_identity(session, "someone else", actor="stranger", action="attribute")
    with enrolled.session() as session:
        entry = audit_log(session)[0]
    assert (entry.actor, entry.query, entry.outcome) == ("stranger", "someone else", "refused")


def test_face_score_falls_through_the_threshold() -> None:
    assert face_score(0.2) > 0.99 and face_score(0.5) > 0.85 and abs(face_score(0.6) - 0.5) < 1e-9
    assert face_score(0.7) < 0.1
