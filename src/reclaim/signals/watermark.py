"""The Stable Diffusion invisible watermark (``invisible-watermark``'s dwtDct), decoded with PyWavelets + OpenCV.

The ``invisible-watermark`` package pulls ~5 GB of torch for a decoder that needs none of it, so this is its
dwtDct decoder rewritten and vectorised: Haar DWT of the YUV U channel, 4x4 blocks of the LL band, in each
the largest non-DC coefficient modulo the scale 36 votes for one bit of the message. The SD v1 scripts embed
``b"StableDiffusionV1"`` (136 bits); SDXL and diffusers embed a fixed 48-bit message.

The mark lives in chroma, so 4:2:0 chroma subsampling (ordinary JPEG) erases it even at q=90 (DEPS.md §6-9).
``can_survive`` says where looking makes sense: lossless files and 4:4:4 JPEG at high quality. Elsewhere a
missing mark means nothing and is not reported.
"""

from __future__ import annotations

import importlib.util
import io
import warnings

import numpy as np
from PIL import Image, JpegImagePlugin

SCALE = 36.0
BLOCK = 4
MIN_AGREEMENT = 0.9  # fraction of bits equal to a known message; unmarked images score ~0.5
SDXL_BITS = [int(b) for b in f"{0b101100111110110010010000011110111011000110011110:048b}"]
KNOWN_MESSAGES: dict[str, list[int]] = {
    "stable diffusion XL (48-bit mark)": SDXL_BITS,
    "stable diffusion v1 ('StableDiffusionV1')": [int(b) for b in np.unpackbits(
        np.frombuffer(b"StableDiffusionV1", np.uint8))],
}
LOSSLESS = frozenset({"PNG", "BMP", "TIFF", "WEBP"})
MIN_JPEG_QUALITY_SCALE = 6  # mean luminance quantiser of q ~90; beyond it the mark is gone


def can_survive(image: Image.Image) -> bool:
    """True for files where a dwtDct mark, if embedded, would still be readable."""
    if image.format in LOSSLESS:
        return image.format != "WEBP" or bool(image.info.get("lossless"))
    if image.format == "JPEG" and isinstance(image, JpegImagePlugin.JpegImageFile):
        tables = getattr(image, "quantization", None) or {}
        return JpegImagePlugin.get_sampling(image) == 0 and bool(tables) and \
            float(np.mean(tables[0])) <= MIN_JPEG_QUALITY_SCALE
    return False


def decode_bits(rgb: np.ndarray, length: int) -> np.ndarray:
    """The ``length`` bits a dwtDct decoder reads from (h, w, 3) RGB pixels (as imwatermark's EmbedMaxDct)."""
    import pywt

    from reclaim.index.keypoint_set import opencv

    cv2 = opencv()  # one thread: an OpenCV pool started in a process hangs the workers it forks

    h, w = rgb.shape[:2]
    u = cv2.cvtColor(np.ascontiguousarray(rgb[:, :, ::-1]), cv2.COLOR_BGR2YUV)[: h // 4 * 4, : w // 4 * 4, 1]
    low, _ = pywt.dwt2(u, "haar")
    rows, cols = low.shape[0] // BLOCK, low.shape[1] // BLOCK
    blocks = low[: rows * BLOCK, : cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3)
    flat = blocks.reshape(rows * cols, BLOCK * BLOCK)
    pos = np.argmax(np.abs(flat[:, 1:]), axis=1) + 1
    values = np.abs(flat[np.arange(len(flat)), pos])
    votes = (values % SCALE > 0.5 * SCALE).astype(np.float64)
    which = np.arange(len(votes)) % length
    means = np.bincount(which, weights=votes, minlength=length) / np.maximum(np.bincount(which, minlength=length), 1)
    return (means * 255 > 127).astype(np.uint8)


def find_mark(data: bytes) -> str | None:
    """The known message this file carries, or None; only looks where a mark could survive."""
    if not all(importlib.util.find_spec(m) for m in ("cv2", "pywt")):
        return None  # the decoder needs reclaim[provenance]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
            if not can_survive(image) or image.width * image.height > 40_000_000:
                return None
            rgb = np.asarray(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError):
        return None
    if min(rgb.shape[:2]) < 64:
        return None
    for name, message in KNOWN_MESSAGES.items():
        bits = decode_bits(rgb, len(message))
        if float(np.mean(bits == np.array(message))) >= MIN_AGREEMENT:
            return name
    return None
