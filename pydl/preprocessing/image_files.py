"""Image files to arrays and back (Keras' ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``), by Pillow.

Pillow is optional: ``pip install "pydl[images]"`` natively; in the browser, ``await load_pillow()`` fetches Pyodide's
own Pillow (shipped beside NumPy, checked against the official lock) the first time a page needs it, not on start.

An image file is data from outside, so it is checked before it is decoded: at most :data:`MAX_IMAGE_BYTES` bytes
on disk and :data:`MAX_IMAGE_PIXELS` pixels by its header (a 1 MB PNG can declare 40,000 x 40,000 pixels that
inflate to gigabytes: it is refused from its header, before a pixel is inflated), and a truncated or undecodable
file is a ValueError naming it. Raise the two limits (module attributes) for a trusted large image.
"""

from __future__ import annotations

import io
import os
import struct
import sys

from pydl.backend import np

__all__ = ["MAX_IMAGE_PIXELS", "MAX_IMAGE_BYTES", "FORMATS", "load_pillow", "load_img", "img_to_array",
           "array_to_img", "save_img"]

MAX_IMAGE_PIXELS = 1 << 25  # 33.5 Mpixel (e.g. 8192 x 4096): 134 MB as RGBA uint8, 402 MB as float32 RGB
MAX_IMAGE_BYTES = 1 << 28   # 256 MiB on disk
# What flow_from_directory lists, as Keras does; Pillow is asked to try only these decoders.
FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "bmp": "BMP", "ppm": "PPM", "tif": "TIFF", "tiff": "TIFF"}
_DECODERS = tuple(sorted(set(FORMATS.values())))
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_IN_PYODIDE = sys.platform == "emscripten"


def _pil_image():
    """PIL.Image, or an ImportError that says how to get Pillow here."""
    try:
        from PIL import Image
    except ImportError:
        how = ("await pydl.preprocessing.image.load_pillow() first (it fetches Pyodide's Pillow, shipped with the "
               "site)" if _IN_PYODIDE else 'install Pillow: pip install "pydl[images]"')
        raise ImportError(f"Reading and writing image files needs Pillow, which is not installed; {how}.") from None
    return Image


async def load_pillow() -> str:
    """Make Pillow importable and return its version: under Pyodide, load its ``pillow`` package (once); natively,
    import the installed one (ImportError with the install command when there is none)."""
    if _IN_PYODIDE:
        try:
            import PIL  # noqa: F401
        except ImportError:
            import pyodide_js  # type: ignore[import-not-found]

            await pyodide_js.loadPackage("pillow")
    _pil_image()
    import PIL

    return PIL.__version__


def _data_format(data_format) -> str:
    data_format = "channels_last" if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f'data_format must be "channels_last" or "channels_first"; got {data_format!r}.')
    return data_format


