"""Benchmark: kerascope against the Python way, in one run, side by side.

Builds folders of 200 and 2,000 mixed Keras files (copies of fixtures/ and of the shared
corpus), then measures, for each folder, the CPU seconds, wall seconds and peak RSS of:

  * kerascope check -j1 and -j2 (the release binary; build it first: cargo build --release)
  * an h5py script that reads the same metadata (model config, every dataset's shape and dtype)
  * optionally Keras: load_model(compile=False) + count_params() per file (--with-keras)

and prints the ratios. It also writes a 2 GB legacy .h5 model (a Dense whose kernel is
16384 x 32768 float32, zeros) and reports kerascope's peak RSS on it.

Run from the repository root with the fixture venv (h5py, and keras for --with-keras):

    cargo build --release
    /tmp/kvenv/bin/python scripts/bench.py [--with-keras] [--work /tmp/kerascope-bench]

OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are irrelevant here (no numpy math is timed).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "kerascope")

H5PY_SCRIPT = r'''
import json, os, sys, zipfile, io
import h5py

def datasets(h5):
    out = []
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out.append((name, obj.shape, str(obj.dtype)))
    h5.visititems(visit)
    return out

total = 0
for root, _, files in os.walk(sys.argv[1]):
    for name in sorted(files):
        path = os.path.join(root, name)
        try:
            with open(path, "rb") as f:
                head = f.read(8)
            if head.startswith(b"\x89HDF"):
                with h5py.File(path, "r") as h5:
                    config = h5.attrs.get("model_config")
                    if config is not None:
                        json.loads(config)
                    total += len(datasets(h5))
            elif head.startswith(b"PK"):
                with zipfile.ZipFile(path) as z:
                    json.loads(z.read("config.json"))
                    with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as h5:
                        total += len(datasets(h5))
        except Exception as e:
            print(f"{path}: {e}", file=sys.stderr)
print(total)
'''

KERAS_SCRIPT = r'''
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
total = 0
for root, _, files in os.walk(sys.argv[1]):
    for name in sorted(files):
        path = os.path.join(root, name)
        if not (name.endswith(".keras") or name.endswith(".h5")) or name.endswith(".weights.h5"):
            continue
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
            total += model.count_params()
        except Exception as e:
            print(f"{path}: {type(e).__name__}", file=sys.stderr)
print(total)
'''


def sources():
    """Readable, benign Keras files: fixtures (not bad/, hostile/) and corpus files marked safe."""
    files = []
    fixtures = os.path.join(ROOT, "fixtures")
    for name in sorted(os.listdir(fixtures)):
        path = os.path.join(fixtures, name)
        if os.path.isfile(path) and not name.endswith((".md", ".json")) and not name.startswith("seed_"):
            files.append(path)
    corpus = os.path.join(ROOT, "..", "shared", "corpus")
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    for entry in manifest:
        if entry.get("malicious") or entry.get("do_not_load"):
            continue
        files.append(os.path.join(corpus, "files", entry["file"]))
    return files


def build_folder(target, count):
    if os.path.isdir(target):
        shutil.rmtree(target)
    os.makedirs(target)
    files = sources()
    for i in range(count):
        source = files[i % len(files)]
        name = f"{i:05d}_{os.path.basename(source)}"
        shutil.copyfile(source, os.path.join(target, name))
    return target


def measure(argv, env=None):
    """CPU seconds (user+sys), wall seconds, peak RSS (MB) of one child process.

    Linux carries the parent's peak RSS into a child's ru_maxrss (the child starts as a copy
    of this Python process), so the peak RSS comes from GNU time when it is installed, which
    measures from its own small process; otherwise it is ru_maxrss, a ceiling.
    """
    gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    rss_file = None
    if gnu_time:
        rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"kerascope-bench-rss-{os.getpid()}")
        argv = [gnu_time, "-q", "-f", "%M", "-o", rss_file] + argv
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    rss = usage.ru_maxrss / 1024.0
    if rss_file:
        try:
            rss = int(open(rss_file).read().split()[-1]) / 1024.0
        except (OSError, ValueError, IndexError):
            pass
    return usage.ru_utime + usage.ru_stime, wall, rss, os.waitstatus_to_exitcode(status)


def best_of(n, commands):
    """For each named command: the least CPU time, the least wall time and the peak RSS of
    `n` runs, after one warm-up run each (page cache, binary, Python imports). The commands
    take turns, round after round, so that a slow spell of the machine falls on all of them
    alike; on a shared virtual machine a run is only ever slowed down by its neighbours, so
    each measure's minimum is its best estimate."""
    for argv, env in commands.values():
        measure(argv, env)
    runs = {name: [] for name in commands}
    for _ in range(n):
        for name, (argv, env) in commands.items():
            runs[name].append(measure(argv, env))
    return {
        name: (
            min(r[0] for r in rs),
            min(r[1] for r in rs),
            max(r[2] for r in rs),
            rs[-1][3],
        )
        for name, rs in runs.items()
    }


