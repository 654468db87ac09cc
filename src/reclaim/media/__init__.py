"""Safe decoding of untrusted media: limits first, typed errors always."""

from reclaim.media.image import DecodedImage, decode_image, read_bytes
from reclaim.media.limits import Limits

__all__ = ["DecodedImage", "Limits", "decode_image", "read_bytes"]
