#!/bin/bash
# PPI step A/B: the previous binary (/work/old) and the new one (build/), alternated, 3 runs each.
cd /work/main
for i in 1 2 3; do
  for side in old new; do
    bin=/work/old; [ $side = new ] && bin=build
    out=$($bin/gat_bench --config configs/ppi.yaml --graphs 2 --degree 14 2>/dev/null | tail -1)
    echo "$side run $i: $out"
  done
done
