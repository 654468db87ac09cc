"""Safe decoding: each kind of bad input gets its own typed, one-line error naming the file, and every
supported format and pixel mode decodes to upright RGB.

Errors are checked by exact class (not a parent), because the CLI, the scan report and the API all key on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pwd
import random
import signal
import stat
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from reclaim.errors import DecodeError, MediaError, TooLarge, UnreadableFile, UnsupportedFormat
from reclaim.hashing import FileHashes, HashFailure, hash_file
from reclaim.media import DecodedImage, Limits, decode_image, read_bytes
from reclaim.signals.pdq import hamming, pdq_hex
from reclaim.synthetic.scenes import composite, scene


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    if fmt == "HEIF":  # Pillow writes HEIF only once pillow-heif is registered (Reclaim does that on first read)
        pytest.importorskip("pillow_heif").register_heif_opener()
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def decode_file(path: Path, limits: Limits = Limits(), *, fast: bool = True) -> DecodedImage:
    """What hashing does with a file: a guarded read, then a guarded decode."""
    return decode_image(read_bytes(path, limits), str(path), limits, fast=fast)


def expect(error: type[MediaError], path: Path, call: Callable[[], object]) -> str:
    """Run ``call``; it must raise exactly ``error`` with a one-line message that starts with the path."""
    with pytest.raises(MediaError) as info:
        call()
    message = str(info.value)
    assert type(info.value) is error, message
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message


def pdq_of(rgb: np.ndarray | Image.Image) -> str:
    return pdq_hex(np.asarray(rgb.convert("RGB")) if isinstance(rgb, Image.Image) else rgb)[0]


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature + IHDR claiming ``width`` x ``height``, and a token IDAT: a bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def photo(faces: dict) -> Image.Image:
    """An upright 1600x1200 stand-in photo: big enough that the fast path decodes it reduced."""
    return composite(faces["astronaut"], seed=5).resize((1600, 1200), Image.BICUBIC)


@pytest.fixture(scope="module")
def animation(faces: dict) -> list[Image.Image]:
    """Three clearly different frames (their PDQ hashes are > 100 bits apart)."""
    return [composite(faces["astronaut"], seed=1), composite(faces["grace_hopper"], seed=2), scene(3)]


# --- bad input, one test each -------------------------------------------------------------------------------


def test_truncated_jpeg(tmp_path: Path, known_jpeg: Path) -> None:
    path = tmp_path / "truncated.jpg"
    data = known_jpeg.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in expect(DecodeError, path, lambda: decode_file(path))


def test_jpeg_cut_inside_its_header(tmp_path: Path, known_jpeg: Path) -> None:
    path = tmp_path / "cut.jpg"
    path.write_bytes(known_jpeg.read_bytes()[:200])
    assert "truncated" in expect(DecodeError, path, lambda: decode_file(path))


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert expect(DecodeError, path, lambda: decode_file(path)) == f"{path}: empty file (0 bytes)"


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("meeting notes\nnothing to see here\n")
    assert "a text file" in expect(UnsupportedFormat, path, lambda: decode_file(path))


def test_png_decompression_bomb_header(tmp_path: Path) -> None:
    """50 000 x 50 000 RGB would need 7.5 GB; the header alone must be refused, in a blink."""
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(50_000, 50_000))
    assert path.stat().st_size < 100
    started = time.perf_counter()
    assert "2500000000 pixels" in expect(TooLarge, path, lambda: decode_file(path))
    assert time.perf_counter() - started < 1


def test_pixel_limit_below_pillows_own(tmp_path: Path) -> None:
    """Our limit, not only Pillow's, decides: 5000 x 5000 passes Pillow's bomb check but not a 10 MP limit."""
    path = tmp_path / "big.png"
    path.write_bytes(png_header_only(5000, 5000))
    message = expect(TooLarge, path, lambda: decode_file(path, Limits(max_pixels=10_000_000)))
    assert "5000x5000 = 25,000,000 pixels, over the limit of 10,000,000" in message


def test_pixel_limit_on_a_real_image(decoy_png: Path) -> None:
    assert "640x480" in expect(TooLarge, decoy_png, lambda: decode_file(decoy_png, Limits(max_pixels=640 * 480 - 1)))
    assert decode_file(decoy_png, Limits(max_pixels=640 * 480)).rgb.shape == (480, 640, 3)


def test_file_size_limit_is_checked_before_reading(known_jpeg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    size = known_jpeg.stat().st_size
    limits = Limits(max_file_bytes=size - 1)
    data = known_jpeg.read_bytes()
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read {self} despite its size"))
    assert f"{size:,} bytes" in expect(TooLarge, known_jpeg, lambda: read_bytes(known_jpeg, limits))
    # The same limit guards callers that already hold the bytes (a Telegram export, a URL download).
    expect(TooLarge, known_jpeg, lambda: decode_image(data, str(known_jpeg), limits))


def test_decode_deadline(tmp_path: Path) -> None:
    """A file within the size and pixel limits that still takes too long to decode is cut off."""
    path = tmp_path / "slow.png"
    noise = np.random.default_rng(0).integers(0, 256, (2000, 2000, 3), dtype=np.uint8)
    path.write_bytes(encode(Image.fromarray(noise), "PNG", compress_level=1))
    previous_handler = signal.getsignal(signal.SIGALRM)
    message = expect(TooLarge, path, lambda: decode_file(path, Limits(max_decode_seconds=0.002), fast=False))
    assert "decoding took longer than 0.002 s" in message
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # disarmed afterwards
    assert signal.getsignal(signal.SIGALRM) is previous_handler
    assert decode_file(path, fast=False).rgb.shape == (2000, 2000, 3)  # the default limit lets it through


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_animation_decodes_its_first_frame(animation: list[Image.Image], fmt: str) -> None:
    params = {"lossless": True} if fmt == "WEBP" else {}
    animated = encode(animation[0], fmt, save_all=True, append_images=animation[1:], duration=100, loop=0, **params)
    alone = encode(animation[0], fmt, **params)
    decoded = decode_image(animated, f"anim.{fmt.lower()}")
    assert decoded.frames == 3
    assert decode_image(alone, "alone").frames == 1
    assert pdq_of(decoded.rgb) == pdq_of(decode_image(alone, "alone").rgb)
    assert all(hamming(pdq_of(decoded.rgb), pdq_of(frame)) > 100 for frame in animation[1:])


def test_animated_gif_damaged_after_its_first_frame_still_hashes(animation: list[Image.Image]) -> None:
    """A half-downloaded GIF: the first frame is intact, so it must still be hashed."""
    animated = encode(animation[0], "GIF", save_all=True, append_images=animation[1:], duration=100)
    first = decode_image(encode(animation[0], "GIF"), "first.gif")
    decoded = decode_image(animated[: int(len(animated) * 0.8)], "cut.gif")
    assert decoded.frames >= 1 and np.array_equal(decoded.rgb, first.rgb)


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("icon.ico", lambda: encode(scene(1, (64, 64)), "ICO"), "ICO images are not supported"),
        ("scan.tga", lambda: encode(scene(1, (64, 64)), "TGA"), "TGA images are not supported"),
        ("report.jpg", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "a PDF document"),
        ("clip.jpg", lambda: b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64), "an MP4/MOV video"),
    ],
)
def test_unsupported_format(tmp_path: Path, name: str, make: Callable[[], bytes], says: str) -> None:
    path = tmp_path / name
    path.write_bytes(make())
    assert says in expect(UnsupportedFormat, path, lambda: decode_file(path))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.jpg"
    assert expect(UnreadableFile, path, lambda: read_bytes(path)) == f"{path}: no such file"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    path = tmp_path / "folder.jpg"
    path.mkdir()
    assert expect(UnreadableFile, path, lambda: read_bytes(path)) == f"{path}: not a regular file"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """A named pipe in a seized folder would hang a reader that opened it; it must be refused unopened."""
    path = tmp_path / "pipe.jpg"
    os.mkfifo(path)
    assert expect(UnreadableFile, path, lambda: read_bytes(path)) == f"{path}: not a regular file"


def test_permission_error_maps_to_unreadable_file(known_jpeg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mapping alone, on any machine (the suite runs as root, whom chmod does not stop; the test below
    drops root for real)."""

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert expect(UnreadableFile, known_jpeg, lambda: read_bytes(known_jpeg)) == f"{known_jpeg}: permission denied"


