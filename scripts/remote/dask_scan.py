"""Scan an S3 prefix on Dask distributed with the kerascope command: list the prefix,
partition the keys, run `kerascope check --format json` on each partition in the workers,
gather one table of findings. The engine is Dask's; kerascope only scans.

  python dask_scan.py s3://bucket/prefix/ [--scheduler tcp://host:8786] [--per-task 200]
                      [--kerascope kerascope] [--workers 2]

Each worker needs the `kerascope` binary and the AWS_* environment (AWS_ENDPOINT_URL for an
S3-compatible store). Listing uses boto3 with the same environment. Without --scheduler, a
LocalCluster of --workers processes is started.
"""

import argparse
import json
import os
import subprocess
import sys

# Files with these endings are scanned; a registry holds many other objects.
KERAS_ENDINGS = (".keras", ".h5", ".hdf5", ".weights.json")


def list_keys(url, endpoint_url=None):
    """Every key under an s3:// prefix that names a Keras file, in key order."""
    import boto3

    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL"))
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return [f"s3://{bucket}/{k}" for k in sorted(keys) if k.lower().endswith(KERAS_ENDINGS)]


def check_partition(urls, kerascope="kerascope", extra=()):
    """Runs in a worker: one `kerascope check` over a partition, its file entries back."""
    if not urls:
        return []
    done = subprocess.run(
        [kerascope, "check", *urls, "--format", "json", "--no-progress", "--exit-zero", *extra],
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 2):  # 2: some file could not be read (in its entry)
        raise RuntimeError(f"kerascope exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout)["files"]


def findings_table(entries):
    """One row per finding, and one per file without findings (status clean/error)."""
    rows = []
    for e in entries:
        base = {"file": e["file"], "status": e["status"], "total_params": e["total_params"],
                "bytes_fetched": e.get("bytes_fetched"), "requests": e.get("requests")}
        if not e["findings"]:
            rows.append({**base, "code": None, "severity": None, "layer": None,
                         "message": e["error"]})
        for f in e["findings"]:
            rows.append({**base, "code": f["code"], "severity": f["severity"],
                         "layer": f.get("layer"), "message": f["message"]})
    return rows


def scan_prefix(client, url, kerascope="kerascope", per_task=200, extra=()):
    """List, partition, check per partition on the cluster, gather every file entry."""
    urls = list_keys(url)
    parts = [urls[i : i + per_task] for i in range(0, len(urls), per_task)]
    futures = client.map(check_partition, parts, kerascope=kerascope, extra=tuple(extra), pure=False)
    return [entry for part in client.gather(futures) for entry in part]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--scheduler")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--per-task", type=int, default=200)
    ap.add_argument("--kerascope", default="kerascope")
    args = ap.parse_args()
    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True))
    with client:
        entries = scan_prefix(client, args.url, args.kerascope, args.per_task)
    rows = findings_table(entries)
    columns = ["file", "status", "code", "severity", "layer", "message"]
    print("\t".join(columns))
    for r in rows:
        print("\t".join("" if r[c] is None else str(r[c]) for c in columns))
    print(f"{len(entries)} files, {sum(1 for r in rows if r['code'])} findings", file=sys.stderr)


if __name__ == "__main__":
    main()
