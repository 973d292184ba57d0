#!/usr/bin/python3
"""Times each GATConv layer's products at its widths and with the widths padded by zeros to a
multiple of --multiple elements, to tell whether padding pays on a GPU (issue 24). cuBLAS picks
its faster kernels only for rows of a multiple of 16 bytes (4 floats, 8 bfloat16s); on PPI layer 3's
one product has 859 columns (Wh 726 + scores 12 + the residual's 121) and layer 1's input 50
features, and an H100 trace spent 0.49 ms a step in cutlass `align1` kernels (docs/gpu.md).

The products are bench/bf16_products.py's (layer 1's three as one, side by side, whose inner width,
the 50 features, is what matters here), in its fp32, tf32 (a GPU) and bf16_to_fp32 forms. Padding
adds zero columns to x and zero rows to w: the products' useful values are the same. One JSON
line per layer and form: milliseconds at the widths and padded (best of --repeats), and the ratio.
Layer 2's widths (1,024 and 1,032) need no padding: its ratio shows the timing's noise.

    python3 bench/gemm_alignment.py [--device cuda] [--multiple 8] [--nodes 4490 ...]
"""
import json

import torch

from bf16_products import best_seconds, fp32_product, has_out_dtype, layer_products, product_shapes, step_arguments


def padded(n, multiple):
    return -(-n // multiple) * multiple


def main():
    parser = step_arguments(__doc__.splitlines()[0])
    parser.add_argument("--multiple", type=int, default=8)
    args = parser.parse_args()
    gpu = args.device.startswith("cuda")
    to_fp32 = fp32_product(has_out_dtype(args.device))

    def seconds(form, c_in, columns, float_columns, input_gradient):
        x = torch.randn(args.nodes, c_in, device=args.device)
        w = torch.randn(columns, c_in, device=args.device)
        g = torch.randn(args.nodes, columns, device=args.device)
        return best_seconds(lambda: layer_products(x, w, g, float_columns, form, to_fp32, input_gradient), form,
                            args.repeats, gpu)

    shapes = list(product_shapes(args.features, args.classes, args.hidden, args.heads))
    for form in ["fp32", "tf32", "bf16_to_fp32"]:
        if form == "tf32" and not gpu:
            continue
        for layer, (c_in, columns, float_columns) in enumerate(shapes):
            c_in_p, columns_p = padded(c_in, args.multiple), padded(columns, args.multiple)
            t = seconds(form, c_in, columns, float_columns, layer > 0)
            t_p = seconds(form, c_in_p, columns_p, float_columns, layer > 0)
            print(json.dumps({
                "products": form, "layer": layer + 1,
                "device": torch.cuda.get_device_name() if gpu else "cpu", "torch": torch.__version__,
                "nodes": args.nodes, "inputs": c_in, "columns": columns,
                "padded_inputs": c_in_p, "padded_columns": columns_p,
                "ms": round(t * 1e3, 3), "ms_padded": round(t_p * 1e3, 3), "padded_vs_not": round(t_p / t, 3),
            }))


if __name__ == "__main__":
    main()
