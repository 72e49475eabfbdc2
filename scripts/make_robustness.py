"""Make the hostile-input suite: pathological files that kerascope must read or refuse within
bounded time and memory, never panicking. `tests/robustness.rs` runs the library on each.

Run from the repository root with the fixture venv (h5py + numpy; nothing is ever loaded with
Keras or pickle):

    /tmp/kvenv/bin/python scripts/make_robustness.py

It wipes and rebuilds `fixtures/robustness/` and writes its README.md (one line per file:
what it tests and how it was made). Inputs that would be huge on disk are not committed: they
are either crafted to DECLARE huge sizes while storing little (byte patches of h5py/zipfile
output, at offsets this script finds by parsing, then verifies), or built at test time in
Rust (see tests/robustness.rs).

Byte patches are made only in HDF5 version-1 object headers (h5py's default `libver`), which
carry no checksum, so the patched file is still structurally valid and the reader meets the
hostile value rather than a checksum error.
"""

import io
import json
import os
import shutil
import struct
import sys
import zipfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "robustness")

# (file name, what it tests, how it was made) for the README.
MADE = []


def path(name):
    return os.path.join(OUT, name)


def record(name, tests, how):
    MADE.append((name, tests, how))


# ---- reproducible output ----------------------------------------------------------------------

def rot(x, k):
    return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF


def lookup3(data, initval=0):
    """Bob Jenkins' hashlittle (lookup3), as HDF5's H5_checksum_lookup3."""
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & 0xFFFFFFFF
    i = 0
    while length > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & 0xFFFFFFFF
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & 0xFFFFFFFF
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 4); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 6); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 8); b = (b + a) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 16); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 19); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 4); b = (b + a) & 0xFFFFFFFF
        i += 12
        length -= 12
    if length == 0:
        return c
    tail = data[i:i + length] + b"\0" * (12 - length)
    a = (a + int.from_bytes(tail[0:4], "little")) & 0xFFFFFFFF
    b = (b + int.from_bytes(tail[4:8], "little")) & 0xFFFFFFFF
    c = (c + int.from_bytes(tail[8:12], "little")) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 14)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 11)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 25)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 16)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 4)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 14)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 24)) & 0xFFFFFFFF
    return c


def strip_times(name):
    """Zeroes the access/modification/change/birth times that version-2 object headers
    (libver="latest") record, and recomputes each header's checksum, so that regenerating gives
    the same bytes. A header whose checksum does not verify first is left alone."""
    with open(path(name), "rb") as fh:
        data = bytearray(fh.read())
    at = data.find(b"OHDR")
    while at >= 0:
        flags = data[at + 5]
        body = at + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
        width = 1 << (flags & 3)
        end = body + width + int.from_bytes(data[body : body + width], "little")
        if flags & 0x20 and end + 4 <= len(data) and \
                struct.unpack_from("<I", data, end)[0] == lookup3(bytes(data[at:end])):
            data[at + 6 : at + 22] = bytes(16)
            struct.pack_into("<I", data, end, lookup3(bytes(data[at:end])))
        at = data.find(b"OHDR", at + 1)
    with open(path(name), "wb") as fh:
        fh.write(data)


# ---- a Keras-like legacy full model -----------------------------------------------------------

def dense_config(layers):
    """A Keras 2 Sequential config: an InputLayer (4 features), then `layers` Dense entries."""
    entries = [
        {
            "class_name": "InputLayer",
            "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"},
        }
    ]
    for name, units in layers:
        entries.append(
            {
                "class_name": "Dense",
                "config": {"name": name, "units": units, "use_bias": True, "activation": "linear"},
            }
        )
    return {
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": entries},
        "keras_version": "2.4.0",
        "backend": "tensorflow",
    }


def names(values):
    return np.array([v.encode() for v in values])


def keras_like(f, config=None, weights=True):
    """Writes the root of a Keras 2 `model.save("x.h5")`: model_config, versions, and
    model_weights/dense with a (4, 2) kernel and a (2,) bias. Returns the `dense` layer group."""
    if config is None:
        config = dense_config([("dense", 2)])
    f.attrs["model_config"] = json.dumps(config).encode()
    f.attrs["keras_version"] = b"2.4.0"
    f.attrs["backend"] = b"tensorflow"
    mw = f.create_group("model_weights")
    mw.attrs["layer_names"] = names(["dense"])
    mw.attrs["keras_version"] = b"2.4.0"
    mw.attrs["backend"] = b"tensorflow"
    dense = mw.create_group("dense")
    if weights:
        dense.attrs["weight_names"] = names(["dense/kernel:0", "dense/bias:0"])
        dense.create_dataset("dense/kernel:0", data=np.zeros((4, 2), np.float32))
        dense.create_dataset("dense/bias:0", data=np.zeros((2,), np.float32))
    else:
        dense.attrs["weight_names"] = np.array([], np.float64)
    return dense


# ---- byte patches in v1 object headers ----------------------------------------------------------

def pad8(n):
    return (n + 7) // 8 * 8


def find_unique(data, needle):
    at = data.find(needle)
    assert at >= 0, f"{needle!r} not found"
    assert data.find(needle, at + 1) < 0, f"{needle!r} found twice"
    return at


def v1_attribute(data, name):
    """Offsets of a version-1 attribute message's parts, found by its name: (datatype offset,
    dataspace offset). Layout (HDF5 spec IV.A.2.m, version 1): version, reserved, name size,
    datatype size, dataspace size (u16 each), then name, datatype, dataspace, each padded to 8."""
    at = find_unique(data, name.encode() + b"\0")
    version, _, name_size, dt_size, ds_size = struct.unpack_from("<BBHHH", data, at - 8)
    assert version == 1 and name_size == len(name) + 1, (name, version, name_size)
    dt = at + pad8(name_size)
    ds = dt + pad8(dt_size)
    return dt, ds


