"""Signs of AI generation or editing left in a file: leads for a reviewer, never verdicts.

Each lead names where it was found and quotes the evidence, so a reviewer can check it:

- C2PA manifests (c2pa-python, optional extra ``provenance``): the claim generator, the signer and any
  ``trainedAlgorithmicMedia`` digital source type in its assertions;
- IPTC/XMP ``DigitalSourceType`` (``trainedAlgorithmicMedia``, ``compositeWithTrainedAlgorithmicMedia``, ...);
- EXIF ``Software`` and XMP ``CreatorTool`` naming a generator, a face-swap tool or an editor;
- PNG text chunks left by Stable Diffusion front-ends: A1111/Forge ``parameters``, ComfyUI ``prompt``/``workflow``
  (the prompt itself is never quoted: it may describe the abuse);
- the Stable Diffusion invisible watermark, looked for only where it can survive (signals/watermark.py);
- a face that keeps another JPEG's block grid than the rest of its picture, when the faces extra is installed
  (signals/blending.py: a face pasted from a JPEG into a lossless picture; it says when it cannot tell).

These are not Signals (nothing is matched by distance, and a bank must never "match" two files because both
came from the same generator); scans keep hashes, triage reads leads from the files.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from reclaim.media.image import heif_ready
from reclaim.signals.blending import foreign_grids
from reclaim.signals.face import face_boxes, faces_available
from reclaim.signals.watermark import find_mark

GENERATED = "generated"  # kinds, strongest first
WATERMARK = "watermark"
EDITED = "edited"
_DST = re.compile(rb"DigitalSourceType[^>]{0,40}?(?:>|=\s*[\"'])\s*(?:https?://cv\.iptc\.org/newscodes/"
                  rb"digitalsourcetype/)?([A-Za-z]+)")
_AI_SOURCE_TYPES = {"trainedalgorithmicmedia", "compositewithtrainedalgorithmicmedia", "algorithmicmedia",
                    "compositesynthetic"}
_CREATOR_TOOL = re.compile(rb"CreatorTool(?:>|=\s*[\"'])([^<\"']{1,120})")
_GENERATORS = ("stable diffusion", "midjourney", "dall-e", "dall·e", "firefly", "novelai", "comfyui", "invokeai",
               "automatic1111", "fooocus", "leonardo", "flux", "imagen", "faceapp", "reface", "deepfacelab",
               "facefusion", "roop", "faceswap", "deepswap")
_EDITORS = ("photoshop", "gimp", "lightroom", "affinity", "pixelmator", "snapseed", "picsart", "facetune", "canva")
_MAX_BLENDING_PIXELS = 40_000_000  # the grid check reads every pixel; bigger pictures are left to the reviewer
_A1111_KEYS = ("Steps", "Sampler", "CFG scale", "Seed", "Size", "Model", "Model hash", "Version")


@dataclass(frozen=True)
class Lead:
    """One sign, with where it came from and what it says."""

    kind: str  # generated, watermark or edited
    source: str  # c2pa, xmp, exif, png, watermark
    evidence: str  # one line a reviewer can check

    def __str__(self) -> str:
        return f"{self.kind} ({self.source}): {self.evidence}"


def provenance_leads(data: bytes) -> list[Lead]:
    """Every lead in the file's bytes, strongest kind first; an unreadable file simply has none."""
    leads = _c2pa(data) + _xmp(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # damaged metadata is common and not our finding
            heif_ready(data)  # a HEIC photo's metadata is read too
            with Image.open(io.BytesIO(data)) as image:
                leads += _png_text(image) + _software(image) + _pasted_faces(image)
    except (OSError, ValueError, SyntaxError):
        pass
    mark = find_mark(data)
    if mark:
        leads.append(Lead(WATERMARK, "watermark", f"invisible watermark of {mark} (dwtDct) decoded"))
    order = {GENERATED: 0, WATERMARK: 1, EDITED: 2}
    return sorted(dict.fromkeys(leads), key=lambda lead: order[lead.kind])


def _c2pa(data: bytes) -> list[Lead]:
    if b"c2pa" not in data:  # no JUMBF manifest store: skip the native reader
        return []
    try:
        import c2pa
    except ImportError:
        return [Lead(EDITED, "c2pa", "a C2PA manifest is present; install reclaim[provenance] to read it")]
    mime = {b"\x89PNG": "image/png", b"RIFF": "image/webp"}.get(data[:4], "image/jpeg")
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data))
        if reader is None:
            return []
        with reader:
            store = json.loads(reader.json())
            state = reader.get_validation_state()
    except c2pa.C2paError as exc:
        return [Lead(EDITED, "c2pa", f"a C2PA manifest that does not read: {str(exc)[:120]}")]
    manifest = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    generator = manifest.get("claim_generator") or ", ".join(
        str(g.get("name", "")) for g in manifest.get("claim_generator_info", []))
    issuer = (manifest.get("signature_info") or {}).get("issuer", "unknown issuer")
    types = re.findall(r"digitalsourcetype/(\w+)", json.dumps(manifest.get("assertions", [])), re.IGNORECASE)
    ai = next((t for t in types if t.lower() in _AI_SOURCE_TYPES), None)
    where = f"C2PA manifest by {generator or 'an unnamed generator'}, signed by {issuer} ({state})"
    return [Lead(GENERATED, "c2pa", f"{where}: digital source type {ai}")] if ai else \
        [Lead(EDITED, "c2pa", where)]


