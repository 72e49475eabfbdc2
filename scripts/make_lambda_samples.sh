#!/usr/bin/env bash
# Regenerates fixtures/lambda/ with every pyenv interpreter (see make_lambda_samples.py).
set -euo pipefail
cd "$(dirname "$0")/.."
for v in 2.7.18 3.6.15 3.7.16 3.8.18 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0; do
    PYTHONHASHSEED=0 "/root/.pyenv/versions/$v/bin/python" scripts/make_lambda_samples.py
done
