#!/usr/bin/env bash
# Tests the page in a real headless Chromium: builds target/web/ when it is missing
# (scripts/build-web.sh), installs Debian's chromium when it is missing and a venv with
# Playwright for Python (driving the system Chromium: no browser is downloaded), then runs
# web/tests/test_page.py. Screenshots and timings are kept in target/web-test/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
venv=${KERASCOPE_WEB_VENV:-/tmp/kerascope-web-venv}
if ! "$venv/bin/python" -c 'import playwright, h5py, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  # h5py and numpy write the large model of the ranged-read test.
  "$venv/bin/pip" install --quiet playwright h5py numpy
fi
[ -f target/web/index.html ] || scripts/build-web.sh
"$venv/bin/python" web/tests/test_page.py
