#!/usr/bin/env bash
# kerascope against real servers on 127.0.0.1: moto_server as S3 and an HTTP server that
# honours Range (with misbehaving modes), plus the Dask recipe on a LocalCluster of two
# worker processes. Needs Python 3 and the package registry; the venv lives under /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${KERASCOPE_REMOTE_VENV:-/tmp/kerascope-remote-venv}"
if [ ! -x "$VENV/bin/moto_server" ] || ! "$VENV/bin/python" -c 'import boto3, dask.distributed' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5.2' boto3 'dask[distributed]'
fi
cargo build --quiet -p kerascope-cli
exec "$VENV/bin/python" scripts/remote/test_remote.py target/debug/kerascope
