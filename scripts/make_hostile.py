"""Craft hostile Keras files for kerascope's security audit (S1xx config, S2xx HDF5, S3xx zip)
into `fixtures/hostile/`, with `fixtures/hostile/expected.json` listing, per file, exactly the
security findings (code + layer path) kerascope must report, and a README line per file.

Run from the repository root with the fixture venv:

    /tmp/kvenv/bin/python scripts/make_hostile.py

Every file is a tampered copy of a fixture Keras already wrote (`fixtures/k3_lambda.keras`,
`k3_sequential_basic.keras`, `k3_functional_nested.keras`, `k3_lambda_legacy.h5`,
`tfk_sequential_basic.h5`), edited with json / zipfile / h5py only. Nothing is loaded with Keras,
pickle or joblib, and no marshalled code is ever executed: the Lambda bytecode is produced with
`compile()` + `marshal.dumps()` of the code object. External-storage datasets are created with
fill time "never" and no data, in a scratch working directory, and the `/etc/hostname` name is
patched into the file afterwards, so libhdf5 never opens or writes any of the named files.

The output is deterministic for a given Python (the Lambda bytecode is the running
interpreter's marshal format) and h5py/libhdf5 version: zip members keep the date and
attributes of the base archive's members; HDF5 edits are in place.

Layer paths in expected.json: the names of the layer entries enclosing the hazard, joined with
`/`, WITHOUT the name of the model itself (the convention of kerascope's P1xx findings):
`evil_lambda` at top level, `outer_nested/evil_lambda` in a nested Sequential, `td/evil_lambda`
inside a TimeDistributed. File-level hazards (S2xx, S3xx) have layer null, except S206 on a
layer's weight, which names that layer.
"""

import base64
import codecs
import copy
import json
import marshal
import os
import re
import shutil
import sys
import tempfile
import types
import warnings
import zipfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
OUT = os.path.join(FIXTURES, "hostile")

# CVE ids per code, as in the RuleDocs of src/audit/security.rs (checked at the end, warning only).
CVES = {
    "S101": ["CVE-2024-3660", "CVE-2025-9905"],
    "S102": ["CVE-2025-9906"],
    "S103": ["CVE-2025-1550"],
    "S104": ["CVE-2025-8747", "CVE-2025-12060"],
    "S105": ["CVE-2026-1462"],
    "S106": ["CVE-2025-49655"],
    "S107": ["CVE-2025-12058"],
    "S108": [],
    "S201": ["CVE-2026-1669"],
    "S202": [],
    "S203": [],
    "S204": [],
    "S205": [],
    "S206": ["CVE-2026-0897"],
    "S301": [],
    "S302": [],
    "S303": [],
    "S304": [],
    "S305": [],
}

EXPECTED = []
README = []


def finding(code, layer=None):
    return {"code": code, "layer": layer, "cve": CVES[code]}


def record(file, findings, note):
    assert os.path.exists(os.path.join(OUT, file)), file
    assert all(f["file"] != file for f in EXPECTED), file
    EXPECTED.append({"file": file, "findings": findings, "note": note})
    README.append((file, note))


# ---- payloads ---------------------------------------------------------------------------------

LAMBDA_SOURCE = "lambda x: __import__('os').system('id') or x"


def lambda_bytecode_b64():
    """base64(marshal(code of the lambda)), as Keras 2/3 write it (codecs base64: 76-char lines,
    trailing newline). The lambda is compiled, never called."""
    module_code = compile(LAMBDA_SOURCE, "<kerascope-hostile>", "eval")
    lambdas = [c for c in module_code.co_consts if isinstance(c, types.CodeType)]
    assert len(lambdas) == 1
    code = lambdas[0]
    assert "__import__" in code.co_names and "system" in code.co_names, code.co_names
    return codecs.encode(marshal.dumps(code), "base64").decode("ascii")


LAMBDA_CODE = lambda_bytecode_b64()

K3_DTYPE = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}


def dtype(dialect):
    return copy.deepcopy(K3_DTYPE) if dialect == "k3" else "float32"


def entry(class_name, config, in_dim, module="keras.layers", registered_name=None):
    """A layer entry in the Keras 3 / new-style form (legacy H5 strips module etc. at top level)."""
    return {"module": module, "class_name": class_name, "config": config,
            "registered_name": registered_name, "build_config": {"input_shape": [None, in_dim]}}


def p_lambda(dialect, d):
    if dialect == "k3":
        function = {"class_name": "__lambda__",
                    "config": {"code": LAMBDA_CODE, "defaults": None, "closure": None}}
        config = {"name": "evil_lambda", "trainable": True, "dtype": dtype(dialect),
                  "function": function, "arguments": {}}
    else:  # tf.keras / Keras 2 func_dump form
        config = {"name": "evil_lambda", "trainable": True, "dtype": dtype(dialect),
                  "function": [LAMBDA_CODE, None, None], "function_type": "lambda",
                  "module": "__main__", "output_shape": None, "output_shape_type": "raw",
                  "output_shape_module": None, "arguments": {}}
    return entry("Lambda", config, d)


