"""Model files that ask for more memory than they hold, loaded in a child process under an address-space cap.

Each case asserts the refusal is a clear ValueError (ModelFileError), the child's peak resident memory stayed near
what its imports cost, and the caller's model is bit-identical afterwards. The peaks are measured with ru_maxrss in
the child (tests/bounded_memory.py); the "before" numbers in the commit messages come from the same children.
"""

import io
import struct
import zipfile
import zlib

import numpy as np
import pytest

from pydl import layers, models
from pydl.models import ModelFileError, limits
from tests.bounded_memory import run_capped
from tests.models.model_files import with_config

CAP_MIB = 300  # over what the imports mapped: room for the refusals, not for the allocations they prevent
REFUSAL_GROWTH_MIB = 40  # a refusal reads config.json and zip directories, never an array or a weight


def small_model():
    return models.Sequential([layers.Input((4,)), layers.Dense(2)])


def set_dense(**settings):
    def edit(header):
        header["config"]["layers"][-1]["config"].update(settings)
    return edit


def deflated_zeros(prefix: bytes, n_zeros: int) -> bytes:
    """A raw deflate stream of prefix + n_zeros zero bytes, made without holding them (~1 KB per MiB)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    mib, rest = divmod(n_zeros, 1 << 20)
    first = deflate.compress(prefix + bytes(rest)) + deflate.flush(zlib.Z_FULL_FLUSH)
    # A full flush byte-aligns the stream and drops back-references, so one compressed MiB can be repeated.
    block = deflate.compress(bytes(1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    return first + block * mib + b"\x03\x00"


def raw_zip(members) -> bytes:
    """A zip of (name, raw deflate stream, declared size[, crc]) members, its directory saying what the test wants.

    The CRCs of the big members are left 0: every reader here must refuse before it inflates far enough to check one.
    """
    out, directory = io.BytesIO(), []
    for name, stream, declared, *crc in members:
        crc = crc[0] if crc else 0
        offset, encoded = out.tell(), name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), declared, len(encoded),
                              0) + encoded + stream)
        directory.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(stream),
                                     declared, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(b"".join(directory))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory), out.tell() - start, start, 0))
    return out.getvalue()


def npy_header(shape, dtype="<f4") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def with_weights_npz(data: bytes, npz: bytes, shapes=None) -> bytes:
    """A copy of a model file whose weights.npz is ``npz`` (and, given shapes, whose listed weights are those)."""
    if shapes is not None:
        data = with_config(data, lambda h: h.update(weights=[{"name": f"w{i}", "shape": list(s), "dtype": "float32"}
                                                             for i, s in enumerate(shapes)]))
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            archive.writestr(name, npz if name == "weights.npz" else source.read(name))
    return out.getvalue()


def load_in_a_capped_child(path, how="load_model"):
    """Load ``path`` in a child under the cap; the child also checks its own model is unchanged by the refusal."""
    body = f"""
    caller = models.Sequential([layers.Input((4,)), layers.Dense(2)])
    before = [w.copy() for w in caller.get_weights()]
    try:
        {"models.load_model" if how == "load_model" else "caller.load_weights"}({str(path)!r})
    finally:
        report["unchanged"] = all(a.tobytes() == b.tobytes() for a, b in zip(caller.get_weights(), before))
    """
    return run_capped(body, CAP_MIB, imports="from pydl import layers, models")


def assert_refused_within_bounds(report, message):
    assert report["error"] == "ModelFileError", report
    assert message in report["message"], report["message"]
    assert report["unchanged"] is True
    print(f"growth {report['growth_mib']:.1f} MiB")  # the after numbers of the report
    assert report["growth_mib"] < REFUSAL_GROWTH_MIB, report


# ----------------------------------------------------------------- item 1: the config is checked whole, first


def test_a_layer_far_larger_than_the_weights_listed_is_refused_before_its_kernel_is_allocated(tmp_path):
    path = tmp_path / "units.pydl"  # Dense(2**24) on 4 inputs: a 268 MB kernel from a 4 KB file
    path.write_bytes(with_config(small_model().to_bytes(), set_dense(units=1 << 24)))
    report = load_in_a_capped_child(path)
    assert_refused_within_bounds(report, "past the 10 numbers the file lists for the whole model")


def test_a_float_where_an_integer_belongs_is_refused_not_truncated(tmp_path):
    path = tmp_path / "float-units.pydl"
    path.write_bytes(with_config(small_model().to_bytes(), set_dense(units=3e7)))
    report = load_in_a_capped_child(path)
    assert_refused_within_bounds(report, "units is 30000000.0, a float; it must be an integer")


def test_weights_listing_more_numbers_than_the_limit_are_refused_from_the_listing(tmp_path):
    shapes = [(4, 1 << 24), (1 << 24,)] * 5  # 335 million numbers: over MAX_PARAMETERS
    path = tmp_path / "listed.pydl"
    path.write_bytes(with_config(small_model().to_bytes(), lambda h: h.update(
        weights=[{"name": f"w{i}", "shape": list(s), "dtype": "float32"} for i, s in enumerate(shapes)])))
    report = load_in_a_capped_child(path)
    assert_refused_within_bounds(report, f"more than {limits.MAX_PARAMETERS:,} numbers")


@pytest.mark.parametrize("setting, value, complaint", [
    ("units", 3.0, "units is 3.0, a float"),
    ("units", True, "units is True; it must be an integer"),
    ("batch_input_shape", [None, 3.5], "batch_input_shape is [None, 3.5], a float"),
    ("batch_input_shape", [None, "4"], "batch_input_shape is [None, '4']; it must be an integer or null"),
    ("trainable", "false", "trainable is 'false'; it must be true or false"),
    ("trainable", 0, "trainable is 0; it must be true or false"),
    ("dtype", "int64", "dtype is 'int64'; a layer (its weights are floating point) takes one of float16, float32, "
                       "float64"),
    ("dtype", "object", "dtype is 'object'"),
])
def test_layer_settings_of_the_wrong_kind_are_refused_by_name(setting, value, complaint):
    data = with_config(small_model().to_bytes(), set_dense(**{setting: value}))
    with pytest.raises(ModelFileError, match="config.json .*Sequential.* > dense") as error:
        models.from_bytes(data)
    assert complaint in str(error.value)


def test_a_nested_model_s_settings_are_checked_too():
    inner = models.Sequential([layers.Input((4,)), layers.Dense(3)], name="inner")
    data = models.Sequential([layers.Input((4,)), inner, layers.Dense(2)]).to_bytes()

    def edit(header):
        header["config"]["layers"][0]["config"]["layers"][0]["config"]["units"] = 3e7

    with pytest.raises(ModelFileError, match=r"inner > dense.*: units is 30000000.0, a float"):
        models.from_bytes(with_config(data, edit))


def test_an_input_may_carry_integer_token_ids_and_a_frozen_layer_stays_frozen():
    tokens = layers.Input((5,), dtype="int32")
    frozen = layers.Dense(2, trainable=False)
    model = models.Model(tokens, frozen(layers.Flatten()(layers.Embedding(10, 3)(tokens))))
    clone = models.from_bytes(model.to_bytes())
    assert clone.layers[-1].trainable is False and clone.layers[-1].trainable_weights == []
    tokens = np.arange(10).reshape(2, 5)
    np.testing.assert_array_equal(clone.predict(tokens), model.predict(tokens))


def test_any_64_bit_seed_saves_and_loads_and_a_seed_of_the_wrong_kind_is_refused():
    model = models.Sequential([layers.Input((8, 8, 1)), layers.RandomFlip(seed=2**31), layers.Dropout(0.5, seed=2**63),
                               layers.Flatten(), layers.Dense(2)])
    clone = models.from_bytes(model.to_bytes())  # a seed sizes nothing: no size limit applies to it
    assert (clone.layers[0].seed, clone.layers[1].seed) == (2**31, 2**63)

    def edit(header):
        header["config"]["layers"][1]["config"]["seed"] = -1

    with pytest.raises(ModelFileError, match="seed is -1; it must be an integer from 0 to 2\\*\\*64 - 1"):
        models.from_bytes(with_config(model.to_bytes(), edit))


def test_the_meter_is_off_outside_a_load():
    with limits.parameters_at_most(10):
        with pytest.raises(ValueError, match="past the 10 numbers"):
            models.Sequential([layers.Input((4,)), layers.Dense(3)])
    assert models.Sequential([layers.Input((4,)), layers.Dense(300)]).count_params() == 1500


# ----------------------------------------------------------------- items 2 and 3: the arrays' bytes


def test_arrays_over_the_file_s_budget_together_are_refused_from_the_zip_directory(tmp_path):
    # Two 1.19 GiB zero arrays, each under the per-member limit, in a 2.5 MB file: 4.9 GB were inflated before.
    size = 1220 << 20
    shape = (4, size // 16)
    stream = deflated_zeros(npy_header(shape), size - len(npy_header(shape)))
    npz = raw_zip([("arr_0.npy", stream, size), ("arr_1.npy", stream, size)])
    path = tmp_path / "two-arrays.pydl"
    path.write_bytes(with_weights_npz(small_model().to_bytes(), npz))
    assert path.stat().st_size < 3 << 20
    for how in ("load_model", "load_weights"):
        report = load_in_a_capped_child(path, how)
        assert_refused_within_bounds(report, "weights.npz declares 2,558,525,440 bytes of arrays, over the "
                                             "2,147,483,648 bytes left")


def test_outer_members_declaring_more_than_a_model_file_may_hold_are_refused_unread(tmp_path):
    config = zipfile.ZipFile(io.BytesIO(small_model().to_bytes())).read("config.json")
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    config_stream = deflate.compress(config) + deflate.flush()
    size = 1100 << 20  # each under its own 2 GiB limit, together over the file's
    path = tmp_path / "outer.pydl"
    path.write_bytes(raw_zip([("config.json", config_stream, len(config), zlib.crc32(config)),
                              ("weights.npz", deflated_zeros(b"", size), size),
                              ("optimizer.npz", deflated_zeros(b"", size), size)]))
    report = load_in_a_capped_child(path)
    assert_refused_within_bounds(report, "bytes together, over the 2,147,483,648-byte limit for a model file")


def test_a_member_that_claims_a_kilobyte_is_read_as_a_kilobyte(tmp_path):
    # Its directory says 1 KB; its deflate stream holds 1 GiB. zipfile inflates as much as it is asked for.
    header = npy_header((4, 2))
    npz = raw_zip([("arr_0.npy", deflated_zeros(header, 1 << 30), 1024), ("arr_1.npy", b"\x03\x00", 0)])
    path = tmp_path / "lying-member.pydl"
    path.write_bytes(with_weights_npz(small_model().to_bytes(), npz))
    for how in ("load_model", "load_weights"):
        report = load_in_a_capped_child(path, how)
        assert_refused_within_bounds(report, "'arr_0.npy' is corrupt or truncated")


def test_an_honest_model_still_loads_under_the_cap(tmp_path):
    model = models.Sequential([layers.Input((256,)), layers.Dense(1024), layers.Dense(10)])  # 1 MiB of weights
    path = tmp_path / "honest.pydl"
    models.save_model(model, path)
    body = f"model = models.load_model({str(path)!r})\nreport['params'] = model.count_params()"
    report = run_capped(body, CAP_MIB, imports="from pydl import layers, models")
    assert report["error"] is None and report["params"] == model.count_params(), report
