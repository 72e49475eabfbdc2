#!/usr/bin/env bash
# Builds the static site of kerascope in the browser into target/web/: the page (web/), the
# library compiled to WebAssembly with its wasm-bindgen glue (target/web/pkg/), and the seed
# model as the example. Serve target/web/ with any static server; it needs no network.
#
#   scripts/build-web.sh && python3 -m http.server -d target/web 8000
#
# Installs what it lacks: the wasm32-unknown-unknown target (rustup), the wasm-bindgen CLI at
# exactly the version of the wasm-bindgen crate in Cargo.lock (cargo install), and uses
# wasm-opt (Debian's binaryen) when it is there. Prints the .wasm's size, gzipped (budget:
# 1.5 MB).
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/web
budget=$((1536 * 1024))

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then
  echo "build-web: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target list --installed | grep -qx wasm32-unknown-unknown
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  echo "build-web: installing wasm-bindgen-cli $version" >&2
  cargo install wasm-bindgen-cli --version "$version"
fi

cargo build -p kerascope-wasm --target wasm32-unknown-unknown --profile wasm
wasm=target/wasm32-unknown-unknown/wasm/kerascope_wasm.wasm

rm -rf "$out"
mkdir -p "$out/pkg" "$out/examples"
# wasm-opt works on rustc's output, before wasm-bindgen: binaryen 108 (Debian 12) rewrites the
# table of JS references that wasm-bindgen adds into one the browser refuses.
staged=target/web-build/kerascope_wasm.wasm
mkdir -p "$(dirname "$staged")"
cp "$wasm" "$staged"
if command -v wasm-opt >/dev/null 2>&1; then
  before=$(stat -c %s "$staged")
  # The features rustc enables by default for wasm32 must be allowed to the optimiser.
  if wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-multivalue --enable-reference-types --enable-mutable-globals \
    "$wasm" -o "$staged"; then
    echo "wasm-opt -Oz: $before -> $(stat -c %s "$staged") bytes"
  else
    cp "$wasm" "$staged"
    echo "wasm-opt failed: the .wasm is not optimised further" >&2
  fi
else
  echo "wasm-opt not found (Debian: apt-get install binaryen): the .wasm is not optimised further" >&2
fi
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" "$staged"
bindgen_out="$out/pkg/kerascope_wasm_bg.wasm"
cp web/index.html web/style.css web/app.js web/worker.js "$out/"
cp fixtures/seed_lstm_4096.h5 "$out/examples/"

raw=$(stat -c %s "$bindgen_out")
gzipped=$(gzip -9 -c "$bindgen_out" | wc -c)
printf 'kerascope_wasm_bg.wasm: %d bytes, %d bytes gzipped (budget %d)\n' "$raw" "$gzipped" "$budget"
if [ "$gzipped" -gt "$budget" ]; then
  echo "build-web: the .wasm is over its budget of 1.5 MB gzipped" >&2
  exit 1
fi
echo "site: $out/ (serve it, e.g. python3 -m http.server -d $out 8000)"
