#!/usr/bin/env bash
# Trains a GAT end to end and prints results.json's content as the last line.
#   launch/quickstart.sh                       a small synthetic graph, no download (seconds)
#   launch/quickstart.sh cora [PLANETOID_DIR]  Cora from local Planetoid files, or downloaded
#                                              when no directory is given (also citeseer, pubmed)
# Extra arguments after the directory go to gat_train, e.g. --set train.seeds=1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
python=/usr/bin/python3
dataset=${1:-synthetic}
shift || true

case "$dataset" in
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
    echo "quickstart: expected synthetic, cora, citeseer or pubmed, got '$dataset'" >&2
    exit 2
    ;;
esac
"$build/gat_train" --config "configs/$dataset.yaml" "$@"
