#!/usr/bin/python3
"""Sums up one bench/cpu_workloads.sh run (its OUT folder): Cora's step per binary and thread count
(min-max of the rounds' medians) beside the eager reference, PPI's floor-then-step pairs with each
pair's ratio (the step's minimum and median over the floor measured right before it; where the
step ran with --reference-matmul, also its median over the floor at the rate measured right before
each step) and how many pairs are within issue 25's 1.3x, the alternated PPI rounds as HEAD /
baseline (HEAD alone without one), the Pubmed-shaped step beside its reference, and the node-level
floors. A folder of pairs alone gives the pairs only.

    /usr/bin/python3 bench/workload_summary.py OUT
"""
import json
import os
import statistics
import sys

BOUND = 1.3  # issue 25: PPI's step at most this many times the floor measured right before it


def lines(folder, name):
    path = os.path.join(folder, name)
    return [json.loads(line) for line in open(path)] if os.path.exists(path) else []


def text(folder, name):
    return open(os.path.join(folder, name)).read().strip()


def span(values, scale=1e3):
    return f"{min(values) * scale:.2f}-{max(values) * scale:.2f}"


def main():
    folder = sys.argv[1]
    started, finished, head = (text(folder, f"{name}.txt")
                               for name in ("started", "finished", "head"))
    print(f"{started} to {finished}, HEAD {head}")
    cora = lines(folder, "cora_step_ab.jsonl")
    binaries = list(dict.fromkeys(r["binary"] for r in cora))
    for threads in (1, 2):
        for binary in binaries:
            steps = [r["result"]["median_step_s"] for r in cora
                     if r["binary"] == binary and r["result"]["threads"] == threads]
            print(f"cora step, {threads} thread(s), {binary}: {span(steps)} ms")
    for r in lines(folder, "cora_eager.jsonl"):
        print(f"cora eager, {r['threads']} thread(s): {r['median_train_step_s'] * 1e3:.1f} ms")
    ratios, same_seconds = [], []
    for r in lines(folder, "ppi_floor_then_step.jsonl"):
        if "floor" in r:
            floor = r["floor"]
            continue
        step = r["step"]
        low = step["min_step_s"] / floor["flop_floor_s"]
        mid = step["median_step_s"] / floor["flop_floor_s"]
        ratios.append(mid)
        same = ""
        if "median_step_gflop_at_reference" in step:
            same_seconds.append(step["median_step_gflop_at_reference"] / sum(floor["gflop"].values()))
            same = (f"; each step over the floor at the rate right before it: {same_seconds[-1]:.3f}x "
                    f"({step['median_reference_gflops']:.1f} GFLOP/s)")
        print(f"ppi pair {r['pair']}: floor {floor['flop_floor_s'] * 1e3:.1f} ms "
              f"({floor['matmul_gflops']} GFLOP/s), step {step['median_step_s'] * 1e3:.1f} ms "
              f"({step['min_step_s'] * 1e3:.1f} min), {low:.3f}-{mid:.3f}x{same}")
    for name, values in [("the median step", ratios), ("the step over the floor right before it", same_seconds)]:
        if values:
            print(f"ppi pairs within {BOUND}x by {name}: {sum(x <= BOUND for x in values)} of {len(values)}; "
                  f"median pair {statistics.median(values):.3f}x")
    ab = lines(folder, "ppi_step_ab.jsonl")
    if ab:
        baseline = next((b for b in dict.fromkeys(r["binary"] for r in ab) if b != "HEAD"), None)
        for round_ in sorted({r["round"] for r in ab}):
            step = {r["binary"]: r["result"]["median_step_s"] for r in ab if r["round"] == round_}
            beside = "" if baseline is None else (f"{baseline} {step[baseline] * 1e3:.1f} ms, ")
            ratio = "" if baseline is None else f", HEAD / {baseline} {step['HEAD'] / step[baseline]:.3f}"
            print(f"ppi round {round_}: {beside}HEAD {step['HEAD'] * 1e3:.1f} ms{ratio}")
    pubmed = lines(folder, "pubmed_synth_step.jsonl")
    for threads in (1, 2):
        steps = [r["result"]["median_step_s"] for r in pubmed if r["result"]["threads"] == threads]
        if steps:
            print(f"pubmed-shaped step, {threads} thread(s): {span(steps)} ms")
    for r in lines(folder, "pubmed_synth_eager.jsonl"):
        print(f"pubmed-shaped eager, {r['threads']} thread(s): "
              f"{r['median_train_step_s'] * 1e3:.1f} ms")
    for r in lines(folder, "floors.jsonl"):
        print(f"floors {r['workload']}, {r['threads']} thread(s): "
              f"FLOPs {r['flop_floor_s'] * 1e3:.2f} ms, bytes {r['byte_floor_s'] * 1e3:.2f} ms "
              f"({r['matmul_gflops']} GFLOP/s)")


if __name__ == "__main__":
    main()
