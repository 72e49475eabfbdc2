#!/usr/bin/env bash
# Runs every cargo-fuzz target for a fixed time, seeded from fixtures/, and keeps what it
# finds as regression fixtures (fixtures/crashes/<target>-<hash>), which tests/bad_input.rs
# reads on every `cargo test`.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target)
#   RUNS=10000000 scripts/fuzz.sh 3600                     (each target: 10 M runs or 1 h)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on the stable toolchain without a
# sanitizer (`-s none`): Rust's own bounds and overflow checks (debug assertions are on in
# fuzz builds) turn memory errors into panics, which libFuzzer reports as crashes.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(cargo fuzz list))
fi

seed() {
  local target="$1" dir="corpus/$1"
  mkdir -p "$dir"
  case "$target" in
    hdf5) find ../fixtures -name '*.h5' -size -1M -exec cp {} "$dir/" \; ;;
    zip) find ../fixtures -name '*.keras' -size -1M -exec cp {} "$dir/" \; ;;
    config) for f in ../fixtures/*.json ../fixtures/tfk_*_arch.json; do [ -f "$f" ] && cp "$f" "$dir/"; done ;;
    pickle) python3 - "$dir" <<'PY' || true
import io, sys, zipfile, pathlib
# The .npy members of the npz archives, and the pickle files, from fixtures/attacks.
out = pathlib.Path(sys.argv[1])
for path in pathlib.Path("../fixtures/attacks").glob("*"):
    if path.name.startswith("pickle_"):
        (out / path.name).write_bytes(path.read_bytes())
    elif path.suffix == ".keras" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            if "model.weights.npz" in z.namelist():
                npz = zipfile.ZipFile(io.BytesIO(z.read("model.weights.npz")))
                for name in npz.namelist():
                    (out / f"{path.stem}-{name.replace('/', '_')}").write_bytes(npz.read(name))
PY
    ;;
    marshal) [ -d ../fixtures/lambda ] && cp ../fixtures/lambda/*.b64 "$dir/" 2>/dev/null || true ;;
    check) find ../fixtures -maxdepth 2 -type f \( -name '*.h5' -o -name '*.keras' \) -size -1M -exec cp {} "$dir/" \; ;;
  esac
}

mkdir -p ../fixtures/crashes
for target in "${targets[@]}"; do
  seed "$target"
  echo "== $target: ${seconds}s"
  status=0
  cargo fuzz run -s none "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=1048576 \
    -print_final_stats=1 ${RUNS:+-runs=$RUNS} 2>&1 | tee "/tmp/fuzz-$target.log" | grep -E "stat::number_of_executed_units|SUMMARY|Done" || status=$?
  for crash in artifacts/"$target"/*; do
    [ -f "$crash" ] || continue
    cp "$crash" "../fixtures/crashes/$target-$(basename "$crash")"
    echo "kept $crash as fixtures/crashes/$target-$(basename "$crash")"
  done
done
