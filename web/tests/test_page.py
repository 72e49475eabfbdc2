"""The page in a real headless Chromium (Debian's, driven by Playwright for Python).

Serves target/web/ (scripts/build-web.sh) on 127.0.0.1 and checks what a person would: the seed
model's count and its arithmetic, a hostile file's finding, a clear error for a file that is not
Keras, the table of several files and the JSON report, a large model read by ranges, and that
no request leaves the page once it has loaded. Run by scripts/test-web.sh; prints timings and
closes with "N passed, N failed".

The expected numbers are Keras' own: 4,457,472 is model.count_params() of tf_keras 2.21.0
(fixtures/truth/seed_lstm_4096.h5.json), S101 and its layer come from
fixtures/hostile/expected.json; the large model's count is the element count h5py reports
for the datasets it wrote.
"""

import functools
import http.server
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback

from playwright.sync_api import expect, sync_playwright

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, "target", "web")
OUT = os.path.join(ROOT, "target", "web-test")
FIXTURES = os.path.join(ROOT, "fixtures")
SEED = os.path.join(FIXTURES, "seed_lstm_4096.h5")
HOSTILE = os.path.join(FIXTURES, "hostile", "k3_s101_lambda_top.keras")
RANDOM_BYTES = os.path.join(FIXTURES, "bad", "random_bytes.h5")
CHROMIUM = os.environ.get("KERASCOPE_CHROMIUM", "/usr/bin/chromium")
# Chromium calls home at start-up even with --disable-background-networking: a dead proxy on
# loopback swallows that, and the page's own traffic (to 127.0.0.1) bypasses it.
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
]
SEED_BUDGET_MS = 300
LARGE_BUDGET_MS = 1000


class Site(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".h5": "application/x-hdf5",
    }
    served = []

    def log_message(self, format, *args):
        Site.served.append(self.path)


def serve():
    handler = functools.partial(Site, directory=SITE)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_large_model(path):
    """A legacy .h5 Dense model whose kernel is a contiguous dataset of several hundred MB.
    Only its last row is written, so the file is sparse on disk and quick to make; its
    metadata sits at the start, its bulk in the middle, its bias at the end."""
    import h5py
    import numpy as np

    rows, units = 16384, 12288
    config = {
        "class_name": "Sequential",
        "config": {"name": "large", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [None, rows], "dtype": "float32"}},
            {"class_name": "Dense", "config": {"name": "dense", "units": units, "use_bias": True}},
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
        kernel = group.create_dataset("dense/kernel:0", shape=(rows, units), dtype="float32")
        kernel[rows - 1] = np.ones(units, dtype="float32")
        bias = group.create_dataset("dense/bias:0", data=np.zeros(units, dtype="float32"))
        return kernel.size + bias.size