def p_module_function(dialect, d):
    if dialect == "k3":
        config = {"name": "unsafe_fn", "trainable": True, "dtype": dtype(dialect),
                  "function": {"module": "keras.config", "class_name": "function",
                               "config": "enable_unsafe_deserialization",
                               "registered_name": "enable_unsafe_deserialization"},
                  "arguments": {}}
    else:
        config = {"name": "unsafe_fn", "trainable": True, "dtype": dtype(dialect),
                  "function": "enable_unsafe_deserialization", "function_type": "function",
                  "module": "keras.config", "output_shape": None, "output_shape_type": "raw",
                  "output_shape_module": None, "arguments": {}}
    return entry("Lambda", config, d)


def p_os_activation(dialect, d):
    config = {"name": "os_act", "trainable": True, "dtype": dtype(dialect),
              "activation": {"module": "os", "class_name": "system", "config": {},
                             "registered_name": None}}
    return entry("Activation", config, d)


def p_exec_activation(dialect, d):
    config = {"name": "exec_act", "trainable": True, "dtype": dtype(dialect),
              "activation": {"module": "builtins", "class_name": "function", "config": "exec",
                             "registered_name": "exec"}}
    return entry("Activation", config, d)


def p_spoofed_keras_layer(dialect, d):
    config = {"name": "evil_layer", "trainable": True, "dtype": dtype(dialect)}
    return entry("EvilLayer", config, d, module="keras.src.layers.evil")


def p_foreign_layer(dialect, d):
    config = {"name": "backdoor", "trainable": True, "dtype": dtype(dialect)}
    return entry("Backdoor", config, d, module="evil_pkg.layers")


def lookup_config(name, dialect, vocabulary):
    return {"name": name, "trainable": True, "dtype": "int64", "invert": False,
            "max_tokens": None, "num_oov_indices": 1, "oov_token": "[UNK]", "mask_token": None,
            "output_mode": "int", "sparse": False, "pad_to_max_tokens": False,
            "idf_weights": None, "vocabulary": vocabulary, "vocabulary_size": None,
            "oov_method": "mod", "salt": None, "encoding": "utf-8"}


def p_get_file(dialect, d):
    # The function object names keras.utils.get_file: the string "get_file" is what S104 sees.
    # (No registered_name: it would be a second "get_file" string, i.e. a second S104.)
    vocabulary = {"module": "keras.utils", "class_name": "function", "config": "get_file"}
    return entry("StringLookup", lookup_config("vocab_fetch", dialect, vocabulary), d)


def p_tfsm(dialect, d):
    config = {"name": "tfsm", "trainable": True, "dtype": dtype(dialect),
              "filepath": "/tmp/exported_model", "call_endpoint": "serve",
              "call_training_endpoint": None}
    return entry("TFSMLayer", config, d)


def p_torch(dialect, d):
    # Real files hold base64(torch.save(module)); this is base64 of a placeholder text, not a
    # pickle.
    placeholder = base64.b64encode(b"kerascope hostile fixture: placeholder, not a torch pickle")
    config = {"name": "torch_wrapper", "trainable": True, "dtype": dtype(dialect),
              "module": placeholder.decode("ascii"), "output_shape": None}
    return entry("TorchModuleWrapper", config, d)


def p_passwd_vocabulary(dialect, d):
    return entry("StringLookup", lookup_config("lookup_passwd", dialect, "/etc/passwd"), d)


def p_url_vocabulary(dialect, d):
    config = {"name": "vectorize_url", "trainable": True, "dtype": "string",
              "max_tokens": None, "standardize": "lower_and_strip_punctuation",
              "split": "whitespace", "ngrams": None, "output_mode": "int",
              "output_sequence_length": None, "pad_to_max_tokens": False, "sparse": False,
              "ragged": False, "vocabulary": "https://example.invalid/vocab.txt",
              "idf_weights": None, "encoding": "utf-8", "vocabulary_size": None}
    return entry("TextVectorization", config, d)


def p_custom(dialect, d):
    config = {"name": "my_custom", "trainable": True, "dtype": dtype(dialect)}
    if dialect == "k3":
        return entry("MyCustomLayer", config, d, module=None,
                     registered_name="my_package>MyCustomLayer")
    # tf.keras legacy H5 names a registered custom class by its registered name.
    return {"class_name": "my_package>MyCustomLayer", "config": config}


def p_custom_own_module(dialect, d):
    config = {"name": "my_custom", "trainable": True, "dtype": dtype(dialect)}
    return entry("MyCustomLayer", config, d, module="my_package.layers",
                 registered_name="my_package>MyCustomLayer")


