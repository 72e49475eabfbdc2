"""kerascope: read Keras model files statically, without TensorFlow, h5py or Keras.

    >>> import kerascope
    >>> s = kerascope.summary("model.h5")
    >>> s.total_params, [layer.name for layer in s.layers]
    >>> print(s)                      # the model.summary() table, as the CLI prints it
    >>> kerascope.check(["models/"]).exit_code

Every function returns a result whose ``to_dict()`` is the CLI's ``--format json`` document
for the same input, whose keys are also attributes, whose ``str()`` is the CLI's text and
which renders as HTML in Jupyter. A file that cannot be used raises ``KerascopeError`` (a
``ValueError``) naming it; nothing in a file is executed. The analysis runs in Rust without
the GIL: threads scale.
"""

import os

from kerascope import _native
from kerascope._native import KerascopeError, __version__

__all__ = [
    "KerascopeError",
    "Result",
    "Record",
    "Summary",
    "Inspection",
    "CheckReport",
    "Formula",
    "Verification",
    "Diff",
    "Rules",
    "Comparison",
    "summary",
    "inspect",
    "check",
    "formula",
    "verify",
    "diff",
    "rule",
    "compare",
    "__version__",
]

# As the CLI's --max-stdin-bytes: a stream is read whole into memory, up to this.
_MAX_STREAM_BYTES = 1 << 30
# As the CLI's default --max-summary-bytes.
_MAX_SUMMARY_BYTES = 16 << 20
_BYTES_LABEL = "<bytes>"
_STREAM_LABEL = "<stream>"


def _wrap(value):
    if isinstance(value, dict):
        return Record(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class Record:
    """A JSON object of a result: its keys are attributes (and items)."""

    __slots__ = ("_data",)

    def __init__(self, data):
        self._data = data

    def __getattr__(self, name):
        data = object.__getattribute__(self, "_data")
        try:
            return _wrap(data[name])
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__!s} has no field {name!r} (fields: {', '.join(data)})"
            ) from None

    def __getitem__(self, key):
        return _wrap(self._data[key])

    def __contains__(self, key):
        return key in self._data

    def __iter__(self):
        return iter(self._data)

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | set(self._data))

    def keys(self):
        return self._data.keys()

    def get(self, key, default=None):
        return _wrap(self._data.get(key, default))

    def to_dict(self):
        """A deep copy of the object as plain dicts and lists."""
        import json

        return json.loads(json.dumps(self._data))

    def __eq__(self, other):
        if isinstance(other, Record):
            return self._data == other._data
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return f"Record({self._data!r})"


class Result(Record):
    """A command's result: ``to_dict()`` is the CLI's JSON document, ``str()`` its text."""

    __slots__ = ("_json", "_text", "_parsed")

    def __init__(self, document, text):
        # Parsed on first use: a caller that only prints or counts holds the GIL for less.
        self._json = document
        self._text = text
        self._parsed = None

    @property
    def _data(self):
        if self._parsed is None:
            import json

            self._parsed = json.loads(self._json)
        return self._parsed

    def to_dict(self):
        """The CLI's ``--format json`` document (a fresh copy)."""
        import json

        return json.loads(self._json)

    def to_json(self):
        """The CLI's ``--format json`` document, as the CLI prints it."""
        return self._json

    def __str__(self):
        return self._text

    def __repr__(self):
        return f"<kerascope.{type(self).__name__} {self._data.get('schema', '')}>"

    def _repr_html_(self):
        return f"<pre>{_escape(self._text)}</pre>"


def _escape(value):
    import html

    return html.escape(str(value), quote=True)


