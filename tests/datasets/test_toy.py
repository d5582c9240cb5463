import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pydl import datasets
from pydl.backend import np
from pydl.datasets import toy
import pydl.random

ALL = toy.CLASSIFICATION + toy.REGRESSION
MULTICLASS = ("blobs", "multi_spiral")


def make(name, n=400, noise=0.0, seed=0, **kw):
    return getattr(datasets, name)(n, noise=noise, seed=seed, **kw)


def nearest_neighbour_accuracy(x, y):
    """Leave-one-out 1-NN accuracy: high exactly when each class forms its own connected region."""
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    return (y[d.argmin(axis=1)] == y).mean()


# ---- shared contract -------------------------------------------------------------------------------------------

def test_the_name_lists_cover_the_exports():
    assert set(ALL) <= set(datasets.__all__)


@pytest.mark.parametrize("name", ALL)
def test_shapes_dtypes_and_range(name):
    x, y = make(name, n=301)
    assert x.shape == (301, 2) and x.dtype == np.float32
    assert y.shape == (301,)
    if name in toy.CLASSIFICATION:
        assert y.dtype == np.int64
    else:
        assert y.dtype == np.float32 and -1 <= y.min() and y.max() <= 1
    assert np.abs(x).max() < 7.5  # "roughly [-6, 6]": Gaussian clouds may reach a little past 6


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_data_other_seed_other_data(name):
    x1, y1 = make(name, noise=0.2, seed=7)
    x2, y2 = make(name, noise=0.2, seed=7)
    x3, _ = make(name, noise=0.2, seed=8)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("name", ALL)
def test_noise_changes_the_data(name):
    x0, y0 = make(name, noise=0.0)
    x1, y1 = make(name, noise=0.3)
    assert not (np.array_equal(x0, x1) and np.array_equal(y0, y1))


@pytest.mark.parametrize("name", toy.CLASSIFICATION)
@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 250), seed=st.integers(0, 2**32 - 1))
def test_classes_are_balanced_at_noise_0(name, n, seed):
    x, y = make(name, n=n, seed=seed)
    counts = np.bincount(y)
    assert len(x) == n and len(counts) == (3 if name in MULTICLASS else 2)
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", toy.CLASSIFICATION)
def test_output_is_shuffled(name):
    _, y = make(name, n=200)
    assert 0 < y[:100].mean() < len(np.unique(y)) - 1  # not one class after another


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 2.5}, {"n": 10, "noise": -0.1}, {"n": 10, "noise": float("nan")}])
def test_bad_arguments_are_refused(name, kwargs):
    with pytest.raises(ValueError, match="n must|noise must"):
        getattr(datasets, name)(**kwargs)


@pytest.mark.parametrize("name", MULTICLASS)
def test_multiclass_needs_two_classes_and_a_point_for_each(name):
    with pytest.raises(ValueError, match="classes must"):
        getattr(datasets, name)(100, classes=1)
    with pytest.raises(ValueError, match="at least 5"):
        getattr(datasets, name)(4, classes=5)


# ---- seeding ---------------------------------------------------------------------------------------------------

def test_a_generator_as_seed_is_used_as_is():
    rng = np.random.default_rng(3)
    a, _ = datasets.circle(50, seed=rng)
    b, _ = datasets.circle(50, seed=rng)
    assert not np.array_equal(a, b)  # the generator moved on
    assert np.array_equal(a, datasets.circle(50, seed=np.random.default_rng(3))[0])


def test_seed_none_draws_new_data():
    assert not np.array_equal(datasets.gauss(50)[0], datasets.gauss(50)[0])


def test_seed_none_follows_pydl_seed(monkeypatch):
    monkeypatch.setattr(pydl.random, "_generator", pydl.random.get_generator())  # restored after the test
    pydl.random.seed(123)
    a = datasets.xor(30)
    pydl.random.seed(123)
    assert np.array_equal(a[0], datasets.xor(30)[0])


# ---- each set has the shape the Playground gives it --------------------------------------------------------------

def test_circle_labels_follow_the_radius_and_noise_moves_labels_not_points():
    x, y = make("circle", n=1000)
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.array_equal(y == 1, r < 2.5)
    assert r.max() <= 5 + 1e-5 and not np.any((r >= 2.5) & (r < 3.5 - 1e-5))  # an empty gap between the classes
    xn, yn = make("circle", n=1000, noise=0.1)
    assert np.array_equal(x, xn)  # the Playground's meaning: noise reads the label at a jittered point
    flipped = yn != y
    assert 0 < flipped.mean() < 0.2
    assert np.abs(r[flipped] - 2.5).max() <= 0.1 * 5 * np.sqrt(2)  # only points the jitter can carry across