# key, payload builder, name of the hazardous layer entry, findings relative to that entry,
# what is planted, keep module on a legacy top-level entry (the module IS the hazard)
PAYLOADS = {
    "s101_lambda": (p_lambda, "evil_lambda", [("S101", "")], False,
                    "Lambda with marshalled bytecode of " + LAMBDA_SOURCE),
    "s102_module_function": (p_module_function, "unsafe_fn", [("S102", "")], False,
                             "Lambda whose function is keras.config.enable_unsafe_deserialization"),
    "s103_os_activation": (p_os_activation, "os_act", [("S103", "")], False,
                           "Activation whose activation is {module: os, class_name: system}"),
    "s103_builtins_exec": (p_exec_activation, "exec_act", [("S103", "")], False,
                           "Activation whose activation is the function builtins.exec"),
    "s103_spoofed_keras_module": (p_spoofed_keras_layer, "evil_layer", [("S103", "")], True,
                                  "layer EvilLayer claiming module keras.src.layers.evil (S103, no S108)"),
    "s103_foreign_layer": (p_foreign_layer, "backdoor", [("S103", ""), ("S108", "")], True,
                           "layer Backdoor from module evil_pkg.layers (foreign module and custom class)"),
    "s104_get_file": (p_get_file, "vocab_fetch", [("S104", "")], False,
                      "StringLookup whose vocabulary is the function keras.utils.get_file"),
    "s105_tfsm": (p_tfsm, "tfsm", [("S105", "")], False,
                  "TFSMLayer loading /tmp/exported_model"),
    "s106_torch": (p_torch, "torch_wrapper", [("S106", "")], False,
                   "TorchModuleWrapper (placeholder text, not a pickle)"),
    "s107_passwd_vocabulary": (p_passwd_vocabulary, "lookup_passwd", [("S107", "")], False,
                               "StringLookup with vocabulary /etc/passwd"),
    "s107_url_vocabulary": (p_url_vocabulary, "vectorize_url", [("S107", "")], False,
                            "TextVectorization with vocabulary https://example.invalid/vocab.txt"),
    "s108_custom": (p_custom, "my_custom", [("S108", "")], True,
                    "custom class MyCustomLayer (module null, registered my_package>MyCustomLayer)"),
    "s108_custom_own_module": (p_custom_own_module, "my_custom", [("S108", "")], True,
                               "custom class MyCustomLayer from its own package my_package.layers"),
}


# ---- placements -------------------------------------------------------------------------------

def legacy_top(layer_entry, keep_module):
    """Legacy H5 configs carry no module / registered_name / build_config on `layers` entries."""
    out = {k: v for k, v in layer_entry.items() if k in ("class_name", "config")}
    if keep_module and layer_entry.get("module") is not None:
        out["module"] = layer_entry["module"]
        out["registered_name"] = layer_entry.get("registered_name")
    return out


def nested(payload, dialect, d, legacy):
    """A Sequential `outer_nested` (no weights) holding an InputLayer and the payload."""
    if dialect == "k3":
        input_layer = {"module": "keras.layers", "class_name": "InputLayer",
                       "config": {"batch_shape": [None, d], "dtype": "float32", "sparse": False,
                                  "ragged": False, "name": "outer_nested_input",
                                  "optional": False},
                       "registered_name": None}
        config = {"name": "outer_nested", "trainable": True, "dtype": dtype(dialect),
                  "layers": [input_layer, payload], "build_input_shape": [None, d]}
        model = {"module": "keras", "class_name": "Sequential", "config": config,
                 "registered_name": None, "build_config": {"input_shape": [None, d]},
                 "compile_config": None}
    else:
        input_layer = {"class_name": "InputLayer",
                       "config": {"batch_input_shape": [None, d], "dtype": "float32",
                                  "sparse": False, "ragged": False,
                                  "name": "outer_nested_input", "optional": False}}
        model = {"class_name": "Sequential",
                 "config": {"name": "outer_nested", "layers": [input_layer, payload]}}
    if legacy:
        input_layer.pop("module", None)
        input_layer.pop("registered_name", None)
    return model


def wrapper(payload, dialect, d, kind="td"):
    """A TimeDistributed `td` (or Bidirectional `bidi`) whose `layer` is the payload (full form,
    as even legacy H5 writes a wrapper's inner layer)."""
    if kind == "td":
        config = {"name": "td", "trainable": True, "dtype": dtype(dialect), "layer": payload}
        return entry("TimeDistributed", config, d)
    raise ValueError(kind)


def place(key, dialect, placement, d, legacy):
    """(top-level layer entry, name of that entry, findings) for one payload and placement."""
    build, name, codes, keep_module, _ = PAYLOADS[key]
    payload = build(dialect, d)
    if placement == "top":
        top = legacy_top(payload, keep_module) if legacy else payload
        prefix = ""
    elif placement == "nested":
        inner = legacy_top(payload, keep_module) if legacy else payload
        top = nested(inner, dialect, d, legacy)
        prefix = "outer_nested/"
    elif placement == "wrapper":
        top = wrapper(payload, dialect, d)
        prefix = "td/"
    else:
        raise ValueError(placement)
    if legacy and placement != "top":
        top = legacy_top(top, False)
    findings = [finding(code, prefix + name + suffix) for code, suffix in codes]
    return top, top["config"]["name"], findings


