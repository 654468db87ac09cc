"""Attribute a suspect image to the source photo its face was taken from: an enrolled identity's own photos,
or a folder of photos the user holds. Every attribution is a face query and is audit-logged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from reclaim.attribution.features import PhotoFeatures, load_rgb, photo_features
from reclaim.attribution.rank import Candidate, rank_sources
from reclaim.errors import ItemError, SignalError, UserError
from reclaim.identities import audit
from reclaim.identities.photos import PASSPHRASE_ENV
from reclaim.identities.service import require_identity
from reclaim.media import decode_image
from reclaim.models import MediaItem
from reclaim.signals.face import descriptor_distance, detect_faces
from reclaim.sources import FolderSource
from reclaim.store.models import IdentitySource
from reclaim.vault import Vault


@dataclass(frozen=True)
class Attribution:
    suspect: PhotoFeatures
    ranked: list[Candidate]  # best first
    sources: dict[str, PhotoFeatures]

    @property
    def best(self) -> Candidate | None:
        return self.ranked[0] if self.ranked else None


def attribute(session: Session, image: Path, *, actor: str, identity: str | None = None,
              sources_dir: Path | None = None, vault: Vault | None = None, at: float | None = None) -> Attribution:
    """Rank the identity's photos (face distance included; read from the photo ``vault``) or the folder's
    (pixel evidence only). For a video or animation, the frame shown at ``at`` seconds is attributed (its best
    face frame), else its first."""
    if (identity is None) == (sources_dir is None):
        raise UserError("attribute: give either --identity NAME or --sources DIR")
    rgb, scale = load_rgb(image, at)
    descriptors: dict[str, np.ndarray] = {}
    if identity is not None:
        person = require_identity(session, identity, actor=actor, action="attribute")
        sources = []
        for row in person.sources:
            decoded = decode_image(_photo(row, vault, actor), row.filename)
            sources.append(photo_features(row.filename, decoded.rgb, decoded.scale))
            descriptors[row.filename] = np.frombuffer(row.descriptor, dtype=np.float32)
        compared = [identity]
    else:
        assert sources_dir is not None  # exactly one of the two, checked above
        sources = folder_features(sources_dir)
        compared = [f"folder {sources_dir}"]
    suspect = suspect_features(str(image), rgb, scale, list(descriptors.values()))
    ranked = rank_sources(suspect, sources, descriptors=descriptors)
    best = ranked[0] if ranked else None
    audit.record(session, actor, "attribute", str(image), compared=compared, faces=int(suspect.face is not None),
                 matched=[f"{best.source} ({best.inliers} inliers)"] if best and best.attribution_score >= 0.5 else [])
    return Attribution(suspect, ranked, {s.name: s for s in sources})


def _photo(row: IdentitySource, vault: Vault | None, actor: str) -> bytes:
    """An enrolled photo's bytes: from the vault (each read is logged by it), or from rows enrolled before."""
    if row.data is not None:
        return row.data
    if vault is None:
        raise UserError(f"enrolled photos are encrypted: give their passphrase (${PASSPHRASE_ENV}, or asked)")
    return vault.get_bytes(row.sha256, actor=actor)


def suspect_features(name: str, rgb: np.ndarray, scale: float, wanted: list[np.ndarray]) -> PhotoFeatures:
    """The suspect's face: the one nearest the identity's descriptors when given, else the largest."""
    faces = detect_faces(rgb, scale=scale, describe=bool(wanted))  # descriptors only to compare with an identity's
    if not faces:
        raise SignalError(f"{name}: no face found to attribute")
    if wanted:
        faces.sort(key=lambda f: min(descriptor_distance(f.descriptor, w) for w in wanted))
    return photo_features(name, rgb, scale, face=faces[0])


def folder_features(folder: Path) -> list[PhotoFeatures]:
    """Every readable image under ``folder``; unreadable files are left out (attribution is a ranking)."""
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder")
    features = []
    for item in FolderSource(str(folder)).iter_items():
        if isinstance(item, MediaItem) and item.path is not None:
            try:
                rgb, scale = load_rgb(item.path)
            except ItemError:
                continue
            features.append(photo_features(str(item.path), rgb, scale))
    if not features:
        raise UserError(f"{folder}: no readable photos to attribute to")
    return features
