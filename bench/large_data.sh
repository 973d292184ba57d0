#!/usr/bin/env bash
# Issue 21's figures for large graph-level data, each printed as gat_bench's JSON lines and a summary:
#   bench/large_data.sh balance FILE   4 ranks, 8 graphs a step (configs/ppi.yaml): contiguous against
#                                      balanced shares, per-step max/mean of work (nodes + edges) and of
#                                      measured compute time, in turns, oversubscribed on this machine
#   bench/large_data.sh stream FILE    1 rank walking the shuffled training graphs: data.load memory
#                                      against stream, in turns (A/B in one run), median step
#   bench/large_data.sh big FILE       2 ranks, 200 steps of configs/ppi.yaml streamed from FILE (make it
#                                      larger than memory: gat_data.py big-synth), each rank's peak RSS
# FILE: PPI-shaped graphs, e.g. gat_data.py big-synth --graphs 100 --out data/big100.h5.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: bench/large_data.sh balance|stream|big FILE}
file=${2:?usage: bench/large_data.sh balance|stream|big FILE}
build=${BUILD_DIR:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi() { mpirun --oversubscribe -np "$1" "${@:2}"; }
summary() {  # keys...: one line of the last JSON line's values
  /usr/bin/python3 -c "import json,sys; j=json.loads(sys.stdin.read().strip().splitlines()[-1]);
print(' '.join(f'{k}={j[k]}' for k in sys.argv[1:]))" "$@"
}
case "$what" in
  balance)
    for turn in 1 2; do
      for shares in contiguous balanced; do
        out=$(mpi 4 "$build/gat_bench" --config configs/ppi.yaml --set "data.path=$file" --set train.batch_graphs=8 \
          --set "dist.shares=$shares" --threads 1 --walk --steps 12 --warmup 1)
        echo "$out"
        echo "$out" | summary shares work_imbalance compute_imbalance median_step_s
      done
    done
    ;;
  stream)
    for turn in 1 2 3; do
      for load in memory stream; do
        out=$("$build/gat_bench" --config configs/ppi.yaml --set "data.path=$file" --set "data.load=$load" \
          --threads 2 --walk --steps 20 --warmup 2)
        echo "$out"
        echo "$out" | summary data_load median_step_s median_data_s rank_peak_rss_mb
      done
    done
    ;;
  big)
    out=$(mpi 2 "$build/gat_bench" --config configs/ppi.yaml --set "data.path=$file" --set data.load=stream \
      --set data.cache_mb=512 --threads 1 --walk --steps 200 --warmup 0)
    echo "$out"
    echo "$out" | summary data_load walked_steps median_step_s median_data_s rank_peak_rss_mb
    ;;
  *) echo "bench/large_data.sh: expected balance, stream or big, got $what" >&2; exit 2 ;;
esac