def patch_dataspace_dims(data, ds, dims):
    """Rewrites the dimensions (and max dimensions, when stored) of a version-1 dataspace."""
    version, rank, flags = struct.unpack_from("<BBB", data, ds)
    assert version == 1 and rank == len(dims), (version, rank, dims)
    for i, d in enumerate(dims):
        struct.pack_into("<Q", data, ds + 8 + 8 * i, d)
        if flags & 1:
            struct.pack_into("<Q", data, ds + 8 + 8 * (rank + i), d)


def patch_file(name, patch):
    with open(path(name), "rb") as fh:
        data = bytearray(fh.read())
    patch(data)
    with open(path(name), "wb") as fh:
        fh.write(data)


def replace_u64(data, old, new, count):
    """Replaces every little-endian u64 `old` (there must be exactly `count`) by `new`."""
    needle = struct.pack("<Q", old)
    found = []
    at = data.find(needle)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + 1)
    assert len(found) == count, (old, found)
    for at in found:
        data[at : at + 8] = struct.pack("<Q", new)


# ---- 1. hard-link and soft-link cycles ----------------------------------------------------------

def cycles():
    name = "cycle_hardlink_model_weights.h5"
    with h5py.File(path(name), "w") as f:
        dense = keras_like(f)
        dense["loop"] = f["model_weights"]
    record(name, "hard-link cycle: `model_weights/dense/loop` is `/model_weights` itself",
           "h5py: `g['loop'] = f['model_weights']`")

    name = "cycle_hardlink_root.h5"
    with h5py.File(path(name), "w") as f:
        dense = keras_like(f)
        dense["up"] = f["/"]
        f["model_weights/dense/dense/root"] = f["/"]
    record(name, "hard-link cycles to the root group from a layer group and its weight group",
           "h5py: `g['up'] = f['/']`")

    name = "cycle_weight_name_path.h5"
    long_name = "loop/" * 20_000 + "dense/kernel:0"
    with h5py.File(path(name), "w", libver="latest") as f:
        dense = keras_like(f)
        dense["loop"] = f["model_weights/dense"]
        dense.attrs["weight_names"] = names([long_name, "dense/bias:0"])
    record(name, "a `weight_names` entry whose path runs 20,000 times through a hard-link cycle "
           "(`dense/loop` is `dense`): resolving it must stay linear and bounded",
           "h5py: hard link + a 100 KB weight name (libver=latest: dense attribute storage)")

    name = "cycle_softlinks.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        dense = keras_like(f)
        dense["self"] = h5py.SoftLink("/model_weights/dense/self")
        dense["a"] = h5py.SoftLink("/model_weights/dense/b")
        dense["b"] = h5py.SoftLink("/model_weights/dense/a")
        dense["up"] = h5py.SoftLink("/model_weights")
        dense["deep"] = h5py.SoftLink("/model_weights/dense/up/dense/up/dense/up/dense/deep")
        dense.attrs["weight_names"] = names(["a/kernel:0", "up/dense/deep/x", "dense/bias:0"])
    record(name, "soft links: to itself, a two-link loop, to an ancestor, and one whose target "
           "path runs through itself; weight_names resolve through them",
           "h5py `SoftLink`, libver=latest (link messages)")

    name = "cycle_external_link_self.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        dense = keras_like(f)
        dense["ext"] = h5py.ExternalLink(name, "/model_weights")
        dense["ext_other"] = h5py.ExternalLink("/etc/passwd", "/")
        dense.attrs["weight_names"] = names(["ext/dense/dense/kernel:0", "dense/bias:0"])
    record(name, "external links, one to the file itself (a cycle across files) and one to "
           "/etc/passwd: recorded, never opened", "h5py `ExternalLink`")


# ---- 2. deep nesting ------------------------------------------------------------------------

def deep():
    for depth, libver in [(300, "earliest"), (2000, "latest")]:
        name = f"deep_groups_{depth}.h5"
        with h5py.File(path(name), "w", libver=libver) as f:
            dense = keras_like(f)
            g = dense
            for _ in range(depth):
                g = g.create_group("g")
            g.create_dataset("kernel:0", data=np.zeros((4, 2), np.float32))
        how = "h5py, a chain of `create_group('g')`"
        if libver == "latest":
            how += ", libver=latest (compact link storage keeps it small)"
        record(name, f"{depth} nested groups below `model_weights/dense`, a dataset at the bottom",
               how)

    name = "deep_weight_name_60.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        dense = keras_like(f)
        g = dense
        for _ in range(60):
            g = g.create_group("g")
        g.create_dataset("kernel:0", data=np.zeros((4, 2), np.float32))
        dense.attrs["weight_names"] = names(["g/" * 60 + "kernel:0", "dense/bias:0"])
    record(name, "60 nested groups (under the depth limit) named by a weight_names path: the walk "
           "and the path lookup both go all the way down", "h5py")


# ---- 3. many attributes -----------------------------------------------------------------------

def many_attributes():
    n = 20_000

    name = "attrs_20000_root.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        keras_like(f)
        for i in range(n):
            f.attrs[f"a{i}"] = np.int8(i % 100)
    record(name, "20,000 attributes on the root group (dense attribute storage: fractal heap + "
           "v2 B-tree), beside model_config", "h5py, libver=latest")

    name = "attrs_16000_root.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        keras_like(f)
        for i in range(16_000):
            f.attrs[f"a{i}"] = np.int8(i % 100)
    record(name, "16,000 attributes on the root group: the most whose fractal heap (~480 KiB) "
           "hdf5-reader 0.12.1 still reads; every attribute looked up re-verifies its whole "
           "direct block, so the cost grows with attributes × block size", "h5py, libver=latest")

    name = "attrs_20000_layer_group.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        dense = keras_like(f)
        for i in range(n):
            dense.attrs[f"x{i}"] = np.int8(i % 100)
    record(name, "20,000 attributes on a layer group (dense storage)", "h5py, libver=latest")

    # The chunked-name files come in two sizes: 20,000 chunks, and 7,000 (whose attribute heap
    # stays under 512 KiB: see README, hdf5-reader refuses larger dense-attribute heaps).
    for count in (n, 7_000):
        name = f"attrs_{count}_weight_names_chunks.h5"
        with h5py.File(path(name), "w", libver="latest") as f:
            dense = keras_like(f)
            del dense.attrs["weight_names"]
            for i in range(count):
                dense.attrs[f"weight_names{i}"] = names(["dense/bias:0"])
        record(name, f"a layer's weight_names split into {count:,} chunks `weight_names0..` (the "
               "form Keras uses when names overflow a header), each naming the same tensor: "
               "looking up chunk k must not rescan the attribute list each time",
               "h5py, libver=latest")

        name = f"attrs_{count}_layer_names_chunks.h5"
        with h5py.File(path(name), "w", libver="latest") as f:
            keras_like(f)
            mw = f["model_weights"]
            del mw.attrs["layer_names"]
            for i in range(count):
                mw.attrs[f"layer_names{i}"] = names(["dense"])
        record(name, f"`layer_names` split into {count:,} chunks, each naming the same layer "
               "`dense`", "h5py, libver=latest")