def _xmp(data: bytes) -> list[Lead]:
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        return []
    end = data.find(b"</x:xmpmeta>", start)
    packet = data[start : len(data) if end < 0 else end + 12]
    leads = []
    for value in {m.group(1).decode("ascii", "replace") for m in _DST.finditer(packet)}:
        if value.lower() in _AI_SOURCE_TYPES:
            leads.append(Lead(GENERATED, "xmp", f"IPTC DigitalSourceType = {value}"))
    for tool in {m.group(1).decode("utf-8", "replace").strip() for m in _CREATOR_TOOL.finditer(packet)}:
        leads += _tool_lead(tool, "xmp", "CreatorTool")
    return leads


def _pasted_faces(image: Image.Image) -> list[Lead]:
    """Faces carrying a foreign JPEG grid (needs the faces extra to find the faces; without it, none)."""
    if not faces_available() or image.width * image.height > _MAX_BLENDING_PIXELS:
        return []
    is_jpeg = image.format == "JPEG"
    rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    boxes = face_boxes(rgb)
    return [Lead(EDITED, "jpeg-grid", grid.evidence()) for grid in foreign_grids(rgb, boxes, jpeg_file=is_jpeg)]


def _software(image: Image.Image) -> list[Lead]:
    software = str(image.getexif().get(0x0131, "")).strip("\x00 ")
    return _tool_lead(software, "exif", "Software") if software else []


def _tool_lead(tool: str, source: str, field: str) -> list[Lead]:
    low = tool.lower()
    if any(g in low for g in _GENERATORS):
        return [Lead(GENERATED, source, f"{field} = {tool[:120]!r} (a generator or face-swap tool)")]
    if any(e in low for e in _EDITORS):
        return [Lead(EDITED, source, f"{field} = {tool[:120]!r} (an image editor)")]
    return []


def _png_text(image: Image.Image) -> list[Lead]:
    text = getattr(image, "text", None) or {}
    leads = []
    if "parameters" in text:
        settings = text["parameters"].splitlines()[-1]  # A1111 puts "Steps: ..., Seed: ..., Model: ..." last
        kept = [part.strip() for part in settings.split(",") if part.split(":")[0].strip() in _A1111_KEYS]
        leads.append(Lead(GENERATED, "png", "'parameters' text chunk of a Stable Diffusion web UI (A1111/Forge)"
                          + (f": {', '.join(kept)[:200]}" if kept else "")))
    if "prompt" in text or "workflow" in text:
        try:
            graph = json.loads(text.get("prompt") or text["workflow"])
            nodes = graph.values() if isinstance(graph, dict) else []
            kinds = sorted({str(n.get("class_type")) for n in nodes if isinstance(n, dict) and n.get("class_type")})
        except (json.JSONDecodeError, AttributeError):
            kinds = []
        leads.append(Lead(GENERATED, "png", "ComfyUI 'prompt'/'workflow' text chunk"
                          + (f" (nodes: {', '.join(kinds)[:200]})" if kinds else "")))
    return leads
