#!/bin/bash
# ab3.sh ROUNDS: alternates HEAD's gat_bench, the block cache (size classes) and the block cache (exact sizes) on the PPI batch
for i in $(seq 1 $1); do
  for v in "head:/tmp/s27/gat_bench_head:X=1" "classes:/tmp/s27/gat_bench_cache3:X=1" "exact:/tmp/s27/gat_bench_cache3:GAT_EXACT=1"; do
    IFS=: read name bin e <<< "$v"
    env $e $bin --config configs/ppi.yaml --graphs 2 --degree 14 --threads 2 --steps 20 --warmup 2 2>/dev/null | tail -1 | /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(sys.argv[1].ljust(10), "step %.2f fwd %.2f bwd %.2f rss %.0f"%(d["median_step_s"]*1e3,d["median_forward_s"]*1e3,d["median_backward_s"]*1e3, d["peak_rss_mb"]))' $name
  done
done
