"""Fixtures and knowledge for `kerascope compat`: what Keras 3.15.1 and tf_keras 2.21 load.

Run from the repository root with any Python; it runs itself in each venv:

    python3 scripts/make_compat.py                 # writers, truth, knowledge
    python3 scripts/make_compat.py --stage knowledge   # only crates/kerascope/src/compat/knowledge.json
    python3 scripts/make_compat.py --stage upgrade     # only fixtures/compat/upgrades.json

Venvs (see fixtures/README.md): /tmp/kvenv (keras 3.15.1, tf_keras 2.21.0, h5py 3.14.0),
/tmp/tf213, /tmp/tf214, /tmp/tf215 (tensorflow-cpu 2.13.1 / 2.14.1 / 2.15.1, tf.keras bundled).

Stages:
- write (in each old venv, and tf_keras in /tmp/kvenv): tiny models in the forms old Keras
  wrote, saved as legacy .h5 and (tf.keras >= 2.13) .keras, into fixtures/compat/.
- edit (in /tmp/kvenv, h5py): forms no installable version writes (Keras 1 configs, CuDNN
  layers, TensorFlowOpLayer), made by editing the config of a real tf.keras 2.15 file.
- load (in /tmp/kvenv, each load in a fresh process): every fixture loaded by Keras 3.15.1 and by
  tf_keras 2.21 (`load_model(path, compile=False)`, safe_mode default); the outcome and the error
  text are fixtures/compat/truth.json, what the tests assert.
- knowledge (in /tmp/kvenv): read from Keras itself what compat needs ->
  crates/kerascope/src/compat/knowledge.json.
- upgrade (needs target/debug/kerascope): `kerascope upgrade -o X.h5` on each fixture Keras 3
  refuses; each copy loaded by Keras 3.15.1 and compared with the original loaded by tf_keras
  2.21 (or the tf.keras that wrote it): count_params, every weight, and the outputs on a fixed
  input -> fixtures/compat/upgrades.json.
- upgrade-keras (needs target/debug/kerascope): Keras 3 .keras copies of legacy .h5 fixtures
  (upgraded_keras/, upgrades_keras.json), loaded by Keras 3.15.1 and compared with tf_keras 2.21
  loading the original; write-layouts writes fixtures/compat/layouts/ (more layer classes).
"""

import argparse
import inspect
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "compat")
TRUTH = os.path.join(OUT, "truth.json")
KNOWLEDGE = os.path.join(ROOT, "crates", "kerascope", "src", "compat", "knowledge.json")
KVENV = "/tmp/kvenv/bin/python"
OLD = {"tf213": "/tmp/tf213/bin/python", "tf214": "/tmp/tf214/bin/python", "tf215": "/tmp/tf215/bin/python"}


# ---------------------------------------------------------------------------- write


def build_models(keras, tf):
    """name -> model, each tiny; the forms Keras 2 / tf.keras configs carry."""
    L = keras.layers
    models = {}

    def seq(name, *layers):
        models[name] = keras.Sequential(list(layers), name=name)

    seq("lstm", L.Input((4, 3)), L.LSTM(2), L.Dense(1))  # time_major
    seq("gru", L.Input((4, 3)), L.GRU(2))
    seq("simple_rnn", L.Input((4, 3)), L.SimpleRNN(2))
    seq("depthwise", L.Input((5, 5, 2)), L.DepthwiseConv2D(3), L.Flatten(), L.Dense(1))  # groups
    seq("conv_bn", L.Input((6, 6, 1)), L.Conv2D(2, 3, kernel_regularizer=keras.regularizers.l2(0.01),
                                                 kernel_constraint=keras.constraints.MaxNorm(2.0)),
        L.BatchNormalization(), L.MaxPooling2D(), L.Dropout(0.1), L.Flatten(), L.Dense(2, activation="softmax"))
    seq("bidirectional", L.Input((4, 3)), L.Bidirectional(L.LSTM(2)))
    seq("time_distributed", L.Input((4, 3)), L.TimeDistributed(L.Dense(2)))
    seq("embedding", L.Input((5,)), L.Embedding(10, 2, input_length=5), L.GlobalAveragePooling1D())
    seq("lambda", L.Input((3,)), L.Lambda(lambda x: x * 2.0), L.Dense(1))
    seq("dense_init", L.Input((3,)), L.Dense(2, kernel_initializer=keras.initializers.VarianceScaling(2.0),
                                             bias_initializer=keras.initializers.Constant(0.1),
                                             kernel_regularizer=keras.regularizers.l1_l2(0.01, 0.01),
                                             activity_regularizer="l2"))
    seq("conv1d_pool", L.Input((8, 2)), L.Conv1D(2, 3, padding="same"), L.MaxPooling1D(), L.Flatten(), L.Dense(1))
    if hasattr(L, "ThresholdedReLU"):
        seq("thresholded_relu", L.Input((3,)), L.Dense(2), L.ThresholdedReLU(0.5))
    if hasattr(L, "LocallyConnected1D"):
        seq("locally_connected", L.Input((6, 2)), L.LocallyConnected1D(2, 3), L.Flatten(), L.Dense(1))

    inp = keras.Input((3,), name="x")
    h = L.Dense(4, activation="relu")(inp)
    out = L.Dense(1)(L.concatenate([h, inp]))
    models["functional"] = keras.Model(inp, out, name="functional")

    inp = keras.Input((4, 3))
    models["tf_op"] = keras.Model(inp, L.Dense(1)(tf.nn.relu(inp) * 2.0), name="tf_op")

    enc_in = keras.Input((4, 3))
    _, sh, sc = L.LSTM(2, return_state=True)(enc_in)
    dec_in = keras.Input((4, 3))
    dec = L.LSTM(2)(dec_in, initial_state=[sh, sc])
    models["initial_state"] = keras.Model([enc_in, dec_in], L.Dense(1)(dec), name="initial_state")

    inner = keras.Sequential([L.Input((3,)), L.Dense(2)], name="inner")
    inp = keras.Input((3,))
    models["nested"] = keras.Model(inp, L.Dense(1)(inner(inp)), name="nested")

    q = keras.Input((4, 2))
    models["mha"] = keras.Model(q, L.MultiHeadAttention(num_heads=1, key_dim=2)(q, q), name="mha")
    return models