class Tests:
    def __init__(self, context, url):
        self.context = context
        self.url = url
        self.page = context.new_page()
        self.errors = []
        self.requests = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        context.on("request", lambda r: self.requests.append(r.url))
        self.timings = {}

    def open(self):
        self.page.goto(self.url)
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)
        expect(self.page.locator("#status")).to_contain_text("Ready")

    def pick(self, *paths):
        self.page.locator("#files").set_input_files(list(paths))
        expect(self.page.locator("body")).to_have_attribute("data-state", "done", timeout=30_000)
        return self.page.locator("article.file")

    def test_page_loads_and_says_nothing_is_uploaded(self):
        self.open()
        expect(self.page.locator("#privacy")).to_contain_text("Nothing is uploaded")
        expect(self.page.locator("#example")).to_be_visible()
        assert self.page.locator("link[rel=icon]").get_attribute("href") == "data:,"

    def test_seed_model_shows_its_count_and_arithmetic(self):
        card = self.pick(SEED)
        expect(card).to_have_count(1)
        expect(card).to_have_attribute("data-status", "clean")
        expect(card.locator("table.summary")).to_contain_text("lstm (LSTM)")
        expect(card.locator("table.summary")).to_contain_text("(None, 256)")
        expect(card.locator("table.summary")).to_contain_text("4,457,472")
        expect(card.locator(".totals")).to_contain_text("Total params: 4,457,472 (17.00 MB)")
        expect(card).to_contain_text("legacy HDF5 full model")
        expect(card).to_contain_text("2.21.0")
        arithmetic = card.locator("tr.arithmetic")
        expect(arithmetic).to_be_hidden()
        card.get_by_role("button", name="Show arithmetic").click()
        expect(arithmetic).to_be_visible()
        expect(arithmetic).to_have_text("lstm = 4·((4096+1)·256 + 256²) = 4,457,472")
        os.makedirs(OUT, exist_ok=True)
        self.page.screenshot(path=os.path.join(OUT, "seed.png"), full_page=True)

    def test_seed_model_table_within_budget(self):
        times = []
        for _ in range(5):
            self.pick(SEED)
            times.append(float(self.page.locator("body").get_attribute("data-first-table-ms")))
        self.timings["seed pick to table (ms), 5 picks"] = times
        median = statistics.median(times)
        print(f"  seed model, pick to table: first {times[0]:.1f} ms, median {median:.1f} ms,"
              f" slowest {max(times):.1f} ms (budget {SEED_BUDGET_MS} ms)")
        # The median: the machine's cores are shared with builds that can stall one pick.
        assert median < SEED_BUDGET_MS, times

    def test_hostile_file_shows_its_code(self):
        card = self.pick(HOSTILE)
        expect(card).to_have_attribute("data-status", "dangerous")
        finding = card.locator("li.finding[data-code=S101]")
        expect(finding).to_be_visible()
        expect(finding).to_contain_text("evil_lambda")
        expect(finding).to_contain_text("CVE-2024-3660")
        expect(card.locator(".verdict")).to_contain_text("Dangerous")
        finding.locator("summary").click()
        expect(finding.locator(".rule")).to_contain_text("Why it matters")

    def test_non_keras_file_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as folder:
            notes = os.path.join(folder, "notes.txt")
            with open(notes, "w") as f:
                f.write("not a model, just some text\n" * 20)
            for path in (notes, RANDOM_BYTES):
                card = self.pick(path)
                expect(card).to_have_attribute("data-status", "unreadable")
                expect(card.locator(".verdict")).to_have_text(
                    "Unreadable: kerascope could not read this file as a Keras model")
                message = card.locator(".error-text").inner_text()
                print(f"  {os.path.basename(path)}: {message}")
                assert len(message) > 10, message

    def test_several_files_give_the_table_and_the_report(self):
        cards = self.pick(SEED, HOSTILE, RANDOM_BYTES)
        expect(cards).to_have_count(3)
        rows = self.page.locator("table.checks tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("4,457,472")
        expect(rows.nth(0)).to_contain_text("clean")
        expect(rows.nth(1)).to_contain_text("dangerous")
        expect(rows.nth(2)).to_contain_text("unreadable")
        expect(self.page.locator("table.checks tfoot")).to_contain_text("3 files")
        expect(self.page.locator(".exit")).to_contain_text("exit 2")
        with self.page.expect_download() as download:
            self.page.locator("#download").click()
        report = json.loads(open(download.value.path()).read())
        assert report["schema"] == "kerascope.check/1", report["schema"]
        assert [f["status"] for f in report["files"]] == ["clean", "findings", "error"], report["files"]
        assert report["files"][0]["total_params"] == 4457472
        assert any(f["code"] == "S101" for f in report["files"][1]["findings"])
        os.makedirs(OUT, exist_ok=True)
        self.page.screenshot(path=os.path.join(OUT, "screenshot.png"), full_page=True)

    def test_large_model_is_read_by_ranges(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "large_dense.h5")
            elements = make_large_model(path)
            size = os.path.getsize(path)
            card = self.pick(path)
            expect(card).to_have_attribute("data-status", "clean")
            expect(card.locator(".totals")).to_contain_text(f"Total params: {elements:,}")
            ms = float(self.page.locator("body").get_attribute("data-first-table-ms"))
            read = card.locator(".meta").inner_text()
            print(f"  large model ({size / 2**20:.0f} MiB): pick to table {ms:.1f} ms; {' '.join(read.split())}")
            self.timings["large model pick to table (ms)"] = ms
            assert size > 500 * 2**20, size
            assert ms < LARGE_BUDGET_MS, ms

    def test_dropped_files_are_analysed(self):
        # A drop as the browser makes it from a file manager's selection (folders arrive as
        # entries, walked by the page; a script cannot make those).
        self.page.evaluate(
            """(bytes) => {
                const data = new DataTransfer();
                data.items.add(new File([new Uint8Array(bytes)], "dropped.keras"));
                document.getElementById("dropzone").dispatchEvent(
                    new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
            }""",
            list(open(HOSTILE, "rb").read()),
        )
        card = self.page.locator("article.file")
        expect(card.locator("h2")).to_have_text("dropped.keras")
        expect(card).to_have_attribute("data-status", "dangerous")
        expect(card.locator("li.finding[data-code=S101]")).to_be_visible()

    def test_example_button(self):
        self.page.locator("#example").click()
        expect(self.page.locator("body")).to_have_attribute("data-state", "done", timeout=30_000)
        expect(self.page.locator("article.file table.summary")).to_contain_text("4,457,472")


def main():
    if not os.path.exists(os.path.join(SITE, "index.html")):
        sys.exit("build the site first: scripts/build-web.sh")
    server = serve()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    passed = failed = 0
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS, accept_downloads=True,
            viewport={"width": 1200, "height": 900},
        )
        tests = Tests(context, url)
        order = [
            "test_page_loads_and_says_nothing_is_uploaded",
            # From here on no request may leave the page: picked files are read locally.
            "test_seed_model_shows_its_count_and_arithmetic",
            "test_seed_model_table_within_budget",
            "test_hostile_file_shows_its_code",
            "test_non_keras_file_is_a_clear_error",
            "test_several_files_give_the_table_and_the_report",
            "test_large_model_is_read_by_ranges",
            "test_dropped_files_are_analysed",
            "test_no_request_after_load",
            "test_no_console_error",
            "test_example_button",
        ]
        loaded_requests = None
        for name in order:
            started = time.perf_counter()
            try:
                if name == "test_no_request_after_load":
                    after = [u for u in tests.requests[loaded_requests:] if not u.startswith(("blob:", "data:"))]
                    assert after == [], after
                elif name == "test_no_console_error":
                    assert tests.errors == [], tests.errors
                else:
                    getattr(tests, name)()
                if name == "test_page_loads_and_says_nothing_is_uploaded":
                    loaded_requests = len(tests.requests)
                    print(f"  requests while loading: {tests.requests}")
                passed += 1
                print(f"ok     {name} ({time.perf_counter() - started:.2f} s)")
            except Exception:
                failed += 1
                print(f"FAILED {name}")
                traceback.print_exc()
                if name == order[0]:
                    failed += len(order) - 1
                    print("the page did not load: the other tests are not run")
                    break
        os.makedirs(OUT, exist_ok=True)
        tests.page.screenshot(path=os.path.join(OUT, "example.png"), full_page=True)
        context.close()
    server.shutdown()
    with open(os.path.join(OUT, "timings.json"), "w") as f:
        json.dump(tests.timings, f, indent=1)
    print(f"screenshots: {OUT}/")
    print(f"web: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