@pytest.fixture
def private_file(known_jpeg: Path) -> Iterator[Path]:
    """A mode-000 copy of a good image in a folder anyone may enter, so only the file's mode refuses."""
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        path = Path(folder) / "private.jpg"
        path.write_bytes(known_jpeg.read_bytes())
        path.chmod(0)
        yield path


def hash_file_as(uid: int, gid: int, path: Path) -> str:
    """``hash_file(path)`` in a forked child that has given up root; returns '<error class>: <message>'."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            outcome = hash_file(path)
            report = f"{type(outcome.error).__name__}: {outcome.error}" if isinstance(outcome, HashFailure) else "ok"
            os.write(write_end, report.encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the unprivileged child failed"
    return report


def test_unreadable_permission(private_file: Path) -> None:
    """For real: the kernel refuses the read (as root, in a child that dropped to ``nobody``)."""
    assert stat.S_IMODE(private_file.stat().st_mode) == 0
    expected = f"UnreadableFile: {private_file}: permission denied"
    if os.geteuid() != 0:
        outcome = hash_file(private_file)
        assert isinstance(outcome, HashFailure)
        assert f"{type(outcome.error).__name__}: {outcome.error}" == expected
        return
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root and there is no 'nobody' user to drop to")
    assert hash_file_as(nobody.pw_uid, nobody.pw_gid, private_file) == expected
    assert isinstance(hash_file(private_file), FileHashes)  # root itself still reads it: the mode did it


def test_corrupt_exif_does_not_stop_decoding(known_jpeg: Path) -> None:
    """Broken metadata is common in the wild; the pixels decide, and no warning escapes (pytest makes
    warnings errors, so one escaping would fail this test)."""
    data = known_jpeg.read_bytes()
    payload = b"Exif\0\0II*\0" + struct.pack("<I", 99_999) + bytes(20)  # IFD offset past the end
    broken = data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    decoded = decode_image(broken, "broken-exif.jpg")
    assert pdq_of(decoded.rgb) == pdq_of(decode_image(data, "clean.jpg").rgb)


def damaged_copies(data: bytes, count: int, rng: random.Random) -> Iterator[bytes]:
    for _ in range(count):
        copy = bytearray(data)
        if rng.random() < 0.3:
            copy = copy[: rng.randrange(1, len(copy))]
        else:
            for _ in range(rng.randint(1, 8)):
                copy[rng.randrange(len(copy))] = rng.randrange(256)
        yield bytes(copy)


FUZZ_FORMATS: list[tuple[str, dict]] = [
    ("JPEG", {}), ("PNG", {}), ("WEBP", {}), ("GIF", {"save_all": True}), ("BMP", {}), ("TIFF", {}),
    ("TIFF", {"compression": "tiff_lzw"}), ("MPO", {"save_all": True}), ("HEIF", {}), ("AVIF", {}),
]


@pytest.mark.parametrize(("fmt", "params"), FUZZ_FORMATS, ids=[f + p.get("compression", "") for f, p in FUZZ_FORMATS])
def test_damaged_files_raise_only_media_errors(animation: list[Image.Image], fmt: str, params: dict) -> None:
    """Random truncations and byte flips of every format: decoded or a MediaError, never a foreign exception
    (which the CLI would show as a traceback). Found RuntimeError from the AVIF decoder and an IndexError
    from counting GIF frames."""
    if fmt == "HEIF":
        pytest.importorskip("pillow_heif")
    if fmt == "AVIF" and "avif" not in features.get_supported_modules():  # check() warns before 11.2
        pytest.skip("Pillow built without AVIF")
    small = [frame.resize((96, 72)) for frame in animation]
    if params.get("save_all"):
        params = {**params, "append_images": small[1:]}
    data = encode(small[0], fmt, **params)
    for i, damaged in enumerate(damaged_copies(data, 60, random.Random(fmt))):
        with contextlib.suppress(MediaError):
            decode_image(damaged, f"damaged-{i}")


# --- what must decode -------------------------------------------------------------------------------------


LOSSLESS: list[tuple[str, dict]] = [("PNG", {}), ("BMP", {}), ("TIFF", {}), ("WEBP", {"lossless": True})]
LOSSY: list[tuple[str, dict]] = [
    ("JPEG", {"quality": 90}), ("WEBP", {"quality": 90}), ("GIF", {}), ("HEIF", {"quality": 90}),
    ("AVIF", {"quality": 90}), ("MPO", {"save_all": True}),
]


@pytest.mark.parametrize(("fmt", "params"), LOSSLESS + LOSSY, ids=[f for f, _ in LOSSLESS + LOSSY])
def test_every_supported_format_decodes(animation: list[Image.Image], fmt: str, params: dict) -> None:
    if fmt == "HEIF":
        pytest.importorskip("pillow_heif")
    if fmt == "AVIF" and "avif" not in features.get_supported_modules():  # check() warns before 11.2
        pytest.skip("Pillow built without AVIF")
    original = animation[0]
    if fmt == "MPO":  # a stereo pair, as phones write it; the first image is the one shown
        params = {**params, "append_images": animation[1:2]}
    decoded = decode_image(encode(original, fmt, **params), f"photo.{fmt.lower()}")
    assert (decoded.format, decoded.width, decoded.height, decoded.scale) == (fmt, 640, 480, 1.0)
    assert decoded.rgb.shape == (480, 640, 3) and decoded.rgb.dtype == np.uint8
    if (fmt, params) in LOSSLESS:
        assert np.array_equal(decoded.rgb, np.asarray(original))
    else:
        assert hamming(pdq_of(decoded.rgb), pdq_of(original)) <= 12


def _grey16(image: Image.Image) -> Image.Image:
    return Image.fromarray(np.asarray(image.convert("L")).astype(np.uint16) * 257)


MODES: list[tuple[str, str, Callable[[Image.Image], Image.Image]]] = [
    ("1", "PNG", lambda im: im.convert("1")),
    ("L", "PNG", lambda im: im.convert("L")),
    ("LA", "PNG", lambda im: im.convert("LA")),
    ("P", "PNG", lambda im: im.convert("P")),
    ("PA", "TIFF", lambda im: im.convert("PA")),
    ("RGBA", "PNG", lambda im: im.convert("RGBA")),
    ("CMYK", "JPEG", lambda im: im.convert("CMYK")),
    ("CMYK", "TIFF", lambda im: im.convert("CMYK")),
    ("YCbCr", "TIFF", lambda im: im.convert("YCbCr")),
    ("LAB", "TIFF", lambda im: im.convert("LAB")),
    ("I;16", "PNG", _grey16),
    ("I;16", "TIFF", _grey16),
    ("I", "TIFF", lambda im: im.convert("I")),
    ("F", "TIFF", lambda im: im.convert("F")),
]


@pytest.mark.parametrize(("mode", "fmt", "make"), MODES, ids=[f"{m}-{f}" for m, f, _ in MODES])
def test_every_mode_decodes_to_rgb_as_pillow_converts_it(
    animation: list[Image.Image], mode: str, fmt: str, make: Callable[[Image.Image], Image.Image]
) -> None:
    """Same pixels as Pillow's own convert('RGB'), which is what python-threatexchange hashes."""
    data = encode(make(animation[0]), fmt)
    with Image.open(io.BytesIO(data)) as stored:
        if (mode, fmt, stored.mode) == ("YCbCr", "TIFF", "RGB"):
            pytest.skip("this Pillow reads a YCbCr TIFF back as RGB")
        assert stored.mode == mode
        expected = np.asarray(stored.convert("RGB"))
    decoded = decode_image(data, f"{mode}.{fmt.lower()}", fast=False)
    assert decoded.rgb.dtype == np.uint8 and np.array_equal(decoded.rgb, expected)


