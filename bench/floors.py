#!/usr/bin/python3
"""Prints the two floors of one GAT training step (docs/performance.md), in one run: the step's
floating-point work over a measured float32 matmul rate, and the bytes it must move over a
measured copy bandwidth, for each thread count. LibTorch here is the same shared library
gat-dist links. The defaults are configs/ppi.yaml on two PPI-sized graphs (gat_bench
--graphs 2 --degree 14: 4,490 nodes, 124,886 edges plus one self loop per node).

    /usr/bin/python3 bench/floors.py [--nodes N --edges E ...] [--threads 1 2] [--device cuda]
"""
import argparse
import json
import time

import torch


def best_of(fn, repeats):
    fn()  # warm-up: first-touch page faults and thread start-up are not the rate
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def step_work(nodes, edges, features, classes, hidden, heads):
    """FLOPs and compulsory bytes of one training step (forward, backward) of the GAT stack.

    Dense products: forward 2*N*in*out, backward twice that (weight and input gradients; the
    input features need none). Attention (eq. 4): forward one multiply-add per edge, head and
    feature; backward two (dL/dalpha's dot product and dL/dWh's sum). Bytes: every N x C
    activation the step makes (Wh, the attention output, residual and bias sums, ELU) written
    once and read once in forward, its gradient the same in backward, in float32; alpha [E, H]
    likewise. Gathers of neighbours' rows are counted as cache hits: the bound is what has to
    cross memory even with perfect reuse.
    """
    flops = {"dense": 0, "attention": 0}
    moved = 0
    widths = list(hidden) + [classes]
    c_in = features
    for layer, (f, h) in enumerate(zip(widths, heads)):
        last = layer == len(widths) - 1
        c_out = f if last else h * f
        grad_factor = 2 if layer > 0 else 1  # weight gradient, and the input's past layer 0
        for product_out in [h * f] + ([c_out] if c_in != c_out else []):  # W, then the residual's
            flops["dense"] += 2 * nodes * c_in * product_out * (1 + grad_factor)
        flops["attention"] += 2 * edges * h * f * 3
        activations = 2 * h * f + (2 * c_out if last else 3 * c_out)  # Wh, out; (mean,) residual, bias, ELU
        moved += 2 * 2 * 4 * (nodes * activations + edges * h)  # write + read, forward + backward
        c_in = c_out
    return flops, moved


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=4490)
    parser.add_argument("--edges", type=int, default=124886 + 4490, help="with self loops")
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--classes", type=int, default=121)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--heads", type=int, nargs="+", default=[4, 4, 6])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="cpu", help="cpu, or cuda: rates of the GPU (full float32, no TF32)")
    args = parser.parse_args()
    if len(args.heads) != len(args.hidden) + 1:
        parser.error(f"--heads needs {len(args.hidden) + 1} values (one per hidden layer and the output)")
    flops, moved = step_work(args.nodes, args.edges, args.features, args.classes, args.hidden, args.heads)
    gpu = args.device == "cuda"
    torch.backends.cuda.matmul.allow_tf32 = False  # gat-dist's matmuls run in full float32
    size = 8192 if gpu else 2048  # a GPU needs a larger product to reach its rate
    a = torch.randn(size, size, device=args.device)
    b = torch.randn(size, size, device=args.device)
    src = torch.randn(256 * 1024 * 1024 if gpu else 64 * 1024 * 1024, device=args.device)  # beyond any cache
    dst = torch.empty_like(src)

    def timed(fn):
        def run():
            fn()
            if gpu:
                torch.cuda.synchronize()
        return best_of(run, 10)

    for threads in [0] if gpu else args.threads:
        if not gpu:
            torch.set_num_threads(threads)
        matmul_rate = 2 * size ** 3 / timed(lambda: torch.mm(a, b))
        copy_rate = 2 * src.numel() * 4 / timed(lambda: dst.copy_(src))
        print(json.dumps({
            "device": torch.cuda.get_device_name() if gpu else "cpu",
            "threads": None if gpu else threads,
            "gflop": {k: round(v / 1e9, 2) for k, v in flops.items()},
            "gbytes": round(moved / 1e9, 3),
            "matmul_gflops": round(matmul_rate / 1e9, 1),
            "copy_gbps": round(copy_rate / 1e9, 1),
            "flop_floor_s": round(sum(flops.values()) / matmul_rate, 3),
            "byte_floor_s": round(moved / copy_rate, 3),
        }))


if __name__ == "__main__":
    main()
