#!/usr/bin/python3
"""Prints the two floors of one GAT training step (docs/performance.md), in one run: the step's
floating-point work over a measured float32 matmul rate (the faster of LibTorch's mm and, where
libdnnl is installed, oneDNN's sgemm, which gat-dist's large CPU products use), and the bytes it
must move over a measured copy bandwidth, for each thread count. LibTorch here is the same shared
library gat-dist links. The defaults are configs/ppi.yaml on two PPI-sized graphs (gat_bench
--graphs 2 --degree 14: 4,490 nodes, 124,886 edges plus one self loop per node); --workload
gives a node-level dataset's shape and its config's model instead (Cora, Citeseer, and Pubmed's
shape), whose sparse input features count by their non-zeros.

With --precision bf16 the arithmetic floor takes a bfloat16 matmul's rate instead (the faster of
LibTorch's mm of bfloat16 tensors and, on the CPU, oneDNN's bf16 gemm, which train.precision: bf16
runs), and with tf32 (a GPU) float32 with TF32 allowed: the floor of a step whose products run so.

    /usr/bin/python3 bench/floors.py [--workload cora|citeseer|pubmed] [--nodes N --edges E ...]
                                     [--threads 1 2] [--device cuda] [--precision fp32|tf32|bf16]
"""
import argparse
import ctypes
import json
import time

import torch


def dnnl_gemm(name="dnnl_sgemm"):
    """oneDNN's row-major sgemm (or, with name dnnl_gemm_bf16bf16f32, its gemm of bfloat16 operands
    into float32), which gat-dist's large CPU products call where it is built with libdnnl-dev
    (src/ops/weight_product.cpp), or None where the library is not installed."""
    try:
        gemm = getattr(ctypes.CDLL("libdnnl.so.2"), name)
    except (OSError, AttributeError):
        return None
    gemm.restype = ctypes.c_int
    gemm.argtypes = [ctypes.c_char, ctypes.c_char] + [ctypes.c_int64] * 3 + [
        ctypes.c_float, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_float,
        ctypes.c_void_p, ctypes.c_int64]

    def product(a, b, c):  # c = a · b, all three contiguous on the CPU, c float32
        (m, k), n = a.shape, b.size(1)
        if gemm(b"N", b"N", m, n, k, 1.0, a.data_ptr(), k, b.data_ptr(), n, 0.0, c.data_ptr(), n) != 0:
            raise RuntimeError(name + " failed")
    return product


def best_of(fn, repeats):
    fn()  # warm-up: first-touch page faults and thread start-up are not the rate
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# Node-level datasets (the Planetoid files' counts; edges with one self loop per node) and their
# configs' models (configs/*.yaml): features stored as a sparse matrix, nnz of them non-zero.
WORKLOADS = {
    "cora": dict(nodes=2708, edges=10556 + 2708, features=1433, nnz=49216, classes=7, hidden=[8],
                 heads=[8, 1], residual=False),
    "citeseer": dict(nodes=3327, edges=9104 + 3327, features=3703, nnz=105165, classes=6, hidden=[8],
                     heads=[8, 1], residual=False),
    "pubmed": dict(nodes=19717, edges=88648 + 19717, features=500, nnz=988031, classes=3, hidden=[8],
                   heads=[8, 8], residual=False),
}


def step_work(nodes, edges, features, classes, hidden, heads, nnz=None, residual=True):
    """FLOPs and compulsory bytes of one training step (forward, backward) of the GAT stack.

    Dense products: forward 2*N*in*out, backward twice that (weight and input gradients; the
    input features need none). Sparse input features (nnz given): the first layer's products
    count 2*nnz*out each way instead of 2*N*in*out. Attention (eq. 4): forward one multiply-add
    per edge, head and feature; backward two (dL/dalpha's dot product and dL/dWh's sum). Bytes:
    each layer's two N x C activations, Wh and its output (the residual, bias and ELU added in the
    attention's output writes, as the CPU kernel does, and heads averaged there too), written once
    and read once in forward, their gradients the same in backward, in float32; alpha
    [E, H] likewise. Gathers of neighbours' rows are counted as cache hits: the bound is what has to
    cross memory even with perfect reuse.
    """
    flops = {"dense": 0, "attention": 0}
    moved = 0
    for layer, (c_in, h, f, c_out) in enumerate(layer_widths(features, classes, hidden, heads)):
        grad_factor = 2 if layer > 0 else 1  # weight gradient, and the input's past layer 0
        inputs = nnz if layer == 0 and nnz is not None else nodes * c_in  # multiply-adds per output column
        for product_out in [h * f] + ([c_out] if residual and c_in != c_out else []):  # W, the residual's
            flops["dense"] += 2 * inputs * product_out * (1 + grad_factor)
        flops["attention"] += 2 * edges * h * f * 3
        activations = h * f + c_out  # Wh, and the output with its epilogue
        moved += 2 * 2 * 4 * (nodes * activations + edges * h)  # write + read, forward + backward
    return flops, moved