# EXIF orientation → the transpose that turns the upright picture into what a camera stores with that tag.
STORED_AS: dict[int, Image.Transpose | None] = {
    1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def stored_with_orientation(upright: Image.Image, orientation: int, fmt: str) -> bytes:
    method = STORED_AS[orientation]
    stored = upright if method is None else upright.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(stored, fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {}))


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "full"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(photo: Image.Image, orientation: int, fast: bool) -> None:
    """A phone stores the sensor's pixels and a tag; we hash what people see, the upright picture."""
    decoded = decode_image(stored_with_orientation(photo, orientation, "JPEG"), "phone.jpg", fast=fast)
    assert (decoded.width, decoded.height) == photo.size
    assert decoded.rgb.shape == ((600, 800, 3) if fast else (1200, 1600, 3))
    assert hamming(pdq_of(decoded.rgb), pdq_of(photo)) <= 4
    method = STORED_AS[orientation]
    if method is not None:  # the tag mattered: the stored pixels, as a viewer ignoring it shows them, are far
        assert hamming(pdq_of(photo.transpose(method)), pdq_of(decoded.rgb)) > 31


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_exif_orientation_in_other_formats(photo: Image.Image, fmt: str) -> None:
    """TIFF reports the upright size before decoding while JPEG does not; both must come out the same."""
    for fast in (True, False):
        decoded = decode_image(stored_with_orientation(photo, 6, fmt), f"phone.{fmt.lower()}", fast=fast)
        assert (decoded.width, decoded.height) == (1600, 1200)
        assert decoded.rgb.shape == ((600, 800, 3) if fast else (1200, 1600, 3))
        assert decoded.scale == (0.5 if fast else 1.0)
        assert hamming(pdq_of(decoded.rgb), pdq_of(photo)) <= 4