def _read_bytes(path) -> tuple[bytes, str]:
    if isinstance(path, io.BytesIO):
        data = path.getvalue()
        name = "image bytes"
    elif isinstance(path, (str, bytes, os.PathLike)):
        name = os.fsdecode(path)
        size = os.stat(name).st_size
        if size > MAX_IMAGE_BYTES:
            raise ValueError(f"{name}: {size:,} bytes, over the {MAX_IMAGE_BYTES:,}-byte limit for an image file "
                             "(pydl.preprocessing.image_files.MAX_IMAGE_BYTES; raise it for a trusted file).")
        with open(name, "rb") as file:
            data = file.read()
    else:
        raise TypeError(f"load_img takes a path or an io.BytesIO; got {type(path).__name__}.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"{name}: {len(data):,} bytes, over the {MAX_IMAGE_BYTES:,}-byte limit for an image.")
    return data, name


def _check_target_size(target_size) -> tuple[int, int]:
    if (not isinstance(target_size, (tuple, list)) or len(target_size) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in target_size)):
        raise ValueError(f"target_size must be (height, width), two positive integers; got {target_size!r}.")
    height, width = int(target_size[0]), int(target_size[1])
    if height * width > MAX_IMAGE_PIXELS:
        raise ValueError(f"target_size {height}x{width} is {height * width:,} pixels, over the limit of "
                         f"{MAX_IMAGE_PIXELS:,} (pydl.preprocessing.image_files.MAX_IMAGE_PIXELS).")
    return height, width


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Decode an image file into a PIL image, as ``keras.preprocessing.image.load_img`` does.

    Args:
        path: a file path, or an ``io.BytesIO`` of the file's bytes.
        color_mode: ``"rgb"``, ``"rgba"`` or ``"grayscale"`` (an 8-, 16- or 32-bit grey image stays as it is).
        target_size: ``(height, width)`` to resize to, or None to keep the file's size.
        interpolation: the resampling filter for the resize: nearest, bilinear, bicubic, hamming, box or lanczos.
        keep_aspect_ratio: crop the centre to the target's aspect ratio before resizing, instead of stretching.

    Raises:
        ValueError: the file is over the size limits, truncated, or not an image Pillow decodes (names the file).
        ImportError: Pillow is missing (says how to get it).
    """
    if color_mode not in _COLOR_MODES:
        raise ValueError(f'load_img: color_mode must be "grayscale", "rgb" or "rgba"; got {color_mode!r}.')
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"load_img: interpolation must be one of {', '.join(_INTERPOLATIONS)}; "
                         f"got {interpolation!r}.")
    size = None if target_size is None else _check_target_size(target_size)
    Image = _pil_image()
    data, name = _read_bytes(path)
    try:
        img = Image.open(io.BytesIO(data), formats=_DECODERS)  # reads the header only
    except Image.UnidentifiedImageError:
        raise ValueError(f"{name}: not an image Pillow can decode as {', '.join(_DECODERS)} "
                         f"({len(data):,} bytes).") from None
    except Image.DecompressionBombError as error:
        raise ValueError(f"{name}: refused from its header, nothing was decoded: {error}") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:  # a header cut short or garbled
        raise ValueError(f"{name}: truncated or corrupt image header ({error}).") from None
    width, height = img.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError(f"{name}: the header declares {width}x{height} = {width * height:,} pixels, over the limit "
                         f"of {MAX_IMAGE_PIXELS:,} (pydl.preprocessing.image_files.MAX_IMAGE_PIXELS; raise it for "
                         "a trusted image). Nothing was decoded.")
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:  # Pillow's truncated-data errors
        raise ValueError(f"{name}: truncated or corrupt {img.format} data ({error}).") from None
    img = _convert(img, color_mode)
    if size is not None and img.size != (size[1], size[0]):
        img = _resize(img, size, getattr(Image.Resampling, interpolation.upper()), keep_aspect_ratio)
    return img


def _convert(img, color_mode: str):
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    mode = _COLOR_MODES[color_mode]
    return img if img.mode == mode else img.convert(mode)


def _resize(img, size: tuple[int, int], resample, keep_aspect_ratio: bool):
    target_height, target_width = size
    if not keep_aspect_ratio:
        return img.resize((target_width, target_height), resample)
    width, height = img.size
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return img.resize((target_width, target_height), resample, box=(left, top, left + crop_width, top + crop_height))


def img_to_array(img, data_format=None, dtype="float32"):
    """A PIL image (or anything ``np.asarray`` takes) as a (height, width, channels) array (channels first with
    ``data_format="channels_first"``); a grey image gets one channel."""
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype)
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: expected an image of 2 or 3 axes; got shape {x.shape}.")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype="float32"):
    """A (height, width, channels) array as a PIL image: 1 channel grey ("L", or 32-bit "I" past 255), 3 RGB,
    4 RGBA. ``scale=True`` stretches the values to 0..255 first (min to 0, max to 255), as Keras does."""
    data_format = _data_format(data_format)
    Image = _pil_image()
    x = np.array(x, dtype=dtype)  # a copy: the scaling below must not touch the caller's array
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected one image of 3 axes; got shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: an image has 1, 3 or 4 channels; got {channels} (shape {x.shape}).")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write an array as an image file; the format comes from ``file_format`` or the path's extension (jpg is
    JPEG; an RGBA array is saved as RGB in a JPEG). Extra keyword arguments go to Pillow's ``Image.save``."""
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = os.path.splitext(os.fspath(path))[1][1:].lower() or None
    if file_format is not None and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