# ---- containers ---------------------------------------------------------------------------------

def read_zip(path):
    with zipfile.ZipFile(path) as z:
        return [(info, z.read(info.filename)) for info in z.infolist()]


def new_info(template, name, compress_type=zipfile.ZIP_STORED):
    info = zipfile.ZipInfo(name, date_time=template.date_time)
    info.compress_type = compress_type
    info.external_attr = template.external_attr
    info.create_system = template.create_system
    return info


def write_zip(name, members, compresslevel=None):
    """members: [(ZipInfo, bytes)], written in order, duplicates allowed."""
    target = os.path.join(OUT, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on duplicate names: intended
        with zipfile.ZipFile(target, "w") as z:
            for info, data in members:
                deflated = info.compress_type == zipfile.ZIP_DEFLATED
                z.writestr(copy.copy(info), data, compresslevel=compresslevel if deflated else None)
    return name


def keras_with_config(base, name, mutate):
    members = []
    for info, data in read_zip(os.path.join(FIXTURES, base)):
        if info.filename == "config.json":
            config = json.loads(data)
            mutate(config)
            data = json.dumps(config).encode()
        members.append((info, data))
    return write_zip(name, members)


def h5_copy(base, name):
    target = os.path.join(OUT, name)
    shutil.copyfile(os.path.join(FIXTURES, base), target)
    return target


def set_model_config(h5, config):
    # modify() rewrites the existing scalar vlen ASCII attribute in place (same type as Keras
    # wrote; plain assignment would allocate a new global heap and grow the file by 4 KiB).
    h5.attrs.modify("model_config", json.dumps(config))


def layer_names(weights):
    return [n.decode() if isinstance(n, bytes) else str(n) for n in weights.attrs["layer_names"]]


def set_layer_names(weights, names):
    del weights.attrs["layer_names"]
    weights.attrs["layer_names"] = np.array(names, dtype=h5py.string_dtype("ascii"))


def h5_with_layer(base, name, new_entry, remove=None):
    """Append `new_entry` as the last layer of the (Sequential) model_config, with the empty
    model_weights group and layer_names entry Keras writes for a weightless layer. The
    weightless layer `remove` (if any) is taken out first. Appending keeps every other layer's
    input shape derivable from a legacy config (no build_config there)."""
    target = h5_copy(base, name)
    with h5py.File(target, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        layers = config["config"]["layers"]
        weights = h5["model_weights"]
        names = layer_names(weights)
        if remove:
            index = [i for i, l in enumerate(layers) if l["config"].get("name") == remove]
            assert len(index) == 1, remove
            del layers[index[0]]
            del weights[remove]
            names.remove(remove)
        layers.append(new_entry)
        set_model_config(h5, config)
        new_name = new_entry["config"]["name"]
        group = weights.create_group(new_name)
        group.attrs["weight_names"] = np.zeros((0,), dtype="float64")
        set_layer_names(weights, names + [new_name])
    return name


def replace_slot(config, slot, new_entry):
    layers = config["config"]["layers"]
    index = [i for i, l in enumerate(layers) if l["config"].get("name") == slot]
    assert len(index) == 1, slot
    layers[index[0]] = new_entry


# ---- S1xx: config hazards -----------------------------------------------------------------------

PLACEMENT_NOTE = {"top": "at top level", "nested": "inside nested Sequential outer_nested",
                  "wrapper": "inside TimeDistributed td (config.layer)"}


def config_hazards():
    # .keras: k3_lambda.keras = Sequential(Dense 4->3, Lambda times_two, Dense 3->1); the
    # weightless Lambda slot is replaced (model.weights.h5 member untouched).
    keras_keys = ["s101_lambda", "s102_module_function", "s103_os_activation",
                  "s103_builtins_exec", "s103_spoofed_keras_module", "s104_get_file",
                  "s105_tfsm", "s106_torch", "s107_passwd_vocabulary", "s107_url_vocabulary",
                  "s108_custom"]
    for key in keras_keys + ["s103_foreign_layer", "s108_custom_own_module"]:
        placements = ["top", "nested", "wrapper"] if key in keras_keys else ["top"]
        for placement in placements:
            top, _, findings = place(key, "k3", placement, 3, legacy=False)
            name = f"k3_{key}_{placement}.keras"
            keras_with_config("k3_lambda.keras", name,
                              lambda c, top=top: replace_slot(c, "times_two", top))
            record(name, findings, f"{PAYLOADS[key][4]}, {PLACEMENT_NOTE[placement]} "
                                   "(replaces the Lambda of k3_lambda.keras)")

    # Keras 3 legacy .h5 (CVE-2025-9905: Keras 3 < 3.11.3 runs Lambda bytecode from .h5):
    # k3_lambda_legacy.h5, slot times_two, Keras 3 function forms.
    for key in ["s101_lambda", "s102_module_function"]:
        for placement in ["top", "nested", "wrapper"]:
            top, _, findings = place(key, "k3", placement, 1, legacy=True)
            name = f"k3legacy_{key}_{placement}.h5"
            h5_with_layer("k3_lambda_legacy.h5", name, top, remove="times_two")
            record(name, findings, f"Keras 3 form: {PAYLOADS[key][4]}, "
                                   f"{PLACEMENT_NOTE[placement]} (Keras 3 legacy H5: benign Lambda "
                                   "times_two removed, hazard appended as last layer)")

    # tf.keras legacy .h5: tfk_sequential_basic.h5 = Sequential(Dense, BN, Dropout, Dense 16->4);
    # the hazard is appended after the last Dense (input (None, 4)); Keras 2 function forms.
    for key in keras_keys + ["s103_foreign_layer"]:
        placements = (["top", "nested", "wrapper"]
                      if key in ("s101_lambda", "s102_module_function", "s103_os_activation")
                      else ["top"])
        for placement in placements:
            top, _, findings = place(key, "k2", placement, 4, legacy=True)
            name = f"tfk_{key}_{placement}.h5"
            h5_with_layer("tfk_sequential_basic.h5", name, top)
            what = PAYLOADS[key][4]
            if key == "s108_custom":
                what = "custom class my_package>MyCustomLayer (tf.keras legacy class name)"
            record(name, findings, f"Keras 2 form: {what}, {PLACEMENT_NOTE[placement]} "
                                   "(tf.keras legacy H5, appended as last layer)")

    # S103 on an existing layer's initializer (no layer added, no weights touched).
    os_init = {"module": "os", "class_name": "system", "config": {}, "registered_name": None}

    def dense_init(config, init=os_init, path=("dense",)):
        layers = config["config"]["layers"]
        layer = [l for l in layers if l["config"].get("name") == path[0]][0]
        for part in path[1:]:
            layer = [l for l in layer["config"]["layers"] if l["config"].get("name") == part][0]
        layer["config"]["kernel_initializer"] = copy.deepcopy(init)

    name = "k3_s103_os_initializer_top.keras"
    keras_with_config("k3_sequential_basic.keras", name, dense_init)
    record(name, [finding("S103", "dense")],
           "Dense dense: kernel_initializer {module: os, class_name: system} (k3_sequential_basic.keras)")

    name = "k3_s103_os_initializer_nested.keras"
    keras_with_config("k3_functional_nested.keras", name,
                      lambda c: dense_init(c, path=("inner_seq", "d1")))
    record(name, [finding("S103", "inner_seq/d1")],
           "Dense d1 inside nested Sequential inner_seq: kernel_initializer os.system "
           "(k3_functional_nested.keras)")

    # registered_name 'os>system' makes module 'os' look like the object's own package.
    owned = dict(os_init, registered_name="os>system")
    name = "k3_s103_os_initializer_registered_top.keras"
    keras_with_config("k3_sequential_basic.keras", name, lambda c: dense_init(c, init=owned))
    record(name, [finding("S103", "dense")],
           "Dense dense: kernel_initializer {module: os, class_name: system, "
           "registered_name: 'os>system'} (the registered package equals the foreign module)")

    name = "tfk_s103_os_initializer_top.h5"
    target = h5_copy("tfk_sequential_basic.h5", name)
    with h5py.File(target, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        dense_init(config)
        set_model_config(h5, config)
    record(name, [finding("S103", "dense")],
           "Dense dense: kernel_initializer {module: os, class_name: system} (tf.keras legacy H5)")

    # Bidirectional: the hazard in `layer`, and one hidden in `backward_layer` only.
    benign = entry("Activation", {"name": "fwd_identity", "trainable": True,
                                  "dtype": dtype("k3"), "activation": "linear"}, 3)
    for variant, config_extra, hazard_name in [
        ("layer", {"layer": p_lambda("k3", 3)}, "evil_lambda"),
        ("backward_layer", {"layer": benign, "backward_layer": p_lambda("k3", 3)}, "evil_lambda"),
    ]:
        config = {"name": "bidi", "trainable": True, "dtype": dtype("k3"), "merge_mode": "concat"}
        config.update(config_extra)
        top = entry("Bidirectional", config, 3)
        name = f"k3_s101_lambda_bidirectional_{variant}.keras"
        keras_with_config("k3_lambda.keras", name,
                          lambda c, top=top: replace_slot(c, "times_two", top))
        record(name, [finding("S101", f"bidi/{hazard_name}")],
               f"Lambda bytecode ({LAMBDA_SOURCE}) as the {variant} of Bidirectional bidi")


# ---- S2xx: HDF5 hazards (tampered copies of tfk_sequential_basic.h5) ----------------------------

BIAS = "model_weights/dense_1/dense_1/bias:0"  # (4,) float32, 16 bytes


def external_storage(name, external_name):
    """dense_1's bias replaced by a same-shape dataset whose data lives in `external_name`.
    Created in a scratch working directory, fill time never, no data written: libhdf5 never
    touches the named file. An absolute name is patched into the file afterwards."""
    placeholder = None
    if os.path.isabs(external_name):
        placeholder = ("X" * len(external_name)).encode()
        assert len(placeholder) == len(external_name)
    target = h5_copy("tfk_sequential_basic.h5", name)
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            with h5py.File(target, "r+") as h5:
                del h5[BIAS]
                h5.create_dataset(BIAS, shape=(4,), dtype="float32", fill_time="never",
                                  external=[((placeholder or external_name.encode()).decode(),
                                             0, 16)])
            assert os.listdir(scratch) == [], os.listdir(scratch)
        finally:
            os.chdir(cwd)
    if placeholder:
        with open(target, "rb") as f:
            data = f.read()
        assert data.count(placeholder) == 1
        with open(target, "wb") as f:
            f.write(data.replace(placeholder, external_name.encode()))
    with h5py.File(target, "r") as h5:
        assert h5[BIAS].external[0][0] in (external_name, external_name.encode())
    return name


def h5_tamper(name, tamper):
    target = h5_copy("tfk_sequential_basic.h5", name)
    with h5py.File(target, "r+") as h5:
        tamper(h5)
    return name


def soft_link(h5):
    h5["model_weights/soft"] = h5py.SoftLink("/model_weights/dense")


def soft_link_new_style(h5):
    # A new-style group (link messages, creation order tracked), without timestamps so the
    # output is deterministic.
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_link_creation_order(h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED)
    gcpl.set_obj_track_times(False)
    h5py.h5g.create(h5["model_weights"].id, b"extras", gcpl=gcpl)
    group = h5["model_weights/extras"]
    group["soft"] = h5py.SoftLink("/model_weights/dense")


def dangling_soft_link(h5):
    h5["model_weights/dangling"] = h5py.SoftLink("/model_weights/nowhere")


def virtual_dataset(h5):
    """What h5py's create_virtual_dataset does, without timestamps (deterministic output)."""
    parent, name = BIAS.rsplit("/", 1)
    del h5[BIAS]
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    dcpl.set_fill_value(np.zeros((), dtype="float32"))
    space = h5py.h5s.create_simple((4,))
    source_space = h5py.h5s.create_simple((4,))
    dcpl.set_virtual(space, b"source.h5", b"/data", source_space)
    h5py.h5d.create(h5[parent].id, name.encode(), h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    assert h5[BIAS].is_virtual and h5[BIAS].shape == (4,)


def optimizer_bomb(chunked):
    def tamper(h5):
        group = h5.create_group("optimizer_weights")
        group.attrs["weight_names"] = np.array([b"adam/m:0"])
        ds = group.create_dataset("adam/m:0", shape=(65536, 65536), dtype="float32",
                                  chunks=(1024, 1024) if chunked else None)
        assert ds.id.get_storage_size() == 0
    return tamper


def overflow_bomb(name):
    """(2**31, 2**31) float32 = 2**64 bytes: libhdf5 refuses to create it ("size of dataset's
    storage overflowed"), so create (2**31, 2**30) and patch the dataspace dims."""
    target = h5_copy("tfk_sequential_basic.h5", name)
    with h5py.File(target, "r+") as h5:
        group = h5.create_group("optimizer_weights")
        group.attrs["weight_names"] = np.array([b"adam/v:0"])
        ds = group.create_dataset("adam/v:0", shape=(2**31, 2**30), dtype="float32")
        assert ds.id.get_storage_size() == 0
    with open(target, "rb") as f:
        data = f.read()
    old = (2**31).to_bytes(8, "little") + (2**30).to_bytes(8, "little")
    new = (2**31).to_bytes(8, "little") + (2**31).to_bytes(8, "little")
    assert 1 <= data.count(old) <= 2, data.count(old)  # dims (and max dims when stored)
    with open(target, "wb") as f:
        f.write(data.replace(old, new))
    with h5py.File(target, "r") as h5:  # libhdf5 now refuses to open the dataset itself
        try:
            h5["optimizer_weights/adam/v:0"]
            raise AssertionError("libhdf5 opened a 2**64-byte dataset")
        except KeyError as e:
            assert "overflow" in str(e), e
    return name


def layer_bomb(h5):
    """A new Embedding huge_embedding (input_dim 2**20, output_dim 4096) whose embeddings
    dataset has the shape the config implies, 16 GiB declared, nothing stored."""
    config = json.loads(h5.attrs["model_config"])
    config["config"]["layers"].append({"class_name": "Embedding", "config": {
        "name": "huge_embedding", "trainable": True, "dtype": "float32",
        "batch_input_shape": [None, None], "input_dim": 2**20, "output_dim": 4096,
        "embeddings_initializer": {"module": "keras.initializers", "class_name": "RandomUniform",
                                   "config": {"minval": -0.05, "maxval": 0.05, "seed": None},
                                   "registered_name": None},
        "embeddings_regularizer": None, "activity_regularizer": None,
        "embeddings_constraint": None, "mask_zero": False, "input_length": None}})
    set_model_config(h5, config)
    weights = h5["model_weights"]
    set_layer_names(weights, layer_names(weights) + ["huge_embedding"])
    group = weights.create_group("huge_embedding")
    group.attrs["weight_names"] = np.array(["huge_embedding/embeddings:0"],
                                           dtype=h5py.string_dtype("ascii"))
    ds = group.create_dataset("huge_embedding/embeddings:0", shape=(2**20, 4096), dtype="float32")
    assert ds.id.get_storage_size() == 0


def hdf5_hazards():
    name = external_storage("h5_s201_external_storage_sentinel.h5", "kerascope-sentinel.bin")
    record(name, [finding("S201")],
           "dense_1 bias:0 (4,) float32 stored in external file kerascope-sentinel.bin (relative)")
    name = external_storage("h5_s201_external_storage_etc_hostname.h5", "/etc/hostname")
    record(name, [finding("S201")],
           "dense_1 bias:0 (4,) float32 stored in external file /etc/hostname")

    record(h5_tamper("h5_s202_external_link.h5", lambda h5: h5.__setitem__(
        "model_weights/extra_link", h5py.ExternalLink("other.h5", "/data"))),
        [finding("S202")], "external link model_weights/extra_link -> other.h5:/data")

    record(h5_tamper("h5_s203_soft_link.h5", soft_link),
           [finding("S203"), finding("S205")],
           "soft link model_weights/soft -> /model_weights/dense in the old-style (symbol table) "
           "group model_weights; dense is then reachable by two paths (S205)")
    record(h5_tamper("h5_s203_soft_link_new_style_group.h5", soft_link_new_style),
           [finding("S203"), finding("S205")],
           "soft link model_weights/extras/soft -> /model_weights/dense in a new-style "
           "(link message) group; dense reachable by two paths (S205)")
    record(h5_tamper("h5_s203_dangling_soft_link.h5", dangling_soft_link),
           [finding("S203")],
           "dangling soft link model_weights/dangling -> /model_weights/nowhere (old-style group)")

    record(h5_tamper("h5_s204_virtual_dataset.h5", virtual_dataset), [finding("S204")],
           "dense_1 bias:0 replaced by a virtual dataset (4,) float32 mapped from source.h5:/data")

    record(h5_tamper("h5_s205_hard_link_alias.h5", lambda h5: h5.__setitem__(
        "model_weights/alias", h5["model_weights/dense"])),
        [finding("S205")], "hard link model_weights/alias -> the group model_weights/dense")
    record(h5_tamper("h5_s205_cycle.h5", lambda h5: h5.__setitem__(
        "model_weights/dense/loop", h5["model_weights"])),
        [finding("S205")], "hard link model_weights/dense/loop -> model_weights (a cycle)")

    record(h5_tamper("h5_s206_optimizer_bomb.h5", optimizer_bomb(chunked=False)),
           [finding("S206")],
           "optimizer_weights/adam/m:0 declares (65536, 65536) float32 = 16 GiB, contiguous, "
           "0 bytes stored")
    record(h5_tamper("h5_s206_optimizer_bomb_chunked.h5", optimizer_bomb(chunked=True)),
           [finding("S206")],
           "optimizer_weights/adam/m:0 declares (65536, 65536) float32 = 16 GiB, chunked "
           "(1024, 1024), no chunk written")
    record(overflow_bomb("h5_s206_overflow_bomb.h5"), [finding("S206")],
           "optimizer_weights/adam/v:0 declares (2**31, 2**31) float32 = 2**64 bytes (overflows "
           "u64), 0 bytes stored (dims patched after creation: libhdf5 refuses to create or open it)")
    record(h5_tamper("h5_s206_layer_bomb.h5", layer_bomb),
           [finding("S206", "huge_embedding")],
           "new Embedding huge_embedding (2**20 x 4096, matching its config) whose embeddings:0 "
           "declares 16 GiB with 0 bytes stored")


# ---- S3xx: zip hazards (rewrites of k3_sequential_basic.keras) ------------------------------------

ZIP_BASE = "k3_sequential_basic.keras"


def zip_hazards():
    base = read_zip(os.path.join(FIXTURES, ZIP_BASE))
    template = base[0][0]
    harmless = b"# kerascope hostile fixture: never extracted, never run\n"

    def with_extra(name, extra):
        return write_zip(name, base + extra)

    for name, member, findings, note in [
        ("zip_s301_dotdot.keras", "../../.bashrc", ["S301", "S304"],
         "extra member ../../.bashrc (escapes; also not a .keras member)"),
        ("zip_s301_absolute.keras", "/etc/cron.d/x", ["S301", "S304"],
         "extra member /etc/cron.d/x (absolute; also not a .keras member)"),
        ("zip_s301_assets_dotdot.keras", "assets/../../escape.txt", ["S301"],
         "extra member assets/../../escape.txt (escapes from under assets/)"),
    ]:
        with_extra(name, [(new_info(template, member), harmless)])
        with zipfile.ZipFile(os.path.join(OUT, name)) as z:
            assert member in z.namelist(), z.namelist()
        record(name, [finding(c) for c in findings], note)

    zeros = bytes(64 << 20)
    name = write_zip("zip_s302_bomb.keras",
                     base + [(new_info(template, "assets/zeros.txt", zipfile.ZIP_DEFLATED), zeros)],
                     compresslevel=9)
    with zipfile.ZipFile(os.path.join(OUT, name)) as z:
        info = z.getinfo("assets/zeros.txt")
        assert info.file_size // info.compress_size > 1000, (info.file_size, info.compress_size)
        ratio = info.file_size // info.compress_size
    record(name, [finding("S302")],
           f"extra member assets/zeros.txt: 64 MiB of zeros deflated {ratio}x")

    weights = [(i, d) for i, d in base if i.filename == "model.weights.h5"]
    record(with_extra("zip_s303_duplicate_weights.keras", weights), [finding("S303")],
           "model.weights.h5 twice (identical copies)")

    # The second config.json (the one Python's zipfile, hence Keras, reads) hides a Lambda.
    hidden = json.loads(dict((i.filename, d) for i, d in base)["config.json"])
    hidden["config"]["layers"].append(p_lambda("k3", 4))
    config_info = [i for i, _ in base if i.filename == "config.json"][0]
    name = with_extra("zip_s303_duplicate_config_hidden_lambda.keras",
                      [(config_info, json.dumps(hidden).encode())])
    with zipfile.ZipFile(os.path.join(OUT, name)) as z:
        assert b"evil_lambda" in z.read("config.json")  # Python reads the last copy
    record(name, [finding("S303"), finding("S101", "evil_lambda")],
           "config.json twice: the first is the clean config, the second (read by Python's "
           "zipfile, i.e. by Keras) appends a Lambda evil_lambda with bytecode")

    record(with_extra("zip_s304_pickle.keras",
                      [(new_info(template, "assets/payload.pkl"), b"\x80\x04N.")]),
           [finding("S304")], "extra member assets/payload.pkl (bytes of a pickle of None)")
    record(with_extra("zip_s304_shell_script.keras",
                      [(new_info(template, "run.sh"), b"#!/bin/sh\n" + harmless)]),
           [finding("S304")], "extra member run.sh")

    record(write_zip("zip_s305_no_metadata.keras",
                     [(i, d) for i, d in base if i.filename != "metadata.json"]),
           [finding("S305")], "no metadata.json member")
    members = []
    for info, data in base:
        if info.filename == "metadata.json":
            metadata = json.loads(data)
            del metadata["keras_version"]
            data = json.dumps(metadata).encode()
        members.append((info, data))
    record(write_zip("zip_s305_metadata_without_version.keras", members), [finding("S305")],
           "metadata.json without keras_version")


# ---- renamed copies: the format is decided by content ------------------------------------------

def renamed_copies():
    for source, target in [("k3_s101_lambda_top.keras", "k3_s101_lambda_top"),
                           ("zip_s301_dotdot.keras", "zip_s301_dotdot.zip"),
                           ("h5_s202_external_link.h5", "h5_s202_external_link.hdf5")]:
        shutil.copyfile(os.path.join(OUT, source), os.path.join(OUT, target))
        original = [e for e in EXPECTED if e["file"] == source][0]
        record(target, copy.deepcopy(original["findings"]),
               f"byte copy of {source} under another extension: {original['note']}")


# ---- checks and output ----------------------------------------------------------------------------

def check_cves():
    """Warn when the CVE ids above drift from the RuleDocs in security.rs."""
    path = os.path.join(ROOT, "src", "audit", "security.rs")
    if not os.path.exists(path):
        return
    text = open(path, encoding="utf-8").read()
    for block in re.findall(r'code: "(S\d+)".*?cves: &\[(.*?)\]', text, flags=re.S):
        code, cves = block
        ids = re.findall(r'"(CVE-[\d-]+)"', cves)
        if ids != CVES.get(code):
            print(f"warning: {code} CVEs in security.rs {ids} != {CVES.get(code)}", file=sys.stderr)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)

    config_hazards()
    hdf5_hazards()
    zip_hazards()
    renamed_copies()
    check_cves()

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(EXPECTED, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# Hostile fixtures\n\n"
                "Generated by `scripts/make_hostile.py` (do not edit by hand). Every file is a tampered\n"
                "copy of a Keras-written fixture; `expected.json` lists the security findings (code +\n"
                "layer path, without the model's own name) kerascope must report for each. Nothing here\n"
                "is safe to load with Keras.\n\n"
                "S1xx `.keras` files only rewrite `config.json` (the `model.weights.h5` member is the\n"
                "base's, byte for byte: its group for the replaced weightless layer keeps its old name).\n"
                "S1xx legacy `.h5` files append the hazard as the last layer, with the empty\n"
                "`model_weights` group and `layer_names` entry Keras writes for a weightless layer.\n\n")
        for file, note in README:
            f.write(f"- `{file}`: {note}\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(EXPECTED)} hostile files in {OUT} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    sys.exit(main())
