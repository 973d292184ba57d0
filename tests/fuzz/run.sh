#!/usr/bin/env bash
# Builds the libFuzzer targets with clang under build-fuzz/ and runs each for SECONDS (default 60):
#   tests/fuzz/run.sh [SECONDS]
# config_fuzzer starts from every config in configs/ and tests/bad_inputs/configs/;
# graph_file_fuzzer from the valid test file its inputs edit; checkpoint_fuzzer from the valid
# checkpoint and best.pt it writes itself and whose bytes its inputs edit. Corpora grow in
# build-fuzz/corpus/TARGET and are reused by the next run. Exits 1 at the first finding, with its
# report and the input that caused it (build-fuzz/findings/); CI runs this after the tests.
# Replay one input: build-fuzz/TARGET FILE (GAT_FUZZ_VERBOSE=1 prints the loader's verdict).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
# shellcheck source=launch/install_missing.sh
source launch/install_missing.sh
install_missing clang libclang-rt-14-dev

CC=clang CXX=clang++ cmake -S tests/fuzz -B build-fuzz -G Ninja >/dev/null
cmake --build build-fuzz
mkdir -p build-fuzz/findings
run() {
  local target=$1
  shift
  mkdir -p "build-fuzz/corpus/$target"
  if ! "build-fuzz/$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
       -artifact_prefix=build-fuzz/findings/ "$@" >"build-fuzz/$target.log" 2>&1; then
    grep -E -A40 "FINDING|ERROR: |what\(\)" "build-fuzz/$target.log" | head -60
    echo "fuzz: $target found a problem: build-fuzz/$target.log, input in build-fuzz/findings/" >&2
    exit 1
  fi
  echo "fuzz: $target: $(grep -E '^Done [0-9]+ runs' "build-fuzz/$target.log"), no finding"
}
run config_fuzzer build-fuzz/corpus/config_fuzzer configs tests/bad_inputs/configs
run graph_file_fuzzer -len_control=0 -max_len=512 build-fuzz/corpus/graph_file_fuzzer
run checkpoint_fuzzer -len_control=0 -max_len=128 build-fuzz/corpus/checkpoint_fuzzer
