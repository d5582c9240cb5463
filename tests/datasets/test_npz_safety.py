"""The allow-list reader of Keras' dataset .npz files (pydl.datasets.npz) against pickles that try to run code and
files that claim more than they hold, the latter under an address-space cap (tests/bounded_memory.py)."""

from __future__ import annotations

import io
import os
import pickle
import re
import subprocess
import zipfile

import numpy as np
import pytest

from pydl.datasets import imdb, npz, reuters
from tests.bounded_memory import run_capped

_reconstruct = np._core.multiarray._reconstruct


class Gadget:
    """Pickles to ``function(*args)``: what a tampered dataset file would run on np.load(allow_pickle=True)."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def attacks(marker):
    touch = f"open({str(marker)!r}, 'w').write('ran')"
    return {
        "os.system": Gadget(os.system, f"touch {marker}"),
        "builtins.eval": Gadget(eval, touch),
        "builtins.exec": Gadget(exec, touch),
        "builtins.__import__": Gadget(__import__, "os"),
        "builtins.getattr": Gadget(getattr, Gadget(__import__, "os"), "system"),
        "subprocess.Popen": Gadget(subprocess.Popen, ["touch", str(marker)]),
        "builtins.open": Gadget(open, str(marker), "w"),
        "numpy.load": Gadget(np.load, str(marker)),
        "numpy.frombuffer": Gadget(np.frombuffer, b"\0" * 8),
    }


@pytest.mark.parametrize("name", list(attacks("m")))
def test_pickles_that_call_anything_but_array_reconstruction_are_refused_before_calling(tmp_path, name):
    marker = tmp_path / "ran"
    gadget = attacks(marker)[name]
    function = name.rpartition(".")[2]
    for protocol in (2, 3, 4, 5):  # protocol 2 names Python 2's modules (__builtin__, commands): the module varies
        with pytest.raises(pickle.UnpicklingError, match=rf"refused to unpickle [\w.]+\.{function}: only lists"):
            npz.restricted_loads(pickle.dumps(gadget, protocol=protocol))
    assert not marker.exists()


def test_an_attack_inside_a_dataset_file_names_the_file_and_member(tmp_path):
    marker = tmp_path / "ran"
    x = np.empty(3, dtype=object)
    x[:] = [[1, 2], Gadget(os.system, f"touch {marker}"), [3]]
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=x, y_train=np.zeros(3, int), x_test=x, y_test=np.zeros(3, int))
    with pytest.raises(ValueError, match=r"imdb.npz: x_train.npy: refused to unpickle posix.system"):
        imdb.load_data(path=path)
    assert not marker.exists()


def test_allowed_names_cannot_smuggle_other_objects():
    # _reconstruct building a class other than ndarray needs that class: a global outside the allow-list.
    with pytest.raises(pickle.UnpicklingError, match="refused to unpickle collections.OrderedDict"):
        npz.restricted_loads(pickle.dumps(Gadget(_reconstruct, __import__("collections").OrderedDict, (0,), b"b")))
    # A persistent id would hand an object to a loader hook.
    data = b"\x80\x02P0\n."  # PROTO 2, PERSID "0", STOP
    with pytest.raises(pickle.UnpicklingError, match="refused a persistent id"):
        npz.restricted_loads(data)


def _with_state(shape, dtype, data):
    """A pickle of an ndarray whose state claims ``shape`` and holds ``data``: only the three allowed globals."""

    class Claim:
        def __reduce__(self):
            return _reconstruct, (np.ndarray, (0,), b"b"), (1, shape, np.dtype(dtype), False, data)

    return pickle.dumps(Claim(), protocol=3)


def test_the_arrays_allowed_still_load_and_come_back_as_plain_arrays():
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1, 2, 3], np.arange(3)]
    loaded = npz.restricted_loads(pickle.dumps(ragged))
    assert type(loaded) is np.ndarray and loaded[0] == [1, 2, 3] and type(loaded[1]) is np.ndarray
    np.testing.assert_array_equal(npz.restricted_loads(pickle.dumps(np.eye(3))), np.eye(3))


@pytest.mark.parametrize("shape, dtype, data, message", [
    ((10 ** 12,), object, [[1], [2]], r"object array of shape \(1000000000000,\) \(1,000,000,000,000 items\) holds "
                                      "a list of 2"),
    ((10 ** 12,), "float64", b"\0" * 16, r"needs 8,000,000,000,000 bytes; its pickle holds 16 bytes"),
    ((2,), object, "not a list", "holds a str"),
    ((-1,), "float64", b"", "not a tuple of sizes"),
])
def test_array_states_that_claim_more_than_they_hold_are_refused_before_allocating(shape, dtype, data, message):
    body = f"restricted_loads({_with_state(shape, dtype, data)!r})"
    report = run_capped(body, cap_mib=100, imports="import numpy as np\nfrom pydl.datasets.npz import restricted_loads")
    assert report["error"] == "UnpicklingError", report
    assert re.search(message, report["message"]), report["message"]
    assert report["growth_mib"] < 10, report  # without the check NumPy would allocate the claimed terabytes


def npy_header(shape, descr="<f8"):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def test_a_npy_header_claiming_more_than_follows_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "boston_housing.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", npy_header((10 ** 6, 10 ** 6)) + b"\0" * 64)
        archive.writestr("y.npy", npy_header((4,)) + b"\0" * 32)
    report = run_capped(f"load_data(path={str(path)!r})", cap_mib=100,
                        imports="from pydl.datasets.boston_housing import load_data")
    assert report["error"] == "ValueError", report
    assert "x.npy: the header says (1000000, 1000000) float64 (=8,000,000,000,000 bytes) but 64 bytes follow" in (
        report["message"])
    assert report["growth_mib"] < 10, report


def test_a_member_declaring_more_than_the_limit_is_refused_before_inflating(tmp_path, monkeypatch):
    path = tmp_path / "reuters.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", npy_header((2 ** 20,), "|u1") + bytes(2 ** 20))
    monkeypatch.setattr(npz, "MAX_NPZ_BYTES", 2 ** 20)
    with pytest.raises(ValueError, match=r"member x.npy declares 1,048,704 bytes, over the 1,048,576 bytes left"):
        reuters.load_data(path=path)


def test_a_zip_bomb_that_lies_about_its_size_costs_only_what_it_declares(tmp_path):
    # 300 MiB of zeros deflate to 0.3 MB; the member's headers are then edited to declare 1 MiB.
    path = tmp_path / "reuters.npz"
    inflated = 300 << 20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(zipfile.ZipInfo("x.npy"), "w", force_zip64=True) as member:
            member.write(npy_header((inflated,), "|u1"))
            for _ in range(300):
                member.write(bytes(1 << 20))
    data, size = path.read_bytes(), inflated + len(npy_header((inflated,), "|u1"))
    # The local header's zip64 size (8 bytes), the data descriptor's and the central directory's (4 bytes each).
    for width in (8, 4):
        assert size.to_bytes(width, "little") in data
        data = data.replace(size.to_bytes(width, "little"), (1 << 20).to_bytes(width, "little"))
    path.write_bytes(data)
    report = run_capped(f"load_data(path={str(path)!r})", cap_mib=120,
                        imports="from pydl.datasets.reuters import load_data")
    assert report["error"] == "ValueError", report
    assert "x.npy" in report["message"] and ("corrupt" in report["message"] or "inflates past" in report["message"])
    assert report["growth_mib"] < 40, report  # the 1 MiB declared and the inflater's buffers, not 300 MiB
