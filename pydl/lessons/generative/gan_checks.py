"""The GAN card's fields, checked: text as typed in, :class:`GanSettings` out, or a :class:`FieldError` that names
the field it is about (so a page flags that field) and says what to type.

>>> check_settings({"generator_units": "16, 16", "k": "2"}).k
2
>>> try:
...     check_settings({"discriminator_rate": "fast"})
... except FieldError as error:
...     error.field, str(error)
('discriminator_rate', 'Discriminator learning rate: “fast” is not a number. Type a number such as 0.5.')
"""

from __future__ import annotations

from dataclasses import fields

from pydl.lessons.generative.gan import ACTIVATIONS, OPTIMIZERS, SETTINGS_LIMITS, GanSettings
from pydl.lessons.gradient_descent.validation import InputError, parse_number

__all__ = ["FIELD_LABELS", "FieldError", "check_settings", "settings_fields"]

FIELD_LABELS = {"generator_units": "Generator layers", "discriminator_units": "Discriminator layers",
                "activation": "Activation", "optimizer": "Optimizer", "generator_rate": "Generator learning rate",
                "discriminator_rate": "Discriminator learning rate", "k": "D steps per G step",
                "batch_size": "Batch size", "seed": "Seed"}


class FieldError(InputError):
    """A field that cannot be used: ``field`` is its key in :data:`FIELD_LABELS`, the message is for people."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _units(field: str, text) -> tuple:
    label = FIELD_LABELS[field]
    parts = [part for part in str(text).replace(";", ",").split(",") if part.strip()]
    low, high = SETTINGS_LIMITS["layers"]
    if not low <= len(parts) <= high:
        raise FieldError(field, f"{label}: give {low} to {high} layer sizes separated by commas, such as 16, 16 "
                                f"(got {len(parts)}).")
    return tuple(parse_number(part, f"{label}: each size", *SETTINGS_LIMITS["units"], integer=True) for part in parts)


def _choice(field: str, value, allowed) -> str:
    if value not in allowed:
        raise FieldError(field, f"{FIELD_LABELS[field]}: {value!r} is not one of {', '.join(allowed)}.")
    return value


def check_settings(raw: dict) -> GanSettings:
    """``raw`` maps field keys to the text typed in (a missing key keeps the default); raises :class:`FieldError`."""
    defaults = GanSettings()
    values = {}
    for key in FIELD_LABELS:
        text = raw.get(key)
        if text is None:
            continue
        try:
            if key.endswith("_units"):
                values[key] = _units(key, text)
            elif key == "activation":
                values[key] = _choice(key, text, ACTIVATIONS)
            elif key == "optimizer":
                values[key] = _choice(key, text, OPTIMIZERS)
            elif key.endswith("_rate"):
                values[key] = parse_number(text, FIELD_LABELS[key], *SETTINGS_LIMITS["rate"])
            else:
                values[key] = parse_number(text, FIELD_LABELS[key], *SETTINGS_LIMITS[key], integer=True)
        except FieldError:
            raise
        except InputError as error:
            raise FieldError(key, str(error)) from None
    return GanSettings(**{f.name: values.get(f.name, getattr(defaults, f.name)) for f in fields(GanSettings)})


def settings_fields(settings: GanSettings) -> dict:
    """The fields' text for ``settings`` (what a page fills in): the inverse of :func:`check_settings`."""
    return {key: ", ".join(str(u) for u in value) if key.endswith("_units") else str(value)
            for key, value in ((key, getattr(settings, key)) for key in FIELD_LABELS)}
