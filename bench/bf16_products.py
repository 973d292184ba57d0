#!/usr/bin/python3
"""Times the dense products of one GAT training step in each form train.precision: bf16 could take
on a GPU, beside float32 and TF32 (issue 24). gat-dist runs bf16_to_fp32 (ops/weight_product.h);
bf16_to_bf16 is timed to check that choice.

The products are GATConv's: per layer one product of the input [N, in] with Wh's, the scores' and,
where the widths differ, the residual's weights side by side, and in backward the input's gradient
(past the first layer) and the weights'. The forms:
  fp32          float32 operands and results, TF32 off (gat-dist's default)
  tf32          the same with TF32 allowed (train.precision: tf32)
  bf16_to_fp32  operands rounded to bfloat16, float32 results: what train.precision: bf16 means on
                the CPU; on a GPU LibTorch's mm with out_dtype=float32 (PyTorch 2.8 on), or, where
                that is missing, float32 products of the rounded values (the rate of fp32)
  bf16_to_bf16  operands and results in bfloat16 (cuBLAS accumulates in float32): Wh comes out in
                bfloat16 for the attention's bfloat16 reads, and the scores' and residual's columns
                need a cast to float32 (timed)
Each form's time includes its casts. One JSON line per form: milliseconds per step (best of
--repeats), and the ratio to fp32.

    python3 bench/bf16_products.py [--device cuda] [--nodes 4490 --features 50 ...]
"""
import argparse
import json
import time

import torch

from floors import layer_widths


def product_shapes(features, classes, hidden, heads):
    """(inputs, columns of the one product, columns that stay float32) of each layer."""
    for c_in, h, f, c_out in layer_widths(features, classes, hidden, heads):
        residual = c_out if c_in != c_out else 0
        yield c_in, h * f + 2 * h + residual, 2 * h + residual


def step_products(xs, ws, gs, float_columns, form, to_fp32):
    """Forward and backward products of every layer in `form`; xs, ws, gs float32, and the last
    float_columns of each layer's product wanted in float32; to_fp32(a, b) is bf16_to_fp32's product."""
    for layer, (x, w, g) in enumerate(zip(xs, ws, gs)):
        layer_products(x, w, g, float_columns[layer], form, to_fp32, input_gradient=layer > 0)


def layer_products(x, w, g, float_columns, form, to_fp32, input_gradient):
    """One layer's products in `form`: x · wᵀ, the input's gradient g · w where the input has one,
    and the weights' gᵀ · x."""
    if form in ("fp32", "tf32"):
        torch.mm(x, w.t())
        if input_gradient:
            torch.mm(g, w)
        torch.mm(g.t(), x)
        return
    xb, wb, gb = x.to(torch.bfloat16), w.to(torch.bfloat16), g.to(torch.bfloat16)
    if form == "bf16_to_bf16":
        out = torch.mm(xb, wb.t())
        out[:, w.size(0) - float_columns:].float()  # the scores and the residual
        if input_gradient:
            torch.mm(gb, wb).float()  # the input's gradient, for the float32 layer below
        torch.mm(gb.t(), xb).float()  # the weights' gradient, for float32 master weights
    else:
        to_fp32(xb, wb.t())
        if input_gradient:
            to_fp32(gb, wb)
        to_fp32(gb.t(), xb)


def has_out_dtype(device):
    """Whether LibTorch's mm takes bfloat16 operands into a float32 result (out_dtype) here."""
    a = torch.ones(1, 1, device=device, dtype=torch.bfloat16)
    try:
        torch.mm(a, a, out_dtype=torch.float32)
        return True
    except (TypeError, RuntimeError):  # no out_dtype in this LibTorch, or not for this device
        return False


def fp32_product(out_dtype):
    """a · b of bfloat16 operands into float32: mm's out_dtype, or float32 products of their values."""
    if out_dtype:
        return lambda a, b: torch.mm(a, b, out_dtype=torch.float32)
    return lambda a, b: torch.mm(a.float(), b.float())


def best_seconds(products, form, repeats, gpu):
    """The best of `repeats` timings of products(), after one warm-up, with TF32 allowed for the
    form "tf32" alone."""
    torch.backends.cuda.matmul.allow_tf32 = form == "tf32"
    best = float("inf")
    for _ in range(repeats + 1):
        start = time.perf_counter()
        products()
        if gpu:
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def step_arguments(description):
    """The parser of the step's shape (configs/ppi.yaml on 4,490 nodes), device and repeats."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--nodes", type=int, default=4490)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--classes", type=int, default=121)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--heads", type=int, nargs="+", default=[4, 4, 6])
    parser.add_argument("--repeats", type=int, default=20)
    return parser


def main():
    args = step_arguments(__doc__.splitlines()[0]).parse_args()
    gpu = args.device.startswith("cuda")
    shapes = list(product_shapes(args.features, args.classes, args.hidden, args.heads))
    float_columns = [columns for _, _, columns in shapes]
    xs = [torch.randn(args.nodes, c_in, device=args.device) for c_in, _, _ in shapes]
    ws = [torch.randn(columns, c_in, device=args.device) for c_in, columns, _ in shapes]
    gs = [torch.randn(args.nodes, columns, device=args.device) for _, columns, _ in shapes]
    out_dtype = has_out_dtype(args.device)  # probed once, not in the timed loop
    to_fp32 = fp32_product(out_dtype)

    def seconds(form):
        return best_seconds(lambda: step_products(xs, ws, gs, float_columns, form, to_fp32), form, args.repeats, gpu)

    base = seconds("fp32")
    for form in ["fp32", "tf32", "bf16_to_fp32", "bf16_to_bf16"]:
        if form == "tf32" and not gpu:
            continue
        t = base if form == "fp32" else seconds(form)
        print(json.dumps({
            "products": form,
            "device": torch.cuda.get_device_name() if gpu else "cpu",
            "torch": torch.__version__,
            "mm_out_dtype": out_dtype if form == "bf16_to_fp32" else None,
            "ms": round(t * 1e3, 3),
            "vs_fp32": round(t / base, 3),
        }))


if __name__ == "__main__":
    main()
