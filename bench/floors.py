#!/usr/bin/python3
"""Measures the two rates the performance floors divide by (docs/performance.md), in one run:
a float32 2048 x 2048 matmul (GFLOP/s) and a large tensor copy (GB/s of bytes read plus
written), for each thread count. LibTorch here is the same shared library gat-dist links.

    /usr/bin/python3 bench/floors.py [--threads 1 2]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    a = torch.randn(2048, 2048)
    b = torch.randn(2048, 2048)
    src = torch.randn(64 * 1024 * 1024)  # 256 MiB, far beyond any cache
    dst = torch.empty_like(src)
    for threads in args.threads:
        torch.set_num_threads(threads)
        matmul_s = best_of(lambda: torch.mm(a, b), 10)
        copy_s = best_of(lambda: dst.copy_(src), 10)
        print(json.dumps({
            "threads": threads,
            "matmul_gflops": round(2 * 2048 ** 3 / matmul_s / 1e9, 1),
            "copy_gbps": round(2 * src.numel() * 4 / copy_s / 1e9, 1),
        }))


if __name__ == "__main__":
    main()