# ---- 4. huge attributes, declared ---------------------------------------------------------------

def huge_attributes():
    hundred_million = 100_000_000

    name = "attr_declares_100m_uint8.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        f.attrs["huge"] = np.zeros(4099, np.uint8)
    patch_file(name, lambda d: patch_dataspace_dims(d, v1_attribute(d, "huge")[1], [hundred_million]))
    record(name, "a root attribute declaring 100,000,000 uint8 elements (100 MB) that stores 4,099 "
           "bytes: no allocation may follow the declared size",
           "h5py (4,099 zeros), then the dataspace dims patched to 10⁸")

    name = "attr_model_config_declares_100m.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        cfg = json.dumps(dense_config([("dense", 2)])).encode()
        f.attrs["model_config"] = np.array([cfg])
    patch_file(name, lambda d: patch_dataspace_dims(
        d, v1_attribute(d, "model_config")[1], [hundred_million]))
    record(name, "`model_config` as a fixed-length string array declaring 10⁸ strings of the "
           "config's length (~40 GB) but storing one",
           "h5py (one-element |S array), dims patched to 10⁸")

    name = "attr_layer_names_vlen_declares_100m.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        f["model_weights"].attrs["layer_names"] = ["dense"]  # variable-length strings
    patch_file(name, lambda d: patch_dataspace_dims(
        d, v1_attribute(d, "layer_names")[1], [hundred_million]))
    record(name, "`layer_names` as variable-length strings declaring 10⁸ entries (1.6 GB of "
           "global-heap references) but storing one",
           "h5py (vlen str list), dims patched to 10⁸")

    name = "attr_string_size_4g.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        f.attrs["model_config"] = np.bytes_(json.dumps(dense_config([("dense", 2)])).encode())

    def huge_string(d):
        dt, _ = v1_attribute(d, "model_config")
        assert d[dt] & 0x0F == 3, "not a string datatype"
        struct.pack_into("<I", d, dt + 4, 0xFFFF_FFF0)

    patch_file(name, huge_string)
    record(name, "`model_config` a scalar fixed-length string whose datatype declares 4 GiB per "
           "element", "h5py, then the string datatype's size patched to 0xFFFFFFF0")

    name = "attr_vlen_length_4g.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)  # model_config is a scalar variable-length string

    def huge_vlen(d):
        dt, ds = v1_attribute(d, "model_config")
        assert d[dt] & 0x0F == 9, "not a variable-length datatype"
        _, rank = struct.unpack_from("<BB", d, ds)
        assert rank == 0
        data = ds + 8  # a scalar v1 dataspace is 8 bytes
        struct.pack_into("<I", d, data, 0xFFFF_FFF0)  # the sequence length

    patch_file(name, huge_vlen)
    record(name, "`model_config` a variable-length string whose stored length says 4 GiB (the "
           "global heap object holds the real config)",
           "h5py, then the vlen element's length field patched to 0xFFFFFFF0")

    name = "attr_model_config_100kb.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        cfg = dense_config([("dense", 2)])
        cfg["config"]["padding"] = "x" * 100_000
        keras_like(f, cfg)
    record(name, "a real 100 KB `model_config` attribute (dense attribute storage: too big for "
           "the object header); the committed stand-in for a 100 MB attribute, which would not "
           "stay small on disk", "h5py, libver=latest")


# ---- 5. deeply nested config JSON -------------------------------------------------------------

def nested_json(depth):
    return '{"class_name": "Sequential", "config": ' + "[" * depth + "]" * depth + "}"


def nested_models_json(depth):
    """A Sequential whose only layer is a Sequential whose only layer is ... `depth` levels."""
    inner = '{"class_name": "Dense", "config": {"name": "d", "units": 1}}'
    for i in range(depth):
        inner = ('{"class_name": "Sequential", "config": {"name": "s%d", "layers": [' % i
                 + inner + "]}}")
    return inner


def write_keras(name, members):
    """A .keras archive with `members` [(name, bytes, compress_type)]."""
    with zipfile.ZipFile(path(name), "w") as z:
        for member, data, compression in members:
            info = zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)


METADATA = json.dumps({"keras_version": "3.15.1", "date_saved": "2024-01-01@00:00:00"}).encode()


def nested_configs():
    text = nested_json(10_000)
    name = "config_nested_10000.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        keras_like(f)
        f.attrs["model_config"] = text.encode()
    record(name, "`model_config` nested 10,000 arrays deep (a recursive parser would overflow "
           "the stack)", "h5py, libver=latest (20 KB attribute)")

    name = "config_nested_10000.keras"
    write_keras(name, [("config.json", text.encode(), zipfile.ZIP_DEFLATED),
                       ("metadata.json", METADATA, zipfile.ZIP_DEFLATED)])
    record(name, "`config.json` nested 10,000 arrays deep", "zipfile")

    name = "config_nested_models_41.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        keras_like(f)
        f.attrs["model_config"] = nested_models_json(41).encode()
    record(name, "41 Sequential models nested in each other (JSON depth 125, as deep as "
           "serde_json's limit of 128 allows): recursive graph parsing and shape inference",
           "h5py, libver=latest")

    name = "config_nested_models_43.h5"
    with h5py.File(path(name), "w", libver="latest") as f:
        keras_like(f)
        f.attrs["model_config"] = nested_models_json(43).encode()
    record(name, "43 nested Sequential models (JSON depth 131: refused when parsed)",
           "h5py, libver=latest")


