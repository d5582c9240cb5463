"""What the GAN cards draw: the gradient arrows equal torch's autograd of the same loss, the heat map and the
manifold are the models' own outputs, and a frame is plain JSON."""

from __future__ import annotations

import json

import numpy as np
import torch

import pydl
from pydl import backend
from pydl.lessons.generative.gan import GanSettings, GanTraining
from pydl.lessons.generative.gan_views import (
    FrameSampler,
    decision_surface,
    frame,
    generator_gradients,
    grid_points,
    manifold,
)
from pydl.lessons.generative.targets import VIEW, make_target


def float64_training(**settings) -> GanTraining:
    backend.set_floatx("float64")  # restored after each test by tests/conftest.py
    training = GanTraining(GanSettings(**settings), make_target("mixture"))
    for _ in range(20):  # away from the initial weights, so that the arrows differ from point to point
        training.step()
    return training


def torch_discriminator_gradient(discriminator, points: np.ndarray) -> np.ndarray:
    """d/dx of sum(-log sigmoid(logit(x))) with D's weights in torch: the direct autograd computation."""
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    hidden = x
    dense = [layer for layer in discriminator.layers if layer.weights]
    for layer in dense:
        kernel, bias = (torch.tensor(w.numpy(), dtype=torch.float64) for w in layer.weights)
        hidden = hidden @ kernel + bias
        if layer is not dense[-1]:
            hidden = torch.tanh(hidden)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(hidden, torch.ones_like(hidden), reduction="sum")
    loss.backward()
    return x.grad.numpy()


def test_the_arrows_are_the_gradient_of_gs_loss_as_torch_computes_it_and_as_finite_differences_say():
    training = float64_training(activation="tanh", seed=7)  # tanh: smooth, so finite differences are exact enough
    fakes = training.generate(np.random.default_rng(0).uniform(-1, 1, (30, 2)))
    ours = generator_gradients(training.discriminator, fakes)
    assert ours.shape == (30, 2) and ours.dtype == np.float64
    np.testing.assert_allclose(ours, torch_discriminator_gradient(training.discriminator, fakes), rtol=1e-10,
                               atol=1e-12)  # float64, the same operations in another engine: rounding only

    def loss(points):
        p = np.asarray(training.discriminator.predict(points, verbose=0), dtype=np.float64)
        return -np.log(p).sum()

    step, numeric = 1e-6, np.zeros_like(fakes)
    for i in range(len(fakes)):
        for j in range(2):
            shifted = fakes.copy()
            shifted[i, j] += step
            up = loss(shifted)
            shifted[i, j] -= 2 * step
            numeric[i, j] = (up - loss(shifted)) / (2 * step)
    np.testing.assert_allclose(ours, numeric, rtol=1e-5, atol=1e-8)  # central differences: O(step^2) error
    assert np.abs(ours).max() > 1e-3  # a real gradient, not zeros that would pass any comparison


def test_the_heat_map_and_the_manifold_are_the_models_own_outputs():
    training = float64_training(seed=8)
    surface = decision_surface(training.discriminator, 6)
    grid = grid_points(6)
    np.testing.assert_allclose(grid[0], [-VIEW + VIEW / 6, VIEW - VIEW / 6])  # top-left cell first, rows from the top
    expected = np.asarray(training.discriminator.predict(grid, verbose=0)).reshape(6, 6)
    # float64; one batch against predict's batches of 32: the same sums, BLAS may block them differently
    np.testing.assert_allclose(surface, expected, rtol=1e-12, atol=1e-15)
    assert ((surface > 0) & (surface < 1)).all()

    lines = manifold(training.generator, lines=3, points=5)
    assert len(lines) == 6 and all(line.shape == (5, 2) for line in lines)
    corner = training.generate(np.array([[-1.0, -1.0], [1.0, 1.0]]))
    np.testing.assert_allclose(lines[0][0], corner[0], rtol=1e-12)  # the first row line starts at noise (-1, -1) ...
    np.testing.assert_allclose(lines[-1][-1], corner[1], rtol=1e-12)  # ... the last column line ends at (1, 1)


def test_a_frame_is_json_with_every_layer_the_plane_draws():
    pydl.seed(0)
    training = GanTraining(GanSettings(seed=9), make_target("ring"))
    training.step()
    sampler = FrameSampler(training.target)
    shown = frame(training, sampler, surface_size=10)
    again = json.loads(json.dumps(shown))
    assert again == shown
    assert shown["step"] == 1 and shown["d_loss"] == training.history[0][1]
    assert len(shown["reals"]) == len(shown["fakes"]) == 200
    assert len(shown["surface"]) == 10 and len(shown["surface"][0]) == 10
    assert len(shown["arrows"]) == 60 and len(shown["arrows"][0]) == 4
    assert len(shown["manifold"]) == 18
    assert np.allclose(np.array(shown["arrows"])[:, :2], np.array(shown["fakes"])[:60], atol=1e-3)
    # the same fixed noise from frame to frame: only training moves the shown points
    assert frame(training, sampler, surface_size=10)["fakes"] == shown["fakes"]
