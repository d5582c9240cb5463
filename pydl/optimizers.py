"""Optimizers with Keras 3's formulas and defaults: SGD (momentum, Nesterov), RMSprop (centered), Adam (amsgrad),
AdamW and Adagrad, each with Keras' ``clipnorm``/``clipvalue``/``global_clipnorm``, ``weight_decay`` and Keras 2's
``decay`` and ``lr``.

Each optimizer keeps per-parameter slots (momentum, running averages) created on a parameter's first update, and
puts the maths of one update in ``update_step(grad, param, slots)``. Updates happen in place on ``param.data``
(outside the autograd graph); ``param.grad`` is read, never modified. ``get_state``/``set_state`` copy the slots and
the iteration count out and back in (saved model files use them, so training resumes exactly).

Two ways to use them:

>>> import pydl
>>> from pydl import optimizers
>>> w = pydl.tensor([1.0, -2.0], requires_grad=True)
>>> opt = optimizers.SGD(params=[w], learning_rate=0.1)   # PyTorch style
>>> (w * w).sum().backward(); opt.step(); opt.zero_grad()
>>> w.data.tolist()
[0.800000011920929, -1.600000023841858]
>>> opt = optimizers.get("adam")                           # Keras style
>>> opt.apply_gradients([(pydl.backend.np.array([0.5, 0.5], dtype="float32"), w)])
"""

from __future__ import annotations

import math
import numbers

from pydl import backend, registry
from pydl.tensor import Tensor

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "get", "serialize"]


def _check_range(name: str, value, low: float, high: float | None = None, include_high: bool = False) -> float:
    """``value`` as a finite float, or a ValueError that names the hyper-parameter, its value and its valid range.

    Infinity is refused like NaN: an infinite rate makes every weight NaN after one step, an infinite epsilon
    silently zeroes every Adam update (and ``1e400`` in a model file reads as infinity).
    """
    try:
        value = float(value)
    except OverflowError:  # an int beyond float's range: as infinite as float("1e400")
        value = math.inf
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    too_high = high is not None and (value > high if include_high else value >= high)
    if not math.isfinite(value) or value < low or too_high:
        bound = "" if high is None else (f", {high}]" if include_high else f", {high})")
        interval = f"[{low}{bound}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be a finite number {'in ' if high is not None else ''}{interval}, got {value}.")
    return value


