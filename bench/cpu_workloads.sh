#!/usr/bin/env bash
# Issue 25's figures in one run, every CPU workload beside its floors, raw outputs under OUT:
#   Cora's step on 1 and 2 threads, this build and BASELINE (another gat_bench, named NAME) taking
#   turns for 3 rounds, and the PyTorch eager reference (../shared/bench/ref_gat.py); the floors of
#   Cora, Citeseer and Pubmed's shape (bench/floors.py); a Pubmed-shaped step (planetoid-synth's
#   files) beside its eager reference; `perf` over 1,000 one-thread Cora steps (the sparse
#   products' share); then PPI's floor measured right before its step, PAIRS times (default 2), the
#   step also timing floors.py's product right before each of its steps (--reference-matmul), and
#   the two binaries taking turns on PPI. bench/workload_summary.py OUT sums a run up.
#     [PAIRS=N] bench/cpu_workloads.sh OUT [BASELINE NAME]      (no BASELINE: this build alone)
# A loaded host moves PPI's step more than its floor, even measured in the same seconds
# (docs/performance.md, "The floor in the step's own seconds"): 10 pairs say more about the ratio than 2.
# Timings on shared machines drift 10-20 % within minutes: compare figures from one run only.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
baseline=${2:-}
name=${3:-baseline}
build=${BUILD_DIR:-build}
planetoid=../shared/datasets/planetoid
ref=../shared/bench/ref_gat.py
synth=${PUBMED_SYNTH_DIR:-/tmp/pubmed_synth}
mkdir -p "$out"
[ -f data/cora.h5 ] || /usr/bin/python3 data_tools/gat_data.py planetoid cora --root "$planetoid" --out data/cora.h5 >/dev/null
[ -f "$synth/ind.pubmed.graph" ] || /usr/bin/python3 data_tools/gat_data.py planetoid-synth --out-dir "$synth" --name pubmed >/dev/null
[ -f data/pubmed_synth.h5 ] ||
  /usr/bin/python3 data_tools/gat_data.py planetoid pubmed --root "$synth" --unverified --out data/pubmed_synth.h5 >/dev/null
declare -A bins=([HEAD]="$build/gat_bench")
names=(HEAD)
if [ -n "$baseline" ]; then
  bins[$name]=$baseline
  names=("$name" HEAD)
fi
ppi=(--config configs/ppi.yaml --graphs 2 --degree 14 --threads 2)
# One JSON line a timing: which binary, which round, and gat_bench's line.
record() {  # record FILE NAME ROUND ARGS...
  local file=$1 binary=$2 round=$3
  shift 3
  echo "{\"binary\":\"$binary\",\"round\":$round,\"result\":$("${bins[$binary]}" "$@")}" >>"$out/$file"
}
date -u +%FT%TZ >"$out/started.txt"
git rev-parse HEAD >"$out/head.txt"
for round in 1 2 3; do
  for threads in 1 2; do
    for binary in "${names[@]}"; do record cora_step_ab.jsonl "$binary" $round --config configs/cora.yaml --threads $threads --steps 50; done
  done
done
for threads in 1 2; do
  /usr/bin/python3 "$ref" cora "$planetoid" --name cora --seed 0 --threads $threads --epochs 60 2>/dev/null >>"$out/cora_eager.jsonl"
done
for workload in cora citeseer pubmed; do
  /usr/bin/python3 bench/floors.py --workload $workload --threads 1 2 >>"$out/floors.jsonl"
done
for round in 1 2; do
  for threads in 1 2; do
    record pubmed_synth_step.jsonl HEAD $round --config configs/cora.yaml --data data/pubmed_synth.h5 --threads $threads --steps 20
  done
done
for threads in 1 2; do
  /usr/bin/python3 "$ref" cora "$synth" --name pubmed --seed 0 --threads $threads --epochs 20 2>/dev/null >>"$out/pubmed_synth_eager.jsonl"
done
perf record -o "$out/cora.perf" -- "$build/gat_bench" --config configs/cora.yaml --threads 1 --steps 1000 >/dev/null 2>&1
perf report -i "$out/cora.perf" --no-children --sort symbol 2>/dev/null | grep -v '^#' | grep '%' | sed -n '1,40p' | cut -c1-160 \
  >"$out/cora_perf_1000_steps.txt"
rm -f "$out/cora.perf"
for pair in $(seq 1 "${PAIRS:-2}"); do
  echo "{\"pair\":$pair,\"floor\":$(/usr/bin/python3 bench/floors.py --threads 2)}" >>"$out/ppi_floor_then_step.jsonl"
  echo "{\"pair\":$pair,\"step\":$("$build/gat_bench" "${ppi[@]}" --steps 10 --reference-matmul 2048)}" \
    >>"$out/ppi_floor_then_step.jsonl"
done
for round in 1 2 3; do
  for binary in "${names[@]}"; do record ppi_step_ab.jsonl "$binary" $round "${ppi[@]}" --steps 8; done
done
date -u +%FT%TZ >"$out/finished.txt"