def test_xor_labels_follow_the_quadrant():
    x, y = make("xor", n=1000)
    assert np.array_equal(y == 1, x[:, 0] * x[:, 1] > 0)
    assert np.abs(x).min() >= 0.3 - 1e-6 and np.abs(x).max() <= 5.3 + 1e-5
    xn, yn = make("xor", n=1000, noise=0.1)
    assert np.array_equal(x, xn) and 0 < (yn != y).mean() < 0.3


def test_gauss_clouds_sit_at_their_centres_with_the_playground_variance():
    for noise, variance in [(0.0, 0.5), (0.5, 4.0)]:
        x, y = make("gauss", n=4000, noise=noise)
        for label, centre in [(1, 2.0), (0, -2.0)]:
            assert np.allclose(x[y == label].mean(axis=0), centre, atol=0.15)
            assert np.allclose(x[y == label].var(axis=0), variance, rtol=0.15)
    x, y = make("gauss", n=1000)
    assert ((x.sum(axis=1) > 0) == (y == 1)).mean() > 0.99  # the diagonal x0 + x1 = 0 separates them


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_spiral_arms_follow_their_curve(classes):
    x, y = make("multi_spiral", n=600, classes=classes)
    r = np.hypot(x[:, 0], x[:, 1])
    far = r > 1e-6  # the centre point of each arm has no angle
    expected = 1.75 * 2 * np.pi * r / 5 + 2 * np.pi * y / classes
    off = np.angle(np.exp(1j * (np.arctan2(x[:, 0], x[:, 1]) - expected)))  # wrapped to (-pi, pi]
    assert np.abs(off[far]).max() < 1e-4 and r.max() < 5
    assert nearest_neighbour_accuracy(x, y) > 0.97


def test_spiral_is_the_two_arm_multi_spiral():
    assert all(np.array_equal(a, b) for a, b in zip(make("spiral", noise=0.1), make("multi_spiral", noise=0.1, classes=2)))


def test_spiral_noise_moves_points_by_at_most_noise():
    x0, y0 = make("spiral")
    x1, y1 = make("spiral", noise=0.25)
    assert np.array_equal(y0, y1) and 0 < np.abs(x1 - x0).max() <= 0.25 + 1e-6


@pytest.mark.parametrize("classes", [2, 3, 4, 6])
def test_blobs_are_separable_by_nearest_centre(classes):
    x, y = make("blobs", n=600, classes=classes)
    angle = 2 * np.pi * np.arange(classes) / classes
    centres = 4 * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    nearest = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert (nearest == y).mean() > 0.95


def test_moons_lie_on_their_half_circles():
    x, y = make("moons", n=500)
    p = x / 3.0 + (0.5, 0.25)  # undo the centring and scaling back to scikit-learn's units
    top, bottom = p[y == 0], p[y == 1]
    assert np.allclose(np.hypot(*top.T), 1, atol=1e-5) and top[:, 1].min() > -1e-5
    assert np.allclose(np.hypot(bottom[:, 0] - 1, bottom[:, 1] - 0.5), 1, atol=1e-5) and bottom[:, 1].max() < 0.5 + 1e-5
    assert nearest_neighbour_accuracy(x, y) == 1.0
    xn, _ = make("moons", n=500, noise=0.1)
    assert np.std(xn - x) == pytest.approx(0.3, rel=0.15)  # noise is sklearn's std, times the scale 3


def test_plane_target_is_the_clipped_sum():
    x, y = make("plane", n=500)
    assert np.allclose(y, np.clip((x[:, 0] + x[:, 1]) / 10, -1, 1), atol=1e-6)
    xn, yn = make("plane", n=500, noise=0.2)
    assert np.array_equal(x, xn) and not np.allclose(y, yn)


def test_multi_gauss_target_is_the_nearest_bump():
    x, y = make("multi_gauss", n=2000)
    centres = np.array([(-4, 2.5), (0, 2.5), (4, 2.5), (-4, -2.5), (0, -2.5), (4, -2.5)])
    signs = np.array([1, -1, 1, -1, 1, -1])
    d = np.hypot(x[:, None, 0] - centres[:, 0], x[:, None, 1] - centres[:, 1])
    nearest = d.argmin(axis=1)
    expected = signs[nearest] * np.clip(1 - d.min(axis=1) / 2, 0, 1)
    assert np.allclose(y, expected, atol=1e-5)
    assert y.max() > 0.9 and y.min() < -0.9 and np.mean(y == 0) > 0.2  # tall bumps, flat ground between
