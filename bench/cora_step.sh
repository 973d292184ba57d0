#!/usr/bin/env bash
# Times a Cora training step (forward, backward, Adam) of gat-dist and of the PyTorch eager
# reference (../shared/bench/ref_gat.py) in one run, and prints both and their ratio.
#   bench/cora_step.sh [PLANETOID_DIR] [REF_GAT_PY]
set -euo pipefail
cd "$(dirname "$0")/.."
planetoid=${1:-../shared/datasets/planetoid}
ref=${2:-../shared/bench/ref_gat.py}
build=${BUILD_DIR:-build}
[ -f data/cora.h5 ] || /usr/bin/python3 data_tools/gat_data.py planetoid cora --root "$planetoid" --out data/cora.h5 >/dev/null
for threads in 1 2; do
  ours=$("$build/gat_bench" --config configs/cora.yaml --threads "$threads" --steps 50)
  theirs=$(/usr/bin/python3 "$ref" cora "$planetoid" --name cora --seed 0 --threads "$threads" --epochs 60)
  echo "$ours"
  echo "$theirs"
  /usr/bin/python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]);
print(f'cora step, {a[\"threads\"]} thread(s): gat-dist {1e3*a[\"median_step_s\"]:.1f} ms, '
      f'PyTorch eager {1e3*b[\"median_train_step_s\"]:.1f} ms, {b[\"median_train_step_s\"]/a[\"median_step_s\"]:.1f}x faster')" "$ours" "$theirs"
done
