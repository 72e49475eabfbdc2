"""kerascope against real servers on 127.0.0.1 (run by scripts/test-remote.sh): moto_server
as S3, and scripts/remote/range_server.py as an HTTP server honouring Range with its
misbehaving modes. Every remote result must equal the local scan's, file by file.

  python test_remote.py KERASCOPE_BINARY
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "fixtures")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
KERASCOPE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "kerascope"
ENV, HTTP = dict(os.environ), ""
BUCKET = "models"
# What may differ between a remote entry and a local one.
VARYING = {"file", "seconds", "bytes_fetched", "requests"}

passed, failed = 0, 0


def test(fn):
    global passed, failed
    t = time.time()
    try:
        fn()
        passed += 1
        print(f"ok   {fn.__name__} ({time.time() - t:.1f} s)", flush=True)
    except Exception:
        failed += 1
        print(f"FAIL {fn.__name__}", flush=True)
        traceback.print_exc()
    return fn


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # answering, even with an error
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def run(*args, cwd=REPO, expect=None, timeout=300):
    done = subprocess.run([KERASCOPE, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=ENV)
    if expect is not None and done.returncode not in expect:
        raise AssertionError(f"kerascope {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


def check_json(*args, expect=(0, 1, 2)):
    return json.loads(run("check", *args, "--format", "json", "--no-progress", "--exit-zero",
                          expect=expect).stdout)


def same(local, remote, what):
    a = {k: v for k, v in local.items() if k not in VARYING}
    b = {k: v for k, v in remote.items() if k not in VARYING}
    assert a == b, f"{what}: local {json.dumps(a)[:600]}\n remote {json.dumps(b)[:600]}"


def http_stats():
    with urllib.request.urlopen(HTTP + "/__stats") as r:
        return json.load(r)


def main():
    """Dask's worker processes import this module again: nothing runs at import."""
    global ENV, HTTP
    # --- servers --------------------------------------------------------------------------
    procs = []
    tmp = tempfile.mkdtemp(prefix="kerascope-remote-")
    s3_port = free_port()
    procs.append(subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "moto_server"),
                                   "-H", "127.0.0.1", "-p", str(s3_port)],
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "moto.log"), "w")))
    port_file = os.path.join(tmp, "http.port")
    procs.append(subprocess.Popen([sys.executable, os.path.join(HERE, "range_server.py"), FIXTURES, port_file]))
    ENV = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}", AWS_ALLOW_HTTP="true", NO_COLOR="1")
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        ENV.pop(key, None)
    os.environ.update({k: ENV[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                                           "AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP")})
    try:
        wait_for(f"http://127.0.0.1:{s3_port}/")
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.1)
        HTTP = f"http://127.0.0.1:{open(port_file).read()}"
        wait_for(HTTP + "/__stats")

        import boto3

        s3 = boto3.client("s3", endpoint_url=ENV["AWS_ENDPOINT_URL"])
        s3.create_bucket(Bucket=BUCKET)
        uploaded = []
        for folder, _, files in os.walk(FIXTURES):
            for name in files:
                path = os.path.join(folder, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    rel = os.path.relpath(path, REPO)
                    s3.upload_file(path, BUCKET, rel)
                    uploaded.append(rel)
        print(f"uploaded {len(uploaded)} files to s3://{BUCKET}/fixtures/", flush=True)

        LOCAL = check_json("fixtures")
        REMOTE = check_json(f"s3://{BUCKET}/fixtures/")
        local_by = {e["file"]: e for e in LOCAL["files"]}
        remote_by = {e["file"].removeprefix(f"s3://{BUCKET}/"): e for e in REMOTE["files"]}
        TOP = sorted(n for n in os.listdir(FIXTURES) if os.path.isfile(os.path.join(FIXTURES, n)))

        @test
        def bucket_scan_matches_the_local_scan_file_by_file():
            assert len(local_by) > 30, len(local_by)
            assert sorted(local_by) == sorted(remote_by), set(local_by) ^ set(remote_by)
            for name, local in local_by.items():
                same(local, remote_by[name], name)
            assert LOCAL["totals"] == REMOTE["totals"], (LOCAL["totals"], REMOTE["totals"])

        @test
        def remote_entries_report_bytes_fetched_and_requests():
            for e in REMOTE["files"]:
                # A small object is read whole in one request, never more than it holds (a
                # sharded index reads its shards too); an empty one needs none.
                if e["bytes"] == 0:
                    assert e["requests"] == 0, e
                    continue
                assert e["requests"] >= 1 and e["bytes_fetched"] > 0, e
                if e["bytes"] <= 256 * 1024 and e["format"] != "keras3-weights-sharded":
                    assert e["requests"] == 1 and e["bytes_fetched"] == e["bytes"], e
            for e in LOCAL["files"]:
                assert "requests" not in e and "bytes_fetched" not in e, e

        @test
        def http_urls_match_the_local_scan():
            names = [n for n in TOP if n != "README.md"]
            local = check_json(*[f"fixtures/{n}" for n in names])["files"]
            remote = check_json(*[f"{HTTP}/ok/{n}" for n in names])["files"]
            assert len(local) == len(remote) == len(names)
            for n, a, b in zip(names, local, remote):
                same(a, b, n)
                assert b["file"] == f"{HTTP}/ok/{n}"
                # Named without a listing: a suffix request gives size and tail, one more the rest.
                small = b["bytes"] <= 256 * 1024 and b["format"] != "keras3-weights-sharded"
                assert b["requests"] <= 2 or not small, b

        @test
        def summary_inspect_and_diff_read_remote_files_like_local_ones():
            for name in ("k3_functional_nested.keras", "seed_lstm_4096.h5", "k3_sharded.weights.json",
                         "tfk_sequential_basic.h5"):
                if not os.path.exists(os.path.join(FIXTURES, name)):
                    continue
                for command in (["summary", "--format", "json"], ["inspect", "--format", "json"]):
                    local = run(*command, f"fixtures/{name}", expect=(0,)).stdout
                    for url in (f"s3://{BUCKET}/fixtures/{name}", f"{HTTP}/ok/{name}"):
                        remote = run(*command, url, expect=(0,)).stdout
                        assert remote.replace(url, f"fixtures/{name}") == local, (command, url)
            done = run("diff", f"s3://{BUCKET}/fixtures/k3_conv.keras", f"{HTTP}/ok/k3_conv.keras", expect=(0,))
            assert "equivalent" in done.stdout.lower() or done.returncode == 0

        @test
        def sharded_weights_are_found_beside_their_index():
            for url in (f"s3://{BUCKET}/fixtures/k3_sharded.weights.json", f"{HTTP}/ok/k3_sharded.weights.json"):
                e = check_json(url)["files"][0]
                same(check_json("fixtures/k3_sharded.weights.json")["files"][0], e, url)
                assert e["status"] != "error", e
                assert e["requests"] >= 4, e  # the index and its three shards

        @test
        def a_500_is_retried():
            before = http_stats()["requests"].get("flaky", 0)
            e = check_json(f"{HTTP}/flaky/k3_conv.keras")["files"][0]
            same(check_json("fixtures/k3_conv.keras")["files"][0], e, "flaky")
            assert http_stats()["requests"]["flaky"] - before >= e["requests"] + 1

        @test
        def a_request_that_times_out_is_retried():
            t = time.time()
            e = check_json(f"{HTTP}/stall/k3_conv.keras", "--request-timeout", "1")["files"][0]
            same(check_json("fixtures/k3_conv.keras")["files"][0], e, "stall")
            assert time.time() - t < 9, time.time() - t

        @test
        def missing_and_forbidden_objects_are_clear_per_file_errors():
            doc = check_json(f"{HTTP}/ok/absent.keras", f"{HTTP}/forbidden/k3_conv.keras",
                             f"s3://{BUCKET}/fixtures/absent.keras", f"{HTTP}/ok/k3_conv.keras")
            errors = [e["error"] for e in doc["files"]]
            assert "not found (HTTP 404)" in errors[0], errors
            assert "access denied (HTTP 403)" in errors[1], errors
            assert "not found (HTTP 404)" in errors[2], errors
            assert doc["files"][3]["status"] == "clean", doc["files"][3]
            done = run("summary", f"{HTTP}/ok/absent.keras", expect=(2,))
            assert "not found (HTTP 404)" in done.stderr, done.stderr
            done = run("check", f"s3://no-such-bucket-here/x.keras", expect=(2,))
            assert "404" in done.stdout + done.stderr or "not found" in (done.stdout + done.stderr).lower()

        @test
        def a_server_ignoring_range_is_refused_without_reading_the_body():
            big = "seed_lstm_4096.h5"
            t = time.time()
            e = check_json(f"{HTTP}/ignore-range/{big}")["files"][0]
            assert e["status"] == "error" and "ignored Range" in e["error"], e
            assert e["bytes_fetched"] == 0, e
            assert time.time() - t < 20

        @test
        def a_truncated_response_is_an_error():
            e = check_json(f"{HTTP}/truncate/k3_conv.keras", "--max-retries", "1")["files"][0]
            assert e["status"] == "error" and "truncated" in e["error"], e

        @test
        def shards_split_listings_into_disjoint_complete_parts():
            for root, by in ((f"s3://{BUCKET}/fixtures/", remote_by), ("fixtures", local_by)):
                seen = []
                for i in range(3):
                    files = check_json(root, "--shard", f"{i}/3")["files"]
                    assert 0 < len(files) < len(by), (root, i, len(files))
                    seen += [e["file"].removeprefix(f"s3://{BUCKET}/") for e in files]
                assert sorted(seen) == sorted(by), root
            first = [e["file"] for e in check_json("fixtures", "--shard", "1/3")["files"]]
            again = [e["file"] for e in check_json("fixtures", "--shard", "1/3")["files"]]
            assert first == again
            assert run("check", "fixtures", "--shard", "3/3").returncode == 2

        @test
        def globs_select_from_a_listing_as_from_a_folder():
            flags = ["--glob", "*.keras", "--exclude", "hostile/**"]
            local = [e["file"] for e in check_json("fixtures", *flags)["files"]]
            remote = [e["file"].removeprefix(f"s3://{BUCKET}/")
                      for e in check_json(f"s3://{BUCKET}/fixtures/", *flags)["files"]]
            assert sorted(local) == sorted(remote) and 0 < len(local) < len(local_by), (local, remote)

        @test
        def dask_recipe_scans_the_bucket_on_two_worker_processes():
            import dask_scan
            from dask.distributed import Client, LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                with Client(cluster) as client:
                    entries = dask_scan.scan_prefix(client, f"s3://{BUCKET}/fixtures/", KERASCOPE, per_task=8)
                    workers = len(client.scheduler_info()["workers"])
            assert workers >= 2, workers
            expected = {k: v for k, v in remote_by.items() if k.lower().endswith(dask_scan.KERAS_ENDINGS)}
            got = {e["file"].removeprefix(f"s3://{BUCKET}/"): e for e in entries}
            assert sorted(got) == sorted(expected), set(got) ^ set(expected)
            for name, e in got.items():
                same(local_by[name], e, name)
            rows = dask_scan.findings_table(entries)
            codes = sorted(r["code"] for r in rows if r["code"])
            local_codes = sorted(f["code"] for k, e in local_by.items() if k in expected for f in e["findings"])
            assert codes == local_codes and codes, (len(codes), len(local_codes))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
