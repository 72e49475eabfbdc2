"""Remote reading benchmark (not a timed test): kerascope over HTTP with 50 ms added to
every request, against downloading each file whole, in the same run.

  /tmp/kvenv/bin/python scripts/bench_remote.py [--work DIR] [--latency 0.05]

Needs keras 3 and h5py (the /tmp/kvenv of fixtures/README.md) to write the large model, and
a built kerascope (target/release, else target/debug). Measures:

1. a 2 GB `.keras`: a Dense(32768 -> 16384) model saved by Keras, its kernel widened in the
   weights file as Keras lays it out (contiguous float32 dataset in `model.weights.h5`, a
   stored zip member). The kernel's bytes are never written: the file is sparse, so it costs
   no disk and no time. Target: summarized in <= 8 requests and <= 256 KiB fetched.
2. 1,000 small model files (the committed fixtures, copied round-robin). Target: <= 10 s.

The server (scripts/remote/range_server.py --latency) sleeps before answering each request:
that is the round trip a distant store costs. Requests and bytes are counted by the server.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "fixtures")
IN_DIM, UNITS = 32768, 16384


class SparseWriter:
    """A seekable file whose all-zero writes become holes."""

    def __init__(self, f):
        self.f = f

    def write(self, b):
        b = bytes(b)
        if len(b) >= 4096 and b.count(0) == len(b):
            self.f.seek(len(b), os.SEEK_CUR)
        else:
            self.f.write(b)
        return len(b)

    def close(self):
        end = self.f.tell()
        self.f.truncate(max(end, os.fstat(self.f.fileno()).st_size))
        self.f.close()

    def __getattr__(self, name):
        return getattr(self.f, name)


def make_big_keras(path):
    """Keras writes the small model; its weights file is redone at full width with h5py."""
    import h5py
    import keras

    work = tempfile.mkdtemp()
    small = os.path.join(work, "small.keras")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="dense")])
    model.save(small)
    with zipfile.ZipFile(small) as zf:
        names = zf.namelist()
        members = {n: zf.read(n) for n in names}
    config = json.loads(members["config.json"])
    layers = config["config"]["layers"]
    for layer in layers:
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_shape"] = [None, IN_DIM]
        if layer["class_name"] == "Dense":
            layer["config"]["units"] = UNITS
            if "build_config" in layer:
                layer["build_config"]["input_shape"] = [None, IN_DIM]
    if "build_config" in config:
        config["build_config"]["input_shape"] = [None, IN_DIM]
    members["config.json"] = json.dumps(config).encode()
    small_h5 = os.path.join(work, "small.weights.h5")
    with open(small_h5, "wb") as f:
        f.write(members["model.weights.h5"])
    big_h5 = os.path.join(work, "model.weights.h5")
    widen = {(8, 4): (IN_DIM, UNITS), (4,): (UNITS,)}
    with h5py.File(small_h5, "r") as src, h5py.File(big_h5, "w") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                g = dst.require_group(name)
                for k, v in obj.attrs.items():
                    g.attrs[k] = v
            else:
                shape = widen.get(obj.shape, obj.shape)
                space = h5py.h5s.create_simple(shape)
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                # Allocated at creation and never filled: the bytes stay a hole.
                dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
                dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
                parent = dst.require_group(os.path.dirname(name) or "/")
                h5py.h5d.create(
                    parent.id, os.path.basename(name).encode(), h5py.h5t.py_create(obj.dtype), space, dcpl=dcpl
                )
                for k, v in obj.attrs.items():
                    dst[name].attrs[k] = v

        src.visititems(copy)
    with open(path, "wb") as raw:
        out = SparseWriter(raw)
        with zipfile.ZipFile(out, "w") as zf:  # ZIP_STORED, as Keras writes it
            for name in names:
                if name == "model.weights.h5":
                    zf.write(big_h5, name)
                else:
                    zf.writestr(name, members[name])
        out.close()
    shutil.rmtree(work)


def kerascope_binary():
    """$KERASCOPE, else the newer of target/release and target/debug."""
    if os.environ.get("KERASCOPE"):
        return os.environ["KERASCOPE"]
    built = [os.path.join(REPO, "target", p, "kerascope") for p in ("release", "debug")]
    built = [p for p in built if os.path.exists(p)]
    if not built:
        sys.exit("build kerascope first (cargo build --release)")
    return max(built, key=os.path.getmtime)


def stats(base):
    with urllib.request.urlopen(base + "/__stats") as r:
        s = json.load(r)
    return sum(s["requests"].values()), sum(s["bytes"].values())


def download(url, into=None):
    """GETs a whole object (into a file of folder `into`, or nowhere); its size."""
    n = 0
    out = open(os.path.join(into, os.path.basename(url)), "wb") if into else None
    with urllib.request.urlopen(url) as r:
        while chunk := r.read(1 << 20):
            n += len(chunk)
            if out:
                out.write(chunk)
    if out:
        out.close()
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/kerascope-bench-remote")
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--files", type=int, default=1000)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    big = os.path.join(args.work, "big.keras")
    if not os.path.exists(big):
        t = time.time()
        make_big_keras(big)
        print(f"wrote {big}: {os.path.getsize(big):,} bytes in {time.time() - t:.1f} s")
    small_dir = os.path.join(args.work, "small")
    if not os.path.isdir(small_dir) or len(os.listdir(small_dir)) != args.files:
        shutil.rmtree(small_dir, ignore_errors=True)
        os.makedirs(small_dir)
        models = sorted(
            n
            for n in os.listdir(FIXTURES)
            if n.endswith((".keras", ".h5")) and "shard" not in n
        )
        for i in range(args.files):
            name = models[i % len(models)]
            shutil.copy(os.path.join(FIXTURES, name), os.path.join(small_dir, f"m{i:04d}_{name}"))
    kerascope = kerascope_binary()
    port_file = os.path.join(args.work, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    server = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "scripts", "remote", "range_server.py"), args.work, port_file,
         "--latency", str(args.latency)]
    )
    try:
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.1)
        base = f"http://127.0.0.1:{open(port_file).read()}"
        report = {"latency_s": args.latency, "kerascope": kerascope}

        # 1. The large model, metadata only.
        r0, b0 = stats(base)
        t = time.time()
        out = subprocess.run([kerascope, "check", f"{base}/ok/big.keras", "--format", "json"],
                             capture_output=True, text=True)
        wall = time.time() - t
        r1, b1 = stats(base)
        entry = json.loads(out.stdout)["files"][0]
        t = time.time()
        summary = subprocess.run([kerascope, "summary", f"{base}/ok/big.keras"], capture_output=True, text=True)
        summary_wall = time.time() - t
        total_line = next((l for l in summary.stdout.splitlines() if "Total params" in l), summary.stderr)
        t = time.time()
        whole = download(f"{base}/ok/big.keras")
        whole_wall = time.time() - t
        report["big"] = {
            "size": os.path.getsize(big), "status": entry["status"], "total_params": entry["total_params"],
            "requests": r1 - r0, "bytes_fetched": b1 - b0, "reported_requests": entry.get("requests"),
            "reported_bytes_fetched": entry.get("bytes_fetched"), "check_wall_s": round(wall, 3),
            "summary_wall_s": round(summary_wall, 3), "summary_total_line": total_line.strip(),
            "download_whole_wall_s": round(whole_wall, 3), "download_whole_bytes": whole,
        }

        # 2. 1,000 small files, all in flight 32 at a time.
        urls = [f"{base}/ok/small/{n}" for n in sorted(os.listdir(small_dir))]
        r0, b0 = stats(base)
        t = time.time()
        out = subprocess.run([kerascope, "check", *urls, "--format", "json", "--no-progress"],
                             capture_output=True, text=True)
        wall = time.time() - t
        r1, b1 = stats(base)
        doc = json.loads(out.stdout)
        # The other way: download every file whole (32 at a time), then scan the copies.
        copies = os.path.join(args.work, "downloaded")
        shutil.rmtree(copies, ignore_errors=True)
        os.makedirs(copies)
        t = time.time()
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            downloaded = sum(pool.map(lambda u: download(u, copies), urls))
        whole_wall = time.time() - t
        t = time.time()
        subprocess.run([kerascope, "check", copies, "--format", "json", "--no-progress"],
                       capture_output=True, text=True)
        local_wall = time.time() - t
        shutil.rmtree(copies)
        report["small"] = {
            "files": len(urls), "analysed": doc["totals"]["analysed"] if "analysed" in doc["totals"] else None,
            "totals": doc["totals"], "requests": r1 - r0, "bytes_fetched": b1 - b0,
            "bytes_on_disk": sum(os.path.getsize(os.path.join(small_dir, n)) for n in os.listdir(small_dir)),
            "check_wall_s": round(wall, 3), "download_whole_wall_s": round(whole_wall, 3),
            "download_whole_bytes": downloaded, "then_local_check_wall_s": round(local_wall, 3),
        }
        print(json.dumps(report, indent=2))
        big_ok = report["big"]["requests"] <= 8 and report["big"]["bytes_fetched"] <= 256 * 1024
        small_ok = report["small"]["check_wall_s"] <= 10
        print(f"2 GB .keras: {report['big']['requests']} requests, {report['big']['bytes_fetched']:,} bytes "
              f"({'ok' if big_ok else 'OVER'} <= 8, <= 262,144); download whole {report['big']['download_whole_wall_s']} s")
        print(f"{len(urls)} small files: {report['small']['check_wall_s']} s ({'ok' if small_ok else 'OVER'} <= 10 s), "
              f"{report['small']['requests']} requests; download whole {report['small']['download_whole_wall_s']} s "
              f"+ local check {report['small']['then_local_check_wall_s']} s")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