def _shape(shape):
    if shape is None:
        return ""
    if shape and isinstance(shape[0], list):
        return ", ".join(_shape(s) for s in shape)
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _findings_html(findings):
    if not findings:
        return ""
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            _escape(f.get("code", "")),
            _escape(f.get("severity", "")),
            _escape(f.get("layer") or ""),
            _escape(f.get("message", "")),
        )
        for f in findings
    )
    return (
        "<table><thead><tr><th>Code</th><th>Severity</th><th>Layer</th><th>Finding</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


class Summary(Result):
    """``kerascope summary``: layers, output shapes, parameter counts, findings."""

    __slots__ = ()

    def _repr_html_(self):
        d = self._data
        model = d.get("model") or {}
        rows = "".join(
            "<tr><td>{} ({})</td><td>{}</td><td style='text-align:right'>{:,}</td></tr>".format(
                _escape(layer.get("name", "")),
                _escape(layer.get("class", "")),
                _escape(_shape(layer.get("output_shape"))),
                layer.get("params") or 0,
            )
            for layer in d.get("layers", [])
        )
        totals = "".join(
            f"<p>{label}: {d[key]:,}</p>"
            for label, key in (
                ("Total params", "total_params"),
                ("Trainable params", "trainable_params"),
                ("Non-trainable params", "non_trainable_params"),
                ("Optimizer params", "optimizer_params"),
            )
            if isinstance(d.get(key), int)
        )
        return (
            f"<div class='kerascope-summary'><p><b>Model: {_escape(model.get('name', ''))}</b>"
            f" ({_escape(d.get('file', ''))}, {_escape(d.get('format', ''))})</p>"
            "<table><thead><tr><th>Layer (type)</th><th>Output Shape</th><th>Param #</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>{totals}"
            f"{_findings_html(d.get('findings'))}</div>"
        )


class Inspection(Result):
    """``kerascope inspect`` of one input; the file's fields are also attributes."""

    __slots__ = ()

    def __getattr__(self, name):
        data = object.__getattribute__(self, "_data")
        if name in data:
            return _wrap(data[name])
        files = data.get("files") or [{}]
        if name in files[0]:
            return _wrap(files[0][name])
        raise AttributeError(f"Inspection has no field {name!r}")


class CheckReport(Result):
    """``kerascope check``: one entry per file, totals, and the CLI's exit status."""

    __slots__ = ("exit_code",)

    def __init__(self, document, text, exit_code):
        super().__init__(document, text)
        self.exit_code = exit_code

    def _repr_html_(self):
        parts = []
        for f in self._data.get("files", []):
            if f.get("status") == "skipped":
                continue
            head = f"<p><b>{_escape(f.get('file', ''))}</b>: {_escape(f.get('status', ''))}"
            if f.get("error"):
                head += f" ({_escape(f['error'])})"
            parts.append(head + "</p>" + _findings_html(f.get("findings")))
        totals = self._data.get("totals", {})
        parts.append(
            f"<p>{totals.get('files', 0)} files, {totals.get('findings', 0)} with findings,"
            f" {totals.get('errors', 0)} errors; exit {self.exit_code}</p>"
        )
        return "<div class='kerascope-check'>" + "".join(parts) + "</div>"


class Formula(Result):
    """``kerascope formula``: a layer's weights and the arithmetic of its count."""

    __slots__ = ()


class Verification(Result):
    """``kerascope verify``: a printed ``model.summary()`` against a file, row by row."""

    __slots__ = ("matches",)

    def __init__(self, document, text, matches):
        super().__init__(document, text)
        self.matches = matches


class Diff(Result):
    """``kerascope diff``: what changed between two model files."""

    __slots__ = ()


class Rules(Result):
    """``kerascope rule``: what finding codes mean."""

    __slots__ = ()


def _source(src, argument="src"):
    """(the input for the native module: a path str or bytes, a label for messages)."""
    if isinstance(src, str):
        return src, src
    if isinstance(src, os.PathLike):
        path = os.fsdecode(os.fspath(src))
        return path, path
    if isinstance(src, bytes):
        return src, _BYTES_LABEL
    if isinstance(src, (bytearray, memoryview)):
        return bytes(src), _BYTES_LABEL
    read = getattr(src, "read", None)
    if callable(read):
        name = getattr(src, "name", None)
        label = name if isinstance(name, str) else _STREAM_LABEL
        chunks, size = [], 0
        while True:
            chunk = read(1 << 20)
            if not chunk:
                break
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"{argument}: the file object returned {type(chunk).__name__}, not bytes"
                    " (open it in binary mode, 'rb')"
                )
            size += len(chunk)
            if size > _MAX_STREAM_BYTES:
                raise KerascopeError(f"{label}: more than 1 GiB read from the file object")
            chunks.append(bytes(chunk))
        return b"".join(chunks), label
    raise TypeError(
        f"{argument} must be a path (str or os.PathLike), bytes, memoryview or a binary file"
        f" object, not {type(src).__name__}"
    )


