"""Enrol, list and remove identities: a person's own photos, their face descriptors and the consent behind them.

Face search answers only for people enrolled here (DESIGN.md, privacy rule 2). An enrolment photo must show
one clear face: the largest one is taken, and a photo with two faces of similar size is refused rather than
risk enrolling someone who did not consent. The photos themselves go into the encrypted photo vault
(``photos``); the database keeps their sha256, descriptors and boxes. Removing an identity deletes its
descriptors and erases its photos at once; the audit log keeps the fact that it existed and was removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from reclaim.errors import AlreadyExists, ConsentError, NotFound, UserError
from reclaim.identities import audit
from reclaim.identities.matcher import face_cache_dir
from reclaim.identities.photos import erase_photos
from reclaim.index.face_vectors import drop_graph_files
from reclaim.media import decode_image, read_bytes
from reclaim.signals.face import Face, detect_faces
from reclaim.store.models import Identity, IdentitySource, User
from reclaim.vault import Vault

MIN_CONSENT_CHARS = 10
AMBIGUOUS_SIZE_RATIO = 0.8  # a second face at least this big relative to the largest: which one is the person?


@dataclass(frozen=True)
class IdentitySummary:
    name: str
    photos: int
    consent: str
    recorded_by: str
    on_behalf_of: str | None
    enrolled_at: datetime


def enroll(session: Session, name: str, consent: str, photos: Sequence[Path], *, actor: str, vault: Vault,
           on_behalf_of: str | None = None) -> IdentitySummary:
    """Store the person's photos (encrypted, in ``vault``) with the descriptor of their face in each, under a
    recorded consent."""
    name, consent = name.strip(), " ".join(consent.split())
    if not name or len(name) > 200:
        raise UserError(f"identity name must be 1-200 characters: {name!r}")
    if len(consent) < MIN_CONSENT_CHARS:
        raise UserError(f"identity {name}: --consent must say who consented, when and to what "
                        f"(at least {MIN_CONSENT_CHARS} characters)")
    if not photos:
        raise UserError(f"identity {name}: give at least one photo of the person")
    if session.scalar(select(Identity).where(Identity.name == name)):
        raise AlreadyExists(f"identity {name} is already enrolled; remove it first to enrol it again")
    identity = Identity(name=name, consent=consent, recorded_by=actor, on_behalf_of=on_behalf_of or None)
    seen: set[str] = set()
    for path in photos:
        data = read_bytes(path)
        sha = hashlib.sha256(data).hexdigest()
        if sha in seen:
            continue
        seen.add(sha)
        face = _the_face(path, data)
        vault.put_bytes(data)
        identity.sources.append(IdentitySource(
            filename=str(path), sha256=sha, data=None, descriptor=face.descriptor.astype(np.float32).tobytes(),
            box=list(face.box)))
    session.add(identity)
    session.flush()
    audit.record(session, actor, "enroll", name, faces=len(identity.sources))
    return _summary(identity, len(identity.sources))


def _the_face(path: Path, data: bytes) -> Face:
    image = decode_image(data, str(path))
    faces = detect_faces(image.rgb, scale=image.scale)
    if not faces:
        raise UserError(f"{path}: no face found; use a photo where the face is clear, frontal and at least 80 px")
    if len(faces) > 1 and faces[1].size >= AMBIGUOUS_SIZE_RATIO * faces[0].size:
        raise UserError(f"{path}: {len(faces)} faces of similar size; crop the photo to the person enrolling")
    return faces[0]


def list_identities(session: Session) -> list[IdentitySummary]:
    counts = dict(session.execute(
        select(IdentitySource.identity_id, func.count()).group_by(IdentitySource.identity_id)).all())
    return [_summary(i, counts.get(i.id, 0)) for i in session.scalars(select(Identity).order_by(Identity.name))]


def remove_identity(session: Session, name: str, *, actor: str, home: Path | None = None) -> int:
    """Delete the identity's descriptors and erase its photos (those no other identity holds too); returns
    how many photos it had."""
    identity = session.scalar(select(Identity).where(Identity.name == name))
    if identity is None:
        raise NotFound(f"no identity named {name!r}")
    shas = [s.sha256 for s in identity.sources]
    shared = set(session.scalars(select(IdentitySource.sha256).where(
        IdentitySource.sha256.in_(shas), IdentitySource.identity_id != identity.id)))
    # an account that owned it stops pointing at it (SQLite may reuse the id for the next enrolment)
    session.execute(update(User).where(User.identity_id == identity.id).values(identity_id=None))
    session.delete(identity)
    session.flush()
    erase_photos([sha for sha in shas if sha not in shared], home=home)
    drop_graph_files(face_cache_dir(session))  # the saved face graph holds their descriptors too
    audit.record(session, actor, "remove", name, faces=len(shas))
    return len(shas)


def require_identity(session: Session, name: str, *, actor: str, action: str) -> Identity:
    """The enrolled identity called ``name``; anything else is a refused (and logged) face query."""
    identity = session.scalar(select(Identity).where(Identity.name == name))
    if identity is None:
        audit.record_refusal(session, actor, action, name)
        raise ConsentError(f"no identity {name!r} is enrolled with consent; face search answers only for "
                           "enrolled people (see 'reclaim identity enroll')")
    return identity


def _summary(identity: Identity, photos: int) -> IdentitySummary:
    return IdentitySummary(identity.name, photos, identity.consent, identity.recorded_by, identity.on_behalf_of,
                           identity.enrolled_at)
