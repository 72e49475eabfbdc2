"""Benchmark of the Python package, in one run:

  * kerascope.summary(path) in-process against keras.saving.load_model(path, compile=False)
    + count_params() on the same fixtures (CPU seconds of this process, every thread counted,
    best of several rounds; Keras imported before timing, its import time shown apart);
  * the import time of kerascope (a fresh interpreter each time, best of 15);
  * kerascope.summary over a folder (fixtures/ and ../shared/corpus, read statically) on one
    thread against two threads (wall time): the GIL is released during analysis.

Run with a venv that has Keras and the kerascope wheel (pip install . into it):

    /tmp/kvenv/bin/pip install .
    /tmp/kvenv/bin/python scripts/bench_python.py

Only the committed fixtures (made by scripts/make_fixtures.py) are given to Keras: the shared
corpus holds files from strangers and hostile files, never loaded with Keras.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "files")
# Full models Keras 3 loads without custom objects or unsafe deserialization.
KERAS_FILES = [
    "seed_lstm_4096.h5",
    "k3_attention_norm.keras",
    "k3_conv.keras",
    "k3_functional_branches.keras",
    "k3_functional_nested.keras",
    "k3_recurrent.keras",
    "k3_sequential_basic.keras",
    "k3_sequential_fit.keras",
    "tfk_sequential_basic.h5",
    "tfk_conv.h5",
    "tfk_recurrent.h5",
]


def cpu(fn, rounds):
    """Best CPU seconds (user + system, all threads) of fn() over rounds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def import_time(python, rounds=15):
    code = "import time; t = time.perf_counter(); import kerascope; print(time.perf_counter() - t)"
    times = []
    for _ in range(rounds):
        out = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=True, cwd="/"
        )
        times.append(float(out.stdout))
    return min(times), statistics.median(times)


def folder_files():
    paths = []
    for folder in (FIXTURES, CORPUS):
        for root, _, names in os.walk(folder):
            paths.extend(os.path.join(root, n) for n in sorted(names) if not n.endswith((".md", ".json", ".txt")))
    return paths


def summarize_all(paths, kerascope):
    for path in paths:
        try:
            kerascope.summary(path)
        except kerascope.KerascopeError:
            pass


def threads_wall(paths, kerascope, threads, repeat):
    work = paths * repeat
    chunks = [work[i::threads] for i in range(threads)]
    start, cpu_start = time.perf_counter(), time.process_time()
    workers = [threading.Thread(target=summarize_all, args=(c, kerascope)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start, time.process_time() - cpu_start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras comparison")
    args = parser.parse_args()

    start = time.perf_counter()
    import kerascope

    print(f"kerascope {kerascope.__version__} ({kerascope.__file__})")
    best, median = import_time(sys.executable)
    print(f"import kerascope: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms (fresh interpreters)")

    if not args.no_keras:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        start = time.perf_counter()
        import keras

        print(f"import keras {keras.__version__}: {time.perf_counter() - start:.2f} s (not counted below)")
        loaders = {"keras": lambda path: keras.saving.load_model(path, compile=False)}
        try:
            import tf_keras

            # Files written by tf.keras are loaded by tf.keras (Keras 3 refuses some of their
            # configs, e.g. LSTM's time_major).
            loaders["tf_keras"] = lambda path: tf_keras.models.load_model(path, compile=False)
        except ImportError:
            pass
        total_ks = total_keras = 0.0
        print(f"{'file':34} {'loader':9} {'kerascope ms':>12} {'keras ms':>10} {'ratio':>8}  params")
        for name in KERAS_FILES:
            path = os.path.join(FIXTURES, name)
            loader = "keras" if name.startswith("k3_") else "tf_keras"
            if loader not in loaders:
                continue
            load = loaders[loader]
            ks_params = kerascope.summary(path).total_params
            keras_params = load(path).count_params()
            t_ks = cpu(lambda: kerascope.summary(path).total_params, args.rounds * 10)
            t_keras = cpu(lambda: load(path).count_params(), args.rounds)
            keras.backend.clear_session()
            total_ks += t_ks
            total_keras += t_keras
            same = "same" if ks_params == keras_params else f"DIFFER: {ks_params} vs {keras_params}"
            print(
                f"{name:34} {loader:9} {t_ks * 1000:12.2f} {t_keras * 1000:10.1f}"
                f" {t_keras / t_ks:8.0f}x  {same}"
            )
        print(
            f"{'all ' + str(len(KERAS_FILES)) + ' files':44} {total_ks * 1000:12.2f}"
            f" {total_keras * 1000:10.1f} {total_keras / total_ks:8.0f}x less CPU"
        )

    paths = folder_files()
    summarize_all(paths, kerascope)  # page cache warm
    (one, one_cpu) = min(threads_wall(paths, kerascope, 1, 5) for _ in range(args.rounds))
    (two, two_cpu) = min(threads_wall(paths, kerascope, 2, 5) for _ in range(args.rounds))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    # CPU/wall shows how much of two cores the process was given: on a busy machine the
    # wall-time ratio says more about the neighbours than about the GIL.
    print(
        f"summary() over {len(paths)} files x 5: 1 thread {one:.2f} s (CPU {one_cpu:.2f} s),"
        f" 2 threads {two:.2f} s (CPU {two_cpu:.2f} s): {one / two:.2f}x"
        f" ({os.cpu_count()} cores, load average {load:.1f})"
    )
    # Whatever the machine's load: a pure-Python thread keeps its pace while another thread
    # is inside kerascope (it would stop dead if the call held the GIL).
    folders = [FIXTURES, os.path.dirname(CORPUS)]
    idle = python_pace(lambda: time.sleep(1.0))
    busy = python_pace(lambda: kerascope.check(folders, deep=True, jobs=1))
    print(
        f"a Python thread's pace while another runs kerascope.check(): {busy / idle:.0%}"
        " of its pace beside time.sleep() (0% if the GIL were held)"
    )


def python_pace(during):
    """Loop iterations per second of a Python thread while during() runs in this one."""
    state = {"stop": False, "count": 0}

    def spin():
        while not state["stop"]:
            state["count"] += 1

    spinner = threading.Thread(target=spin)
    start = time.perf_counter()
    spinner.start()
    during()
    state["stop"] = True
    spinner.join()
    return state["count"] / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
