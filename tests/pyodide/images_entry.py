"""Runs inside Pyodide (tests/pyodide/test_images_in_pyodide.py): Pillow is fetched only when asked for, then PNG
files decode through pydl.preprocessing.image exactly as natively. The PNGs are written with zlib alone (no Pillow),
so the decoder under test is not the encoder."""

import io
import os
import struct
import sys
import zlib

import numpy as np

from pydl.preprocessing import image

RESULT = {"numpy": np.__version__, "pil_before": "PIL" in sys.modules}
try:
    image.load_img(io.BytesIO(b""))
    RESULT["error_before"] = None
except ImportError as error:
    RESULT["error_before"] = str(error)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(pixels, size=None):
    """An 8-bit RGB PNG of ``pixels`` (height x width x 3 uint8); ``size`` (width, height) makes its header claim
    another size (a decompression bomb's header, without the bomb's bytes)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))
    width, height = size or (width, height)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


RESULT["pillow"] = await image.load_pillow()  # noqa: F704  (runPythonAsync: top-level await)
pixels = (np.arange(5 * 7 * 3) * 7 % 256).astype(np.uint8).reshape(5, 7, 3)
decoded = image.img_to_array(image.load_img(io.BytesIO(png(pixels))))
RESULT["decoded_equal"] = bool(decoded.shape == (5, 7, 3) and np.array_equal(decoded, pixels))

for label, value in (("bright", 220), ("dark", 20)):
    os.makedirs(f"/tmp/images/{label}", exist_ok=True)
    for i in range(3):
        with open(f"/tmp/images/{label}/{i}.png", "wb") as file:
            file.write(png(np.full((6, 6, 3), value + i, np.uint8)))
flow = image.ImageDataGenerator(rescale=1 / 255, horizontal_flip=True).flow_from_directory(
    "/tmp/images", target_size=(4, 4), batch_size=6, class_mode="binary", shuffle=False)
batch_x, batch_y = next(flow)
RESULT["batch_shape"] = list(batch_x.shape)
RESULT["labels"] = batch_y.tolist()
RESULT["bright_mean_first"] = float(batch_x[0].mean())

bomb = png(np.zeros((1, 1, 3), np.uint8), size=(7000, 7000))  # 49 Mpixel: over pydl's limit, under Pillow's
try:
    image.load_img(io.BytesIO(bomb))
    RESULT["bomb_error"] = None
except ValueError as error:
    RESULT["bomb_error"] = str(error)

# The augmentation layers' resampling against finite differences in float64, as natively.
import pydl  # noqa: E402
from pydl.gradcheck import gradcheck  # noqa: E402
from pydl.layers.preprocessing import image_resample  # noqa: E402

rng = np.random.default_rng(5)
rows, cols = rng.uniform(-3, 8, (2, 4, 5)) + 0.013, rng.uniform(-3, 8, (2, 4, 5)) + 0.013
x = pydl.tensor(rng.standard_normal((2, 5, 6, 3)), dtype="float64", requires_grad=True)
RESULT["resample_gradchecks"] = [bool(gradcheck(lambda t: image_resample(t, rows, cols, mode, 0.5), [x]))
                                 for mode in ("reflect", "wrap", "constant", "nearest")]
