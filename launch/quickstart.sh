#!/usr/bin/env bash
# Trains a GAT end to end and prints results.json's content as the last line.
#   launch/quickstart.sh                       a small PPI-like inductive dataset made on the spot
#                                              (no download), data-parallel on 2 ranks; micro-F1
#   launch/quickstart.sh synthetic             a small single-graph dataset, one process
#   launch/quickstart.sh cora [PLANETOID_DIR]  Cora from local Planetoid files, or downloaded
#                                              when no directory is given (also citeseer, pubmed)
# Extra arguments after the directory go to gat_train, e.g. --set train.seeds=1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
python=/usr/bin/python3
dataset=${1:-ppi_small}
shift || true

case "$dataset" in
  ppi_small)
    # The public PPI layout first, then the real converter: the same path real PPI takes.
    "$python" data_tools/gat_data.py ppi-synth --out-dir data/ppi_small --graphs 12 --nodes 200 --degree 10 \
      --features 16 --labels 16 >/dev/null
    "$python" data_tools/gat_data.py ppi --root data/ppi_small --out data/ppi_small.h5
    exec launch/mpirun.sh 2 --config configs/ppi_small.yaml "$@"
    ;;
  synthetic)
    "$python" data_tools/gat_data.py synthetic --out data/synthetic.h5
    ;;
  cora|citeseer|pubmed)
    if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
      "$python" data_tools/gat_data.py planetoid "$dataset" --root "$1" --out "data/$dataset.h5"
      shift
    else
      "$python" data_tools/gat_data.py planetoid "$dataset" --download data/planetoid --out "data/$dataset.h5"
    fi
    ;;
  *)
    echo "quickstart: expected ppi_small, synthetic, cora, citeseer or pubmed, got '$dataset'" >&2
    exit 2
    ;;
esac
"$build/gat_train" --config "configs/$dataset.yaml" "$@"
