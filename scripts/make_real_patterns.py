#!/usr/bin/env python3
"""Fixtures for patterns found in real model files (issue 13): fixtures/real/ and
fixtures/real/truth/<file>.json.

Run from the repository root, once per writer (venvs outside the repository, never committed):

    /tmp/tf213/bin/python scripts/make_real_patterns.py tf    # tensorflow-cpu 2.13.1 (tf.keras)
    /tmp/tf214/bin/python scripts/make_real_patterns.py tf    # tensorflow-cpu 2.14.1
    /tmp/tf215/bin/python scripts/make_real_patterns.py tf    # tensorflow-cpu 2.15.1
    /tmp/tf21N/bin/python scripts/make_real_patterns.py tf-weights   # save_weights(.weights.h5), each
    /tmp/kvenv/bin/python scripts/make_real_patterns.py k3    # keras 3.15.1, tf_keras 2.21.0, h5py 3.14.0
    python3 scripts/make_real_patterns.py bombs               # zip-limit inputs (fixtures/real/limits/)

`tf` writes `.keras` archives with the running tf.keras (the one that wrote them gives the
truth: it loads them back and reports count_params per layer), plus a copy whose weights member
is rewritten as a Windows save writes it (tf.io.gfile.join puts backslashes in the object paths,
so every object becomes one root group named `_layer_checkpoint_dependencies\\<name>...`).
`k3` writes the Keras 3 patterns and the h5py rewrites (see each function), and records for
every fixture whether Keras 3.15.1 and tf_keras 2.21 load it and what they count.

Truth schema: {"file", "writer", "count_params", "trainable_params", "non_trainable_params",
"layers": [{"name", "class", "count_params"}], "other_loaders": {"keras 3.15.1": {...} | error}}.
"""

import io
import json
import os
import sys
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["KERAS_BACKEND"] = "tensorflow"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "real")
TRUTH = os.path.join(OUT, "truth")


def truth_of(model, name, writer, extra=None):
    layers = [
        {"name": l.name, "class": type(l).__name__, "count_params": int(l.count_params())}
        for l in model.layers
    ]
    trainable = sum(int(w.shape.num_elements()) for w in model.trainable_weights)
    non_trainable = sum(int(w.shape.num_elements()) for w in model.non_trainable_weights)
    t = {
        "file": name,
        "writer": writer,
        "count_params": int(model.count_params()),
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
        "layers": layers,
    }
    t.update(extra or {})
    return t


def write_truth(t):
    os.makedirs(TRUTH, exist_ok=True)
    path = os.path.join(TRUTH, t["file"] + ".json")
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
    # Other loaders' results are added by the `k3` run; keep them when the writer reruns.
    if "other_loaders" in old and "other_loaders" not in t:
        t["other_loaders"] = old["other_loaders"]
    with open(path, "w") as f:
        json.dump(t, f, indent=1, sort_keys=True)
        f.write("\n")


def windows_weights(h5_bytes):
    """The same H5IOStore as a Windows save writes it: each object path one root group."""
    import h5py

    src = h5py.File(io.BytesIO(h5_bytes), "r")
    buf = io.BytesIO()
    dst = h5py.File(buf, "w")
    groups = []
    src.visititems(lambda n, o: groups.append(n) if isinstance(o, h5py.Group) and n.split("/")[-1] == "vars" else None)
    for g in groups:
        parts = g.split("/")[:-1]
        target = ("\\".join(parts) + "/vars") if parts else "vars"
        out = dst.require_group(target)
        for attr, value in src[g].attrs.items():
            out.attrs[attr] = value
        for key, ds in src[g].items():
            out.create_dataset(key, data=ds[()])
    dst.close()
    src.close()
    return buf.getvalue()