# ---- 6. hostile config values -----------------------------------------------------------------

def huge_config_values():
    big = 2**62
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, big, big, big],
                                                "name": "in"}},
        {"class_name": "Conv2D", "config": {"name": "conv", "filters": big,
                                            "kernel_size": [big, big], "strides": [1, 1],
                                            "padding": "valid", "use_bias": True}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 2**64 - 1}},
        {"class_name": "Embedding", "config": {"name": "emb", "input_dim": big,
                                               "output_dim": big}},
        {"class_name": "LSTM", "config": {"name": "lstm", "units": big}},
        {"class_name": "MultiHeadAttention", "config": {"name": "mha", "num_heads": big,
                                                        "key_dim": big}},
        {"class_name": "Reshape", "config": {"name": "reshape", "target_shape": [big, big, -1]}},
        {"class_name": "Flatten", "config": {"name": "flatten"}},
        {"class_name": "Dense", "config": {"name": "dense_neg", "units": -5}},
        {"class_name": "Dense", "config": {"name": "dense_float", "units": 1e300}},
        {"class_name": "Dense", "config": {"name": "dense_zero", "units": 0}},
    ]
    config = {"class_name": "Sequential",
              "config": {"name": "huge", "layers": layers}, "keras_version": "2.4.0"}
    name = "config_huge_dims.h5"
    with h5py.File(path(name), "w") as f:
        dense = keras_like(f, config)
        mw = f["model_weights"]
        mw.attrs["layer_names"] = names(["dense", "conv"])
        conv = mw.create_group("conv")
        conv.attrs["weight_names"] = names(["conv/kernel:0"])
        conv.create_dataset("conv/kernel:0", shape=(2**32, 2**32, 2**32), dtype="f4",
                            chunks=(1, 1, 1))
        del dense["dense/kernel:0"]
        dense.create_dataset("dense/kernel:0", shape=(2**62, 2**62), dtype="f4", chunks=(1, 1))
    record(name, "a config whose layers declare 2⁶² units, filters, kernel sizes, heads and input "
           "dims (and -5, 1e300, 0): every product a rule or a parameter count computes "
           "overflows u64; stored tensors of (2³²)³ and (2⁶²)² beside them",
           "h5py (chunked, no chunk written)")


# ---- 8/9. huge dataset shapes -----------------------------------------------------------------

def huge_shapes():
    name = "dims_overflow_u64.h5"
    with h5py.File(path(name), "w") as f:
        dense = keras_like(f)
        del dense["dense/kernel:0"]
        dense.create_dataset("dense/kernel:0", shape=(2**32, 2**32, 2**32), dtype="f4",
                             chunks=(1, 1, 1))
    record(name, "a layer kernel of shape (2³², 2³², 2³²): 2⁹⁶ elements, the product overflows u64",
           "h5py, chunked with no chunk written (HDF5 1.14 accepts the shape; nothing patched)")

    name = "dims_2pow60_contiguous.h5"
    with h5py.File(path(name), "w") as f:
        dense = keras_like(f)
        del dense["dense/kernel:0"]
        dense.create_dataset("dense/kernel:0", shape=(2**30, 2**30), dtype="f4")
    record(name, "a layer kernel declaring 2⁶⁰ float32 elements (2⁶² bytes), contiguous layout "
           "with no data written", "h5py (no patch)")

    name = "dims_2pow60_float64_bias.h5"
    with h5py.File(path(name), "w") as f:
        dense = keras_like(f)
        del dense["dense/bias:0"]
        dense.create_dataset("dense/bias:0", shape=(2**60,), dtype="f8", chunks=(1024,))
    record(name, "a bias of 2⁶⁰ float64 (2⁶³ bytes): the byte size overflows i64", "h5py (no patch)")

    name = "dims_u64_max_patched.h5"
    with h5py.File(path(name), "w") as f:
        dense = keras_like(f)
        del dense["dense/kernel:0"]
        dense.create_dataset("dense/kernel:0", shape=(1234567, 7654321), dtype="f4",
                             chunks=(1, 1))

    def to_max(d):
        # Each value appears in the dataspace's dims and max dims.
        replace_u64(d, 1234567, 2**64 - 1, 2)
        replace_u64(d, 7654321, 2**64 - 1, 2)

    patch_file(name, to_max)
    record(name, "a kernel whose dims are both 2⁶⁴-1 (the value HDF5 uses for 'unlimited' in max "
           "dims)", "h5py (1234567, 7654321) chunked, both values patched in the dataspace")

    name = "dims_rank_32.h5"
    with h5py.File(path(name), "w") as f:
        dense = keras_like(f)
        dense.create_dataset("dense/extra:0", shape=(1,) * 32, dtype="f4")
        dense.attrs["weight_names"] = names(["dense/kernel:0", "dense/bias:0", "dense/extra:0"])
    record(name, "a 32-dimension tensor (HDF5's maximum rank) listed as a weight",
           "h5py (no patch)")

    name = "keras3_vars_4096.weights.h5"
    with h5py.File(path(name), "w") as f:
        v = f.create_group("layers/dense/vars")
        for i in range(4096):
            v.create_dataset(str(i), shape=(i % 7 + 1,), dtype="f4")
        f.create_group("vars")
    record(name, "a Keras 3 `.weights.h5` whose one layer `dense` has 4,096 variables; the test "
           "also makes it the `model.weights.h5` of a 100,000-layer `.keras` built in memory, so "
           "that per-layer work over all tensors shows (10⁵ × 4,096)",
           "h5py (datasets declared, never written)")

    name = "dims_2pow60_keras3.weights.h5"
    with h5py.File(path(name), "w") as f:
        v = f.create_group("layers/dense/vars")
        v.create_dataset("0", shape=(2**32, 2**32, 2**32), dtype="f4", chunks=(1, 1, 1))
        v.create_dataset("1", shape=(2**60,), dtype="f4", chunks=(1024,))
        f.create_group("vars")
    record(name, "a Keras 3 `.weights.h5` whose layer variables are (2³²)³ and 2⁶⁰ elements",
           "h5py (no patch)")


