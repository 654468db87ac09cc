"""Encrypted storage of media at rest (case originals, enrolled people's own photos) and the key handling and
crash-safe file writing it rests on. Below the stages that use it: evidence and identities."""

from reclaim.vault.keys import KdfParams
from reclaim.vault.store import Access, Vault

__all__ = ["Access", "KdfParams", "Vault"]
