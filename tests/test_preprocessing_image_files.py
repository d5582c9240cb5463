"""load_img, img_to_array, array_to_img and save_img against Keras 3's own, and hostile image files refused from
their header with bounded memory (tests/bounded_memory.py)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from keras.src.utils import image_utils as keras_utils
from PIL import Image

from pydl.preprocessing import image_files
from pydl.preprocessing.image import array_to_img, img_to_array, load_img, save_img
from tests.bounded_memory import run_capped

PIXELS = np.random.default_rng(0).integers(0, 256, (9, 13, 3)).astype(np.uint8)


@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
@pytest.mark.parametrize("target_size, interpolation, keep_aspect_ratio", [
    (None, "nearest", False), ((6, 5), "nearest", False), ((6, 5), "bilinear", False), ((4, 8), "bicubic", True)])
def test_load_img_and_img_to_array_equal_keras(tmp_path, color_mode, target_size, interpolation, keep_aspect_ratio):
    path = tmp_path / "picture.png"
    Image.fromarray(PIXELS).save(path)
    options = dict(color_mode=color_mode, target_size=target_size, interpolation=interpolation,
                   keep_aspect_ratio=keep_aspect_ratio)
    ours, theirs = load_img(path, **options), keras_utils.load_img(path, **options)
    assert ours.size == theirs.size and ours.mode == theirs.mode
    for data_format in ("channels_last", "channels_first"):
        np.testing.assert_array_equal(img_to_array(ours, data_format), keras_utils.img_to_array(theirs, data_format))


def test_load_img_reads_jpeg_from_bytes_too(tmp_path):
    smooth = np.broadcast_to(np.linspace(0, 255, 13)[None, :, None], (9, 13, 3)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(smooth).save(buffer, format="JPEG", quality=95)
    x = img_to_array(load_img(io.BytesIO(buffer.getvalue())))
    assert x.shape == (9, 13, 3) and x.dtype == np.float32
    assert np.abs(x - smooth).mean() < 4  # JPEG is lossy; a smooth ramp at quality 95 stays close


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("scale", [True, False])
def test_array_to_img_and_save_img_round_trip_as_keras(tmp_path, channels, scale):
    x = np.random.default_rng(channels).random((7, 5, channels)) * (1 if scale else 255)
    ours, theirs = array_to_img(x, scale=scale), keras_utils.array_to_img(x, scale=scale)
    assert ours.mode == theirs.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    save_img(tmp_path / "out.png", x, scale=scale)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out.png")), np.asarray(theirs))


def test_array_to_img_leaves_the_callers_array_alone_and_saves_rgba_jpeg_as_rgb(tmp_path):
    x = np.random.default_rng(1).random((4, 4, 4))
    before = x.copy()
    array_to_img(x)
    np.testing.assert_array_equal(x, before)
    save_img(tmp_path / "out.jpg", x)
    assert Image.open(tmp_path / "out.jpg").mode == "RGB"


@pytest.mark.parametrize("call, error, message", [
    (lambda p: load_img(p, color_mode="cmyk"), ValueError, 'color_mode must be "grayscale", "rgb" or "rgba"'),
    (lambda p: load_img(p, target_size=(0, 4)), ValueError, "target_size must be .* two positive integers"),
    (lambda p: load_img(p, target_size=(100000, 100000)), ValueError, "over the limit of 33,554,432"),
    (lambda p: load_img(p, interpolation="fancy"), ValueError, "interpolation must be one of nearest"),
    (lambda p: load_img(42), TypeError, "takes a path or an io.BytesIO; got int"),
    (lambda p: array_to_img(np.zeros((4, 4, 2))), ValueError, "1, 3 or 4 channels; got 2"),
    (lambda p: img_to_array(np.zeros((2, 4, 4, 3))), ValueError, r"2 or 3 axes; got shape \(2, 4, 4, 3\)"),
])
def test_bad_arguments_are_refused_clearly(tmp_path, call, error, message):
    path = tmp_path / "ok.png"
    Image.fromarray(PIXELS).save(path)
    with pytest.raises(error, match=message):
        call(path)


def test_files_that_are_not_images_or_are_truncated_are_refused_naming_the_file(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("just text")
    with pytest.raises(ValueError, match=r"notes.png: not an image Pillow can decode"):
        load_img(text)
    buffer = io.BytesIO()
    Image.fromarray(PIXELS).save(buffer, format="PNG")
    for cut in (len(buffer.getvalue()) // 2, 60):
        path = tmp_path / f"cut{cut}.png"
        path.write_bytes(buffer.getvalue()[:cut])
        with pytest.raises(ValueError, match=rf"cut{cut}.png: truncated or corrupt (PNG data|image header)"):
            load_img(path)
    jpeg = io.BytesIO()
    Image.fromarray(PIXELS).save(jpeg, format="JPEG")
    for cut in (200, len(jpeg.getvalue()) - 40):  # inside the header, then inside the scan
        (tmp_path / f"cut{cut}.jpg").write_bytes(jpeg.getvalue()[:cut])
        with pytest.raises(ValueError, match=rf"cut{cut}.jpg: truncated or corrupt (JPEG data|image header)"):
            load_img(tmp_path / f"cut{cut}.jpg")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid greyscale PNG of width x height black pixels: ~1 KB per MB it inflates to."""
    row = bytes(width + 1)  # filter byte 0 and black pixels
    rows_per_block = max(1, (1 << 20) // len(row))
    blocks, rest = divmod(height, rows_per_block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: the zlib header and checksum are added below
    # A full flush byte-aligns the stream and drops back-references, so one compressed block can be repeated.
    block = deflate.compress(row * rows_per_block) + deflate.flush(zlib.Z_FULL_FLUSH) if blocks else b""
    checksum = 1
    for _ in range(blocks):
        checksum = zlib.adler32(row * rows_per_block, checksum)
    checksum = zlib.adler32(row * rest, checksum)
    body = (b"\x78\xda" + block * blocks + deflate.compress(row * rest) + deflate.flush()
            + struct.pack(">I", checksum))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


@pytest.mark.parametrize("side, expected", [
    (7000, "declares 7000x7000 = 49,000,000 pixels, over the limit of 33,554,432"),  # pydl's own limit
    (20000, "refused from its header, nothing was decoded: Image size (400000000 pixels)"),  # Pillow's, past 2x its
])
def test_a_decompression_bomb_is_refused_from_its_header_in_bounded_memory(tmp_path, side, expected):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(side, side))  # side**2 bytes inflated, ~1 KB per MB on disk
    assert path.stat().st_size < side * side / 500
    report = run_capped(f"load_img({str(path)!r})", cap_mib=200,
                        imports="from pydl.preprocessing.image import load_img\nimport PIL.Image, PIL.PngImagePlugin")
    assert report["error"] == "ValueError", report
    assert expected in report["message"] and str(path) in report["message"]
    assert report["growth_mib"] < 20, report  # the file's bytes, not its 49 MB or 400 MB of pixels


def test_an_image_within_the_limit_decodes_and_the_limit_can_be_raised(tmp_path, monkeypatch):
    path = tmp_path / "wide.png"
    path.write_bytes(png_bomb(300, 200))
    assert img_to_array(load_img(path, color_mode="grayscale")).shape == (200, 300, 1)
    monkeypatch.setattr(image_files, "MAX_IMAGE_PIXELS", 300 * 200 - 1)
    with pytest.raises(ValueError, match="300x200 = 60,000 pixels, over the limit of 59,999"):
        load_img(path)
    monkeypatch.setattr(image_files, "MAX_IMAGE_BYTES", 100)
    with pytest.raises(ValueError, match="over the 100-byte limit for an image file"):
        load_img(path)


def test_a_missing_pillow_gives_the_install_command(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_pil)
    with pytest.raises(ImportError, match=r'needs Pillow, which is not installed; install Pillow: pip install "pydl\[images\]"'):
        load_img("anything.png")


def test_the_site_ships_pyodides_pillow_but_no_page_loads_it_on_start():
    from tests.site import ROOT, load_build_module

    build = load_build_module()
    assert "pillow" in build.PYODIDE_OPT_IN_PACKAGES and "pillow" not in build.PYODIDE_PACKAGES
    startup = [ROOT / "web" / "common" / "pydl_page.py", *sorted((ROOT / "web").glob("*/pyscript.json"))]
    assert len(startup) > 3 and not [p.name for p in startup if "pillow" in p.read_text().lower()]
