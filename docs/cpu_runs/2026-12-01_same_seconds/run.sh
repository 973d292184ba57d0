#!/usr/bin/env bash
# PPI's floor (bench/floors.py --threads 2), then the step (gat_bench, 10 timed steps, each after
# floors.py's product timed again: --reference-matmul 2048), N times in a row.
#   docs/cpu_runs/2026-12-01_same_seconds/run.sh OUT N     (from the repository root)
set -euo pipefail
out=$1; n=$2
mkdir -p "$out"; date -u +%FT%TZ >"$out/started.txt"; git rev-parse HEAD >"$out/head.txt"
for pair in $(seq 1 "$n"); do
  echo "{\"pair\":$pair,\"floor\":$(/usr/bin/python3 bench/floors.py --threads 2)}" >>"$out/ppi_floor_then_step.jsonl"
  echo "{\"pair\":$pair,\"step\":$(build/gat_bench --config configs/ppi.yaml --graphs 2 --degree 14 --threads 2 --steps 10 \
    --reference-matmul 2048)}" >>"$out/ppi_floor_then_step.jsonl"
done
date -u +%FT%TZ >"$out/finished.txt"
