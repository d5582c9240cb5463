"""Gradient descent, step by step: every number the page web/gradient-descent/ shows.

Three lessons, each a small class that a page drives and a native test checks:

* :class:`OneWeight` (:mod:`.one_weight`): the worked example of one weight (input 3, weight 2, target 10). Each
  quantity of one update is a stage the page reveals in turn; the slope comes from pydl's autograd, is checked
  against the formula 2 x error x input, and the update is made by :class:`pydl.optimizers.SGD`.
* :class:`Race` (:mod:`.surfaces`): optimizers from :mod:`pydl.optimizers` racing on a two-weight loss surface (a
  pydl function of two tensors, so autograd gives its gradient), from the same start.
* :class:`MiniBatch` (:mod:`.minibatch`): a straight line fitted to a small data set by mini-batch SGD, beside
  full-batch descent.

Inputs typed by a person are checked by ``check_*`` functions that return ``(values, None)`` or
``(None, message)``: a page shows the message and keeps its previous state (:mod:`.validation`).

>>> lesson = OneWeight(x=3, target=10, weight=2, learning_rate=0.01)
>>> [stage["text"] for stage in lesson.stages()]
['6', '-4', '16', '-24', '-0.24', '2.24']
"""

from .minibatch import MINI_BATCH_DEFAULTS, MiniBatch, check_mini_batch, regression_data
from .one_weight import ONE_WEIGHT_DEFAULTS, OneWeight, check_one_weight
from .surfaces import (MOMENTUM_CHOICES, RACERS, RATE_SLIDER, SURFACES, Race, Surface, check_race, contour_image,
                       surface_grid)
from .validation import BLOW_UP, InputError, LogSlider, fmt, fmt_factor, parse_number

__all__ = [
    "fmt", "fmt_factor", "parse_number", "InputError", "LogSlider", "BLOW_UP",
    "OneWeight", "check_one_weight", "ONE_WEIGHT_DEFAULTS",
    "Surface", "SURFACES", "surface_grid", "contour_image", "Race", "RACERS", "check_race",
    "RATE_SLIDER", "MOMENTUM_CHOICES",
    "MiniBatch", "regression_data", "check_mini_batch", "MINI_BATCH_DEFAULTS",
]
