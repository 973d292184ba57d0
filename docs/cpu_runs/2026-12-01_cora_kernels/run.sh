#!/bin/bash
# One run: binaries alternated, 3 rounds, 1 and 2 threads; then the eager reference and the floors.
set -e
cd /work/main
out=$1; mkdir -p $out
declare -A bins=([c813675]=/tmp/old/gat_bench [1fdb0d0]=/tmp/gat_bench_1fdb0d0 [3c20332]=/tmp/gat_bench_3c20332 [HEAD]=build/gat_bench)
date -u +%FT%TZ > $out/started.txt
for round in 1 2 3; do
  for threads in 1 2; do
    for name in c813675 1fdb0d0 3c20332 HEAD; do
      line=$(${bins[$name]} --config configs/cora.yaml --threads $threads --steps 50)
      echo "{\"binary\":\"$name\",\"round\":$round,\"result\":$line}" >> $out/cora_step_ab.jsonl
    done
  done
done
for threads in 1 2; do
  /usr/bin/python3 ../shared/bench/ref_gat.py cora ../shared/datasets/planetoid --name cora --seed 0 --threads $threads --epochs 60 >> $out/cora_eager.jsonl
done
for w in cora citeseer pubmed; do
  /usr/bin/python3 bench/floors.py --workload $w --threads 1 2 >> $out/floors.jsonl
done
# Pubmed's shape (data_tools/gat_data.py planetoid-synth), with Cora's model as the eager reference
# runs it: sparse features (HEAD) against dense
# (5f97143, before the threshold moved), alternated, then the eager reference on the same files.
for round in 1 2; do
  for threads in 1 2; do
    for name in 5f97143 HEAD; do
      b=build/gat_bench; [ $name = 5f97143 ] && b=/tmp/gat_bench_5f97143
      line=$($b --config configs/cora.yaml --data data/pubmed_synth.h5 --threads $threads --steps 20)
      echo "{\"binary\":\"$name\",\"round\":$round,\"result\":$line}" >> $out/pubmed_synth_step_ab.jsonl
    done
  done
done
for threads in 1 2; do
  /usr/bin/python3 ../shared/bench/ref_gat.py cora /tmp/pubmed_synth --name pubmed --seed 0 --threads $threads --epochs 20 >> $out/pubmed_synth_eager.jsonl
done
# PPI: the floor right before the step.
/usr/bin/python3 bench/floors.py --threads 2 >> $out/floors.jsonl
build/gat_bench --config configs/ppi.yaml --graphs 2 --degree 14 --threads 2 --steps 10 > $out/ppi_step.json
date -u +%FT%TZ > $out/finished.txt
