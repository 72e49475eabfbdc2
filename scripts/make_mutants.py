"""Make mutants of Keras-written fixtures: each breaks exactly one thing, and
`fixtures/mutants/expected.json` says which layer must carry an error, and which code.

Run from the repository root with the fixture venv (only h5py is needed; nothing is loaded
with Keras):

    /tmp/kvenv/bin/python scripts/make_mutants.py

Mutations, in a legacy .h5 and in a .keras archive each:
  reshape  one stored tensor gets a different shape            -> P101 on its layer
  config   one config value changed (the last Dense's units)   -> P101 on that layer
  remove   one tensor removed (and its weight_names entry)     -> P102 on its layer
  add      one tensor added to a layer                         -> P103 on its layer
"""

import io
import json
import os
import shutil
import sys
import tempfile
import zipfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
OUT = os.path.join(FIXTURES, "mutants")


def replace_dataset(h5, path, shape):
    dtype = h5[path].dtype
    del h5[path]
    h5.create_dataset(path, data=np.zeros(shape, dtype=dtype))


def names_attr(group, name):
    values = group.attrs[name]
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def set_names_attr(group, name, names):
    group.attrs[name] = np.array([n.encode() for n in names])


# ---- legacy .h5 (tf_keras writer) -----------------------------------------------------------

def h5_mutant(source, name, mutate):
    target = os.path.join(OUT, name)
    shutil.copyfile(os.path.join(FIXTURES, source), target)
    with h5py.File(target, "r+") as h5:
        mutate(h5)
    return name


def h5_reshape(h5):
    replace_dataset(h5, "model_weights/dense/dense/kernel:0", (7, 16))


def h5_config(h5):
    config = json.loads(h5.attrs["model_config"])
    layers = config["config"]["layers"]
    last_dense = [l for l in layers if l["class_name"] == "Dense"][-1]
    last_dense["config"]["units"] += 1
    h5.attrs["model_config"] = json.dumps(config).encode()


def h5_remove(h5):
    group = h5["model_weights/dense_1"]
    names = names_attr(group, "weight_names")
    names.remove("dense_1/bias:0")
    set_names_attr(group, "weight_names", names)
    del h5["model_weights/dense_1/dense_1/bias:0"]


def h5_add(h5):
    group = h5["model_weights/dense"]
    names = names_attr(group, "weight_names") + ["dense/extra:0"]
    set_names_attr(group, "weight_names", names)
    h5.create_dataset("model_weights/dense/dense/extra:0", data=np.zeros((64, 32), "float32"))


# ---- .keras (Keras 3 writer) ----------------------------------------------------------------

def keras_mutant(source, name, mutate_weights=None, mutate_config=None):
    with zipfile.ZipFile(os.path.join(FIXTURES, source)) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    out = []
    for info, data in members:
        if info.filename == "model.weights.h5" and mutate_weights:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "w.h5")
                with open(path, "wb") as f:
                    f.write(data)
                with h5py.File(path, "r+") as h5:
                    mutate_weights(h5)
                with open(path, "rb") as f:
                    data = f.read()
        if info.filename == "config.json" and mutate_config:
            config = json.loads(data)
            mutate_config(config)
            data = json.dumps(config).encode()
        out.append((info.filename, data))
    target = os.path.join(OUT, name)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zout:
        for filename, data in out:
            zout.writestr(filename, data)
    return name


def k_reshape(h5):
    replace_dataset(h5, "layers/dense/vars/0", (7, 16))


def k_config(config):
    layers = config["config"]["layers"]
    last_dense = [l for l in layers if l["class_name"] == "Dense"][-1]
    last_dense["config"]["units"] += 1


def k_remove(h5):
    del h5["layers/dense_1/vars/1"]


def k_add(h5):
    h5.create_dataset("layers/dense/vars/2", data=np.zeros((64, 32), "float32"))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    expected = []

    def record(file, layer, code, what):
        expected.append({"file": file, "layer": layer, "code": code, "mutation": what})

    src = "tfk_sequential_basic.h5"  # dense (8->16), batch_normalization, dropout, dense_1 (16->4)
    record(h5_mutant(src, "h5_reshape.h5", h5_reshape), "dense", "P101", "dense kernel (8,16) -> (7,16)")
    record(h5_mutant(src, "h5_config.h5", h5_config), "dense_1", "P101", "dense_1 units 4 -> 5 in model_config")
    record(h5_mutant(src, "h5_remove.h5", h5_remove), "dense_1", "P102", "dense_1 bias removed")
    record(h5_mutant(src, "h5_add.h5", h5_add), "dense", "P103", "dense gains extra:0 (64,32)")

    src = "k3_sequential_basic.keras"  # same layers, Keras 3 .keras
    record(keras_mutant(src, "keras_reshape.keras", mutate_weights=k_reshape), "dense", "P101", "dense vars/0 (8,16) -> (7,16)")
    record(keras_mutant(src, "keras_config.keras", mutate_config=k_config), "dense_1", "P101", "dense_1 units 4 -> 5 in config.json")
    record(keras_mutant(src, "keras_remove.keras", mutate_weights=k_remove), "dense_1", "P102", "dense_1 vars/1 removed")
    record(keras_mutant(src, "keras_add.keras", mutate_weights=k_add), "dense", "P103", "dense gains vars/2 (64,32)")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)

    # Data mutants, for `check --deep`: values changed, shapes intact.
    deep = []

    def nan_in_kernel(path):
        def mutate(h5):
            data = h5[path][...]
            data[0, 0] = np.nan
            data[1, 1] = np.inf
            h5[path][...] = data
        return mutate

    deep.append({"file": h5_mutant("tfk_sequential_basic.h5", "deep_nan.h5",
                                   nan_in_kernel("model_weights/dense/dense/kernel:0")),
                 "layer": "dense", "code": "D101", "nan": 1, "inf": 1})
    deep.append({"file": keras_mutant("k3_sequential_basic.keras", "deep_nan.keras",
                                      mutate_weights=nan_in_kernel("layers/dense/vars/0")),
                 "layer": "dense", "code": "D101", "nan": 1, "inf": 1})
    with open(os.path.join(OUT, "expected_deep.json"), "w") as f:
        json.dump(deep, f, indent=1)
    print(f"{len(expected)} mutants in {OUT}")


if __name__ == "__main__":
    sys.exit(main())