def summary(src, *, config=None):
    """The ``model.summary()`` of a model file, from the file alone.

    ``config`` gives the architecture of a weights-only file: a path (a ``model.to_json()``
    file, a ``.keras`` ``config.json`` or any Keras file with a config), a JSON string, or a
    dict (``json.loads(model.to_json())``).
    """
    data, label = _source(src)
    config_path = config_json = None
    if config is None:
        pass
    elif isinstance(config, dict):
        import json

        config_json = json.dumps(config)
    elif isinstance(config, str) and config.lstrip().startswith("{"):
        config_json = config
    elif isinstance(config, (str, os.PathLike)):
        config_path = os.fsdecode(os.fspath(config))
    else:
        raise TypeError(
            f"config must be a path, a JSON string or a dict, not {type(config).__name__}"
        )
    return Summary(*_native.summary(data, label, config_path, config_json))


def inspect(src):
    """What a file holds: format, versions, config, every stored tensor by layer."""
    data, label = _source(src)
    return Inspection(*_native.inspect(data, label))


def check(paths, *, deep=False, jobs=None, fail_on="error"):
    """Checks files and folders (walked recursively) as ``kerascope check`` does.

    ``paths`` is a path or a list of paths; ``jobs`` threads (default one per core);
    ``fail_on`` (``"info"``, ``"warning"``, ``"error"``, ``"never"``) sets ``exit_code``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if isinstance(paths, (bytes, bytearray, memoryview)) or not hasattr(paths, "__iter__"):
        raise TypeError(f"paths must be a path or a list of paths, not {type(paths).__name__}")
    items = []
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"paths: each must be a str or os.PathLike, not {type(p).__name__}")
        items.append(os.fsdecode(os.fspath(p)))
    if not items:
        raise TypeError("paths: at least one path")
    if not isinstance(deep, bool):
        raise TypeError(f"deep must be a bool, not {type(deep).__name__}")
    if jobs is None:
        jobs = 0
    elif not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise TypeError(f"jobs must be a positive int or None, not {jobs!r}")
    if not isinstance(fail_on, str):
        raise TypeError(f"fail_on must be a str, not {type(fail_on).__name__}")
    return CheckReport(*_native.check(items, deep, jobs, fail_on))


def _formula_value(key, value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, (tuple, list)):
        return ",".join(_formula_value(key, v) for v in value)
    if value is None:
        return "none"
    raise TypeError(f"{key} must be an int, a str or a tuple of ints, not {type(value).__name__}")


def formula(class_name, /, **config):
    """A layer's weights and the arithmetic of its count, no file needed:
    ``formula("LSTM", units=256, input_dim=4096)``; shapes as tuples
    (``kernel_size=(3, 3)``, ``input_shape=(28, 28, 1)``)."""
    if not isinstance(class_name, str):
        raise TypeError(f"class_name must be a str, not {type(class_name).__name__}")
    args = [f"{k}={_formula_value(k, v)}" for k, v in config.items()]
    return Formula(*_native.formula(class_name, args))


def verify(src, summary_text):
    """A printed ``model.summary()`` (Keras 1, 2, tf.keras or 3) against a model file, row
    by row; ``src=None`` re-derives each printed count from its row alone. ``summary_text``
    is the text, or an ``os.PathLike`` naming a file that holds it."""
    if isinstance(summary_text, os.PathLike):
        label = os.fsdecode(os.fspath(summary_text))
        try:
            with open(label, "rb") as f:
                raw = f.read(_MAX_SUMMARY_BYTES + 1)
        except OSError as e:
            raise KerascopeError(f"{label}: {e.strerror or e}") from None
        if len(raw) > _MAX_SUMMARY_BYTES:
            raise KerascopeError(f"{label}: a summary is at most 16 MiB (as --max-summary-bytes)")
        text = raw.decode("utf-8", "replace")
    elif isinstance(summary_text, str):
        text, label = summary_text, "<summary>"
    else:
        raise TypeError(
            f"summary_text must be a str or os.PathLike, not {type(summary_text).__name__}"
        )
    if src is None:
        data, file_label = None, ""
    else:
        data, file_label = _source(src)
    return Verification(*_native.verify(data, file_label, text, label))


def diff(a, b):
    """What changed between two model files (any formats)."""
    data_a, label_a = _source(a, "a")
    data_b, label_b = _source(b, "b")
    return Diff(*_native.diff(data_a, label_a, data_b, label_b))


def rule(code=None):
    """What a finding code means (``rule("S101")``), or every code."""
    if code is not None and not isinstance(code, str):
        raise TypeError(f"code must be a str or None, not {type(code).__name__}")
    return Rules(*_native.rule(code))


from kerascope._compare import Comparison, compare  # noqa: E402
