"""``compare(model, path)``: a live Keras model against a model file.

Duck-typed, so that importing kerascope never imports Keras or TensorFlow: any object with
``layers`` (each with ``name``, ``count_params()`` and ``weights`` whose items have a
``shape``) works, Keras 3 and tf.keras alike.
"""

from kerascope import Result, _source, summary

SCHEMA = "kerascope.compare/1"


def _dims(shape):
    # TensorShape (tf.keras), tuples (Keras 3), or anything iterable of ints and None.
    dims = getattr(shape, "as_list", None)
    values = dims() if callable(dims) else shape
    return [None if d is None else int(d) for d in values]


def _count(layer):
    try:
        return int(layer.count_params())
    except Exception:  # an unbuilt layer raises (ValueError in both Keras generations)
        return None


def _live_layer(layer):
    return {
        "class": type(layer).__name__,
        "params": _count(layer),
        "weight_shapes": [_dims(w.shape) for w in getattr(layer, "weights", [])],
    }


def _file_layer(layer):
    return {
        "class": layer.get("class"),
        "params": layer.get("params"),
        "weight_shapes": [w.get("shape") for w in layer.get("weights", [])],
    }


def _sorted_shapes(shapes):
    return sorted(shapes, key=lambda s: [len(s)] + [-1 if d is None else d for d in s])


def _differences(live, stored):
    found = []
    if live["class"] != stored["class"]:
        found.append(f"class {live['class']} in the model, {stored['class']} in the file")
    if live["params"] is not None and live["params"] != stored["params"]:
        found.append(f"{live['params']:,} parameters in the model, {stored['params']:,} in the file")
    if _sorted_shapes(live["weight_shapes"]) != _sorted_shapes(stored["weight_shapes"]):
        found.append(
            f"weights {live['weight_shapes']} in the model, {stored['weight_shapes']} in the file"
        )
    return found


class Comparison(Result):
    """``compare(model, path)``: where a file differs from a live model."""

    __slots__ = ()

    def _repr_html_(self):
        from kerascope import _escape

        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                _escape(layer["name"]),
                _escape(layer["status"]),
                _escape("; ".join(layer["differences"])),
            )
            for layer in self._data["layers"]
        )
        totals = self._data["total_params"]
        verdict = "same" if self._data["equivalent"] else "different"
        return (
            f"<div class='kerascope-compare'><p><b>{_escape(self._data['file'])}</b> against"
            f" model {_escape(self._data['model']['name'])}: {verdict}</p>"
            "<table><thead><tr><th>Layer</th><th>Status</th><th>Differences</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><p>Total params: {totals['model']} in the model,"
            f" {totals['file']} in the file</p></div>"
        )


def compare(model, path, *, config=None):
    """Where the model file at ``path`` differs from ``model``, a live ``keras.Model``
    (Keras 3 or tf.keras): layers missing on either side, classes, parameter counts and
    weight shapes by layer name, and the totals. ``config`` as in :func:`summary`."""
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(
            f"model must be a Keras model (with .layers), not {type(model).__name__}"
        )
    _source(path, "path")  # the argument's type is checked before any work
    stored = summary(path, config=config).to_dict()
    live = {layer.name: _live_layer(layer) for layer in layers}
    in_file = {layer["name"]: _file_layer(layer) for layer in stored.get("layers", [])}
    entries = []
    for name in list(live) + [n for n in in_file if n not in live]:
        entry = {"name": name, "model": live.get(name), "file": in_file.get(name)}
        if entry["file"] is None:
            entry["status"], entry["differences"] = "only_in_model", ["not in the file"]
        elif entry["model"] is None:
            entry["status"], entry["differences"] = "only_in_file", ["not in the model"]
        else:
            entry["differences"] = _differences(entry["model"], entry["file"])
            entry["status"] = "different" if entry["differences"] else "same"
        # Keras 3 leaves a Sequential model's InputLayer out of model.layers; the file
        # keeps it. An input holds no weights: not a difference.
        one_side = entry["model"] or entry["file"]
        if entry["status"].startswith("only_in_") and one_side["class"] == "InputLayer":
            entry["status"], entry["differences"] = "input_one_side", []
        entries.append(entry)
    try:
        model_total = int(model.count_params())
    except Exception:
        model_total = None
    file_total = stored.get("total_params")
    equivalent = all(e["status"] in ("same", "input_one_side") for e in entries) and (
        model_total is None or model_total == file_total
    )
    document = {
        "schema": SCHEMA,
        "file": stored.get("file"),
        "model": {"name": getattr(model, "name", None), "class": type(model).__name__},
        "equivalent": equivalent,
        "total_params": {"model": model_total, "file": file_total},
        "layers": entries,
    }
    lines = [
        f"{document['file']} against model {document['model']['name']}:"
        f" {'same' if equivalent else 'different'}"
    ]
    for e in entries:
        if e["differences"]:
            lines.extend(f"  {e['name']}: {d}" for d in e["differences"])
    if model_total != file_total:
        lines.append(f"  total params: {model_total} in the model, {file_total} in the file")
    import json  # not at import time: `re`, which json needs, costs milliseconds

    return Comparison(json.dumps(document, indent=2), "\n".join(lines) + "\n")
