"""Evidence: case signing keys, the signed custody log, the encrypted vault and blurred previews."""

from reclaim.evidence.blur import blurred_thumbnail
from reclaim.evidence.chain import Entry, SignedHead, read_entries, verify_log
from reclaim.evidence.custody import CustodyLog
from reclaim.evidence.signing import SigningKey, VerifyKey
from reclaim.vault.keys import KdfParams
from reclaim.vault.store import Access, Vault

__all__ = [
    "Access",
    "CustodyLog",
    "Entry",
    "KdfParams",
    "SignedHead",
    "SigningKey",
    "Vault",
    "VerifyKey",
    "blurred_thumbnail",
    "read_entries",
    "verify_log",
]