BIG_MODEL_SCRIPT = r'''
import json, sys
import h5py
import numpy as np
path = sys.argv[1]
config = {
    "class_name": "Sequential",
    "config": {"name": "big", "layers": [
        {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [None, 16384], "dtype": "float32"}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 32768, "use_bias": True}},
    ]},
}
with h5py.File(path, "w") as h5:
    h5.attrs["keras_version"] = b"2.21.0"
    h5.attrs["backend"] = b"tensorflow"
    h5.attrs["model_config"] = json.dumps(config).encode()
    weights = h5.create_group("model_weights")
    weights.attrs["layer_names"] = np.array([b"dense"])
    group = weights.create_group("dense")
    group.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
    kernel = group.create_dataset("dense/kernel:0", shape=(16384, 32768), dtype="float32")
    row = np.zeros((256, 32768), dtype="float32")
    for start in range(0, 16384, 256):
        kernel[start:start + 256] = row
    group.create_dataset("dense/bias:0", data=np.zeros(32768, dtype="float32"))
'''


def make_big_model(path):
    """Written by a child process, so that h5py and NumPy never load into this one."""
    subprocess.run([sys.executable, "-c", BIG_MODEL_SCRIPT, path], check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--with-keras", action="store_true")
    parser.add_argument("--work", default="/tmp/kerascope-bench")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if not os.path.exists(BINARY):
        sys.exit("build first: cargo build --release")
    os.makedirs(args.work, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    h5py_script = os.path.join(args.work, "h5py_meta.py")
    keras_script = os.path.join(args.work, "keras_count.py")
    open(h5py_script, "w").write(H5PY_SCRIPT)
    open(keras_script, "w").write(KERAS_SCRIPT)

    print(f"{'folder':>8} {'tool':<24} {'CPU s':>8} {'wall s':>8} {'RSS MB':>8}")
    report = {}
    for count in (200, 2000):
        folder = build_folder(os.path.join(args.work, f"models_{count}"), count)
        os.sync()  # the copies written back before anything is timed
        rows = best_of(args.repeat, {
            "kerascope -j1": ([BINARY, "check", "-j1", "--no-progress", "--format", "json", folder], None),
            "kerascope -j2": ([BINARY, "check", "-j2", "--no-progress", "--format", "json", folder], None),
            "h5py metadata script": ([sys.executable, h5py_script, folder], env),
        })
        if args.with_keras and count == 200:
            rows["keras load+count_params"] = measure([sys.executable, keras_script, folder], env)
        for tool, (cpu, wall, rss, _) in rows.items():
            print(f"{count:>8} {tool:<24} {cpu:>8.3f} {wall:>8.3f} {rss:>8.1f}")
        k1 = rows["kerascope -j1"]
        k2 = rows["kerascope -j2"]
        h5 = rows["h5py metadata script"]
        ratios = {
            "h5py CPU / kerascope CPU": h5[0] / max(k1[0], 1e-9),
            "kerascope -j1 wall / -j2 wall": k1[1] / max(k2[1], 1e-9),
        }
        if "keras load+count_params" in rows:
            ratios["Keras CPU / kerascope CPU"] = rows["keras load+count_params"][0] / max(k1[0], 1e-9)
        for name, value in ratios.items():
            print(f"{count:>8} {name:<32} {value:>8.2f}x")
        report[count] = {"rows": rows, "ratios": ratios}

    big = os.path.join(args.work, "big_2gb.h5")
    if not os.path.exists(big):
        make_big_model(big)
    cpu, wall, rss, code = best_of(args.repeat, {"big": ([BINARY, "check", "--no-progress", big], None)})["big"]
    size = os.path.getsize(big) / 1e9
    print(f"2 GB model ({size:.2f} GB): kerascope check {wall * 1000:.1f} ms, peak RSS {rss:.1f} MB, exit {code}")
    report["big"] = {"bytes": os.path.getsize(big), "wall": wall, "rss_mb": rss, "exit": code}
    with open(os.path.join(args.work, "bench.json"), "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
