#!/usr/bin/env bash
# Issue 23's large-graph figures: one 2M-node, 52M-edge graph (gat_data.py big-graph) in 200 METIS
# clusters, trained with configs/big_graph.yaml for EPOCHS epochs (default 2) on 1 rank of 2 threads,
# then on 2 ranks of 1 thread, in turns; prints each run's epoch times and each rank's peak RSS.
#   bench/big_graph.sh DIR [EPOCHS]    DIR holds (or gets) big_graph.h5 and big_graph_p200.h5
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: bench/big_graph.sh DIR [EPOCHS]}
epochs=${2:-2}
build=${BUILD_DIR:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -f "$dir/big_graph.h5" ] || /usr/bin/python3 data_tools/gat_data.py big-graph --out "$dir/big_graph.h5"
[ -f "$dir/big_graph_p200.h5" ] ||
  /usr/bin/python3 data_tools/gat_data.py partition "$dir/big_graph.h5" --parts 200 --out "$dir/big_graph_p200.h5"
run() {  # ranks threads: one run, its epoch lines and each rank's peak RSS
  local out="$dir/run_$1x$2"
  rm -rf "$out"
  mpirun --oversubscribe --bind-to none -np "$1" /usr/bin/time -f "peak RSS %M KB (one rank)" "$build/gat_train" \
    --config configs/big_graph.yaml --set "data.path=$dir/big_graph_p200.h5" --set "train.epochs=$epochs" \
    --set "train.threads=$2" --set "train.run_dir=$out" --log-level info 2>&1 | grep -E "epoch |peak RSS|ranks x"
  /usr/bin/python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])];
print('epoch seconds:', ' '.join(f\"{x['seconds']:.1f}\" for x in r))" "$out/metrics.jsonl"
}
for turn in 1 2; do
  echo "== turn $turn: 1 rank x 2 threads"; run 1 2
  echo "== turn $turn: 2 ranks x 1 thread"; run 2 1
done
