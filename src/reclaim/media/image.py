"""Decode one untrusted image file into RGB pixels, or raise a one-line MediaError naming it.

Order of defences: file size → format sniff (header only) → pixel count (decompression bombs) → a decode
deadline. EXIF orientation is applied, because re-uploads are usually stripped of EXIF and displayed upright.

The fast path exists because hashing cost grows with pixels while PDQ looks at a 64×64 downsample: a
12-megapixel JPEG is decoded at 1/2–1/8 scale straight from its DCT (``Image.draft``), other formats are
box-reduced after decoding, so at least ``FAST_MIN_SIDE`` pixels remain on the short side. Measured
against the full-resolution hash this moves PDQ by a few bits (bench/hash.py), far below the match
threshold of 31.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from reclaim.errors import DecodeError, TooLarge, UnreadableFile, UnsupportedFormat
from reclaim.media.limits import Limits, deadline
from reclaim.media.sniff import describe_non_image, looks_like_heif


@cache
def _heif_opener() -> bool:
    """Register pillow-heif's opener (optional extra reclaim[heif]; its wheels bundle GPL x265). Done the first
    time a file looks like HEIF/AVIF, not at import: the import costs ~20 ms that ``reclaim hash`` of a JPEG
    should not pay."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def heif_ready(data: bytes) -> bool:
    """True when ``data`` looks like HEIF/AVIF and Pillow can now open it; call before ``Image.open``."""
    return looks_like_heif(data) and _heif_opener()


SUPPORTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "DIB", "TIFF", "HEIF", "AVIF"})
FAST_MIN_SIDE = 512
# What Pillow and its plugins raise on damaged input (the AVIF and HEIF decoders raise RuntimeError).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError, RuntimeError)


@dataclass(frozen=True)
class DecodedImage:
    """Upright RGB pixels plus facts about the file they came from."""

    rgb: np.ndarray  # (h, w, 3) uint8, possibly reduced (see ``scale``)
    format: str
    width: int  # of the full, upright image
    height: int
    frames: int  # > 1 for animations; only the first frame is decoded
    scale: float  # decoded width / full width (1.0 on the full-resolution path)
    # The pixels python-threatexchange hashes (no EXIF turn, its own mode handling), when asked for: PDQ then
    # uses these, so an upload's hash is pytx's PdqSignal.hash_from_file bit for bit.
    pdq_pixels: np.ndarray | None = None


def read_bytes(path: Path, limits: Limits = Limits()) -> bytes:
    """Read a file whole, refusing oversize files before reading them."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UnreadableFile(f"{path}: not a regular file")
        if size > limits.max_file_bytes:
            raise TooLarge(f"{path}: file is {size:,} bytes, over the limit of {limits.max_file_bytes:,}")
        return path.read_bytes()
    except PermissionError as exc:
        raise UnreadableFile(f"{path}: permission denied") from exc
    except FileNotFoundError as exc:
        raise UnreadableFile(f"{path}: no such file") from exc
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from exc


def decode_image(data: bytes, name: str, limits: Limits = Limits(), *, fast: bool = True,
                 pytx_pdq: bool = False) -> DecodedImage:
    """Decode ``data`` (the bytes of the file called ``name``) safely; see the module docstring."""
    if not data:
        raise DecodeError(f"{name}: empty file (0 bytes)")
    if len(data) > limits.max_file_bytes:
        raise TooLarge(f"{name}: file is {len(data):,} bytes, over the limit of {limits.max_file_bytes:,}")
    with warnings.catch_warnings():
        # Pillow warns on damaged metadata (e.g. corrupt EXIF) and on bomb-sized headers, which we judge by
        # our own limits; the pixels decide, so its warnings must not escape as noise or, under -W error, as
        # exceptions that are not MediaErrors.
        warnings.filterwarnings("ignore", module=r"PIL\.")
        return _decode(data, name, limits, fast and not pytx_pdq, pytx_pdq)


def _decode(data: bytes, name: str, limits: Limits, fast: bool, pytx_pdq: bool = False) -> DecodedImage:
    image = _open(data, name, limits)
    source, (width, height) = image, image.size
    fmt = image.format or "unknown"
    with deadline(limits.max_decode_seconds, name):
        try:
            if fast and image.format in ("JPEG", "MPO"):
                image.draft("RGB", (FAST_MIN_SIDE, FAST_MIN_SIDE))
            image.load()
            pdq_pixels = _pytx_pixels(image) if pytx_pdq else None
            stored = image.size
            image = ImageOps.exif_transpose(image)
            # Judge the quarter turn by what the transpose did, not by the tag: some plugins (TIFF) already
            # report the upright size before loading, and some (PNG) only find their EXIF after it.
            if image.size != stored:
                width, height = height, width
            if fast:
                image = _reduce(image)
            rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
            frames = _count_frames(source)
        except _DECODE_ERRORS as exc:
            raise DecodeError(f"{name}: truncated or corrupt {fmt} data ({_reason(exc)})") from exc
    return DecodedImage(rgb, fmt, width, height, frames, rgb.shape[1] / width, pdq_pixels)


def _pytx_pixels(image: Image.Image) -> np.ndarray:
    """The array python-threatexchange's PDQ hasher builds from an opened image (pdq_hasher.py, 1.2.x)."""
    if image.mode in ("LA", "I;16"):
        image = image.convert("RGB")
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.concatenate([array[..., np.newaxis]] * 3, axis=2)
    return array


def _open(data: bytes, name: str, limits: Limits) -> Image.Image:
    """Identify the format from the header only, and refuse what we must not decode."""
    heif = heif_ready(data)
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise TooLarge(f"{name}: {_reason(exc)}") from exc
    except UnidentifiedImageError as exc:
        if heif:
            raise DecodeError(f"{name}: truncated or corrupt HEIC/AVIF data") from exc
        other = describe_non_image(data)
        if other:
            raise UnsupportedFormat(f"{name}: {other}, not a supported image format") from exc
        raise DecodeError(f"{name}: not an image (contents match no supported format)") from exc
    except _DECODE_ERRORS as exc:
        raise DecodeError(f"{name}: truncated or corrupt image header ({_reason(exc)})") from exc
    if image.format not in SUPPORTED_FORMATS:
        raise UnsupportedFormat(f"{name}: {image.format} images are not supported")
    width, height = image.size
    if width * height > limits.max_pixels:
        raise TooLarge(
            f"{name}: {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{limits.max_pixels:,} (decompression bomb?)"
        )
    if width == 0 or height == 0:
        raise DecodeError(f"{name}: image has zero width or height")
    return image


def _count_frames(image: Image.Image) -> int:
    """Frames in an animation, counted after the first is decoded: damage in a later frame (a truncated
    download) ends the count but must not cost the hash of the first."""
    try:
        return int(getattr(image, "n_frames", 1) or 1)
    except _DECODE_ERRORS:
        return image.tell() + 1  # the frames seen before the damage


def _reduce(image: Image.Image) -> Image.Image:
    """Box-reduce by an integer factor so the short side stays >= FAST_MIN_SIDE."""
    factor = min(image.size) // FAST_MIN_SIDE
    if factor < 2:
        return image
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return image.reduce(factor)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
