"""What a page action does to a :class:`Playground`: one dispatch table, so the page glue stays a few lines.

An action is a small dict from the page, e.g. ``{"type": "set", "key": "learningRate", "value": "0.1"}``.
:func:`apply_action` returns what the page must redraw: ``"structure"`` (layout, points, settings and a frame),
``"frame"`` (maps, weights, losses) or ``"none"``, plus notes to show. Invalid actions raise
:class:`~pydl.lessons.playground.state.PlaygroundError` with a message for people.

>>> from pydl.lessons.playground.session import Playground
>>> pg = Playground()
>>> apply_action(pg, {"type": "neurons", "layer": 0, "delta": 1})
('structure', [])
>>> pg.state.network_shape
(5, 2)
"""

from __future__ import annotations

from pydl.lessons.playground.state import PlaygroundError, from_query

__all__ = ["apply_action"]

_LIVE_KEYS = {"learningRate", "showTestData", "discretize", "epochs"}  # no reset: the next frame shows them


def _int(action, key):
    try:
        return int(action[key])
    except (KeyError, TypeError, ValueError):
        raise PlaygroundError(f"The page sent a {action.get('type')!r} action without a whole-number "
                              f"{key!r}.") from None


def apply_action(pg, action: dict) -> tuple:
    """Apply ``action`` to ``pg``; returns ``(redraw, notes)``.

    A change mid-run applies cleanly or not at all: a setting that needs a new network rebuilds it (new weights,
    epoch 0) and a note says so when the old run had trained; a new learning rate or epoch limit keeps the network
    and its run, and a note says from when it applies.
    """
    model, epoch, batch = pg.model, pg.epoch, pg.batch
    redraw, notes = _apply(pg, action)
    if pg.model is not model and (epoch or batch):
        done = f"{epoch} epoch{'s' if epoch != 1 else ''}" + (f" and {batch} batch(es)" if batch else "")
        notes = [*notes, f"the new settings need a new network: it was rebuilt with new weights at epoch 0 (the old "
                         f"run had trained {done})"]
    elif action.get("type") == "set" and (epoch or batch) and action.get("key") in ("learningRate", "epochs"):
        notes = [*notes, f"learning rate {pg.state.learning_rate:g} from the next batch on, same network"
                 if action["key"] == "learningRate" else
                 f"this run now trains to epoch {pg.state.epochs}, same network" + (
                     f" (it has trained {epoch}: raise the limit to train on)" if pg.at_limit else "")]
    return redraw, notes


def _apply(pg, action: dict) -> tuple:
    kind = action.get("type")
    if kind == "set":
        key = action.get("key")
        pg.update(key, action.get("value"))
        return ("frame" if key in _LIVE_KEYS else "structure"), []
    if kind == "layers":
        pg.change_layers(_int(action, "delta"))
        return "structure", []
    if kind == "neurons":
        pg.change_neurons(_int(action, "layer"), _int(action, "delta"))
        return "structure", []
    if kind == "layerActivation":
        pg.set_layer_activation(_int(action, "layer"), str(action.get("value")))
        return "structure", []
    if kind == "weight":
        pg.set_weight(_int(action, "layer"), _int(action, "source"), _int(action, "target"), action.get("value"))
        return "frame", []
    if kind == "bias":
        pg.set_bias(_int(action, "layer"), _int(action, "unit"), action.get("value"))
        return "frame", []
    if kind == "focus":
        pg.focus = action.get("node") or None
        return "frame", []
    if kind == "regenerate":
        pg.regenerate()
        return "structure", []
    if kind == "reset":
        pg.reset()
        return "structure", []
    if kind == "step":
        pg.step_epoch()
        return "frame", []
    if kind == "csv":
        notes = pg.load_csv(str(action.get("text", "")), str(action.get("name") or "data.csv"))
        return "structure", notes
    if kind == "query":  # the user edited the URL's hash by hand
        state, problems = from_query(str(action.get("query", "")), seed_if_missing=pg.state.seed)
        if state.data_name == "csv" and pg.csv is None:
            raise PlaygroundError("This link uses a CSV file; load the file with “Load CSV” first.")
        pg.apply_state(state)
        return "structure", problems
    raise PlaygroundError(f"The page sent an unknown action {kind!r}.")
