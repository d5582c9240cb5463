"""read_idx on gzip files that inflate past what their IDX header declares, under an address-space cap."""

import struct
import zlib

from tests.bounded_memory import run_capped

IMAGES_HEADER = struct.pack(">BBBBIII", 0, 0, 0x08, 3, 60000, 28, 28)  # MNIST's training images: 47,040,000 bytes
DECLARED = 60000 * 28 * 28
DECLARED_MIB = DECLARED / 2**20


def gzip_of_zeros(header: bytes, n_zeros: int) -> bytes:
    """A valid gzip of header + n_zeros zero bytes, built without holding the inflated bytes (~1 KB per MiB)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    mib, rest = divmod(n_zeros, 1 << 20)
    first = deflate.compress(header + bytes(rest)) + deflate.flush(zlib.Z_FULL_FLUSH)
    # A full flush byte-aligns the stream and drops back-references, so one compressed MiB can be repeated.
    block = deflate.compress(bytes(1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc, zeros = zlib.crc32(header + bytes(rest)), bytes(1 << 20)
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    size = len(header) + n_zeros
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + first + block * mib + b"\x03\x00"
            + struct.pack("<II", crc, size & 0xFFFFFFFF))


def test_a_gzip_that_inflates_far_past_its_header_is_refused_reading_only_what_the_header_declares(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip_of_zeros(IMAGES_HEADER, 400 << 20))  # 0.4 MB that inflates to 400 MiB
    # The cap leaves room for the 45 MiB the header declares, not for the 400 MiB the gzip holds.
    report = run_capped(f"read_idx({str(path)!r})", cap_mib=300, imports="from pydl.datasets import read_idx")
    assert report["error"] == "ValueError", report
    assert "not an IDX file" in report["message"] and "left over" in report["message"]
    # What the header declares, plus the inflater's buffers; the whole inflated file would be 400 MiB.
    assert report["growth_mib"] < DECLARED_MIB + 30, report


def test_a_header_larger_than_memory_gives_a_memory_error_that_names_the_file_and_size(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip_of_zeros(IMAGES_HEADER, DECLARED))  # a valid file: 60000 blank images
    report = run_capped(f"read_idx({str(path)!r})", cap_mib=20, imports="from pydl.datasets import read_idx")
    assert report["error"] == "MemoryError", report
    assert str(path) in report["message"] and "60000 items of 28x28 uint8 (=47040000 bytes)" in report["message"]
    assert report["growth_mib"] < 25, report


def test_the_same_file_reads_when_memory_allows(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip_of_zeros(IMAGES_HEADER, DECLARED))
    body = f"x = read_idx({str(path)!r})\nassert x.shape == (60000, 28, 28) and not x.any() and x.flags.writeable"
    report = run_capped(body, cap_mib=300, imports="from pydl.datasets import read_idx")
    assert report["error"] is None, report
    assert report["growth_mib"] < DECLARED_MIB + 30, report  # the values once: no copy of the inflated bytes
