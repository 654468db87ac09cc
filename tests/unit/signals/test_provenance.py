"""Provenance leads on files built here: each reports the right lead, and a plain JPEG reports none."""

from __future__ import annotations

import datetime
import io
import sys
import types

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from reclaim.signals.provenance import EDITED, GENERATED, WATERMARK, provenance_leads
from reclaim.signals.watermark import SDXL_BITS, decode_bits
from reclaim.synthetic.scenes import jpeg_bytes, scene

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
       b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
       b"</rdf:RDF></x:xmpmeta>")


def saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def test_a_plain_jpeg_has_no_lead() -> None:
    assert provenance_leads(jpeg_bytes(scene(1))) == []


def test_a1111_parameters_chunk_without_quoting_the_prompt() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "secret prompt words\nNegative prompt: x\nSteps: 20, Sampler: Euler a, Seed: 7, "
                                "Model: sd_xl_base_1.0")
    (lead,) = provenance_leads(saved(scene(1), "PNG", pnginfo=info))
    assert (lead.kind, lead.source) == (GENERATED, "png")
    assert "Model: sd_xl_base_1.0" in lead.evidence and "secret" not in lead.evidence


def test_comfyui_prompt_chunk() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", '{"3": {"class_type": "KSampler", "inputs": {}}, "4": {"class_type": "CheckpointLoader"}}')
    (lead,) = provenance_leads(saved(scene(1), "PNG", pnginfo=info))
    assert lead.kind == GENERATED and "ComfyUI" in lead.evidence and "KSampler" in lead.evidence


def test_xmp_digital_source_type() -> None:
    (lead,) = provenance_leads(saved(scene(1), "JPEG", xmp=XMP))
    assert (lead.kind, lead.source) == (GENERATED, "xmp") and "trainedAlgorithmicMedia" in lead.evidence


def test_software_tags_of_editors_and_generators() -> None:
    exif = Image.Exif()
    exif[0x0131] = "Adobe Photoshop 25.0"
    assert [(x.kind, x.source) for x in provenance_leads(saved(scene(1), "JPEG", exif=exif))] == [(EDITED, "exif")]
    exif[0x0131] = "FaceFusion 3.0"
    assert provenance_leads(saved(scene(1), "JPEG", exif=exif))[0].kind == GENERATED


@pytest.fixture(scope="module")
def imwatermark() -> types.ModuleType:
    """The reference encoder; its module imports torch at the top but dwtDct never uses it (DEPS.md)."""
    pytest.importorskip("pywt")
    sys.modules.setdefault("torch", types.ModuleType("torch"))
    return pytest.importorskip("imwatermark", reason="scripts/test installs invisible-watermark --no-deps")


def test_invisible_watermark_is_read_only_where_it_survives(imwatermark: types.ModuleType, faces: dict) -> None:
    encoder = imwatermark.WatermarkEncoder()
    encoder.set_watermark("bits", SDXL_BITS)
    marked = Image.fromarray(encoder.encode(np.asarray(faces["astronaut"])[:, :, ::-1].copy(), "dwtDct")[:, :, ::-1])
    assert decode_bits(np.asarray(marked), 48).tolist() == SDXL_BITS
    (lead,) = provenance_leads(saved(marked, "PNG"))
    assert (lead.kind, lead.source) == (WATERMARK, "watermark") and "XL" in lead.evidence
    assert provenance_leads(saved(marked, "JPEG", quality=95, subsampling=0))[0].kind == WATERMARK
    assert provenance_leads(saved(marked, "JPEG", quality=90)) == []  # 4:2:0 erased it: say nothing
    assert provenance_leads(saved(faces["astronaut"], "PNG")) == []


def test_c2pa_manifest_with_trained_algorithmic_media() -> None:
    c2pa = pytest.importorskip("c2pa")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Reclaim tests")])

    def cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: ec.EllipticCurvePrivateKey,
             ca: bool) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        usage = dict.fromkeys(("content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
                               "encipher_only", "decipher_only"), False)
        builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=9))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, **usage),
                                  critical=True))
        if not ca:  # what c2pa checks on a signing certificate
            builder = (builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
                       .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False)
                       .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (
        cert("test generator", key, "test CA", ca_key, False), cert("test CA", ca_key, "test CA", ca_key, True)))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, pem, None))
    manifest = {"claim_generator_info": [{"name": "test-generator", "version": "1.0"}], "title": "made.jpg",
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [{"action": "c2pa.created",
                                "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/"
                                                     "trainedAlgorithmicMedia"}]}}]}
    signed = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(jpeg_bytes(scene(2))), signed)
    (lead,) = provenance_leads(signed.getvalue())
    assert (lead.kind, lead.source) == (GENERATED, "c2pa")
    assert "test-generator" in lead.evidence and "trainedAlgorithmicMedia" in lead.evidence
