"""Name common non-image files from their first bytes, so errors say what a file is instead of "corrupt"."""

from __future__ import annotations

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF", "a PDF document"),
    (0, b"PK\x03\x04", "a ZIP archive"),
    (4, b"ftyp", "an MP4/MOV video"),
    (0, b"\x1aE\xdf\xa3", "a WebM/Matroska video"),
    (0, b"OggS", "an Ogg media file"),
    (0, b"ID3", "an MP3 audio file"),
    (0, b"<svg", "an SVG drawing"),
    (0, b"<?xml", "an XML document"),
    (0, b"8BPS", "a Photoshop document"),
)


_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")


def looks_like_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def describe_non_image(data: bytes) -> str | None:
    """Return a short description of a recognised non-image file, or None."""
    if looks_like_heif(data):
        return "a HEIC/AVIF image that needs the optional decoder (pip install 'reclaim[heif]')"
    for offset, magic, what in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return what
    head = data[:512]
    if head and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "a text file"
    return None