# ---- HDF5 structures that loop, lie about sizes, or nest datatypes ------------------------------
#
# Made in h5py's default (earliest) format, where the structures patched here carry no checksum:
# superblock v0, v1 object headers, v1 B-trees, symbol-table nodes, local and global heaps.

def superblock_v0(data):
    """(root object header address, root B-tree address, root local heap address) from a
    version-0 superblock (HDF5 spec II.A: the root symbol table entry starts at byte 56)."""
    assert data[8] == 0 and data[13] == 8 and data[14] == 8, "not a v0 superblock, 8-byte offsets"
    header = struct.unpack_from("<Q", data, 64)[0]
    btree, heap = struct.unpack_from("<QQ", data, 80)
    return header, btree, heap


def v1_messages(data, address):
    """(type, body offset, body size) of the messages in the first chunk of a v1 object header."""
    version, _, _, _, size = struct.unpack_from("<BBHII", data, address)
    assert version == 1
    at, end, found = address + 16, address + 16 + size, []
    while at < end:
        kind, length = struct.unpack_from("<HH", data, at)
        found.append((kind, at + 8, length))
        at += 8 + length
    return found


def root_with_soft_links(f, count):
    """Many soft links in the root (old-style group: a B-tree of symbol-table nodes)."""
    for i in range(count):
        f[f"link{i:04d}"] = h5py.SoftLink("/model_weights")


def rewrite_attribute(data, name, datatype, element_bytes):
    """Replaces, in place, the datatype of the v1 attribute `name` by `datatype` (raw datatype
    message bytes) with a scalar dataspace and `element_bytes` zero bytes of data. The attribute
    must have been made big enough: its message keeps its size."""
    at = find_unique(data, name.encode() + b"\0")
    body = at - 8
    kind, size = struct.unpack_from("<HH", data, body - 8)
    assert kind == 0x000C, "not an attribute message"
    name_size = struct.unpack_from("<H", data, body + 2)[0]
    need = 8 + pad8(name_size) + pad8(len(datatype)) + 8 + element_bytes
    assert need <= size, (need, size)
    struct.pack_into("<HH", data, body + 4, len(datatype), 8)
    dt = at + pad8(name_size)
    rest = bytearray(size - (dt - body))
    rest[: len(datatype)] = datatype
    ds = pad8(len(datatype))
    rest[ds : ds + 8] = bytes([1, 0, 0, 0, 0, 0, 0, 0])  # v1 dataspace, rank 0: scalar
    data[dt : body + size] = rest


def datatype_header(cls, version, bits, size):
    return bytes([cls | version << 4, bits & 0xFF, bits >> 8 & 0xFF, bits >> 16 & 0xFF]) + \
        struct.pack("<I", size)


UINT8 = datatype_header(0, 1, 0, 1) + struct.pack("<HH", 0, 8)  # fixed-point, 8 bits


def nested_vlen(depth):
    """A variable-length sequence of a sequence of ... of uint8, `depth` levels (8 bytes each)."""
    return datatype_header(9, 1, 0, 16) * depth + UINT8


def nested_array(depth):
    """A 1-element array of a 1-element array of ... of uint8 (version-2 array datatype: rank,
    3 reserved, one u32 dim, one u32 permutation index: 20 bytes a level)."""
    level = datatype_header(10, 2, 0, 1) + bytes([1, 0, 0, 0]) + struct.pack("<II", 1, 0)
    return level * depth + UINT8


