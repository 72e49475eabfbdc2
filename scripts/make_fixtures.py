#!/usr/bin/env python3
"""Regenerate kerascope's test fixtures (fixtures/**) and their truth JSON.

Pinned environment -- the script refuses to run with anything else:

    Python 3.11, keras 3.15.1, tensorflow-cpu 2.21.0, tf-keras 2.21.0, h5py 3.14.0
    (numpy 2.4.6 and rich 15.0.0 were used; other versions only trigger a warning)

Create the venv (outside the repository; never commit it):

    python3.11 -m venv /tmp/kvenv
    /tmp/kvenv/bin/pip install keras==3.15.1 tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py==3.14.0

Run from the repository root:

    /tmp/kvenv/bin/python scripts/make_fixtures.py            # everything (~20 s on 2 cores)
    /tmp/kvenv/bin/python scripts/make_fixtures.py --only tfk_chunked,bad

Families (one function each, see scripts/fixtures/):
    k3_keras_zips, k3_legacy_h5, k3_weights_h5, k3_sharded, k3_windows_backslash  (fixtures/k3.py)
    tfk_legacy_h5, tfk_weights_only, tfk_keras_zip, tfk_chunked, seed           (fixtures/tfk.py)
    bad                                                                          (fixtures/bad.py)

Every model is built after clear_session() + set_random_seed(<fixed seed>), so
weights, names and truth files are reproducible; only the `date_saved` field of
.keras metadata.json changes between runs.  A full run deletes fixtures/ first.

For each good fixture fixtures/NAME the script writes fixtures/truth/NAME.json
(schema in fixtures/README.md) and self-checks it: every stored dataset is
attributed to a top-level layer (or to the optimizer), its values match one of
that layer's weights, and the stored sizes add up to layer.count_params() and
model.count_params() (LoRA and SpectralNormalization differences are recorded
as notes instead).
"""

import argparse
import os
import shutil
import sys
import time

# Must be set before TensorFlow / Keras are imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["KERAS_BACKEND"] = "tensorflow"
# model.summary() in Keras 3 renders with rich, whose console width comes from
# the terminal; pin it so the captured text uses Keras' default line_length.
os.environ["COLUMNS"] = "200"

PINNED = {
    "keras": "3.15.1",
    "tensorflow": "2.21.0",
    "tf_keras": "2.21.0",
    "h5py": "3.14.0",
}
SOFT = {"numpy": "2.4.6"}


def check_versions():
    import importlib
    from importlib import metadata

    bad = []
    for mod, want in PINNED.items():
        try:
            have = importlib.import_module(mod).__version__
        except ImportError:
            have = "not installed"
        if have != want:
            bad.append(f"{mod} {have} (need {want})")
    try:
        metadata.version("tensorflow-cpu")
    except metadata.PackageNotFoundError:
        bad.append("tensorflow-cpu is not installed")
    if bad:
        sys.exit("refusing to run, wrong versions: " + ", ".join(bad))
    import numpy

    if numpy.__version__ != SOFT["numpy"]:
        print(f"warning: numpy {numpy.__version__} (fixtures were made with {SOFT['numpy']})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated family names (default: all, after wiping fixtures/)")
    args = ap.parse_args()

    check_versions()
    sys.dont_write_bytecode = True  # keep scripts/fixtures/ free of __pycache__
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fixtures import bad, common, k3, readme, tfk

    families = k3.FAMILIES + tfk.FAMILIES + bad.FAMILIES
    names = [n for n, _ in families]
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        unknown = [w for w in wanted if w not in names]
        if unknown:
            sys.exit(f"unknown families {unknown}; choose from {names}")
    else:
        wanted = names
        if os.path.isdir(common.FIX):
            for entry in os.listdir(common.FIX):
                # fixtures/real/ comes from scripts/make_real_patterns.py (other venvs).
                if entry == "real":
                    continue
                path = os.path.join(common.FIX, entry)
                if os.path.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
    os.makedirs(common.TRUTH, exist_ok=True)
    os.makedirs(common.BAD, exist_ok=True)

    t0 = time.time()
    for name, fn in families:
        if name in wanted:
            t = time.time()
            fn()
            print(f"[{time.time() - t0:6.1f}s] {name} done in {time.time() - t:.1f}s", flush=True)
    if not args.only:
        readme.write_readme()
        print(f"wrote {os.path.join(common.FIX, 'README.md')}")
    else:
        print("(partial run: fixtures/README.md not rewritten)")


if __name__ == "__main__":
    main()
