"""Identities enrolled with consent, face matching against them only, and the face audit log."""

from reclaim.identities.audit import AuditEntry, audit_log, current_actor
from reclaim.identities.matcher import FaceMatch, FaceMatcher, face_match_json, face_opt_in, face_score
from reclaim.identities.service import IdentitySummary, enroll, list_identities, remove_identity, require_identity

__all__ = [
    "AuditEntry",
    "FaceMatch",
    "FaceMatcher",
    "IdentitySummary",
    "audit_log",
    "current_actor",
    "enroll",
    "face_match_json",
    "face_opt_in",
    "face_score",
    "list_identities",
    "remove_identity",
    "require_identity",
]