def layer_widths(features, classes, hidden, heads):
    """(inputs, heads, features per head, outputs) of each layer: hidden layers concatenate their
    heads, the last averages them into the classes."""
    widths = list(hidden) + [classes]
    c_in = features
    for layer, (f, h) in enumerate(zip(widths, heads)):
        c_out = f if layer == len(widths) - 1 else h * f
        yield c_in, h, f, c_out
        c_in = c_out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), help="a node-level dataset's shape and model")
    parser.add_argument("--nodes", type=int, default=4490)
    parser.add_argument("--edges", type=int, default=124886 + 4490, help="with self loops")
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--classes", type=int, default=121)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--heads", type=int, nargs="+", default=[4, 4, 6])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="cpu", help="cpu, or cuda: rates of the GPU")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"],
                        help="the products' precision (train.precision): tf32 on a GPU only")
    args = parser.parse_args()
    workload = dict(WORKLOADS[args.workload]) if args.workload else {}
    for key in ["nodes", "edges", "features", "classes", "hidden", "heads"]:
        if key in workload:
            setattr(args, key, workload.pop(key))
    if len(args.heads) != len(args.hidden) + 1:
        parser.error(f"--heads needs {len(args.hidden) + 1} values (one per hidden layer and the output)")
    flops, moved = step_work(args.nodes, args.edges, args.features, args.classes, args.hidden, args.heads,
                             **workload)
    gpu = args.device == "cuda"
    if args.precision == "tf32" and not gpu:
        parser.error("--precision tf32 is for --device cuda")
    torch.backends.cuda.matmul.allow_tf32 = args.precision == "tf32"  # else gat-dist's full float32
    size = 8192 if gpu else 2048  # a GPU needs a larger product to reach its rate
    operand = torch.bfloat16 if args.precision == "bf16" else torch.float32
    a = torch.randn(size, size, device=args.device).to(operand)
    b = torch.randn(size, size, device=args.device).to(operand)
    c = torch.empty(size, size, device=args.device)
    src = torch.randn(256 * 1024 * 1024 if gpu else 64 * 1024 * 1024, device=args.device)  # beyond any cache
    dst = torch.empty_like(src)
    dnnl = None if gpu else dnnl_gemm("dnnl_gemm_bf16bf16f32" if args.precision == "bf16" else "dnnl_sgemm")

    def timed(fn):
        def run():
            fn()
            if gpu:
                torch.cuda.synchronize()
        return best_of(run, 10)

    for threads in [0] if gpu else args.threads:
        if not gpu:
            torch.set_num_threads(threads)
        # The floor takes the faster of LibTorch's mm and oneDNN's gemm: gat-dist's own products run
        # on the latter where it has it, and a floor must not be slower than what the step uses.
        mm_rate = 2 * size ** 3 / timed(lambda: torch.mm(a, b))
        dnnl_rate = 2 * size ** 3 / timed(lambda: dnnl(a, b, c)) if dnnl else None
        matmul_rate = max(mm_rate, dnnl_rate or 0)
        copy_rate = 2 * src.numel() * 4 / timed(lambda: dst.copy_(src))
        print(json.dumps({
            "workload": args.workload or "ppi",
            "device": torch.cuda.get_device_name() if gpu else "cpu",
            "threads": None if gpu else threads,
            "precision": args.precision,
            "gflop": {k: round(v / 1e9, 2) for k, v in flops.items()},
            "gbytes": round(moved / 1e9, 3),
            "matmul_gflops": round(matmul_rate / 1e9, 1),
            "mm_gflops": round(mm_rate / 1e9, 1),
            "dnnl_bf16_gemm_gflops" if args.precision == "bf16" else "dnnl_sgemm_gflops":
                round(dnnl_rate / 1e9, 1) if dnnl_rate else None,
            "copy_gbps": round(copy_rate / 1e9, 1),
            "flop_floor_s": round(sum(flops.values()) / matmul_rate, 5),
            "byte_floor_s": round(moved / copy_rate, 5),
        }))


if __name__ == "__main__":
    main()