def hdf5_structures():
    name = "hdf5_continuation_loop.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        for i in range(40):
            f.attrs[f"pad{i}"] = np.zeros(100, np.uint8)  # overflows the root's first chunk

    def loop(d):
        header, _, _ = superblock_v0(d)
        conts = [(b, n) for k, b, n in v1_messages(d, header) if k == 0x10]
        assert conts, "no continuation message in the root header"
        body, _ = conts[0]
        # The continuation now points at the first chunk itself, which holds it.
        size = struct.unpack_from("<I", d, header + 8)[0]
        struct.pack_into("<QQ", d, body, header + 16, size)

    patch_file(name, loop)
    record(name, "the root object header's continuation message points back at the chunk that "
           "holds it: an endless header chain", "h5py (40 attributes force a continuation), "
           "then the continuation's address and length patched")

    name = "hdf5_btree_self_loop.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        root_with_soft_links(f, 300)

    def btree_loop(d):
        _, btree, _ = superblock_v0(d)
        assert d[btree : btree + 4] == b"TREE" and d[btree + 5] >= 1, "root B-tree not internal"
        struct.pack_into("<Q", d, btree + 24 + 8, btree)  # child 0 is the node itself

    patch_file(name, btree_loop)
    record(name, "the root group's v1 B-tree (an internal node: 300 links) names itself as its "
           "first child: endless recursion unless levels or visits are checked",
           "h5py (300 soft links in an old-style root), child address patched")

    name = "hdf5_btree_entries_65535.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        root_with_soft_links(f, 300)

    def btree_count(d):
        _, btree, _ = superblock_v0(d)
        struct.pack_into("<H", d, btree + 6, 0xFFFF)

    patch_file(name, btree_count)
    record(name, "the root B-tree node claims 65,535 entries (it holds a few dozen)",
           "h5py, entries-used patched")

    name = "hdf5_symbol_node_count_65535.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)

    def snod_count(d):
        at = d.find(b"SNOD")
        assert at >= 0
        struct.pack_into("<H", d, at + 6, 0xFFFF)

    patch_file(name, snod_count)
    record(name, "a symbol-table node claims 65,535 symbols (room for 8)",
           "h5py, the first SNOD's count patched")

    name = "hdf5_local_heap_2pow40.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)

    def local_heap(d):
        _, _, heap = superblock_v0(d)
        assert d[heap : heap + 4] == b"HEAP"
        struct.pack_into("<Q", d, heap + 8, 1 << 40)  # data segment size

    patch_file(name, local_heap)
    record(name, "the root group's local heap (its link names) declares a 1 TiB data segment",
           "h5py, HEAP data-segment size patched")

    for exponent in (40, 62):
        name = f"hdf5_global_heap_2pow{exponent}.h5"
        with h5py.File(path(name), "w") as f:
            keras_like(f)  # model_config and layer_names are variable-length strings there

        def global_heap(d, exponent=exponent):
            at = d.find(b"GCOL")
            assert at >= 0
            struct.pack_into("<Q", d, at + 8, 1 << exponent)  # collection size

        patch_file(name, global_heap)
        record(name, f"the global heap collection that holds the variable-length strings "
               f"(model_config) declares 2^{exponent} bytes", "h5py, GCOL size patched")

    for kind, depth, make in [("vlen", 6000, nested_vlen), ("array", 2500, nested_array)]:
        name = f"attr_datatype_nested_{kind}_{depth}.h5"
        datatype = make(depth)
        with h5py.File(path(name), "w") as f:
            keras_like(f)
            f.attrs["nested"] = np.zeros(len(datatype) + 64, np.uint8)
        patch_file(name, lambda d, datatype=datatype: rewrite_attribute(d, "nested", datatype, 16))
        record(name, f"a root attribute whose datatype is {depth} {kind} datatypes nested in each "
               f"other ({len(datatype):,} bytes): a recursive datatype parser, formatter or "
               f"destructor overflows the stack", "h5py (a uint8 attribute of that size), "
               "then its message rewritten in place with the crafted datatype")

    name = "attr_datatype_array_dims_overflow.h5"
    overflow = datatype_header(10, 2, 0, 4) + bytes([3, 0, 0, 0]) + \
        struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + struct.pack("<III", 0, 1, 2) + \
        datatype_header(1, 1, 0x20, 4) + struct.pack("<HHBBBBI", 0, 32, 23, 8, 0, 23, 127)
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        f.attrs["overflow"] = np.zeros(256, np.uint8)
    patch_file(name, lambda d: rewrite_attribute(d, "overflow", overflow, 16))
    record(name, "a root attribute of an array datatype (2³²-1)³ of float32 whose size field says "
           "4 bytes: the element size product overflows", "h5py, message rewritten in place")

    name = "attr_rank_255.h5"
    with h5py.File(path(name), "w") as f:
        keras_like(f)
        f.attrs["ranked"] = np.zeros((2, 2), np.uint8)

    def rank255(d):
        _, ds = v1_attribute(d, "ranked")
        d[ds + 1] = 255

    patch_file(name, rank255)
    record(name, "a root attribute whose dataspace claims rank 255 (it stores 2 dims)",
           "h5py, rank byte patched")


# ---- 7. zip bombs -----------------------------------------------------------------------------

def zip_member_offsets(data, member):
    """Offsets of a member's local header and central-directory entry."""
    name = member.encode()
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        n = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30 : local + 30 + n] == name:
            break
        local = data.find(b"PK\x03\x04", local + 1)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + n] == name:
            break
        central = data.find(b"PK\x01\x02", central + 1)
    assert local >= 0 and central >= 0, member
    return local, central


def patch_zip_size(name, member, size):
    """Sets the declared uncompressed size of `member` in its local header and central
    directory entry (the CRC is left as computed for the real content)."""
    def patch(d):
        local, central = zip_member_offsets(d, member)
        struct.pack_into("<I", d, local + 22, size)
        struct.pack_into("<I", d, central + 24, size)
    patch_file(name, patch)


def weights_h5_bytes():
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        v = f.create_group("layers/dense/vars")
        v.create_dataset("0", data=np.zeros((4, 2), np.float32))
        v.create_dataset("1", data=np.zeros((2,), np.float32))
        f.create_group("vars")
    return buf.getvalue()


def keras3_config():
    return json.dumps({
        "module": "keras", "class_name": "Sequential",
        "config": {"name": "sequential", "layers": [
            {"module": "keras.layers", "class_name": "InputLayer",
             "config": {"batch_shape": [None, 4], "name": "input_layer"}},
            {"module": "keras.layers", "class_name": "Dense",
             "config": {"name": "dense", "units": 2}, "build_config": {"input_shape": [None, 4]}},
        ]},
    }).encode()


