"""Check `kerascope upgrade` on your own files: each upgraded copy loaded by Keras 3 against the
original loaded by tf_keras (parameter count and every weight).

    /tmp/kvenv/bin/python scripts/check_upgrades.py FOLDER [--kerascope target/debug/kerascope]
        [--output-format keras|h5]

The copies are Keras 3 `.keras` archives, as `upgrade` writes by default (`--output-format h5`:
legacy `.h5` copies).

Needs a venv with keras 3, tf_keras and tensorflow (see fixtures/README.md). Loading runs the
model's config: run it only on files you trust (kerascope itself never loads anything).
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

LOADER = r"""
import hashlib, json, sys, warnings
warnings.filterwarnings("ignore")
which, path = sys.argv[1], sys.argv[2]
if which == "keras3":
    import keras
else:
    import tf_keras as keras
try:
    model = keras.models.load_model(path, compile=False)
    weights = sorted([list(w.shape), hashlib.sha256(w.tobytes()).hexdigest()] for w in model.get_weights())
    print(json.dumps({"loaded": True, "count_params": int(model.count_params()), "weights": weights}))
except BaseException as e:
    print(json.dumps({"loaded": False, "error": f"{type(e).__name__}: {e}"[:300]}))
"""


def load(which, path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", LOADER, which, path], capture_output=True, text=True, env=env)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else {"loaded": False, "error": out.stderr[-300:]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--kerascope", default="target/debug/kerascope")
    ap.add_argument("--output-format", choices=["keras", "h5"], default="keras")
    args = ap.parse_args()
    counts = {"candidates": 0, "upgraded": 0, "verified": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for dirpath, _, files in os.walk(args.folder):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                compat = subprocess.run([args.kerascope, "compat", "--format", "json", path],
                                        capture_output=True, text=True)
                try:
                    verdict = json.loads(compat.stdout)["files"][0]["verdict"]
                except (ValueError, KeyError, IndexError):
                    continue
                if verdict != "fails":
                    continue
                original = load("tf_keras", path)
                if not original["loaded"]:
                    continue
                counts["candidates"] += 1
                out = os.path.join(tmp, hashlib.sha256(path.encode()).hexdigest()[:16] + "." + args.output_format)
                done = subprocess.run([args.kerascope, "upgrade", path, "-o", out], capture_output=True, text=True)
                if done.returncode != 0:
                    print(f"refused  {path}: {done.stderr.strip().splitlines()[0]}")
                    continue
                counts["upgraded"] += 1
                upgraded = load("keras3", out)
                same = upgraded.get("weights") == original["weights"] and \
                    upgraded.get("count_params") == original["count_params"]
                counts["verified"] += bool(upgraded["loaded"] and same)
                status = "ok      " if upgraded["loaded"] and same else "MISMATCH"
                print(f"{status} {path}: {upgraded.get('error') or upgraded['count_params']} parameters")
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
