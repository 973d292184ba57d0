#!/bin/bash
# The session's experiments, one after another, each output to its own file.
cd /work/main
O=/tmp/s27/out
P="--config configs/ppi.yaml --graphs 2 --degree 14"
summ() { grep "PROBE\|median_step" | grep -v FAULTS | sed 's/.*median_step_s":\([0-9.]*\).*/step_s \1/' | awk -v n=$1 '/PROBE/{name=""; for(i=2;i<=NF-4;i++) name=name" "$i; printf "  %-44s %8.2f ms/step %6d calls\n", name, $(NF-3)/n, $(NF-1); next}{print "  "$0}'; }
{
echo "# floors.py, then HEAD's gat_bench three times (plain step), $(date -u +%H:%M) UTC"
/usr/bin/python3 bench/floors.py --threads 2
for i in 1 2 3; do /tmp/s27/gat_bench_head $P --threads 2 --steps 20 --warmup 2 2>/dev/null | tail -1 | grep -o '"median_step_s":[0-9.]*'; done
echo "# same seconds: gat_bench --reference-matmul 2048"
/tmp/s27/gat_bench_head $P --threads 2 --steps 10 --reference-matmul 2048 2>/dev/null | tail -1 | grep -o '"median_step_s":[0-9.]*\|"median_step_gflop_at_reference":[0-9.]*\|"median_reference_gflops":[0-9.]*'
} > $O/floor_and_step.txt 2>&1
{
echo "# The step's budget: probe build (experiments.patch), PPI batch, 2 threads, 20 steps + 2 warm-up; ms per step over 22 steps, $(date -u +%H:%M) UTC"
for i in 1 2; do /tmp/s27/bench_x $P --threads 2 --steps 20 --warmup 2 2>&1 | summ 22; echo; done
} > $O/budget.txt 2>&1
{
echo "# The forward's gathers in 16-lane (AVX-512) vectors (GAT_WIDE=1, bench_x512: the avx2 build compiled with avx512f too) against 8 lanes, alternated; 'fwd gather part' summed over threads, ms per step; $(date -u +%H:%M) UTC"
for th in 1 2; do for r in 1 2 3; do for e in X=1 GAT_WIDE=1; do
  echo "threads $th round $r $e:"; env $e /tmp/s27/bench_x512 $P --threads $th --steps 10 --warmup 1 2>&1 | grep "fwd gather\|median_step" | summ 11
done; done; done
} > $O/avx512_gathers.txt 2>&1
{
echo "# Gathers from Wh's rows (GAT_ROWS=1: no tiled copies) against the tiled layout, alternated, 2 threads; $(date -u +%H:%M) UTC"
for r in 1 2 3; do for e in X=1 GAT_ROWS=1; do
  echo "round $r $e:"; env $e /tmp/s27/bench_x $P --threads 2 --steps 20 --warmup 2 2>&1 | grep -v "prod\|TT" | summ 22
done; done
} > $O/rows_vs_tiles.txt 2>&1
{
echo "# The forward attention called again at once on the same inputs (GAT_TWICE=2: two extra calls before the real one; 'first' = the first extra call and the real one, 'later' = the second extra call), and to_tiles repeated (GAT_TTREP=4) into a new buffer or into the one just written; $(date -u +%H:%M) UTC"
for th in 1 2; do echo "threads $th, GAT_TWICE=2:"; GAT_TWICE=2 /tmp/s27/bench_x $P --threads $th --steps 10 --warmup 1 2>&1 | grep "REP\|fwd\|median_step" | grep -v prod | awk '/PROBE/{name=""; for(i=2;i<=NF-4;i++) name=name" "$i; printf "  %-44s %8.2f ms/call %6d calls\n", name, $(NF-3)/$(NF-1), $(NF-1); next}{print "  "$0}'; done
echo "threads 2, GAT_TTREP=4:"; GAT_TTREP=4 /tmp/s27/bench_x $P --threads 2 --steps 10 --warmup 1 2>&1 | grep "TT\|to_tiles" | grep -v FAULTS | awk '{name=""; for(i=2;i<=NF-4;i++) name=name" "$i; printf "  %-44s %8.3f ms/call %6d calls\n", name, $(NF-3)/$(NF-1), $(NF-1)}'
} > $O/warm_vs_cold.txt 2>&1
{
echo "# Products in the step (probe build): by shape (M x K x N, aT/bT = transposed view), wall per step and each thread's part; then oneDNN's own threads for a whole product (GAT_WHOLE=1) and the weight gradient split over the nodes (GAT_KSPLIT=1), alternated; $(date -u +%H:%M) UTC"
for r in 1 2; do for e in X=1 GAT_WHOLE=1 GAT_KSPLIT=1; do
  echo "round $r $e:"; env $e /tmp/s27/bench_x $P --threads 2 --steps 20 --warmup 2 2>&1 | grep "prod\|median_step" | summ 22
done; done
echo "# standalone, one thread (small_k.py): dnnl_sgemm and mm on the step's per-thread shapes"
/usr/bin/python3 /tmp/s27/small_k.py
} > $O/products.txt 2>&1
echo done > $O/DONE
