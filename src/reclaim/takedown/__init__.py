"""Takedown: removal notices per platform and language, tracking until removed, re-checks, hash-list exchange."""
