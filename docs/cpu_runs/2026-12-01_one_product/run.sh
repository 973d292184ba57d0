#!/bin/bash
# One run for issue 25 after the one-product projection and the register-held tiles: the
# session's first binary (73088c3) and HEAD alternated on Cora (1 and 2 threads), the eager
# reference, the floors, Pubmed's shape, perf of one-thread Cora steps, and PPI: its floor right
# before HEAD's step, twice, and the two binaries alternated.
set -e
cd /work/main
out=$1; mkdir -p $out
declare -A bins=([73088c3]=/tmp/gat_bench_73088c3 [HEAD]=build/gat_bench)
ppi="--config configs/ppi.yaml --graphs 2 --degree 14 --threads 2"
date -u +%FT%TZ > $out/started.txt
git rev-parse HEAD > $out/head.txt
for round in 1 2 3; do
  for threads in 1 2; do
    for name in 73088c3 HEAD; do
      line=$(${bins[$name]} --config configs/cora.yaml --threads $threads --steps 50)
      echo "{\"binary\":\"$name\",\"round\":$round,\"result\":$line}" >> $out/cora_step_ab.jsonl
    done
  done
done
for threads in 1 2; do
  /usr/bin/python3 ../shared/bench/ref_gat.py cora ../shared/datasets/planetoid --name cora --seed 0 --threads $threads --epochs 60 2>/dev/null >> $out/cora_eager.jsonl
done
for w in cora citeseer pubmed; do
  /usr/bin/python3 bench/floors.py --workload $w --threads 1 2 >> $out/floors.jsonl
done
for round in 1 2; do
  for threads in 1 2; do
    line=$(build/gat_bench --config configs/cora.yaml --data data/pubmed_synth.h5 --threads $threads --steps 20)
    echo "{\"binary\":\"HEAD\",\"round\":$round,\"result\":$line}" >> $out/pubmed_synth_step.jsonl
  done
done
for threads in 1 2; do
  /usr/bin/python3 ../shared/bench/ref_gat.py cora /tmp/pubmed_synth --name pubmed --seed 0 --threads $threads --epochs 20 2>/dev/null >> $out/pubmed_synth_eager.jsonl
done
perf record -o /tmp/cora.perf -- build/gat_bench --config configs/cora.yaml --threads 1 --steps 1000 > /dev/null 2>&1
perf report -i /tmp/cora.perf --no-children --sort symbol 2>/dev/null | grep -v '^#' | grep '%' | head -40 | cut -c1-160 > $out/cora_perf_1000_steps.txt
for pair in 1 2; do
  /usr/bin/python3 bench/floors.py --threads 2 | sed "s/^/{\"pair\":$pair,\"floor\":/; s/\$/}/" >> $out/ppi_floor_then_step.jsonl
  line=$(build/gat_bench $ppi --steps 10)
  echo "{\"pair\":$pair,\"step\":$line}" >> $out/ppi_floor_then_step.jsonl
done
for round in 1 2 3; do
  for name in 73088c3 HEAD; do
    line=$(${bins[$name]} $ppi --steps 8)
    echo "{\"binary\":\"$name\",\"round\":$round,\"result\":$line}" >> $out/ppi_step_ab.jsonl
  done
done
date -u +%FT%TZ > $out/finished.txt
