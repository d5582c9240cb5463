"""Make the shipped digits convnet weights, bit for bit: ``python -m pydl.applications.train_digits_convnet``.

Each weights file of :data:`pydl.applications.digits_convnet.WEIGHTS` is the network trained from pydl's seeded
generator on the training split of ``pydl.datasets.load_digits`` (its digits only), each image with its four one-pixel
shifts (the book's augmentation, fixed so that the run repeats), by Adam with a cosine-decayed rate. Nothing else goes
in, so rerunning this module reproduces the files' arrays exactly (tests/applications checks it) as long as the
rounding is the same: float32 sums depend on the BLAS kernel, the thread count and NumPy's SIMD code, so the command
pins them all (:data:`DETERMINISTIC_ENV`, re-running itself with them when they are not set). The ``.npz`` files'
own bytes vary with zip timestamps; their arrays do not.

Usage::

    python -m pydl.applications.train_digits_convnet             # rewrite both files beside digits_convnet.py
    python -m pydl.applications.train_digits_convnet --out DIR   # write them to DIR instead
"""

from __future__ import annotations

import os
import subprocess
import sys

# The generic x86-64 kernels, one thread, no AVX2/AVX-512 code in NumPy: every x86-64 CPU rounds the same way.
DETERMINISTIC_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OPENBLAS_CORETYPE": "Prescott",
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
}

EPOCHS = 10
BATCH_SIZE = 32
LEARNING_RATE = 0.003
SEED = 0


def one_pixel_shifts(images, labels):
    """Each image followed by its copies moved one pixel up, down, left and right (the edge wraps round; the digits'
    outer pixels are nearly always blank)."""
    from pydl.backend import np

    views = [images] + [np.roll(images, step, axis=axis) for axis in (1, 2) for step in (-1, 1)]
    return np.concatenate(views), np.concatenate([labels] * len(views))


def cosine_rate(peak: float, epochs: int):
    """A ``LearningRateScheduler`` schedule: ``peak`` at the first epoch, decaying to near 0 by the last."""
    from pydl.backend import np

    return lambda epoch, rate: float(peak * 0.5 * (1 + np.cos(np.pi * epoch / epochs)))


def train(weights: str = "pretrained"):
    """The network of ``weights`` (a key of ``WEIGHTS``) trained as its file was made; compiled."""
    import pydl
    from pydl import callbacks, optimizers
    from pydl.applications.digits_convnet import WEIGHTS, digits_convnet, digits_convnet_preprocess
    from pydl.backend import np
    from pydl.datasets import load_digits

    digits = WEIGHTS[weights][1]
    (x_train, y_train), _ = load_digits()
    keep = np.isin(y_train, digits)
    labels = np.searchsorted(np.asarray(digits), y_train[keep])  # digit -> its output of the classifier
    x, y = one_pixel_shifts(digits_convnet_preprocess(x_train[keep]), labels)
    pydl.seed(SEED)
    model = digits_convnet(weights=None, classes=len(digits))
    model.compile(optimizer=optimizers.Adam(learning_rate=LEARNING_RATE), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0, seed=SEED,
              callbacks=[callbacks.LearningRateScheduler(cosine_rate(LEARNING_RATE, EPOCHS))])
    return model


def write_all(out_dir: str) -> list:
    """Train every shipped network and write its file to ``out_dir``; the paths written."""
    from pydl.applications.digits_convnet import WEIGHTS, weight_arrays
    from pydl.backend import np

    written = []
    for name, (filename, _) in WEIGHTS.items():
        path = os.path.join(out_dir, filename)
        np.savez_compressed(path, **weight_arrays(train(name)))
        written.append(path)
    return written


def main(argv: list) -> int:
    if any(os.environ.get(key) != value for key, value in DETERMINISTIC_ENV.items()):
        # The settings are read when NumPy loads, so they need a fresh interpreter.
        env = {**os.environ, **DETERMINISTIC_ENV}
        return subprocess.run([sys.executable, "-m", "pydl.applications.train_digits_convnet", *argv],
                              env=env).returncode
    out_dir = os.path.dirname(os.path.abspath(__file__))
    if argv[:1] == ["--out"] and len(argv) == 2:
        out_dir = argv[1]
    elif argv:
        print(__doc__.split("Usage::")[1], file=sys.stderr)
        return 2
    for path in write_all(out_dir):
        print(f"wrote {path} ({os.path.getsize(path):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
