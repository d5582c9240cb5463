"""pydl.initializers: Keras' formulas, conv fans, seeding."""

import numpy as np
import pytest

import pydl
from pydl import initializers
from pydl.initializers import compute_fans


def test_fans_for_dense_and_conv_kernels():
    assert compute_fans((784, 512)) == (784, 512)
    assert compute_fans((3, 3, 32, 64)) == (288, 576)
    assert compute_fans((10,)) == (10, 10)


@pytest.mark.parametrize("name, shape, bound", [
    ("glorot_uniform", (3, 3, 32, 64), np.sqrt(6 / (288 + 576))),
    ("he_uniform", (300, 200), np.sqrt(6 / 300)),
])
def test_uniform_limits(name, shape, bound):
    values = initializers.get(name)(shape)
    assert values.shape == shape and values.dtype == np.float32
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.98 * bound
    assert abs(values.std() - bound / np.sqrt(3)) < 0.02 * bound


@pytest.mark.parametrize("name, shape, std", [
    ("glorot_normal", (400, 600), np.sqrt(2 / 1000)),
    ("he_normal", (3, 3, 64, 128), np.sqrt(2 / 576)),
    ("random_normal", (300, 300), 0.05),
])
def test_normal_standard_deviations(name, shape, std):
    values = initializers.get(name)(shape, dtype="float64")
    assert values.dtype == np.float64 and abs(values.std() - std) < 0.03 * std and abs(values.mean()) < 0.03 * std
    if name != "random_normal":  # truncated at two (pre-correction) standard deviations, like Keras
        assert np.abs(values).max() <= 2 * std / 0.87962566103423978 + 1e-12


def test_constants():
    assert initializers.get("zeros")((2, 3)).tolist() == [[0.0] * 3] * 2
    assert initializers.get("ones")((2,), dtype="float64").dtype == np.float64
    assert initializers.Constant(3.0)((2,)).tolist() == [3.0, 3.0]


def test_seeded_instances_repeat_and_global_seed_resets():
    first = initializers.HeNormal(seed=5)((4, 4))
    assert np.array_equal(first, initializers.HeNormal(seed=5)((4, 4)))
    assert not np.array_equal(first, initializers.HeNormal(seed=6)((4, 4)))
    pydl.seed(11)
    a = initializers.GlorotUniform()((5, 5))
    pydl.seed(11)
    assert np.array_equal(a, initializers.GlorotUniform()((5, 5)))


def test_get_accepts_names_classes_configs_and_callables():
    assert isinstance(initializers.get("GlorotNormal"), initializers.GlorotNormal)
    assert isinstance(initializers.get(initializers.HeUniform), initializers.HeUniform)
    config = initializers.serialize(initializers.RandomNormal(stddev=0.1, seed=2))
    clone = initializers.get(config)
    assert clone.stddev == 0.1 and clone.seed == 2
    custom = lambda shape, dtype=None: np.full(shape, 7.0)  # noqa: E731
    assert initializers.get(custom) is custom
    with pytest.raises(ValueError, match="Valid names"):
        initializers.get("orthogonal_magic")


@pytest.mark.parametrize("shape", [(6, 6), (4, 12), (12, 4), (2, 3, 8)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    values = initializers.get("orthogonal")(shape, dtype="float64").reshape(-1, shape[-1])
    small = min(values.shape)
    product = values @ values.T if values.shape[0] == small else values.T @ values
    np.testing.assert_allclose(product, np.eye(small), atol=1e-12)
    assert initializers.Orthogonal(gain=2.0, seed=3)(shape).std() > 1.9 * initializers.Orthogonal(seed=3)(shape).std()
    assert np.array_equal(initializers.Orthogonal(seed=3)(shape), initializers.Orthogonal(seed=3)(shape))


def test_orthogonal_needs_a_matrix_and_round_trips():
    with pytest.raises(ValueError, match="at least 2 axes"):
        initializers.Orthogonal()((5,))
    clone = initializers.get(initializers.serialize(initializers.Orthogonal(gain=0.5, seed=1)))
    assert isinstance(clone, initializers.Orthogonal) and clone.gain == 0.5 and clone.seed == 1


def test_keras_short_aliases():
    values = initializers.get("uniform")((1000,))
    assert isinstance(initializers.get("uniform"), initializers.RandomUniform) and np.abs(values).max() <= 0.05
    assert isinstance(initializers.get("normal"), initializers.RandomNormal)
