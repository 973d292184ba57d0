#!/usr/bin/env python3
"""Sums up a gat_bench --trace file: per step, the host's time, the GPU's busy time (the union of
its kernels and copies), the kernel count, and the kernels and host ops that take the most time.

    python3 bench/trace_summary.py TRACE.json [--top 15] [--by-op]

--by-op also sums the GPU's kernels by the op that launched each (on a CPU, the host ops) and that
op's input shapes, where the trace has them (gat_bench --trace-shapes): which product a GEMM
kernel is.

GPU busy time well under the step's time means the GPU waits for the host (launches,
synchronisations); busy time near it means the kernels themselves are the cost.
"""
import argparse
import collections
import json
import re
import sys


def union_length(intervals):
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--by-op", action="store_true", help="also sum kernels by launching op and its shapes")
    args = parser.parse_args()
    try:
        with open(args.trace) as f:
            events = json.load(f)["traceEvents"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"trace_summary: {args.trace}: expected a gat_bench --trace file ({e})")
    # On a GPU the step's marker also appears on the device's timeline, as an annotation: steps and
    # their spans are read from the host's.
    marker = "gat_bench_step"
    steps = sorted((e for e in events if e["name"] == marker and e["pid"] == "host"), key=lambda e: e["ts"])
    if not steps:
        sys.exit(f"trace_summary: {args.trace}: no {marker} events")
    gpu = [e for e in events if e["pid"] == "gpu" and e["name"] != marker]
    host = [e for e in events if e["pid"] == "host" and e["name"] != marker]
    print(f"{'step':>4} {'host ms':>9} {'gpu busy ms':>12} {'busy %':>7} {'kernels':>8} {'gpu span ms':>12}")
    for i, s in enumerate(steps):
        t0, t1 = s["ts"], s["ts"] + s["dur"]
        # A kernel belongs to the step it starts in; the last ones may run past the host's end.
        mine = [e for e in gpu if t0 <= e["ts"] < t1]
        busy = union_length([(e["ts"], e["ts"] + e["dur"]) for e in mine]) / 1e3
        span = (max(e["ts"] + e["dur"] for e in mine) - min(e["ts"] for e in mine)) / 1e3 if mine else 0.0
        print(f"{i:>4} {s['dur'] / 1e3:>9.3f} {busy:>12.3f} {100 * busy / (s['dur'] / 1e3):>6.1f}% "
              f"{len(mine):>8} {span:>12.3f}")
    n = len(steps)
    named = lambda e: e["name"][:110]
    groups = [("GPU kernels and copies", gpu, named), ("host ops (inclusive, nested ones overlap)", host, named)]
    if args.by_op:
        if gpu:
            # CUDA's runtime and driver calls (cudaLaunchKernel, cuLaunchKernel) carry CUPTI's ids, a
            # count apart from the ops' that can meet them: a kernel is named by the ops' alone.
            by_correlation = {e["args"]["correlation"]: e for e in host
                              if "correlation" in e.get("args", {}) and not re.match(r"cu[A-Z]|cuda", e["name"])}

            def launched_by(e):
                op = by_correlation.get(e.get("args", {}).get("op"))
                return f"{e['name'][:60]}  <-  {op_and_shapes(op) if op else '(no op)'}"
            groups.append(("GPU kernels by the op that launched them", gpu, launched_by))
        else:
            groups.append(("host ops by input shapes", host, op_and_shapes))
    for title, group, label in groups:
        if not group:
            continue
        total = collections.defaultdict(float)
        count = collections.Counter()
        for e in group:
            key = label(e)
            total[key] += e["dur"]
            count[key] += 1
        print(f"\n{title}, per step: ms, calls, name")
        for name, dur in sorted(total.items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"{dur / n / 1e3:9.3f} {count[name] / n:7.1f}  {name}")


def op_and_shapes(e):
    shapes = e.get("args", {}).get("shapes")
    return e["name"] + (" " + json.dumps(shapes, separators=(",", ":")) if shapes else "")


if __name__ == "__main__":
    main()
