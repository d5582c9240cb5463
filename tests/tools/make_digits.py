"""Derive ``digits.npz`` from scikit-learn's copy of the UCI optical-digits data (run once; never imported).

scikit-learn is needed only here, in a throwaway environment, never by pydl::

    python -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn
    /tmp/skvenv/bin/python -m tests.tools.make_digits      # from the repository root

The script is deterministic: the same scikit-learn data gives byte-identical arrays, so the SHA-256 sums that
DIGITS_SOURCE.md records can be checked again at any time (``--check``).
"""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np  # a build tool outside the runtime package, so it may import NumPy directly

from pydl.preprocessing import train_test_split

# A build-time tool lives outside the runtime package (it would otherwise ship to every browser).
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "pydl", "datasets", "digits.npz")
TEST_SIZE = 360  # 20 % of 1,797, the usual hold-out share; 1,437 images are left for training
SPLIT_SEED = 0


def build() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits  # reads the copy shipped inside scikit-learn; no download

    bunch = load_digits()
    images = bunch.images.astype(np.uint8)  # the source holds whole counts 0..16 stored as float64
    if not np.array_equal(images, bunch.images):
        raise SystemExit("scikit-learn's digits are no longer whole numbers 0..16; check the source")
    labels = bunch.target.astype(np.int64)
    # pydl's own stratified split, on indices; sorting them keeps the source's order within each part.
    train, test = (np.sort(part) for part in train_test_split(
        np.arange(len(labels)), test_size=TEST_SIZE, seed=SPLIT_SEED, stratify=labels))
    return {
        "x_train": images[train], "y_train": labels[train],
        "x_test": images[test], "y_test": labels[test],
    }


def digest(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """SHA-256 of each array's raw bytes: unlike the .npz file's own hash, it does not depend on zip timestamps."""
    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in sorted(arrays.items())}


def main(argv: list[str]) -> None:
    arrays = build()
    if "--check" in argv:
        with np.load(OUT, allow_pickle=False) as stored:
            same = digest(arrays) == digest({k: stored[k] for k in stored.files})
        print("digits.npz matches a fresh derivation" if same else "digits.npz DIFFERS from a fresh derivation")
        raise SystemExit(0 if same else 1)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({os.path.getsize(OUT):,} bytes)")
    for name, h in digest(arrays).items():
        print(f"  {name:8s} {arrays[name].dtype} {arrays[name].shape}  sha256 {h}")


if __name__ == "__main__":
    main(sys.argv[1:])