def _check_flag(name: str, value) -> bool:
    """``value`` if it is a bool (a model file's "false" string would otherwise read as True)."""
    if isinstance(value, str) or value not in (True, False):
        raise ValueError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def _check_count(name: str, value) -> int:
    """``value`` if it is a non-negative int (a step or iteration count), else a ValueError naming it."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
        raise ValueError(f"The {name} must be a non-negative integer, got {value!r}.")
    return int(value)


class Optimizer:
    """Base class: hyper-parameters, gradient clipping, weight decay, per-parameter slots and the two ways of
    applying gradients.

    Args:
        learning_rate: step size (``lr`` is accepted as an alias, as in Keras 2).
        params: tensors to update with :meth:`step` (PyTorch style); optional for Keras-style use.
        name: label used in configs.
        weight_decay: decoupled weight decay, as Keras 3: before each update every weight is multiplied by
            ``1 - weight_decay * lr`` (AdamW's rule, for every optimizer here).
        clipnorm: clip each gradient to this L2 norm (``g * clipnorm / max(norm(g), clipnorm)``).
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: scale all gradients together so that their joint L2 norm is at most this. Only one of the
            three clippings may be set, as in Keras; 0 means off.
        decay: Keras 2's time-based decay, kept for old code (Keras 3 ignores it, with a warning): the rate of
            update ``t`` (counted from 0) is ``lr / (1 + decay * t)``, Keras 3's
            ``InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)`` (in pydl, a schedule is the
            ``LearningRateScheduler`` callback).

    Subclasses define ``slot_names`` and ``update_step(grad, param, slots)``, reading the rate of the update from
    :attr:`current_learning_rate`.
    """

    slot_names: tuple = ()

    def __init__(self, learning_rate: float = 0.01, params=None, name: str | None = None, lr=None,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, decay=0.0):
        self.learning_rate = learning_rate if lr is None else lr
        self.name = name or type(self).__name__.lower()
        self.params = [] if params is None else list(params)
        for p in self.params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: params must be Tensors, got {type(p).__name__}.")
        clipping = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = [f"{key}={value}" for key, value in clipping.items() if value is not None]
        if len(given) > 1:
            raise ValueError(f"{type(self).__name__}: only one of clipnorm, clipvalue and global_clipnorm can be set "
                             f"(as in Keras), got {', '.join(given)}.")
        self.clipnorm, self.clipvalue, self.global_clipnorm = (
            None if value is None else _check_range(key, value, 0.0) for key, value in clipping.items())
        self.weight_decay = None if weight_decay is None else _check_range("weight_decay", weight_decay, 0.0)
        self.decay = _check_range("decay", decay, 0.0)
        self.iterations = 0  # number of update calls (step / apply_gradients)
        self._slots: dict = {}  # id(param) -> (param, {slot: array}); the param is kept so its id stays unique

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        # Checked on every change, so a web page's slider cannot set a NaN rate either.
        self._learning_rate = _check_range("learning_rate", value, 0.0)

    @property
    def current_learning_rate(self) -> float:
        """The rate of the next update: ``learning_rate``, lowered by the legacy ``decay`` as updates go by."""
        if self.decay:
            return self._learning_rate / (1.0 + self.decay * self.iterations)
        return self._learning_rate

    # ----------------------------------------------------------------- slots
    def slots(self, param: Tensor) -> dict:
        """The state of ``param`` (created with zeros on first use): e.g. ``{"momentum": array}``."""
        entry = self._slots.get(id(param))
        if entry is None or entry[0] is not param:
            xp = backend.get_array_module(param.data)
            state = {name: xp.zeros_like(param.data) for name in self.slot_names}
            state["step"] = 0
            self.build_slots(param, state)
            entry = self._slots[id(param)] = (param, state)
        return entry[1]

    def build_slots(self, param: Tensor, state: dict) -> None:
        """Hook for slots that do not start at zero (Adagrad's accumulator)."""

    def get_state(self, params) -> dict:
        """Copies of the slots of ``params`` (keyed by position) and the iteration count, for saving.

        ``{"iterations": 7, "slots": {0: {"step": 7, "arrays": {"m": array, "v": array}}, ...}}``; parameters
        never updated have no entry. :meth:`set_state` with the same ``params`` resumes exactly where this left off.
        """
        slots = {}
        for index, param in enumerate(params):
            entry = self._slots.get(id(param))
            if entry is not None and entry[0] is param:
                state = entry[1]
                arrays = {name: backend.to_numpy(state[name]).copy() for name in self.slot_names}
                slots[index] = {"step": state["step"], "arrays": arrays}
        return {"iterations": self.iterations, "slots": slots}

    def set_state(self, params, state: dict) -> None:
        """Replace every slot and the iteration count with ``state`` (from :meth:`get_state` on matching ``params``).

        Raises:
            ValueError: naming what does not fit (a position, a slot name, a shape, a step); nothing is changed.
        """
        params = list(params)
        iterations = _check_count("iteration count", state.get("iterations"))
        slots = state.get("slots")
        if not isinstance(slots, dict):
            raise ValueError(f"The optimizer state needs a dict of slots, got {type(slots).__name__}.")
        restored = {}
        for index, slot in slots.items():
            param = self._param_at(params, index)
            restored[id(param)] = (param, self._restored_slot(param, slot))
        self._slots = restored
        self.iterations = iterations

    @staticmethod
    def _param_at(params: list, index) -> Tensor:
        if _check_count("slot position", index) >= len(params):
            raise ValueError(f"Slot position {index} is out of range for {len(params)} parameters.")
        return params[index]

    def _restored_slot(self, param: Tensor, slot) -> dict:
        """The internal slot dict for ``param`` built from a saved ``{"step", "arrays"}``, checked before any copy."""
        where = f"parameter {param.name!r}" if param.name else f"unnamed parameter of shape {tuple(param.shape)}"
        arrays = slot.get("arrays") if isinstance(slot, dict) else None
        if not isinstance(arrays, dict):
            raise ValueError(f"The slot of the {where} is not a {{'step', 'arrays'}} dict.")
        if set(arrays) != set(self.slot_names):
            raise ValueError(f"The slot of the {where} holds {list(arrays)} but {type(self).__name__} keeps "
                             f"{list(self.slot_names)}.")
        for name, array in arrays.items():
            if tuple(backend.np.shape(array)) != tuple(param.shape):
                raise ValueError(f"Slot {name!r} of the {where} has shape {tuple(backend.np.shape(array))}, not "
                                 f"the parameter's {tuple(param.shape)}.")
        step = _check_count(f"step of the {where}", slot.get("step"))
        xp = backend.get_array_module(param.data)
        state = {name: xp.array(arrays[name], dtype=param.dtype) for name in self.slot_names}  # private copies
        state["step"] = step
        return state

    # ----------------------------------------------------------------- applying gradients
    def update_step(self, grad, param: Tensor, state: dict) -> None:
        raise NotImplementedError

    def _apply(self, pairs) -> None:
        grads, params = [], []
        for grad, param in pairs:
            if grad is None:
                continue
            if isinstance(grad, Tensor):
                grad = grad.data
            grad = backend.on_device_of(grad, param.data)  # a NumPy gradient for a GPU weight, as Keras takes
            if grad.shape != param.data.shape:
                raise ValueError(
                    f"{type(self).__name__}: gradient of shape {tuple(grad.shape)} for parameter "
                    f"{param.name or ''} of shape {tuple(param.data.shape)}."
                )
            grads.append(grad)
            params.append(param)
        if self.clipnorm or self.clipvalue or self.global_clipnorm:
            grads = self._clipped(grads)
        shrink = 1.0 - self.weight_decay * self.current_learning_rate if self.weight_decay else None
        for grad, param in zip(grads, params):
            if not getattr(param.data.flags, "writeable", True):  # a read-only buffer (CuPy has no such flag)
                param.data = param.data.copy()
            state = self.slots(param)
            state["step"] += 1
            if shrink is not None:  # Keras 3 decays the weights before the update, with the update's rate
                param.data *= shrink
            self.update_step(grad, param, state)
        self.iterations += 1

    def _clipped(self, grads: list) -> list:
        """The gradients clipped as Keras 3 does (new arrays: ``param.grad`` is never modified)."""
        if self.clipnorm:
            xp = backend.get_array_module(grads[0]) if grads else backend.np
            return [g * self.clipnorm / xp.maximum(xp.sqrt(xp.sum(g * g)), self.clipnorm) for g in grads]
        if self.global_clipnorm:
            norm = math.sqrt(sum(float((g * g).sum()) for g in grads))
            # Keras' clip_norm * min(1 / norm, 1 / clip_norm): a zero norm leaves the gradients as they are, a
            # non-finite one makes them NaN (the update then shows the problem instead of hiding it)
            scale = 1.0 if norm == 0 else self.global_clipnorm * min(1.0 / norm, 1.0 / self.global_clipnorm) + (
                norm - norm)
            return [g * scale for g in grads]
        xp = backend.get_array_module(grads[0]) if grads else backend.np
        return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]

    def apply_gradients(self, grads_and_vars) -> None:
        """Keras style: ``opt.apply_gradients(zip(grads, params))``; grads are arrays or Tensors (None skipped)."""
        self._apply(grads_and_vars)

    def apply(self, grads, params) -> None:
        """Same as ``apply_gradients(zip(grads, params))``."""
        self._apply(zip(grads, params))

    def step(self, params=None) -> None:
        """PyTorch style: update every parameter (``params`` or the constructor's) from its ``.grad``."""
        self._apply((p.grad, p) for p in (self.params if params is None else params))

    def zero_grad(self, params=None) -> None:
        """Forget the gradients of the parameters (sets ``.grad`` to None, as ``set_to_none=True`` in PyTorch)."""
        for p in self.params if params is None else params:
            p.grad = None

    def reset(self) -> None:
        """Forget all slots and the iteration count (a fresh start on the same parameters)."""
        self._slots.clear()
        self.iterations = 0

    # ----------------------------------------------------------------- configuration
    def get_config(self) -> dict:
        """The settings; the options left at their defaults (no clipping, decay or weight decay) are left out."""
        options = {"weight_decay": self.weight_decay, "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                   "global_clipnorm": self.global_clipnorm, "decay": self.decay or None}
        return {"name": self.name, "learning_rate": self.learning_rate,
                **{key: value for key, value in options.items() if value is not None}}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({options})"


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum, as in Keras.

    ``velocity = momentum * velocity - lr * g``; then ``w += velocity`` or, with Nesterov,
    ``w += momentum * velocity - lr * g``. With momentum 0 it is plain ``w -= lr * g``.

    >>> from pydl import optimizers
    >>> optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True).get_config()
    {'name': 'sgd', 'learning_rate': 0.1, 'momentum': 0.9, 'nesterov': True}
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, params=None, name=None, lr=None, **options):
        super().__init__(learning_rate, params, name, lr, **options)
        self.momentum = _check_range("momentum", momentum, 0.0, 1.0)
        self.nesterov = _check_flag("nesterov", nesterov)
        self.slot_names = ("momentum",) if self.momentum > 0 else ()

    def update_step(self, grad, param, state):
        lr = self.current_learning_rate
        if self.momentum == 0:
            param.data -= lr * grad
            return
        velocity = state["momentum"]
        velocity *= self.momentum
        velocity -= lr * grad
        if self.nesterov:
            param.data += self.momentum * velocity - lr * grad
        else:
            param.data += velocity

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients (Keras' formula).

    ``v = rho v + (1 - rho) g^2``; ``step = lr g / sqrt(v + epsilon)``; with momentum ``m = momentum m + step``
    and ``w -= m``, else ``w -= step``. (PyTorch adds epsilon outside the square root instead.) ``centered=True``
    also keeps the running mean gradient ``a = rho a + (1 - rho) g`` and divides by ``sqrt(v + epsilon - a^2)``,
    an estimate of the gradient's variance rather than its second moment.

    >>> from pydl import optimizers
    >>> optimizers.RMSprop().get_config()
    {'name': 'rmsprop', 'learning_rate': 0.001, 'rho': 0.9, 'momentum': 0.0, 'epsilon': 1e-07, 'centered': False}
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, params=None,
                 name=None, lr=None, **options):
        super().__init__(learning_rate, params, name, lr, **options)
        self.rho = _check_range("rho", rho, 0.0, 1.0)
        self.momentum = _check_range("momentum", momentum, 0.0, 1.0)
        self.epsilon = _check_range("epsilon", epsilon, 0.0)
        self.centered = _check_flag("centered", centered)
        self.slot_names = ("velocity",) + (("momentum",) if self.momentum > 0 else ()) + (
            ("average_gradient",) if self.centered else ())

    def update_step(self, grad, param, state):
        xp = backend.get_array_module(param.data)
        velocity = state["velocity"]
        velocity *= self.rho
        velocity += (1 - self.rho) * (grad * grad)
        denominator = velocity + self.epsilon
        if self.centered:
            average = state["average_gradient"]
            average *= self.rho
            average += (1 - self.rho) * grad
            denominator -= average * average
        increment = self.current_learning_rate * grad / xp.sqrt(denominator)
        if self.momentum > 0:
            m = state["momentum"]
            m *= self.momentum
            m += increment
            param.data -= m
        else:
            param.data -= increment

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