def stage_write(tag):
    import numpy as np

    if tag == "tfk":
        import tensorflow as tf
        import tf_keras as keras
    else:
        import tensorflow as tf

        keras = tf.keras
    os.makedirs(OUT, exist_ok=True)
    for name, model in build_models(keras, tf).items():
        keras.utils.set_random_seed(1)
        model.set_weights([np.round(np.random.default_rng(1).normal(size=w.shape), 3).astype(w.dtype)
                           for w in model.get_weights()])
        model.save(os.path.join(OUT, f"{tag}_{name}.h5"))
        if tag != "tfk":
            model.save(os.path.join(OUT, f"{tag}_{name}.keras"))
    if tag == "tf215":
        # Mixed precision: each layer's dtype is saved as a Policy object.
        keras.mixed_precision.set_global_policy("mixed_float16")
        model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(2)], name="mixed_precision")
        keras.mixed_precision.set_global_policy("float32")
        model.save(os.path.join(OUT, f"{tag}_mixed_precision.h5"))
        model.save(os.path.join(OUT, f"{tag}_mixed_precision.keras"))


# ---------------------------------------------------------------------------- edit

# Forms no installable version writes: a real tf.keras 2.15 file with its config edited.
def _edit(src, dst, edit_config, version=None):
    import shutil

    import h5py

    shutil.copy(os.path.join(OUT, src), os.path.join(OUT, dst))
    with h5py.File(os.path.join(OUT, dst), "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit_config(config)
        f.attrs["model_config"] = json.dumps(config)
        if version:
            f.attrs["keras_version"] = version


def _layers(config):
    return config["config"]["layers"]


def stage_edit():
    def cudnn(config):
        lstm = _layers(config)[1]
        lstm["class_name"] = "CuDNNLSTM"
        keep = ("name", "trainable", "dtype", "units", "kernel_initializer", "recurrent_initializer",
                "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
                "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                "bias_constraint", "return_sequences", "return_state", "go_backwards", "stateful")
        lstm["config"] = {k: v for k, v in lstm["config"].items() if k in keep}

    def tensorflow_op_layer(config):
        for layer in _layers(config):
            if layer["class_name"] == "TFOpLambda" and layer["config"]["function"] == "nn.relu":
                layer["class_name"] = "TensorFlowOpLayer"
                layer["config"] = {"name": layer["config"]["name"], "trainable": True, "dtype": "float32",
                                   "node_def": {"name": "Relu", "op": "Relu", "input": ["input_1"],
                                                "attr": {"T": {"type": "DT_FLOAT"}}},
                                   "constants": {}}

    def keras1_dense(config):
        # Keras 1.2 wrote Dense(output_dim=..., init=...) with input_dim, no InputLayer.
        layers = _layers(config)
        dense = layers[1]
        dense["config"] = {"name": dense["config"]["name"], "trainable": True, "output_dim": 2,
                           "input_dim": 3, "batch_input_shape": [None, 3], "input_dtype": "float32",
                           "init": "glorot_uniform", "activation": "linear", "bias": True,
                           "W_regularizer": None, "b_regularizer": None, "activity_regularizer": None,
                           "W_constraint": None, "b_constraint": None}
        config["config"]["layers"] = [dense]

    def old_initializer(config):
        # Keras 2.0-2.2: initializers as {"class_name": "VarianceScaling", ...} with the old
        # distribution name "normal", regularizers as L1L2 objects.
        dense = _layers(config)[1]["config"]
        dense["kernel_initializer"] = {"class_name": "VarianceScaling",
                                       "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "normal",
                                                  "seed": None}}
        dense["kernel_regularizer"] = {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}}

    def string_initializer(config):
        dense = _layers(config)[1]["config"]
        dense["kernel_initializer"] = "glorot_uniform"
        dense["bias_initializer"] = "zeros"

    def initializer_dtype(config):
        # tf.keras of TensorFlow 1.x wrote the dtype into initializer configs.
        dense = _layers(config)[1]["config"]
        dense["kernel_initializer"] = {"class_name": "GlorotUniform", "config": {"seed": None, "dtype": "float32"}}
        dense["bias_initializer"] = {"class_name": "Zeros", "config": {"dtype": "float32"}}

    def unknown_activation(config):
        _layers(config)[1]["config"]["activation"] = "swishy"

    _edit("tf215_dense_init.h5", "edit_initializer_dtype.h5", initializer_dtype, "2.2.4-tf")
    _edit("tf215_dense_init.h5", "edit_unknown_activation.h5", unknown_activation, "2.4.0")
    _edit("tf215_lstm.h5", "edit_cudnn_lstm.h5", cudnn, "2.2.4")
    # Its weights in the layout CuDNNLSTM stores, made by Keras' own converter (tf_keras
    # _convert_rnn_weights, LSTM -> CuDNNLSTM: per-gate kernels in Fortran order, recurrent
    # kernels transposed, the bias split in two halves).
    import h5py
    import numpy as np
    from tf_keras.src.saving.legacy import hdf5_format

    class CuDNNLSTM:  # the converter only asks the target layer's class name
        pass

    with h5py.File(os.path.join(OUT, "edit_cudnn_lstm.h5"), "r+") as f:
        group = f["model_weights/lstm"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
        weights = [np.array(group[n]) for n in names]
        for name, value in zip(names, hdf5_format._convert_rnn_weights(CuDNNLSTM(), weights)):
            del group[name]
            group[name] = value
    _edit("tf215_tf_op.h5", "edit_tensorflow_op_layer.h5", tensorflow_op_layer, "2.3.0-tf")
    _edit("tf215_dense_init.h5", "edit_keras1_dense.h5", keras1_dense, "1.2.2")
    _edit("tf215_dense_init.h5", "edit_old_initializer.h5", old_initializer, "2.1.6")
    _edit("tf215_dense_init.h5", "edit_string_initializer.h5", string_initializer, "2.2.4")


# ---------------------------------------------------------------------------- load

# One process per loader, loading every file in turn (a session cleared between files): a
# process per file would import TensorFlow 260 times.
LOADER = r"""
import json, os, sys, warnings
warnings.filterwarnings("ignore")
which, paths = sys.argv[1], sys.argv[2:]
if which == "keras3":
    import keras
else:
    import tf_keras as keras
for path in paths:
    keras.backend.clear_session()
    try:
        model = keras.models.load_model(path, compile=False)
        result = {"loaded": True, "count_params": int(model.count_params())}
    except BaseException as e:
        result = {"loaded": False, "error": f"{type(e).__name__}: {e}"[:600]}
    print("RESULT " + json.dumps([os.path.basename(path), result]), flush=True)
"""


def load_all(which, paths):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return subprocess.Popen([KVENV, "-c", LOADER, which, *paths], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)


def stage_load():
    paths = [os.path.join(OUT, n) for n in sorted(os.listdir(OUT)) if n.endswith((".h5", ".keras"))]
    procs = {which: load_all(which, paths) for which in ("keras3", "tf_keras")}
    truth = {os.path.basename(p): {} for p in paths}
    for which, proc in procs.items():
        out, _ = proc.communicate(timeout=1800)
        for line in out.splitlines():
            if line.startswith("RESULT "):
                name, result = json.loads(line[len("RESULT "):])
                truth[name][which] = result
    for name, t in truth.items():
        for which in ("keras3", "tf_keras"):
            t.setdefault(which, {"loaded": False, "error": "loader crashed"})
    with open(TRUTH, "w") as f:
        json.dump({"loaders": {"keras3": "keras 3.15.1", "tf_keras": "tf_keras 2.21.0"},
                   "call": "load_model(path, compile=False)", "files": truth}, f, indent=1, sort_keys=True)
        f.write("\n")


# ---------------------------------------------------------------------------- upgrade

UPGRADED = os.path.join(OUT, "upgraded")
UPGRADES = os.path.join(OUT, "upgrades.json")

# Each model's weights as Keras holds them after loading: (shape, sha256 of the bytes), sorted
# (Keras 3 and tf_keras may list a model's variables in another order); and its outputs on a
# fixed input made from the input shapes alone (batch 2, other unknown dimensions 4; floats
# from a seeded generator rounded to 3 decimals; integers in [0, 5) for integer inputs and
# models with an Embedding), the same in every venv.
WEIGHTS = r"""
import hashlib, json, os, sys, warnings
import numpy as np
warnings.filterwarnings("ignore")

def fixed_inputs(model):
    # Indices for a model with an Embedding (its float input holds token ids).
    indices = any(type(layer).__name__ == "Embedding" for layer in model.layers)
    arrays = []
    for k, x in enumerate(model.inputs):
        shape = [d if d is not None else (2 if i == 0 else 4) for i, d in enumerate(tuple(x.shape))]
        dtype = str(getattr(x.dtype, "name", x.dtype))
        rng = np.random.default_rng(k)
        if "int" in dtype or indices:
            arrays.append(rng.integers(0, 5, size=shape).astype(dtype))
        else:
            arrays.append(np.round(rng.normal(size=shape), 3).astype(dtype))
    return arrays

def outputs(model):
    inputs = fixed_inputs(model)
    out = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    out = out if isinstance(out, (list, tuple)) else [out]
    return [[list(np.asarray(o).shape), np.asarray(o, dtype="float64").ravel().tolist()] for o in out]

which, paths = sys.argv[1], sys.argv[2:]
if which == "keras3":
    import keras
elif which == "tf":
    import tensorflow as tf
    keras = tf.keras
else:
    import tf_keras as keras
for path in paths:
    keras.backend.clear_session()
    try:
        model = keras.models.load_model(path, compile=False)
        weights = sorted([list(w.shape), hashlib.sha256(w.tobytes()).hexdigest()] for w in model.get_weights())
        result = {"loaded": True, "count_params": int(model.count_params()), "weights": weights}
        try:
            result["outputs"] = outputs(model)
        except BaseException as e:
            result["outputs_error"] = f"{type(e).__name__}: {e}"[:300]
    except BaseException as e:
        result = {"loaded": False, "error": f"{type(e).__name__}: {e}"[:600]}
    print("RESULT " + json.dumps([os.path.basename(path), result]), flush=True)
"""


def _weights(which, paths, python=KVENV):
    if not paths:
        return {}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([python, "-c", WEIGHTS, which, *paths], capture_output=True, text=True, env=env,
                         timeout=1800).stdout
    return dict(json.loads(l[len("RESULT "):]) for l in out.splitlines() if l.startswith("RESULT "))


BASELINES = {"edit_cudnn_lstm.h5": "tf215_lstm.h5"}

# Why `upgrade` writes ThresholdedReLU as greater/cast/multiply ops and not as Keras 3's
# ReLU(threshold=theta): each run on the inputs where they could differ (values as Python
# prints them, to keep -0.0, inf and nan in JSON).
THRESHOLD = r"""
import json, warnings
import numpy as np
warnings.filterwarnings("ignore")
import keras, tf_keras
theta = 0.5
x = np.array([-np.inf, -1.0, -0.0, 0.0, theta, np.nextafter(np.float32(theta), np.float32(1)), 2.0, np.inf,
              np.nan], dtype="float32")
runs = {
    "tf_keras ThresholdedReLU(theta)": tf_keras.layers.ThresholdedReLU(theta)(x).numpy(),
    "keras3 ReLU(threshold=theta)": np.asarray(keras.layers.ReLU(threshold=theta)(x)),
    "keras3 multiply(x, cast(greater(x, theta)))": np.asarray(
        keras.ops.multiply(x, keras.ops.cast(keras.ops.greater(x, theta), "float32"))),
}
bits = {k: v.tobytes() for k, v in runs.items()}
reference = bits["tf_keras ThresholdedReLU(theta)"]
print(json.dumps({"theta": theta, "input": [repr(float(v)) for v in x],
                  "outputs": {k: [repr(float(v)) for v in out] for k, out in runs.items()},
                  "bit_identical_to_tf_keras": {k: b == reference for k, b in bits.items()}}))
"""


def _threshold_check():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([KVENV, "-c", THRESHOLD], capture_output=True, text=True, env=env, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def stage_upgrade():
    """`kerascope upgrade` (debug build) on every fixture Keras 3 refuses that tf_keras, or the
    tf.keras that wrote it, loads; each copy loaded by Keras 3 and compared with that load of
    the original."""
    import shutil

    truth = json.load(open(TRUTH))["files"]
    binary = os.path.join(ROOT, "target", "debug", "kerascope")
    shutil.rmtree(UPGRADED, ignore_errors=True)
    os.makedirs(UPGRADED)
    candidates = sorted(n for n, t in truth.items() if not t["keras3"]["loaded"])
    results, written = {}, []
    for name in candidates:
        out = subprocess.run([binary, "upgrade", os.path.join(OUT, name), "-o", os.path.join(UPGRADED, name)],
                             capture_output=True, text=True)
        results[name] = {"upgraded": out.returncode == 0}
        if out.returncode == 0:
            written.append(name)
        else:
            # Paths relative to the repository, whichever checkout ran it.
            results[name]["refused"] = out.stderr.strip().replace(ROOT + os.sep, "")[:300]
    originals = _weights("tf_keras", [os.path.join(OUT, n) for n in candidates])
    # The CuDNN fixture's weights were made from tf215_lstm.h5's by Keras' converter: what Keras 2
    # gives when it loads them into an LSTM is that file's weights.
    for name, source in BASELINES.items():
        if name in originals:
            baseline = _weights("tf_keras", [os.path.join(OUT, source)]).get(source)
            if baseline:
                originals[name] = dict(baseline, loader="tf_keras:" + source)
    # tf_keras 2.21 does not read the weights of tf.keras 2.13/2.14 .keras files: their writer does.
    for tag, python in OLD.items():
        mine = [os.path.join(OUT, n) for n in candidates if n.startswith(tag + "_")
                and not originals.get(n, {}).get("loaded")]
        for name, result in _weights("tf", mine, python).items():
            result["loader"] = tag
            originals[name] = result
    candidates = [n for n in candidates if originals.get(n, {}).get("loaded")]
    for name in written:
        if name not in candidates:  # nothing loads the original: nothing to compare with
            os.remove(os.path.join(UPGRADED, name))
    written = [n for n in written if n in candidates]
    results = {n: r for n, r in results.items() if n in candidates}
    upgraded = _weights("keras3", [os.path.join(UPGRADED, n) for n in written])
    for name in written:
        k3, tfk = upgraded.get(name, {"loaded": False}), originals.get(name, {"loaded": False})
        results[name]["keras3_loads_upgraded"] = k3["loaded"]
        results[name]["error"] = k3.get("error") and k3["error"].replace(ROOT + os.sep, "")
        results[name]["count_params"] = k3.get("count_params")
        results[name]["original_count_params"] = tfk.get("count_params")
        loader = tfk.get("loader") or ""
        results[name]["original_loaded_by"] = (
            f"tf_keras 2.21.0 loading {loader.split(':', 1)[1]}" if loader.startswith("tf_keras:")
            else {"tf213": "tf.keras 2.13.1", "tf214": "tf.keras 2.14.1"}.get(loader, "tf_keras 2.21.0"))
        results[name]["same_weights"] = k3.get("weights") is not None and k3.get("weights") == tfk.get("weights")
        results[name].update(_compare_outputs(k3.get("outputs"), tfk.get("outputs")))
    with open(UPGRADES, "w") as f:
        json.dump({"tool": "target/debug/kerascope upgrade", "loader": "keras 3.15.1 load_model(compile=False)",
                   "compared_with": "the original loaded by original_loaded_by",
                   "fixed_input": "per model input k: shape with batch 2 and other unknown dimensions 4; "
                                  "numpy default_rng(k).normal rounded to 3 decimals (integers(0, 5) for "
                                  "integer inputs and models with an Embedding); outputs of "
                                  "model(x, training=False)",
                   "thresholded_relu": _threshold_check(),
                   "files": results},
                  f, indent=1, sort_keys=True)
        f.write("\n")
    ok = sum(1 for r in results.values() if r.get("keras3_loads_upgraded") and r.get("same_weights"))
    same = sum(1 for r in results.values() if r.get("keras3_loads_upgraded") and r.get("same_weights")
               and r.get("same_outputs"))
    print(f"upgraded {len(written)} of {len(candidates)}; Keras 3 loads with the same weights: {ok}; "
          f"and the same outputs: {same}")


def _compare_outputs(upgraded, original):
    """`same_outputs`: every output of the copy in Keras 3 equal, element for element, to the
    original's; `outputs_max_abs_diff`: the largest difference (0.0 when equal)."""
    if upgraded is None or original is None:
        return {"same_outputs": False, "outputs_max_abs_diff": None}
    if [shape for shape, _ in upgraded] != [shape for shape, _ in original]:
        return {"same_outputs": False, "outputs_max_abs_diff": None}
    diffs = [abs(a - b) for (_, xs), (_, ys) in zip(upgraded, original) for a, b in zip(xs, ys)]
    same = all(a == b for (_, xs), (_, ys) in zip(upgraded, original) for a, b in zip(xs, ys))
    return {"same_outputs": same, "outputs_max_abs_diff": max(diffs, default=0.0)}


# ---------------------------------------------------------------------------- upgrade-keras

UPGRADED_KERAS = os.path.join(OUT, "upgraded_keras")
UPGRADES_KERAS = os.path.join(OUT, "upgrades_keras.json")

# Weights as WEIGHTS records them, and the outputs on a fixed input made from the model's own
# input shapes and dtypes (the same in both loaders: seeded, None dimensions set to 3; 0 and 1
# where an Embedding reads them as indices).
PREDICT = r"""
import hashlib, json, os, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np
which, paths = sys.argv[1], sys.argv[2:]
if which == "keras3":
    import keras
else:
    import tf_keras as keras


def fixed_input(tensor, seed, indices):
    shape = [2] + [3 if d is None else int(d) for d in tuple(tensor.shape)[1:]]
    rng = np.random.default_rng(seed)
    dtype = getattr(tensor.dtype, "name", tensor.dtype)  # tf.DType in tf_keras, str in Keras 3
    if indices or "int" in str(dtype):  # an Embedding's input: row indices
        return rng.integers(0, 2, size=shape).astype(dtype)
    return rng.standard_normal(size=shape).astype("float32")


for path in paths:
    keras.backend.clear_session()
    try:
        model = keras.models.load_model(path, compile=False)
        weights = sorted([list(w.shape), hashlib.sha256(w.tobytes()).hexdigest()] for w in model.get_weights())
        indices = any(type(l).__name__ == "Embedding" for l in model.layers)
        inputs = [fixed_input(t, i, indices) for i, t in enumerate(model.inputs)]
        outputs = model(inputs if len(inputs) > 1 else inputs[0], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        outputs = [np.asarray(o, dtype="float64").tolist() for o in outputs]
        result = {"loaded": True, "count_params": int(model.count_params()), "weights": weights,
                  "outputs": outputs}
    except BaseException as e:
        result = {"loaded": False, "error": f"{type(e).__name__}: {e}"[:600]}
    print("RESULT " + json.dumps([os.path.basename(path), result]), flush=True)
"""


def _predict(which, paths):
    if not paths:
        return {}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([KVENV, "-c", PREDICT, which, *paths], capture_output=True, text=True, env=env,
                         timeout=1800).stdout
    return dict(json.loads(l[len("RESULT "):]) for l in out.splitlines() if l.startswith("RESULT "))


def _largest_difference(a, b):
    import numpy as np

    if a is None or b is None or len(a) != len(b):
        return None
    diffs = []
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return None
        diffs.append(float(np.max(np.abs(x - y))) if x.size else 0.0)
    return max(diffs, default=0.0)


LAYOUTS = os.path.join(OUT, "layouts")


def stage_write_layouts():
    """tf_keras 2.21 (in /tmp/kvenv): tiny legacy .h5 models of more layer classes with weights,
    whose Keras 3 `.keras` layout the upgrade-keras stage then checks -> fixtures/compat/layouts/."""
    import numpy as np
    import tf_keras as keras

    L = keras.layers
    models = {
        "conv2d_transpose": [L.Input((5, 5, 2)), L.Conv2DTranspose(2, 3), L.Flatten(), L.Dense(1)],
        "conv1d_transpose": [L.Input((6, 2)), L.Conv1DTranspose(2, 3), L.Flatten(), L.Dense(1)],
        "separable_conv2d": [L.Input((6, 6, 2)), L.SeparableConv2D(3, 3), L.Flatten(), L.Dense(1)],
        "separable_conv1d": [L.Input((8, 2)), L.SeparableConv1D(2, 3), L.Flatten(), L.Dense(1)],
        "depthwise_conv1d": [L.Input((8, 2)), L.DepthwiseConv1D(3), L.Flatten(), L.Dense(1)],
        "conv3d": [L.Input((4, 4, 4, 1)), L.Conv3D(2, 2), L.Flatten(), L.Dense(1)],
        "conv_lstm2d": [L.Input((3, 5, 5, 1)), L.ConvLSTM2D(2, 3), L.Flatten(), L.Dense(1)],
        "layer_normalization": [L.Input((3,)), L.Dense(4), L.LayerNormalization()],
        "prelu": [L.Input((3,)), L.Dense(4), L.PReLU()],
        "gru_reset_before": [L.Input((4, 3)), L.GRU(2, reset_after=False)],
        "bidirectional_gru": [L.Input((4, 3)), L.Bidirectional(L.GRU(2))],
        "time_distributed_conv2d": [L.Input((3, 5, 5, 1)), L.TimeDistributed(L.Conv2D(2, 3)), L.Flatten(), L.Dense(1)],
    }
    os.makedirs(LAYOUTS, exist_ok=True)
    for name, layers in models.items():
        keras.utils.set_random_seed(1)
        model = keras.Sequential(layers, name=name)
        model.set_weights([np.round(np.random.default_rng(1).normal(size=w.shape), 3).astype(w.dtype)
                           for w in model.get_weights()])
        model.save(os.path.join(LAYOUTS, f"tfk_{name}.h5"))


def stage_upgrade_keras():
    """`kerascope upgrade X.h5 -o X.keras` (debug build: Keras 3's own format) on every legacy .h5
    fixture that tf_keras loads (or, for the CuDNN fixture, whose baseline it loads); each copy
    loaded by Keras 3.15.1 (`load_model(copy, compile=False)`, safe_mode default) and compared
    with tf_keras 2.21 loading the original: parameter count, every weight, the outputs on a
    fixed input."""
    import shutil

    truth = json.load(open(TRUTH))["files"]
    binary = os.path.join(ROOT, "target", "debug", "kerascope")
    shutil.rmtree(UPGRADED_KERAS, ignore_errors=True)
    os.makedirs(UPGRADED_KERAS)
    layouts = sorted("layouts/" + n for n in os.listdir(LAYOUTS) if n.endswith(".h5")) if os.path.isdir(LAYOUTS) else []
    # What Keras 3 does with the layout models' originals (the others: truth.json).
    for name, result in _predict("keras3", [os.path.join(OUT, n) for n in layouts]).items():
        truth["layouts/" + name] = {"keras3": {"loaded": result["loaded"]}}
    names = sorted(n for n in truth if n.endswith(".h5"))
    originals = {("layouts/" + n if "layouts/" + n in layouts else n): r
                 for n, r in _predict("tf_keras", [os.path.join(OUT, n) for n in names]).items()}
    for name, source in BASELINES.items():
        baseline = _predict("tf_keras", [os.path.join(OUT, source)]).get(source)
        if name in originals and baseline:
            originals[name] = dict(baseline, loader=source)
    names = [n for n in names if originals.get(n, {}).get("loaded")]
    results, written = {}, []
    for name in names:
        copy = os.path.join(UPGRADED_KERAS, name[: -len(".h5")].replace("/", "_") + ".keras")
        out = subprocess.run([binary, "upgrade", os.path.join(OUT, name), "-o", copy], capture_output=True, text=True)
        results[name] = {"upgraded": out.returncode == 0, "keras3_loads_original": truth[name]["keras3"]["loaded"]}
        if out.returncode == 0:
            written.append(name)
            results[name]["copy"] = os.path.relpath(copy, OUT)
        else:
            results[name]["refused"] = out.stderr.replace(ROOT + os.sep, "").strip()[:300]
    copies = _predict("keras3", [os.path.join(UPGRADED_KERAS, results[n]["copy"].split("/")[-1]) for n in written])
    for name in written:
        k3 = copies.get(results[name]["copy"].split("/")[-1], {"loaded": False, "error": "loader crashed"})
        original = originals[name]
        r = results[name]
        r["keras3_loads_upgraded"] = k3["loaded"]
        r["error"] = k3.get("error")
        r["count_params"] = k3.get("count_params")
        r["original_count_params"] = original.get("count_params")
        r["original"] = original.get("loader", name)
        r["original_loaded_by"] = "tf_keras 2.21.0"
        r["same_weights"] = k3.get("weights") is not None and k3.get("weights") == original.get("weights")
        difference = _largest_difference(k3.get("outputs"), original.get("outputs"))
        r["largest_output_difference"] = difference
        r["same_outputs"] = difference is not None and difference <= 1e-5
    with open(UPGRADES_KERAS, "w") as f:
        json.dump({"tool": "target/debug/kerascope upgrade IN.h5 -o upgraded_keras/IN.keras",
                   "loader": "keras 3.15.1 load_model(copy, compile=False)",
                   "compared_with": "the original loaded by original_loaded_by (parameters, weights, outputs)",
                   "outputs": "model(x) on a seeded input from the model's input shapes (None as 3), batch 2; "
                              "same_outputs: largest absolute difference <= 1e-5",
                   "files": results}, f, indent=1, sort_keys=True)
        f.write("\n")
    ok = sum(1 for r in results.values() if r.get("keras3_loads_upgraded") and r["same_weights"] and r["same_outputs"])
    print(f"written as .keras: {len(written)} of {len(names)}; Keras 3 loads with the same weights and outputs: {ok}")


# ---------------------------------------------------------------------------- knowledge


def _own_source(fn):
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


POP = re.compile(r"""(?:kwargs|config)\.pop\(\s*["'](\w+)["']""")
DEL = re.compile(r"""del (?:kwargs|config)\[\s*["'](\w+)["']\s*\]""")
# tf_keras' Lambda.from_config pops its keys through a helper named with them.
HELPER_KEYS = re.compile(r"_parse_function_from_config\(([^)]*)\)", re.S)
ALLOWED_SET = re.compile(r"allowed_kwargs\s*=\s*\{([^}]*)\}", re.S)


def _json_default(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)) and all(isinstance(v, (int, float, str)) or v is None for v in value):
        return list(value)
    return "<object>"


def signature_facts(cls, base):
    """What the class's from_config -> __init__ chain accepts without raising.

    `accepts`: the named parameters of each __init__ up the MRO while they pass **kwargs on, the
    keys an __init__ or from_config pops, and the base Layer's own allowed keywords (None when
    **kwargs leaves Keras' layer base: anything goes). `required`: parameters with no default.
    `defaults`: JSON-able defaults (what a dropped argument meant when it was left alone)."""
    keys, required, defaults = set(), set(), {}
    own_init = True  # only the class's own __init__ can miss an argument: parents get theirs from it
    for klass in cls.__mro__:
        if "from_config" in vars(klass):
            src = _own_source(vars(klass)["from_config"])
            keys.update(POP.findall(src))
            keys.update(DEL.findall(src))
            for args in HELPER_KEYS.findall(src):
                keys.update(re.findall(r"""["'](\w+)["']""", args))
        init = vars(klass).get("__init__")
        if init is None:
            continue
        src = _own_source(init)
        keys.update(POP.findall(src))
        keys.update(DEL.findall(src))
        m = ALLOWED_SET.search(src)
        if m:
            keys.update(re.findall(r"""["'](\w+)["']""", m.group(1)))
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return {"accepts": None, "required": [], "defaults": {}}
        var_kw = False
        for p in params:
            if p.kind == p.VAR_KEYWORD:
                var_kw = True
            elif p.kind != p.VAR_POSITIONAL and p.name != "self":
                keys.add(p.name)
                if p.default is p.empty:
                    if own_init:
                        required.add(p.name)
                else:
                    defaults.setdefault(p.name, _json_default(p.default))
        own_init = False
        if not var_kw or klass is base:
            return {"accepts": sorted(keys), "required": sorted(required - set(defaults)),
                    "defaults": defaults}
    return {"accepts": None, "required": sorted(required - set(defaults)), "defaults": defaults}


def knowledge_for(layers_ns, base, extra):
    out = {}
    names = {n: v for n, v in vars(layers_ns).items() if inspect.isclass(v) and issubclass(v, base)}
    names.update(extra)
    for name, cls in sorted(names.items()):
        out[name] = signature_facts(cls, base)
    return out


def stage_knowledge():
    import importlib

    import keras
    import tf_keras
    from keras.src import layers as k3_layers
    from keras.src import models as k3_models
    from keras.src.layers.layer import Layer as K3Layer

    tfk_base = importlib.import_module("tf_keras.src.engine.base_layer").Layer
    tfk_layers = importlib.import_module("tf_keras.src.layers")
    tfk_models = importlib.import_module("tf_keras.src.models")
    from keras.src.saving import serialization_lib

    k3 = knowledge_for(k3_layers, K3Layer, {"InputLayer": k3_layers.InputLayer,
                                            "Functional": k3_models.Functional,
                                            "Model": k3_models.Model, "Sequential": k3_models.Sequential})
    tfk_extra = {"Functional": importlib.import_module("tf_keras.src.engine.functional").Functional,
                 "Model": tfk_models.Model, "Sequential": tfk_models.Sequential}
    tfk = knowledge_for(tfk_layers, tfk_base, tfk_extra)

    # Wrappers whose from_config deserializes the wrapped layer with serialization_lib (needs a
    # "module" to find a built-in class): read from each from_config's source.
    def nested_new_style(ns, names):
        found = {}
        for name in names:
            cls = getattr(ns, name, None)
            if cls is None:
                continue
            for klass in cls.__mro__:
                fc = vars(klass).get("from_config")
                if fc is None:
                    continue
                src = _own_source(fc)
                keys = re.findall(r"""config(?:\.pop\(|\[)\s*["'](layer|backward_layer|cell|cells)["']""", src)
                if keys and "serialization_lib.deserialize_keras_object" in src:
                    found[name] = sorted(set(keys))
                break
        return found

    wrappers = nested_new_style(k3_layers, sorted(k3))

    # Names the legacy module-less path resolves: keras.src.layers' namespace + the models.
    def public_modules(root_mod, prefix):
        mods = set()
        base = os.path.dirname(root_mod.__file__)
        for dirpath, _, files in os.walk(base):
            for fn in files:
                if fn.endswith(".py") and not fn.endswith("_test.py"):
                    rel = os.path.relpath(os.path.join(dirpath, fn[:-3]), base)
                    mod = prefix + "." + rel.replace(os.sep, ".")
                    mods.add(mod[:-len(".__init__")] if mod.endswith(".__init__") else mod)
        return sorted(mods)

    import keras.src as k3src

    # A Keras <= 2.3 Sequential config has no InputLayer: its first layer carries
    # batch_input_shape, which Keras 3's legacy loader passes on as input_shape, so the model
    # gets one dimension too many. Which layers refuse that (the arguments and nominal input
    # shapes are ours; the outcome is Keras 3's):
    probes = {
        "Dense": ({"units": 1}, (3,)), "Embedding": ({"input_dim": 5, "output_dim": 2}, (3,)),
        "Conv1D": ({"filters": 1, "kernel_size": 1}, (4, 2)),
        "Conv2D": ({"filters": 1, "kernel_size": 1}, (4, 4, 1)),
        "Conv3D": ({"filters": 1, "kernel_size": 1}, (4, 4, 4, 1)),
        "Conv2DTranspose": ({"filters": 1, "kernel_size": 1}, (4, 4, 1)),
        "SeparableConv2D": ({"filters": 1, "kernel_size": 1}, (4, 4, 1)),
        "DepthwiseConv2D": ({"kernel_size": 1}, (4, 4, 1)),
        "LSTM": ({"units": 1}, (4, 2)), "GRU": ({"units": 1}, (4, 2)), "SimpleRNN": ({"units": 1}, (4, 2)),
        "MaxPooling1D": ({}, (4, 2)), "MaxPooling2D": ({}, (4, 4, 1)), "AveragePooling2D": ({}, (4, 4, 1)),
        "GlobalAveragePooling2D": ({}, (4, 4, 1)), "GlobalMaxPooling1D": ({}, (4, 2)),
        "ZeroPadding2D": ({}, (4, 4, 1)), "UpSampling2D": ({}, (4, 4, 1)),
        "Flatten": ({}, (3, 2)), "Dropout": ({"rate": 0.1}, (3,)), "Activation": ({"activation": "relu"}, (3,)),
        "BatchNormalization": ({}, (3,)), "Reshape": ({"target_shape": (6,)}, (3, 2)),
        "Permute": ({"dims": (2, 1)}, (3, 2)), "RepeatVector": ({"n": 2}, (3,)),
    }
    extra_dim_fails = []
    for cls_name, (kwargs, shape) in sorted(probes.items()):
        try:
            layer = getattr(keras.layers, cls_name)(**kwargs)
            model = keras.Sequential([keras.Input(batch_shape=(None, None) + tuple(shape)), layer])
            model.count_params()
        except Exception:
            extra_dim_fails.append(cls_name)

    def api_symbols(root, subs):
        """Public names `module.Name` a config's module can resolve through (keras.layers.Dense)."""
        out = set()
        for sub in subs:
            try:
                mod = importlib.import_module(f"{root}.{sub}" if sub else root)
            except ImportError:
                continue
            prefix = f"keras.{sub}" if sub else "keras"
            out.update(f"{prefix}.{n}" for n, v in vars(mod).items() if inspect.isclass(v))
        return sorted(out)

    subs = ["", "layers", "models", "initializers", "regularizers", "constraints", "losses", "metrics",
            "optimizers", "activations", "dtype_policies", "mixed_precision"]

    # Classes whose __init__ turns `axis` into an int: the legacy H5 loader converts a one-item list,
    # the .keras loader does not.
    int_axis = sorted(n for n, c in vars(k3_layers).items() if inspect.isclass(c) and "__init__" in vars(c)
                      and re.search(r"self\.axis = int\(axis\)", _own_source(c.__init__)))

    # Initializers, regularizers, constraints, activations: the names each `get()` resolves
    # (module-less configs), and each class's accepted config keys and qualified name (the
    # "<class '...'> could not be deserialized properly" message names it).
    from keras.src import activations, constraints, initializers, regularizers

    objects = {}
    for kind, mod in [("initializer", initializers), ("regularizer", regularizers), ("constraint", constraints)]:
        entries = {}
        for name, obj in sorted(mod.ALL_OBJECTS_DICT.items()):
            if inspect.isclass(obj):
                facts = signature_facts(obj, object)
                entries[name] = {"accepts": facts["accepts"], "class": obj.__name__,
                                 "qualname": f"{obj.__module__}.{obj.__name__}"}
            else:
                entries[name] = {"accepts": None, "class": name, "qualname": None}
        objects[kind] = entries
    objects["activation"] = {name: {"accepts": None, "class": name, "qualname": None}
                             for name in sorted(activations.ALL_OBJECTS_DICT)}

    # dtype policies saved as objects (tf.keras mixed precision wrote {"class_name": "Policy"}):
    # which class names a legacy Dense config can carry, probed in Keras 3.
    from keras.src.legacy.saving import saving_utils as legacy_saving_utils

    dtype_policy_fails = []
    for policy in ["Policy", "DTypePolicy", "FloatDTypePolicy"]:
        config = {"class_name": "Dense", "config": {"name": "d", "units": 1,
                                                     "dtype": {"class_name": policy, "config": {"name": "float32"}}}}
        try:
            legacy_saving_utils.model_from_config(config)
        except Exception:
            dtype_policy_fails.append(policy)

    # Operations a Keras 3 functional config can hold (what Keras 3 saves for `keras.ops` called
    # on symbolic tensors: {"module": "keras.src.ops.nn", "class_name": "Relu"}), as module.Class.
    from keras.src.ops.operation import Operation

    ops = set()
    for mod_name in [m for m in public_modules(k3src, "keras.src") if m.startswith("keras.src.ops.")]:
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        for cls_name, obj in vars(mod).items():
            if inspect.isclass(obj) and issubclass(obj, Operation) and obj.__module__ == mod_name:
                ops.add(f"{mod_name}.{cls_name}")

    knowledge = {
        "schema": "kerascope.compat-knowledge/1",
        "generated_by": "scripts/make_compat.py",
        "targets": {
            "keras3": {
                "version": keras.__version__,
                "layers": k3,
                "wrappers_needing_module": wrappers,
                "modules": public_modules(k3src, "keras.src"),
                "legacy_dropped_lambda_keys": list(importlib.import_module(
                    "keras.src.legacy.saving.saving_utils").LAMBDA_DEP_ARGS),
                "non_modeling_apis": sorted(getattr(serialization_lib, "NON_MODELING_APIS", [])),
                "api": api_symbols("keras", subs),
                "int_axis": int_axis,
                "extra_dim_fails": extra_dim_fails,
                "objects": objects,
                "dtype_policy_fails": dtype_policy_fails,
                "ops": sorted(ops),
            },
            "tf-keras": {
                "version": tf_keras.__version__,
                "layers": tfk,
                "modules": public_modules(importlib.import_module("tf_keras.src"), "tf_keras.src"),
                # tf_keras resolves a config's "keras.X" module as "tf_keras.X": named here as keras.X.
                "api": api_symbols("tf_keras", subs),
                "objects": {"activation": {
                    name: {"accepts": None, "class": name, "qualname": None}
                    for name, fn in sorted(vars(importlib.import_module("tf_keras.src.activations")).items())
                    if inspect.isfunction(fn) and not name.startswith("_")}},
            },
        },
    }
    with open(KNOWLEDGE, "w") as f:
        json.dump(knowledge, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", KNOWLEDGE, len(k3), "Keras 3 layers,", len(tfk), "tf_keras layers; wrappers:", wrappers)


# ---------------------------------------------------------------------------- driver


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", choices=["all", "write", "edit", "load", "knowledge", "upgrade", "write-layouts", "upgrade-keras"], default="all")
    ap.add_argument("--tag")
    args = ap.parse_args()
    me = os.path.abspath(__file__)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    if args.stage == "write" and args.tag:
        return stage_write(args.tag)
    if args.stage in ("all", "write"):
        for tag, py in [*OLD.items(), ("tfk", KVENV)]:
            subprocess.run([py, me, "--stage", "write", "--tag", tag], check=True, env=env)
    if args.stage == "edit":
        return stage_edit()
    if args.stage == "all":
        subprocess.run([KVENV, me, "--stage", "edit"], check=True, env=env)
    if args.stage in ("all", "load"):
        stage_load()
    if args.stage == "knowledge":
        return stage_knowledge()
    if args.stage == "upgrade":
        return stage_upgrade()
    if args.stage == "write-layouts":
        return stage_write_layouts()
    if args.stage == "upgrade-keras":
        return stage_upgrade_keras()
    if args.stage == "all":
        subprocess.run([KVENV, me, "--stage", "knowledge"], check=True, env=env)


if __name__ == "__main__":
    main()
