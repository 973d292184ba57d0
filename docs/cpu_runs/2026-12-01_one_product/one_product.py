#!/usr/bin/python3
"""One product of a layer's weights side by side against one product each, forward and backward,
on a PPI batch's rows (4,490), 2 threads: what GATConv::project's kOneProductInputs is set from.
Each weight list is W (H * F = 1,024 rows), the scores' weights (8 rows) and, in the second line
of each width, a residual projection (121 rows, PPI's output layer). Run with GLIBC_TUNABLES
keeping freed memory (how.txt), so that first-touch page faults of fresh tensors, which the
training step does not pay, do not swamp the times."""
import time

import torch

torch.set_num_threads(2)
N = 4490


def best_and_median(fn, repeats=9):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0] * 1e3, times[repeats // 2] * 1e3


def layer(inputs, widths):
    x = torch.randn(N, inputs, requires_grad=True)
    weights = [torch.randn(w, inputs, requires_grad=True) for w in widths]
    grads = [torch.randn(N, w) for w in widths]

    def clear():
        x.grad = None
        for w in weights:
            w.grad = None

    def separate():
        torch.autograd.backward([torch.mm(x, w.t()) for w in weights], grads)
        clear()

    def one_product():
        parts = torch.mm(x, torch.cat(weights).t()).split_with_sizes(widths, 1)
        torch.autograd.backward([p.contiguous() for p in parts], grads)
        clear()

    a, b = best_and_median(separate), best_and_median(one_product)
    print(f"inputs {inputs:5d} widths {widths}: separate {a[0]:.1f} / {a[1]:.1f} ms, one product "
          f"{b[0]:.1f} / {b[1]:.1f} ms (min / median), ratio of medians {b[1] / a[1]:.2f}")


for inputs in [50, 64, 128, 256, 512, 1024]:
    layer(inputs, [1024, 8])
    layer(inputs, [1024, 8, 121])
