#!/usr/bin/env bash
# The sweep round trip on Cora (issue 22): bench/sweep_round_trip.sh CORA.h5 [DIR]
# A sweep on 2 ranks (a 2 x 2 grid, 3 seeds) is killed with SIGKILL once 4 runs have finished and
# started again; then the script checks that no finished run was trained again and that
# summary.csv agrees with the runs' results.json files.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
data=${1:?usage: bench/sweep_round_trip.sh CORA.h5 [DIR]}
dir=${2:-sweeps/cora_round_trip}
tmp=$(mktemp -d)
rm -rf "$dir"
cmd=(mpirun --oversubscribe -np 2 build/gat_sweep --config configs/cora.yaml --set "data.path=$data"
     --set train.threads=1 --grid model.dropout=0.4,0.6 --grid train.lr=0.005,0.01 --seeds 3 --dir "$dir")
echo "\$ ${cmd[*]}"
"${cmd[@]}" --log-level warn > "$tmp/first.out" 2>&1 &
until [ "$(ls "$dir"/*/*/results.json 2>/dev/null | wc -l)" -ge 4 ]; do sleep 0.5; done
pkill -9 -f "${dir%?}[${dir: -1}]"
sleep 2
echo "killed (SIGKILL) with $(ls "$dir"/*/*/results.json | wc -l) of 12 runs finished; interrupted runs' checkpoints:"
ls "$dir"/*/*/checkpoint.pt 2>/dev/null | sed "s|$dir/||"
stat -c '%n %Y.%y' "$dir"/*/*/results.json > "$tmp/before.txt"
echo "\$ (the same command again)"
"${cmd[@]}" --log-level info 2>&1 | grep -E "runs;|wrote summary|^\|" 
stat -c '%n %Y.%y' $(cut -d' ' -f1 "$tmp/before.txt") > "$tmp/after.txt"
if cmp -s "$tmp/before.txt" "$tmp/after.txt"; then echo "finished runs untouched: $(wc -l < "$tmp/before.txt") results.json files keep their modification times"; else echo "FINISHED RUNS WERE WRITTEN AGAIN"; diff "$tmp/before.txt" "$tmp/after.txt"; fi
/usr/bin/python3 - "$dir" <<'PY'
import csv, glob, json, math, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/summary.csv")))
worst = 0.0  # val_mean, test_mean, test_std: written with 6 decimals
worst_epochs = 0.0  # epochs_mean: written with 1 decimal
for row in rows:
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{d}/model.dropout={row['model.dropout']},train.lr={row['train.lr']}/seed_*/results.json"))]
    assert len(runs) == int(row["runs"]) == 3
    for key, field in (("val", "val_mean"), ("test", "test_mean")):
        mean = sum(r[key] for r in runs) / len(runs)
        worst = max(worst, abs(mean - float(row[field])))
    worst_epochs = max(worst_epochs, abs(sum(r["epochs"] for r in runs) / 3 - float(row["epochs_mean"])))
    test = [r["test"] for r in runs]
    m = sum(test) / 3
    worst = max(worst, abs(math.sqrt(sum((t - m) ** 2 for t in test) / 3) - float(row["test_std"])))
print(f"summary.csv against the 12 results.json: {len(rows)} rows; largest difference in val_mean, test_mean, test_std {worst:.1e} (written with 6 decimals), in epochs_mean {worst_epochs:.3f} (1 decimal)")
PY