# --- the CLI over a folder of good and bad files ---------------------------------------------------------------


@pytest.fixture
def mixed_folder(tmp_path: Path, known_jpeg: Path, decoy_png: Path, animation: list[Image.Image]) -> Path:
    root = tmp_path / "seized"
    root.mkdir()
    (root / "a_known.jpg").write_bytes(known_jpeg.read_bytes())
    (root / "b_decoy.png").write_bytes(decoy_png.read_bytes())
    (root / "c_anim.gif").write_bytes(encode(animation[0], "GIF", save_all=True, append_images=animation[1:]))
    (root / "d_photo.webp").write_bytes(encode(animation[1], "WEBP"))
    data = known_jpeg.read_bytes()
    (root / "e_truncated.jpg").write_bytes(data[: len(data) // 2])
    (root / "f_empty.jpg").write_bytes(b"")
    (root / "g_notes.jpg").write_text("just text\n")
    (root / "h_bomb.png").write_bytes(png_header_only(50_000, 50_000))
    (root / "i_icon.ico").write_bytes(encode(scene(9, (64, 64)), "ICO"))
    (root / "j_report.pdf").write_bytes(b"%PDF-1.7\n")
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(data)
    (root / "k_escape.jpg").symlink_to(outside)
    return root


BAD = {
    "e_truncated.jpg": "truncated", "f_empty.jpg": "empty file", "g_notes.jpg": "a text file",
    "h_bomb.png": "decompression bomb", "i_icon.ico": "ICO images are not supported", "j_report.pdf": "a PDF document",
    "k_escape.jpg": "symlink points outside",
}


def test_cli_hash_json_reports_every_file_and_goes_on(cli: Callable, mixed_folder: Path) -> None:
    result = cli("hash", "--json", mixed_folder)
    assert result.code == 1
    assert "Traceback" not in result.err
    lines = result.json_lines()
    assert [Path(line["path"]).name for line in lines] == sorted(p.name for p in mixed_folder.iterdir())
    for line in lines:
        path = Path(line["path"])
        if path.name in BAD:
            assert set(line) == {"path", "error"}
            assert line["error"].startswith(f"{path}: ") and BAD[path.name] in line["error"], line
            continue
        assert set(line) == {"path", "sha256", "md5", "pdq", "pdq_quality"}
        data = path.read_bytes()
        assert line["sha256"] == hashlib.sha256(data).hexdigest() and line["md5"] == hashlib.md5(data).hexdigest()
        assert len(line["pdq"]) == 64 and set(line["pdq"]) <= set("0123456789abcdef")
        assert 0 <= line["pdq_quality"] <= 100


_opened: list[str] | None = None


def _record_opens(event: str, args: tuple) -> None:
    if event == "open" and _opened is not None:
        _opened.append(os.fsdecode(args[0]) if isinstance(args[0], str | bytes) else str(args[0]))


sys.addaudithook(_record_opens)  # permanent for the session, but records only inside ``opens_during``


def opens_during(call: Callable[[], object]) -> list[str]:
    """Every file the interpreter opened (audit event 'open': open(), os.open, Path.read_bytes...)."""
    global _opened
    _opened = []
    try:
        call()
        return _opened
    finally:
        _opened = None


def test_cli_never_reads_through_a_symlink_out_of_the_folder(cli: Callable, mixed_folder: Path) -> None:
    outside = (mixed_folder / "k_escape.jpg").resolve()
    results = []
    opened = opens_during(lambda: results.append(cli("hash", "--json", "--workers", "1", mixed_folder)))
    assert str(outside) not in opened and str(mixed_folder / "k_escape.jpg") not in opened
    assert str(mixed_folder / "a_known.jpg") in opened  # the recorder works: in-folder files were opened
    (escape,) = [line for line in results[0].json_lines() if line["path"].endswith("k_escape.jpg")]
    assert set(escape) == {"path", "error"} and str(outside) in escape["error"]
