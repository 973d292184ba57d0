#!/usr/bin/python3
"""LibTorch's mm (OpenBLAS, as this machine's environment pins it) against oneDNN's dnnl_sgemm
(through ctypes, as bench/floors.py calls it) on PPI's 1,024-wide product and the floor's
2,048-cube, on 1 and 2 threads, best of 7 each, and each result's largest error against float64.
    /usr/bin/python3 products.py   [ONEDNN_MAX_CPU_ISA=AVX2 to hold oneDNN to AVX2]
"""
import os
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "bench"))
from floors import best_of, dnnl_sgemm  # noqa: E402  (the floor's own timing and binding)

sgemm = dnnl_sgemm()


print("ONEDNN_MAX_CPU_ISA", os.environ.get("ONEDNN_MAX_CPU_ISA", "(unset)"))
for threads in [2, 1]:
    torch.set_num_threads(threads)
    for m, k, n in [(4490, 1024, 1032), (2048, 2048, 2048)]:  # floors.py's product takes [M, K] x [K, N]
        a, b = torch.randn(m, k), torch.randn(k, n)
        c = torch.empty(m, n)
        exact = a.double() @ b.double()
        mm = best_of(lambda: torch.mm(a, b, out=c), 7)
        mm_error = (c.double() - exact).abs().max().item()
        dnnl = best_of(lambda: sgemm(a, b, c), 7)
        dnnl_error = (c.double() - exact).abs().max().item()
        print(f"{threads} thread(s), {m} x {k} x {n}: mm {2 * m * k * n / mm / 1e9:.1f} GFLOP/s (max error "
              f"{mm_error:.1e}), dnnl_sgemm {2 * m * k * n / dnnl / 1e9:.1f} GFLOP/s (max error {dnnl_error:.1e})")