def zip_bombs():
    config = keras3_config()
    weights = weights_h5_bytes()

    name = "zip_declares_4g_config.keras"
    write_keras(name, [("metadata.json", METADATA, zipfile.ZIP_DEFLATED),
                       ("config.json", config, zipfile.ZIP_DEFLATED),
                       ("model.weights.h5", weights, zipfile.ZIP_STORED)])
    patch_zip_size(name, "config.json", 0xFFFF_FFF0)
    record(name, "`config.json` deflated, its declared uncompressed size patched to 0xFFFFFFF0 "
           "(~4 GiB) in the local header and central directory",
           "zipfile, then the two size fields patched")

    name = "zip_declares_4g_weights.keras"
    write_keras(name, [("metadata.json", METADATA, zipfile.ZIP_DEFLATED),
                       ("config.json", config, zipfile.ZIP_DEFLATED),
                       ("model.weights.h5", weights, zipfile.ZIP_DEFLATED)])
    patch_zip_size(name, "model.weights.h5", 0xFFFF_FFF0)
    record(name, "a deflated `model.weights.h5` declaring ~4 GiB", "zipfile + patch")

    zeros = b"\0" * (64 << 20)
    name = "zip_ratio_64m_config.keras"
    write_keras(name, [("metadata.json", METADATA, zipfile.ZIP_DEFLATED),
                       ("config.json", zeros, zipfile.ZIP_DEFLATED)])
    record(name, "`config.json` is 64 MiB of zeros deflated (~1,030×): honest sizes, refused by "
           "the ratio limit", "zipfile (deflate level 6)")

    name = "zip_understates_64m.keras"
    write_keras(name, [("metadata.json", METADATA, zipfile.ZIP_DEFLATED),
                       ("config.json", zeros, zipfile.ZIP_DEFLATED)])
    patch_zip_size(name, "config.json", 200_000)
    record(name, "the same 64 MiB member declaring only 200,000 bytes (under the ratio limit): "
           "inflating must stop at the declared size", "zipfile + patch")

    # Under the ratio limit: 16 MiB of zeros with a random byte every 8 KiB, deflated ~690×.
    rng = np.random.default_rng(7)
    mostly_zeros = bytearray(16 << 20)
    for at in range(0, len(mostly_zeros), 8192):
        mostly_zeros[at] = int(rng.integers(1, 256))  # deflates ~690×
    name = "zip_ratio_16m_weights.keras"
    write_keras(name, [("metadata.json", METADATA, zipfile.ZIP_DEFLATED),
                       ("config.json", config, zipfile.ZIP_DEFLATED),
                       ("model.weights.h5", bytes(mostly_zeros), zipfile.ZIP_DEFLATED)])
    record(name, "a deflated `model.weights.h5` of 16 MiB (mostly zeros, ~690×: under the ratio "
           "limit): it is inflated (16 MiB, bounded) and refused as HDF5", "zipfile")

    # A config.json just under the 64 MiB config limit, of numbers "0," (2 bytes each, a
    # 72-byte serde_json Value each once parsed), a digit changed every 4 KiB so that it deflates
    # ~630×, under the 1000× ratio limit: ~100 KB on disk.
    rng = np.random.default_rng(11)
    head = b'{"class_name": "Sequential", "config": {"name": "x", "layers": ['
    count = ((64 << 20) - len(head) - 200) // 2
    numbers = bytearray(b"0," * count)
    for at in range(0, len(numbers), 4096):
        numbers[at] = ord("1") + int(rng.integers(0, 9))
    text = head + bytes(numbers[:-1]) + b"]}}"
    assert len(text) < 64 << 20
    name = "config_64mib_numbers.keras"
    write_keras(name, [("metadata.json", METADATA, zipfile.ZIP_DEFLATED),
                       ("config.json", text, zipfile.ZIP_DEFLATED)])
    record(name, f"`config.json` of {len(text):,} bytes (under the 64 MiB config limit): a "
           f"layer list of {count:,} numbers, deflated ~630× (under the 1000× ratio limit). "
           "Parsed, each 2-byte number becomes a 72-byte JSON value: ~2.3 GiB from a ~100 KB file",
           "zipfile, level 9")

    name = "zip_overlapping_members.keras"
    # Three central-directory entries pointing at the same local header (a "better zip bomb"
    # shape), two of them named config.json.
    write_keras(name, [("config.json", config, zipfile.ZIP_DEFLATED)])

    def overlap(d):
        eocd = d.rfind(b"PK\x05\x06")
        cd_size, cd_offset = struct.unpack_from("<II", d, eocd + 12)
        entry = bytes(d[cd_offset : cd_offset + cd_size])
        other = entry.replace(b"config.json", b"metadata.js")
        new_cd = entry + other + entry
        tail = bytearray(d[eocd:])
        struct.pack_into("<HHII", tail, 8, 3, 3, len(new_cd), cd_offset)
        return bytes(d[:cd_offset]) + new_cd + bytes(tail)

    with open(path(name), "rb") as fh:
        data = overlap(bytearray(fh.read()))
    with open(path(name), "wb") as fh:
        fh.write(data)
    record(name, "three central-directory entries sharing one local header, two named "
           "config.json (duplicates) and one `metadata.js`", "zipfile, directory rewritten")

    # A real archive (config.json stored) whose end of central directory is replaced by a zip64
    # end-of-directory record and locator, then a plain EOCD saying "see zip64". The zip64
    # record declares 2^60 entries (the directory really holds one), and in the second file
    # also a 2^60-byte directory.
    base = io.BytesIO()
    with zipfile.ZipFile(base, "w") as z:
        z.writestr(zipfile.ZipInfo("config.json", date_time=(2024, 1, 1, 0, 0, 0)), config)
    base = base.getvalue()
    eocd_at = base.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", base, eocd_at + 12)
    for name, directory_size, tests in [
        ("zip64_declares_2pow60_entries.keras", cd_size,
         "a zip64 end-of-directory record declaring 2⁶⁰ entries (the directory holds one)"),
        ("zip64_declares_2pow60_directory.keras", 2**60,
         "a zip64 end-of-directory record declaring 2⁶⁰ entries in a 2⁶⁰-byte directory"),
    ]:
        zip64_at = eocd_at
        zip64_eocd = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0,
                                 2**60, 2**60, directory_size, cd_offset)
        locator = struct.pack("<IIQI", 0x07064B50, 0, zip64_at, 1)
        eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF,
                           0xFFFFFFFF, 0xFFFFFFFF, 0)
        with open(path(name), "wb") as fh:
            fh.write(base[:eocd_at] + zip64_eocd + locator + eocd)
        record(name, tests + ": nothing may be preallocated from it",
               "zipfile (one stored member), EOCD replaced by struct-packed zip64 records")

    name = "zip_eocd_only.keras"
    with open(path(name), "wb") as fh:
        fh.write(b"PK\x05\x06" + b"\0" * 18)
    record(name, "a zip that is only an empty end-of-central-directory record (22 bytes)",
           "literal bytes")

    name = "zip_eocd_claims_65535.keras"
    with open(path(name), "wb") as fh:
        fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFF0, 0, 0))
    record(name, "an EOCD record alone claiming 65,535 entries in a 4 GiB directory",
           "struct.pack")


# ---- 10. truncated and tiny files ---------------------------------------------------------

