"""Chunked AES-256-GCM for vault objects: any size in bounded memory, every byte authenticated.

One GCM call over a 2 GB video would need the whole file in memory and would release nothing until the
end; so the plaintext is cut into segments, each sealed on its own (the STREAM construction used by Tink
and age). Object file layout, all integers big-endian::

    header   20 bytes   magic b"RECLAIMV" ‖ version 0x01 ‖ segment_size u32 ‖ nonce_prefix (7 random bytes)
    segment  repeated   AES-256-GCM(data key, nonce, plaintext[i*segment_size : (i+1)*segment_size], AD)
                        = ciphertext ‖ 16-byte tag; every segment is full except the last, which may be
                        short or (empty plaintext) just a tag

    nonce_i  = nonce_prefix ‖ u32 i ‖ 0x01 if segment i is the last else 0x00          (96 bits)
    AD       = header ‖ sha256(plaintext) (32 raw bytes)

Why each part: the counter stops reordering, the last-segment flag stops truncation at a segment boundary
and appended segments, the header in the AD stops edits to the segment size, and the sha256 in the AD binds
the ciphertext to the object's name, so a file copied under another object's name fails to decrypt. The
data key is random per object (wrapped in ``<sha256>.key``, see vault.py), so nonces never repeat under a key.
"""

from __future__ import annotations

import io
import os
import struct
from hashlib import sha256
from typing import TYPE_CHECKING, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reclaim.errors import IntegrityError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAGIC = b"RECLAIMV"
VERSION = 1
SEGMENT_SIZE = 1 << 20
TAG = 16
_HEADER = struct.Struct(">8sBI7s")
MAX_SEGMENT = 64 << 20  # refuse headers that would make a reader allocate more than this


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 1 << 32:
        raise IntegrityError(f"segment counter overflow at segment {index}")
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def _read_full(src: BinaryIO, size: int) -> bytes:
    """Read exactly ``size`` bytes unless the stream ends first (pipes may return short reads)."""
    data = src.read(size)
    while data and len(data) < size:
        more = src.read(size - len(data))
        if not more:
            break
        data += more
    return data


def encrypt_stream(key: bytes, digest: bytes, src: BinaryIO, dst: BinaryIO, segment_size: int = SEGMENT_SIZE) -> str:
    """Encrypt ``src`` into ``dst`` under AD ``digest``; return the sha256 hex of what was actually read.

    The caller compares the returned hash with ``digest``: if the source changed between hashing and
    encrypting, the object would be undecryptable, and must be thrown away.
    """
    header = _HEADER.pack(MAGIC, VERSION, segment_size, os.urandom(7))
    dst.write(header)
    aead, ad, hasher = AESGCM(key), header + digest, sha256()
    chunk, index = _read_full(src, segment_size), 0
    while True:
        following = _read_full(src, segment_size) if len(chunk) == segment_size else b""
        dst.write(aead.encrypt(_nonce(header[13:], index, not following), chunk, ad))
        hasher.update(chunk)
        if not following:
            return hasher.hexdigest()
        chunk, index = following, index + 1


class DecryptingReader(io.RawIOBase):
    """Decrypts an object file segment by segment; raises IntegrityError naming ``where`` on any tampering.

    A segment's bytes are released only after its tag verifies, and end of stream is reported only after
    the last segment verifies and the sha256 of all plaintext equals the object's name.
    """

    def __init__(self, fh: BinaryIO, key: bytes, sha_hex: str, where: str) -> None:
        super().__init__()
        self._fh, self._where, self._sha_hex = fh, where, sha_hex
        header = fh.read(_HEADER.size)
        try:
            magic, version, self._segment, prefix = _HEADER.unpack(header)
        except struct.error as exc:
            raise IntegrityError(f"{where}: truncated header ({len(header)} bytes)") from exc
        if magic != MAGIC or version != VERSION or not 1 <= self._segment <= MAX_SEGMENT:
            raise IntegrityError(f"{where}: not a version {VERSION} vault object (bad magic, version or segment size)")
        self._prefix, self._ad = prefix, header + bytes.fromhex(sha_hex)
        self._aead, self._hasher = AESGCM(key), sha256()
        self._index, self._done = 0, False
        self._plain, self._pos = b"", 0
        self._next = _read_full(fh, self._segment + TAG)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while self._pos >= len(self._plain) and not self._done:
            self._advance()
        out = memoryview(buffer).cast("B")
        n = min(len(out), len(self._plain) - self._pos)
        out[:n] = memoryview(self._plain)[self._pos : self._pos + n]
        self._pos += n
        return n

    def _advance(self) -> None:
        current, self._next = self._next, _read_full(self._fh, self._segment + TAG)
        last = not self._next
        if len(current) < TAG:
            raise IntegrityError(f"{self._where}: truncated after segment {self._index}")
        try:
            self._plain = self._aead.decrypt(_nonce(self._prefix, self._index, last), current, self._ad)
        except InvalidTag as exc:
            raise IntegrityError(
                f"{self._where}: segment {self._index} does not authenticate (changed, truncated or extended)"
            ) from exc
        self._pos, self._index = 0, self._index + 1
        self._hasher.update(self._plain)
        if last:
            self._done = True
            if self._hasher.hexdigest() != self._sha_hex:
                raise IntegrityError(f"{self._where}: decrypted content has sha256 {self._hasher.hexdigest()}")

    def close(self) -> None:
        self._fh.close()
        super().close()
