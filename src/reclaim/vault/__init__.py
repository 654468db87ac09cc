"""Encrypted storage of media at rest (case originals, enrolled people's own photos) and its keys (Argon2id
key derivation, AES-GCM key wrapping). Below the stages that use it: evidence and identities."""

from reclaim.vault.keys import KdfParams
from reclaim.vault.store import Access, Vault

__all__ = ["Access", "KdfParams", "Vault"]