class Adam(Optimizer):
    """Adaptive moments with bias correction, in Keras' form.

    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    ``w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)``. (PyTorch divides epsilon by
    ``sqrt(1 - b2^t)``; with epsilon 0 the two agree exactly.) ``amsgrad=True`` divides by the square root of the
    largest ``v`` so far instead, so a coordinate's step never grows back.

    >>> from pydl import optimizers
    >>> optimizers.Adam(learning_rate=0.01).get_config()["beta_2"]
    0.999
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, params=None,
                 name=None, lr=None, **options):
        super().__init__(learning_rate, params, name, lr, **options)
        self.beta_1 = _check_range("beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _check_range("beta_2", beta_2, 0.0, 1.0)
        self.epsilon = _check_range("epsilon", epsilon, 0.0)
        self.amsgrad = _check_flag("amsgrad", amsgrad)
        self.slot_names = ("m", "v", "v_hat") if self.amsgrad else ("m", "v")

    def update_step(self, grad, param, state):
        xp = backend.get_array_module(param.data)
        t = state["step"]  # per parameter, so parameters added later get their own bias correction
        alpha = self.current_learning_rate * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        m, v = state["m"], state["v"]
        m += (1 - self.beta_1) * (grad - m)
        v += (1 - self.beta_2) * (grad * grad - v)
        if self.amsgrad:
            v = xp.maximum(state["v_hat"], v, out=state["v_hat"])
        param.data -= alpha * m / (xp.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), Keras 3's ``AdamW``: ``Adam`` whose
    ``weight_decay`` defaults to 0.004, so each update first multiplies the weights by ``1 - 0.004 * lr``.

    >>> from pydl import optimizers
    >>> optimizers.get("adamw").weight_decay
    0.004
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, params=None, name=None, lr=None, **options):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number (it is what AdamW adds to Adam), got None.")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, params, name, lr,
                         weight_decay=weight_decay, **options)


class Adagrad(Optimizer):
    """Per-coordinate steps shrinking with the sum of squared gradients (Keras' formula).

    ``acc += g^2``; ``w -= lr g / sqrt(acc + epsilon)``, with ``acc`` starting at ``initial_accumulator_value``.

    >>> from pydl import optimizers
    >>> optimizers.Adagrad().get_config()["initial_accumulator_value"]
    0.1
    """

    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, params=None, name=None,
                 lr=None, **options):
        super().__init__(learning_rate, params, name, lr, **options)
        self.initial_accumulator_value = _check_range("initial_accumulator_value", initial_accumulator_value, 0.0)
        self.epsilon = _check_range("epsilon", epsilon, 0.0)

    def build_slots(self, param, state):
        state["accumulator"] += self.initial_accumulator_value

    def update_step(self, grad, param, state):
        xp = backend.get_array_module(param.data)
        acc = state["accumulator"]
        acc += grad * grad
        param.data -= self.current_learning_rate * grad / xp.sqrt(acc + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


for _cls in (SGD, RMSprop, Adam, AdamW, Adagrad):
    registry.register("optimizer", _cls)


def get(identifier) -> Optimizer:
    """An optimizer from a name (``"adam"``, any case, default settings), an instance, or a
    ``{"class_name", "config"}`` dict.

    >>> from pydl import optimizers
    >>> optimizers.get("rmsprop").learning_rate
    0.001
    """
    return registry.get("optimizer", identifier)


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name", "config"}`` that :func:`get` turns back into an equivalent (fresh) optimizer."""
    return registry.serialize("optimizer", optimizer)
