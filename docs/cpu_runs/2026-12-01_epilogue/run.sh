#!/bin/bash
# One run: the session's first binary (c07f7b4) against the fused epilogue, alternated, 3 rounds,
# 1 and 2 threads; the eager reference; the floors; Pubmed's shape; perf of the Cora step; then
# PPI's floor right before its step, and the two binaries on PPI.
set -e
cd /work/main
out=$1; mkdir -p $out
declare -A bins=([c07f7b4]=/tmp/gat_bench_c07f7b4 [HEAD]=build/gat_bench)
date -u +%FT%TZ > $out/started.txt
for round in 1 2 3; do
  for threads in 1 2; do
    for name in c07f7b4 HEAD; do
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
perf record -o /tmp/cora.perf -- build/gat_bench --config configs/cora.yaml --threads 1 --steps 200 > /dev/null 2>&1
perf report -i /tmp/cora.perf --no-children --sort symbol 2>/dev/null | grep -v '^#' | grep '%' | head -40 | cut -c1-160 > $out/cora_perf.txt
# PPI: the floor right before the step; then the two binaries alternated.
/usr/bin/python3 bench/floors.py --threads 2 >> $out/floors.jsonl
build/gat_bench --config configs/ppi.yaml --graphs 2 --degree 14 --threads 2 --steps 10 > $out/ppi_step.json
for round in 1 2; do
  for name in c07f7b4 HEAD; do
    line=$(${bins[$name]} --config configs/ppi.yaml --graphs 2 --degree 14 --threads 2 --steps 8)
    echo "{\"binary\":\"$name\",\"round\":$round,\"result\":$line}" >> $out/ppi_step_ab.jsonl
  done
done
date -u +%FT%TZ > $out/finished.txt