def tiny():
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        keras_like(f)
    whole = buf.getvalue()

    for name, data, tests in [
        ("empty.h5", b"", "a zero-length file"),
        ("empty.keras", b"", "a zero-length .keras"),
        ("hdf5_signature_only.h5", whole[:8], "only the 8-byte HDF5 signature"),
        ("hdf5_superblock_only.h5", whole[:96], "the signature and superblock, nothing after"),
        ("truncated_half.h5", whole[: len(whole) // 2], "a Keras-like legacy file cut in half"),
        ("truncated_at_2k.h5", whole[:2048], "a Keras-like legacy file cut at 2 KiB"),
    ]:
        with open(path(name), "wb") as fh:
            fh.write(data)
        record(name, tests, "bytes of an h5py-written Keras-like file" if data else "empty")

    # HDF5 superblock whose end-of-file address and root address point far away.
    sb = bytearray(whole[:96])
    replace_u64(sb, len(whole), 2**63 - 1, 1)  # end-of-file address
    name = "hdf5_superblock_eof_2pow63.h5"
    with open(path(name), "wb") as fh:
        fh.write(bytes(sb) + whole[96:])
    record(name, "a valid file whose superblock declares an end-of-file address of 2⁶³-1",
           "h5py output, EOF address patched")

    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        for member, data in [("metadata.json", METADATA), ("config.json", keras3_config()),
                             ("model.weights.h5", weights_h5_bytes())]:
            z.writestr(zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0)), data)
    zdata = zbuf.getvalue()
    name = "truncated_half.keras"
    with open(path(name), "wb") as fh:
        fh.write(zdata[: len(zdata) // 2])
    record(name, "a .keras cut in half (no central directory)", "zipfile output, truncated")

    name = "keras_weights_member_truncated.keras"
    h5 = weights_h5_bytes()
    write_keras(name, [("metadata.json", METADATA, zipfile.ZIP_DEFLATED),
                       ("config.json", keras3_config(), zipfile.ZIP_DEFLATED),
                       ("model.weights.h5", h5[: len(h5) // 2], zipfile.ZIP_STORED)])
    record(name, "a .keras whose stored model.weights.h5 is half an HDF5 file", "zipfile")


# Files too big to commit as they are (they compress 5-300×): packed into one deflated zip that
# the test inflates in memory (and unpacks into a temporary folder for the scan test).
PACKED = "packed_hdf5.zip"
PACK = [
    "attrs_20000_root.h5",
    "attrs_16000_root.h5",
    "attrs_20000_layer_group.h5",
    "attrs_20000_weight_names_chunks.h5",
    "attrs_20000_layer_names_chunks.h5",
    "attrs_7000_weight_names_chunks.h5",
    "attrs_7000_layer_names_chunks.h5",
    "deep_groups_300.h5",
    "deep_groups_2000.h5",
    "cycle_weight_name_path.h5",
    "attr_model_config_100kb.h5",
    "keras3_vars_4096.weights.h5",
]
RAW_SIZES = {}


def strip_all_times():
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".h5"):
            strip_times(name)


def pack():
    with zipfile.ZipFile(path(PACKED), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in PACK:
            RAW_SIZES[name] = os.path.getsize(path(name))
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path(name), "rb") as fh:
                z.writestr(info, fh.read(), compresslevel=9)
            os.remove(path(name))


def readme():
    lines = [
        "# Hostile inputs",
        "",
        "Generated by `scripts/make_robustness.py` (do not edit by hand; regenerate with",
        "`/tmp/kvenv/bin/python scripts/make_robustness.py` from the repository root: only h5py,",
        "numpy and zipfile are used, nothing is loaded with Keras). `tests/robustness.rs` runs",
        "`read_source` + `analyze` on each file in a child process and asserts it ends with Ok or",
        "a clean Err within a time and memory bound, and that `scan` over this folder returns a",
        "result for every file.",
        "",
        "Large inputs are never committed. Either the file DECLARES a huge size while storing",
        "little (byte patches, noted below; made in version-1 HDF5 object headers, which have no",
        "checksum, so the reader meets the hostile value itself), or the test builds the input in",
        "memory: configs nested 10,000 and 100,000 deep, a Sequential of 1,000,000 layers (parsed",
        "directly, and as a `.keras`), 100,000 layers with and without 4,096 stored tensors, a",
        "Functional of 50,000 nested models, zips of 10,000 / 10,001 members (see the test file).",
        "",
        "The 100 MB attribute is made the declared way (`attr_declares_100m_uint8.h5` and the",
        "`*_declares_100m` files): a real one would be 100 MB on disk. `attr_model_config_100kb.h5`",
        "holds a real large (100 KB) attribute in dense storage.",
        "",
        "| file | size | what it tests | how it was made |",
        "|---|---|---|---|",
    ]
    for name, tests, how in MADE:
        if name in RAW_SIZES:
            size = f"{RAW_SIZES[name]:,} B in `{PACKED}`"
        else:
            size = f"{os.path.getsize(path(name)):,} B"
        lines.append(f"| `{name}` | {size} | {tests} | {how} |")
    files = sorted(os.listdir(OUT))
    total = sum(os.path.getsize(path(n)) for n in files)
    lines += [
        "",
        "Object-header times of `libver=\"latest\"` files are zeroed (checksums recomputed) so that",
        "regenerating gives the same bytes.",
        "",
        f"`{PACKED}` holds the files whose size column names it, deflated (they are large but",
        "compress well); the test inflates them in memory. As a file of this folder it is one more",
        "input: a zip without config.json.",
        "",
        f"Total on disk: {total:,} bytes in {len(files) + 1} files (this README included).",
        "",
    ]
    with open(path("README.md"), "w") as fh:
        fh.write("\n".join(lines))
    return total


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    cycles()
    deep()
    many_attributes()
    huge_attributes()
    nested_configs()
    huge_config_values()
    huge_shapes()
    hdf5_structures()
    zip_bombs()
    tiny()
    strip_all_times()
    pack()
    total = readme()
    print(f"{len(MADE)} inputs, {total:,} bytes in {OUT}")
    assert total < 3 << 20, "the hostile suite must stay under 3 MB"


if __name__ == "__main__":
    sys.exit(main())
