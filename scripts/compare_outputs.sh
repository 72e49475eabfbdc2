#!/usr/bin/env bash
# Behaviour unchanged? Runs two kerascope binaries over every fixture and every shared-corpus
# file — check (every format, whole folders and single files), summary (text, JSON, Markdown,
# explained and expanded), inspect (text, JSON), verify (every fixture summary, with and
# without its model, text and JSON) and diff (each file against the next, text and JSON) —
# and compares stdout, stderr and exit status byte for byte. Timings are blanked first.
# Compare builds of the same profile: a debug build stops on an integer overflow inside a
# dependency (a damaged file's error message then differs) where a release build wraps.
#
#   scripts/compare_outputs.sh BEFORE_BIN AFTER_BIN [WORK_DIR]
#
# Run from anywhere; exits 0 when every output is identical, 1 otherwise (the differences are
# listed, the outputs kept in WORK_DIR, default /tmp/kerascope-compare).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BEFORE_BIN AFTER_BIN [WORK_DIR]" >&2
  exit 2
fi
before=$(realpath "$1")
after=$(realpath "$2")
work=${3:-/tmp/kerascope-compare}
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$root/../shared/corpus/files
cd "$root"

files=$(find fixtures -type f ! -name '*.json' ! -name '*.md' ! -name '*.txt' ! -name '.gitkeep' | sort)
if [ -d "$corpus" ]; then
  files="$files
$(find ../shared/corpus/files -type f | sort)"
fi
summaries=$(python3 -c '
import json
for e in json.load(open("fixtures/summaries/index.json")):
    print(e["summary"], e["model"], e.get("config") or "")
')

# One invocation: `run NAME ARGS...` keeps stdout, stderr and the exit status under NAME.
run() {
  local name=$1
  shift
  local out=$dir/$name
  set +e
  timeout 120 "$bin" "$@" >"$out.out" 2>"$out.err" </dev/null
  echo $? >"$out.status"
  set -e
  # Wall-clock times are the one thing expected to differ: blanked, and the list of the
  # slowest files (ordered by them) dropped.
  sed -i -E 's/"seconds": ?[0-9.e-]+/"seconds": T/g; /^ +[0-9]+\.[0-9]+ ms  /d; s/[0-9.]+ s \(--timeout/T s (--timeout/' "$out.out" "$out.err"
}

for side in before after; do
  bin=${!side}
  dir=$work/$side
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$side: $bin" >&2
  for format in text json ndjson sarif markdown; do
    run "check-fixtures.$format" check -j1 --no-progress --format "$format" fixtures
    [ -d "$corpus" ] && run "check-corpus.$format" check -j1 --no-progress --format "$format" ../shared/corpus/files
  done
  previous=fixtures/seed_lstm_4096.h5
  while IFS= read -r f; do
    key=$(echo "$f" | tr '/' '_')
    run "$key.check" check "$f"
    run "$key.summary" summary --width 100 "$f"
    run "$key.summary-json" summary --format json "$f"
    run "$key.summary-md" summary --format markdown "$f"
    run "$key.summary-explain" summary --width 120 --explain --expand-nested --style keras2 "$f"
    run "$key.inspect" inspect "$f"
    run "$key.inspect-json" inspect --format json "$f"
    run "$key.diff" diff "$previous" "$f"
    run "$key.diff-json" diff --format json "$previous" "$f"
    previous=$f
  done <<<"$files"
  while read -r summary model config; do
    key=$(echo "$summary" | tr '/' '_')
    with_config=()
    [ -n "$config" ] && with_config=(--config "$config")
    run "$key.verify" verify "$model" --summary "$summary" "${with_config[@]}"
    run "$key.verify-json" verify --format json "$model" --summary "$summary" "${with_config[@]}"
    run "$key.verify-alone" verify --summary "$summary"
    run "$key.verify-alone-json" verify --format json --summary "$summary"
  done <<<"$summaries"
done

count=$(find "$work/before" -type f | wc -l)
if diff -r "$work/before" "$work/after" >"$work/differences.txt"; then
  echo "identical: $count outputs (stdout, stderr, exit status) over $(echo "$files" | wc -l) files" >&2
else
  echo "DIFFERENT: $(grep -c '^diff ' "$work/differences.txt" || true) of $count outputs differ; see $work/differences.txt" >&2
  grep '^diff \|^Only' "$work/differences.txt" | head -40 >&2
  exit 1
fi
