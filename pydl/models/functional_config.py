"""A functional model's graph as JSON, Keras-style, and back, refusing any graph that does not hold together.

Every layer entry lists its ``inbound_nodes``: one entry per call of the layer, each the list of tensors it was
called on, written ``[layer name, node index, tensor index]`` (the node index counts the calls of that layer inside
this model; the tensor index picks one output of a layer returning several). ``input_layers`` and
``output_layers`` hold such references: one, a list, or a dict by name, matching how the model was built. A model
used as a layer is one entry whose ``config`` is its own whole config (layers, graph), so it loads back nested.

>>> from pydl import Input, layers, models
>>> inputs = Input(shape=(3,), name="x")
>>> model = models.Model(inputs, layers.Dense(2, name="out")(inputs))
>>> config = model.get_config()
>>> config["layers"][1]["inbound_nodes"], config["output_layers"]
([[['x', 0, 0]]], ['out', 0, 0])
"""

from __future__ import annotations

from collections import deque

from pydl import layers as layers_module

__all__ = ["graph_config", "graph_from_config"]


def graph_config(model) -> dict:
    """``{"layers": [...with inbound_nodes], "input_layers": ..., "output_layers": ...}`` for ``model``."""
    nodes = [t.node for t in model.inputs] + model._nodes
    node_index, calls = {}, {}
    for node in nodes:
        node_index[node] = calls.get(node.layer, 0)
        calls[node.layer] = node_index[node] + 1

    def ref(tensor) -> list:
        return [tensor.node.layer.name, node_index[tensor.node], tensor.index]

    def endpoints(tensors, keys, single):
        refs = [ref(t) for t in tensors]
        return dict(zip(keys, refs)) if keys is not None else refs[0] if single else refs

    entries = [{**layers_module.serialize(layer), "name": layer.name,
                "inbound_nodes": [[ref(t) for t in node.inputs] for node in nodes
                                  if node.layer is layer and node.inputs]}
               for layer in model.layers]
    return {"layers": entries,
            "input_layers": endpoints(model.inputs, model._input_keys, model._single_input),
            "output_layers": endpoints(model.outputs, model._output_keys, model._single_output)}


def _is_ref(value) -> bool:
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and type(value[1]) is int and type(value[2]) is int)


def _declare_layers(entries) -> dict:
    """name -> (new layer, its inbound_nodes), after checking each entry's form; Input layers have no calls."""
    if not isinstance(entries, list) or not entries:
        raise ValueError("the model config has no list of layers.")
    declared = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) \
                or not isinstance(entry.get("config"), dict):
            raise ValueError(f"layer {i} is not a {{'class_name', 'config', 'inbound_nodes'}} entry.")
        calls = entry.get("inbound_nodes")
        if not isinstance(calls, list) or not all(isinstance(call, list) and call and all(map(_is_ref, call))
                                                  for call in calls):
            raise ValueError(f"layer {i}: inbound_nodes must be a list of calls, each a non-empty list of "
                             "[layer name, node index, tensor index].")
        layer = layers_module.deserialize({"class_name": entry["class_name"], "config": entry["config"]})  # models too
        if entry.get("name", layer.name) != layer.name:
            raise ValueError(f"layer {i} is named {entry['name']!r} but its config names it {layer.name!r}.")
        if layer.name in declared:
            raise ValueError(f'two layers are named "{layer.name}".')
        if isinstance(layer, layers_module.Input) != (not calls):
            raise ValueError(f'layer "{layer.name}" ' + ("is an Input, which is never called on other tensors."
                                                        if calls else "is never called (no inbound_nodes)."))
        declared[layer.name] = (layer, calls)
    return declared


def _call_order(declared: dict) -> list:
    """Every (layer name, node index) that is a call, each after the calls whose outputs it reads (Kahn's
    algorithm: linear, and whatever is left over sits on a cycle)."""
    def node_of(ref, where):
        name, index, _ = ref
        if name not in declared:
            raise ValueError(f"{where} reads from an unknown layer {name!r}.")
        layer, calls = declared[name]
        count = len(calls) or 1  # an Input has one node: its placeholder
        if not 0 <= index < count:
            raise ValueError(f'{where} reads node {index} of layer "{name}", which has {count} node(s).')
        return (name, index) if calls else None  # placeholders are ready from the start

    calls = [(name, index) for name, (_, layer_calls) in declared.items() for index in range(len(layer_calls))]
    waiting, readers = {}, {}
    for key in calls:
        sources = {node_of(ref, f'layer "{key[0]}" call {key[1]}') for ref in declared[key[0]][1][key[1]]}
        sources.discard(None)
        waiting[key] = len(sources)
        for source in sources:
            readers.setdefault(source, []).append(key)
    ready = deque(key for key in calls if waiting[key] == 0)
    order = []
    while ready:
        key = ready.popleft()
        order.append(key)
        for reader in readers.get(key, ()):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    if len(order) != len(calls):
        stuck = [f"{name}[{index}]" for name, index in calls if waiting[(name, index)] > 0]
        raise ValueError(f"the graph has a cycle: the calls {stuck[:6]} wait on each other's outputs.")
    return order


def graph_from_config(config: dict):
    """(inputs, outputs) of the graph ``config`` describes: new layers, called as recorded.

    Raises:
        ValueError: naming the problem for unknown layer names, cycles, dangling references (a node or an output
            that does not exist), Inputs that are called, layers never called, or calls with the wrong number of
            inputs or shapes that do not fit.
    """
    if not isinstance(config, dict):
        raise ValueError("the model config is not a dict.")
    declared = _declare_layers(config.get("layers"))
    produced = {(name, 0): [layer.output] for name, (layer, calls) in declared.items() if not calls}

    def tensor(ref, where):
        name, index, output = ref
        if name not in declared:
            raise ValueError(f"{where} reads from an unknown layer {name!r}.")
        outputs = produced.get((name, index))
        if outputs is None:
            raise ValueError(f'{where} reads node {index} of layer "{name}", which does not exist.')
        if not 0 <= output < len(outputs):
            raise ValueError(f'{where} reads output {output} of layer "{name}", which has {len(outputs)}.')
        return outputs[output]

    for name, index in _call_order(declared):
        layer, calls = declared[name]
        args = [tensor(ref, f'layer "{name}" call {index}') for ref in calls[index]]
        result = layer(args if len(args) > 1 else args[0])
        produced[(name, index)] = result if isinstance(result, list) else [result]

    def endpoints(value, what):
        if _is_ref(value):
            return tensor(value, what)
        if isinstance(value, list) and value and all(map(_is_ref, value)):
            return [tensor(ref, what) for ref in value]
        if isinstance(value, dict) and value and all(isinstance(k, str) and _is_ref(r) for k, r in value.items()):
            return {key: tensor(ref, what) for key, ref in value.items()}
        raise ValueError(f"{what} must be a [layer name, node index, tensor index] reference, a list or a dict of "
                         "them.")

    inputs = endpoints(config.get("input_layers"), "input_layers")
    outputs = endpoints(config.get("output_layers"), "output_layers")
    return inputs, outputs, list(declared)
