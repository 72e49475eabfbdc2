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
    start = time.perf_counter()
    workers = [threading.Thread(target=summarize_all, args=(c, kerascope)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


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
        total_ks = total_keras = 0.0
        print(f"{'file':34} {'kerascope ms':>12} {'keras ms':>10} {'ratio':>8}  params")
        for name in KERAS_FILES:
            path = os.path.join(FIXTURES, name)
            ks_params = kerascope.summary(path).total_params
            keras_params = keras.saving.load_model(path, compile=False).count_params()
            t_ks = cpu(lambda: kerascope.summary(path).total_params, args.rounds * 10)
            t_keras = cpu(
                lambda: keras.saving.load_model(path, compile=False).count_params(), args.rounds
            )
            keras.backend.clear_session()
            total_ks += t_ks
            total_keras += t_keras
            same = "same" if ks_params == keras_params else f"DIFFER: {ks_params} vs {keras_params}"
            print(
                f"{name:34} {t_ks * 1000:12.2f} {t_keras * 1000:10.1f} {t_keras / t_ks:8.0f}x  {same}"
            )
        print(
            f"{'all ' + str(len(KERAS_FILES)) + ' files':34} {total_ks * 1000:12.2f}"
            f" {total_keras * 1000:10.1f} {total_keras / total_ks:8.0f}x less CPU"
        )

    paths = folder_files()
    summarize_all(paths, kerascope)  # page cache warm
    one = min(threads_wall(paths, kerascope, 1, 5) for _ in range(args.rounds))
    two = min(threads_wall(paths, kerascope, 2, 5) for _ in range(args.rounds))
    print(
        f"summary() over {len(paths)} files x 5: 1 thread {one:.2f} s, 2 threads {two:.2f} s"
        f" ({one / two:.2f}x; {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