def rezip(src, dst, replace=None, compression=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if replace and info.filename in replace:
                data = replace[info.filename]
            zout.writestr(info.filename, data, compress_type=compression or info.compress_type)


# ----------------------------------------------------------------------------- tf.keras


def gen_tf(weights_only=False):
    import tensorflow as tf

    keras = tf.keras
    L = keras.layers
    version = tf.__version__
    short = "".join(version.split(".")[:2])  # 2.13.1 -> 213
    writer = f"tf.keras {version}"

    def fresh():
        keras.backend.clear_session()
        keras.utils.set_random_seed(13)

    def mixed():
        # Three Conv2D, two Dense and weightless layers between them: the 2.13 numbering
        # (conv2d, conv2d_2, conv2d_4) shows; user names differ from the stored keys.
        fresh()
        inp = keras.Input((12, 12, 3), name="image")
        x = L.Conv2D(4, 3, name="stem")(inp)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = L.DepthwiseConv2D(3, depth_multiplier=2)(x)
        x = L.Conv2D(6, 1)(x)
        x = L.BatchNormalization(name="bn_2")(x)
        x = L.Conv2D(5, 3, padding="same")(x)
        x = L.MaxPooling2D()(x)
        x = L.Reshape((-1, 5))(x)
        x = L.LSTM(6, return_sequences=True)(x)
        x = L.GRU(4)(x)
        x = L.Dropout(0.1)(x)
        x = L.Dense(7, activation="relu", name="hidden")(x)
        out = L.Dense(3)(x)
        return keras.Model(inp, out, name="mixed")

    def nested():
        # A Sequential inside a Functional: its own _layer_checkpoint_dependencies.
        fresh()
        block = keras.Sequential(
            [L.Dense(8), L.BatchNormalization(), L.Dense(8), L.Dropout(0.2), L.Dense(4)],
            name="block",
        )
        inp = keras.Input((10,))
        x = L.Dense(10)(inp)
        x = block(x)
        x = L.Dense(2)(x)
        return keras.Model(inp, x, name="outer")

    def sequential():
        fresh()
        m = keras.Sequential(
            [
                keras.Input((20, 3)),
                L.Conv1D(4, 3),
                L.Conv1D(4, 3),
                L.SimpleRNN(5, return_sequences=True),
                L.Bidirectional(L.LSTM(3)),
                L.Dense(2),
            ],
            name="seq",
        )
        return m

    if weights_only:
        # save_weights("x.weights.h5"): the same H5IOStore, no config (checked with the
        # config of the .keras written from the same model).
        model = mixed()
        name = f"tfk{short}_mixed.weights.h5"
        path = os.path.join(OUT, name)
        model.save_weights(path)
        copy = keras.models.clone_model(model)
        copy.load_weights(path)
        write_truth(truth_of(copy, name, writer, {"config_from": f"tfk{short}_mixed.keras"}))
        with open(path, "rb") as f:
            data = f.read()
        wname = f"tfk{short}_mixed_windows.weights.h5"
        with open(os.path.join(OUT, wname), "wb") as f:
            f.write(windows_weights(data))
        write_truth(truth_of(copy, wname, writer, {"config_from": f"tfk{short}_mixed.keras", "rewritten": "Windows layout of " + name}))
        print("wrote", name, wname)
        return
    for stem, build in (("mixed", mixed), ("nested", nested), ("sequential", sequential)):
        model = build()
        name = f"tfk{short}_{stem}.keras"
        path = os.path.join(OUT, name)
        model.save(path)
        loaded = keras.models.load_model(path, compile=False)
        write_truth(truth_of(loaded, name, writer))
        # The Windows layout of the same archive; the writing version loads it the same way
        # (its H5IOStore.get joins the path with backslashes on Windows): truth unchanged.
        with zipfile.ZipFile(path) as z:
            weights = z.read("model.weights.h5")
        wname = f"tfk{short}_{stem}_windows.keras"
        rezip(path, os.path.join(OUT, wname), {"model.weights.h5": windows_weights(weights)})
        write_truth(truth_of(loaded, wname, writer, {"rewritten": "weights member in the Windows layout (backslash object paths), from " + name}))
        print("wrote", name, wname)


# ----------------------------------------------------------------------------- Keras 3


def other_loaders(path):
    """Whether Keras 3.15.1 and tf_keras 2.21 load a file, and what they count."""
    out = {}
    import keras
    import tf_keras

    for label, mod in (("keras 3.15.1", keras), ("tf_keras 2.21.0", tf_keras)):
        try:
            if path.endswith(".weights.h5"):
                raise ValueError("weights only: no architecture")
            m = mod.models.load_model(path, compile=False)
            out[label] = {
                "count_params": int(m.count_params()),
                "layers": [{"name": l.name, "count_params": int(l.count_params())} for l in m.layers],
            }
        except Exception as e:  # noqa: BLE001 - recorded as the truth of that loader
            out[label] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
    return out


def gen_k3():
    import keras

    L = keras.layers
    writer = "keras 3.15.1"

    def fresh():
        keras.backend.clear_session()
        keras.utils.set_random_seed(13)

    # ReLU(max_value=inf): config.json holds `Infinity`.
    fresh()
    inp = keras.Input((6,))
    x = L.Dense(5)(inp)
    x = L.ReLU(max_value=float("inf"), negative_slope=0.0)(x)
    x = L.Dense(3)(x)
    m = keras.Model(inp, x, name="relu_inf")
    name = "k3_relu_infinity.keras"
    path = os.path.join(OUT, name)
    m.save(path)
    with zipfile.ZipFile(path) as z:
        assert b"Infinity" in z.read("config.json"), "no Infinity literal in config.json"
    write_truth(truth_of(keras.models.load_model(path), name, writer))

    # The same kind of model re-zipped with bzip2 and LZMA members (Python's zipfile reads them).
    fresh()
    inp = keras.Input((8, 8, 1))
    x = L.Conv2D(3, 3)(inp)
    x = L.Flatten()(x)
    x = L.Dense(4)(x)
    m = keras.Model(inp, x, name="compressed")
    base = os.path.join(OUT, "_k3_compressed_base.keras")
    m.save(base)
    for label, method in (("bzip2", zipfile.ZIP_BZIP2), ("lzma", zipfile.ZIP_LZMA)):
        name = f"k3_{label}.keras"
        rezip(base, os.path.join(OUT, name), compression=method)
        t = truth_of(keras.models.load_model(os.path.join(OUT, name)), name, writer)
        t["rewritten"] = f"a keras 3.15.1 archive re-zipped by Python zipfile with ZIP_{label.upper()}"
        write_truth(t)
    os.remove(base)

    # SpectralNormalization, weights only: the wrapped kernel stored twice.
    fresh()
    inp = keras.Input((16,))
    x = L.SpectralNormalization(L.Dense(20))(inp)
    x = L.Dense(4)(x)
    m = keras.Model(inp, x, name="spectral")
    name = "k3_spectral_norm.weights.h5"
    m.save_weights(os.path.join(OUT, name))
    m2 = keras.Model.from_config(m.get_config())
    m2.load_weights(os.path.join(OUT, name))
    write_truth(truth_of(m2, name, writer))

    gen_tfk_patterns()
    gen_keras1_scoped()

    for f in sorted(os.listdir(OUT)):
        if f.endswith((".keras", ".h5")):
            tpath = os.path.join(TRUTH, f + ".json")
            if not os.path.exists(tpath):
                continue
            with open(tpath) as fh:
                t = json.load(fh)
            t["other_loaders"] = other_loaders(os.path.join(OUT, f))
            with open(tpath, "w") as fh:
                json.dump(t, fh, indent=1, sort_keys=True)
                fh.write("\n")
    print("done k3")


def gen_tfk_patterns():
    """tf_keras 2.21 legacy `.h5` files for two Keras 2 patterns."""
    import h5py
    import tf_keras as keras

    L = keras.layers
    writer = "tf_keras 2.21.0"

    def fresh():
        keras.backend.clear_session()
        keras.utils.set_random_seed(13)

    # Behavioral cloning: a Lambda without output_shape, convolutions, Flatten, Dense.
    fresh()
    m = keras.Sequential(
        [
            keras.Input((16, 32, 3)),
            L.Lambda(lambda x: x / 127.5 - 1.0),
            L.Cropping2D(((4, 2), (0, 0))),
            L.Conv2D(4, 3, strides=2, activation="relu"),
            L.Conv2D(6, 3, activation="relu"),
            L.Flatten(),
            L.Dense(10),
            L.Dense(1),
        ],
        name="behavioral_cloning",
    )
    name = "tfk_lambda_flatten_dense.h5"
    path = os.path.join(OUT, name)
    m.save(path)
    keras.config.enable_unsafe_deserialization() if hasattr(keras, "config") else None
    write_truth(truth_of(keras.models.load_model(path, compile=False, safe_mode=False), name, writer))

    # A nested layer with an empty name (tf.keras 2.9 wrote `res_net//conv2d_1/kernel:0`;
    # tf_keras 2.21 refuses an empty name, so the middle scope is removed with h5py exactly
    # as such a file stores it: the weight_names entry keeps `//`, and h5py (HDF5) creates
    # the dataset at `res_net/conv2d_1/kernel:0`).
    class Inner(L.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.conv = L.Conv2D(4, 3, padding="same")

        def call(self, x):
            return self.conv(x)

    class ResNet(L.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.block = Inner(name="inner")
            self.bn = L.BatchNormalization()

        def call(self, x):
            return x + self.bn(self.block(x))

    fresh()
    inp = keras.Input((8, 8, 4))
    x = L.Conv2D(4, 1)(inp)
    x = ResNet(name="res_net")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(2)(x)
    m = keras.Model(inp, x, name="empty_scope")
    name = "tfk_empty_name_component.h5"
    path = os.path.join(OUT, name)
    m.save(path)
    with h5py.File(path, "r+") as f:
        g = f["model_weights/res_net"]
        names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["weight_names"]]
        new_names = [n.replace("res_net/inner/", "res_net//") for n in names]
        assert new_names != names, names
        values = {n: g[n][()] for n in names}
        del g["res_net/inner"]
        for old, new in zip(names, new_names):
            if new != old:
                g.create_dataset(new, data=values[old])
        g.attrs["weight_names"] = [n.encode() for n in new_names]
    loaded = keras.models.load_model(path, compile=False, custom_objects={"ResNet": ResNet, "Inner": Inner})
    t = truth_of(loaded, name, writer)
    t["rewritten"] = "res_net/inner/ renamed to res_net// in weight_names and dataset paths (h5py)"
    write_truth(t)


def gen_keras1_scoped():
    """A Keras 1.2.2 (TensorFlow back end) full model as its save_model writes it, with the
    variable scopes of the TF variables in the weight names (`global/shared/dense_1_W:0`).
    No Keras 1 installs on Python 3.11: written with h5py following keras 1.2.2
    `save_model` / `save_weights_to_hdf5_group`; truth is the stored tensors (as for the
    corpus' Keras 1 files)."""
    import h5py
    import numpy as np

    rng = np.random.default_rng(13)

    def dense(name, inbound, out, act):
        return {
            "class_name": "Dense",
            "name": name,
            "inbound_nodes": [[[inbound, 0, 0]]],
            "config": {
                "W_constraint": None, "b_constraint": None, "name": name,
                "activity_regularizer": None, "trainable": True, "init": "glorot_uniform",
                "bias": True, "input_dim": None, "b_regularizer": None, "W_regularizer": None,
                "activation": act, "output_dim": out,
            },
        }

    layers = [
        {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 8], "input_dtype": "float32", "sparse": False, "name": "input_1"}},
        dense("dense_1", "input_1", 16, "relu"),
        dense("dense_2", "dense_1", 16, "relu"),
        dense("dense_3", "dense_2", 4, "softmax"),
        dense("dense_4", "dense_2", 1, "linear"),
    ]
    config = {"class_name": "Model", "config": {"name": "model_1", "layers": layers,
              "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_3", 0, 0], ["dense_4", 0, 0]]}}
    scopes = {"dense_1": "global/shared", "dense_2": "global/shared", "dense_3": "global/policy_net", "dense_4": "global/value_net"}
    shapes = {"dense_1": (8, 16), "dense_2": (16, 16), "dense_3": (16, 4), "dense_4": (16, 1)}
    name = "k1_scoped_weight_names.h5"
    with h5py.File(os.path.join(OUT, name), "w") as f:
        f.attrs["keras_version"] = b"1.2.2"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = [l["name"].encode("utf8") for l in layers]
        for l in layers:
            g = mw.create_group(l["name"])
            if l["name"] not in shapes:
                g.attrs["weight_names"] = np.array([], dtype=np.float64)
                continue
            n_in, n_out = shapes[l["name"]]
            weight_names = [f"{scopes[l['name']]}/{l['name']}_W:0", f"{scopes[l['name']]}/{l['name']}_b:0"]
            g.attrs["weight_names"] = [w.encode("utf8") for w in weight_names]
            for w, shape in zip(weight_names, [(n_in, n_out), (n_out,)]):
                g.create_dataset(w, data=rng.standard_normal(shape).astype("float32"))
    per_layer = [{"name": l["name"], "class": l["class_name"],
                  "count_params": (shapes[l["name"]][0] + 1) * shapes[l["name"]][1] if l["name"] in shapes else 0}
                 for l in layers]
    write_truth({"file": name, "writer": "h5py 3.14.0 as keras 1.2.2 (TensorFlow back end) save_model",
                 "count_params": sum(x["count_params"] for x in per_layer),
                 "trainable_params": sum(x["count_params"] for x in per_layer),
                 "non_trainable_params": 0, "layers": per_layer})


def gen_bombs():
    """Archives whose bzip2 / LZMA config.json expands past --max-zip-ratio (8 MiB of spaces
    after a valid config): the zip limits hold for every decoder. Plain zipfile, any Python."""
    config = b'{"class_name": "Sequential", "config": {"layers": []}}' + b" " * (8 << 20)
    os.makedirs(os.path.join(OUT, "limits"), exist_ok=True)
    for label, method in (("bzip2", zipfile.ZIP_BZIP2), ("lzma", zipfile.ZIP_LZMA)):
        path = os.path.join(OUT, "limits", f"{label}_ratio_bomb.keras")
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(zipfile.ZipInfo("config.json", (1980, 1, 1, 0, 0, 0)), config, compress_type=method)
        print("wrote", path, os.path.getsize(path))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    {"tf": gen_tf, "tf-weights": lambda: gen_tf(True), "k3": gen_k3, "bombs": gen_bombs}[sys.argv[1]]()
