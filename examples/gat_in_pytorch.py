#!/usr/bin/python3
"""A model gat_train saved, run in plain PyTorch: no gat-dist code and no PyTorch Geometric.

    /usr/bin/python3 examples/gat_in_pytorch.py --checkpoint RUN/best.pt [--split test]
        [--config RUN/config.yaml] [--data FILE.h5] [--attention RUN/attention.h5]

prints one JSON line with gat_eval's keys (metric, value, loss, nodes) for the split, and with
--attention also the largest difference between gat_explain's attention coefficients and the ones
computed here (attention_max_abs_error).

best.pt is a TorchScript archive that torch.jit.load reads: its parameters carry the C++ module
names, which are PyTorch Geometric's GATConv names (layers.<l>.lin.weight, .att_src, .att_dst,
.bias, .res.weight; with model.norm: layer also norms.<l>.weight, .bias), and its attribute
gat_task says multiclass or multilabel. It holds no config:
what the parameters do not say (LeakyReLU slope, self loops, residual, feature normalisation) comes
from the run's config.yaml beside it, as gat_eval takes it. The forward pass below is the C++
model's (src/model/gat_conv.cpp, src/model/gat.cpp) with the sparse attention reference
(src/ops/attention.cpp), in eval mode: dropout is off.
"""
import argparse
import json
import os
import warnings

import h5py
import torch
import torch.nn.functional as F
import yaml


def load_model(checkpoint):
    """(parameters by layer, task) of a gat_train best.pt."""
    saved = torch.jit.load(checkpoint, map_location="cpu")
    params = dict(saved.named_parameters())
    layers = []
    while f"layers.{len(layers)}.lin.weight" in params:
        prefix = f"layers.{len(layers)}."
        layers.append({k[len(prefix):]: v.detach() for k, v in params.items() if k.startswith(prefix)})
        norm = f"norms.{len(layers) - 1}."  # model.norm: layer, hidden layers only
        if norm + "weight" in params:
            layers[-1]["norm"] = (params[norm + "weight"].detach(), params[norm + "bias"].detach())
    return layers, saved.gat_task


def load_config(checkpoint, config=None, data=None):
    """The run's resolved config (every key written by gat_train), data.path replaced by `data`."""
    path = config or os.path.join(os.path.dirname(checkpoint), "config.yaml")
    with open(path) as f:
        cfg = yaml.safe_load(f)
    if data:
        cfg["data"]["path"] = data
    return cfg


class Dataset:
    """A gat-graphs file (docs/data_format.md), features as the model sees them."""

    def __init__(self, path, normalize_features, ignore_edges):
        with h5py.File(path, "r") as f:
            self.task = f.attrs["task"]
            self.x = torch.from_numpy(f["features"][:])
            self.labels = torch.from_numpy(f["labels"][:])
            self.edge_index = torch.from_numpy(f["edge_index"][:])
            self.graph_ptr = f["graph_ptr"][:].tolist()
            self.edge_ptr = f["edge_ptr"][:].tolist()
            self.splits = {k: (torch.from_numpy(f["splits"][k][:]), f["splits"][k].attrs["level"])
                           for k in ("train", "val", "test")}
        if normalize_features:  # rows summing to 0 stay 0 (src/data/batch_source.cpp)
            sums = self.x.sum(1, keepdim=True)
            self.x = self.x / sums.masked_fill(sums == 0, 1)
        if ignore_edges:  # the per-node baseline: every node sees only itself
            self.edge_index = self.edge_index[:, :0]
            self.edge_ptr = [0] * len(self.edge_ptr)

    def graph(self, g):
        """Graph g alone: its features, labels and edges, its nodes numbered from 0."""
        nodes = slice(self.graph_ptr[g], self.graph_ptr[g + 1])
        edges = self.edge_index[:, self.edge_ptr[g]:self.edge_ptr[g + 1]] - self.graph_ptr[g]
        return self.x[nodes], self.labels[nodes], edges


def plan_edges(edge_index, num_nodes, add_self_loops):
    """The edges the C++ edge plan holds, in its order (src/common/edge_plan.cpp): with self loops,
    stored loops dropped and one per node put last among its incoming edges; grouped by target,
    stored order kept within a target. Duplicate edges stay, each an edge of its own."""
    if add_self_loops:
        edge_index = edge_index[:, edge_index[0] != edge_index[1]]
        edge_index = torch.cat([edge_index, torch.arange(num_nodes).repeat(2, 1)], 1)
    return edge_index[:, torch.sort(edge_index[1], stable=True).indices]


def attention_coefficients(alpha_src, alpha_dst, edge_index, negative_slope):
    """alpha [E, H] of each edge j -> i: softmax over i's incoming edges of
    LeakyReLU(a_src . W h_j + a_dst . W h_i) (eq. 3), as ops::attention_coefficients_sparse."""
    src, dst = edge_index
    e = F.leaky_relu(alpha_src[src] + alpha_dst[dst], negative_slope)
    # Each target's max taken out keeps exp() finite; it cancels in the ratio.
    with warnings.catch_warnings():  # scatter_reduce warns that its API is in beta
        warnings.simplefilter("ignore")
        shift = torch.zeros(alpha_src.shape).scatter_reduce(0, dst[:, None].expand_as(e), e, "amax",
                                                            include_self=False)
    w = torch.exp(e - shift[dst])
    return w / torch.zeros(alpha_src.shape).index_add(0, dst, w)[dst]


def gat_conv(x, edge_index, p, concat, negative_slope, residual):
    """One GATConv layer over planned edges: (output, alpha [E, heads])."""
    _, heads, out_channels = p["att_src"].shape
    n = x.shape[0]
    x_proj = (x @ p["lin.weight"].t()).view(n, heads, out_channels)  # W h for every head
    # The C++ layer folds a into W (one [2H, in] product from the input); the same sums, rounded
    # differently, so agreement is to float32 rounding.
    alpha_src = (x_proj * p["att_src"]).sum(-1)  # [N, H]
    alpha_dst = (x_proj * p["att_dst"]).sum(-1)
    alpha = attention_coefficients(alpha_src, alpha_dst, edge_index, negative_slope)
    messages = x_proj[edge_index[0]] * alpha[:, :, None]  # alpha_ij W h_j, [E, H, F]
    out = torch.zeros(n, heads, out_channels).index_add(0, edge_index[1], messages)
    out = out.reshape(n, heads * out_channels) if concat else out.mean(1)
    if residual:  # identity where sizes match, else the bias-free projection res
        out = out + (x @ p["res.weight"].t() if "res.weight" in p else x)
    if "bias" in p:
        out = out + p["bias"]
    return out, alpha


def gat(layers, cfg, x, edge_index):
    """(logits, planned edge_index, alpha of each layer): hidden layers concatenate their heads and
    apply ELU; the output layer averages its heads."""
    m = cfg["model"]
    edge_index = plan_edges(edge_index, x.shape[0], m["add_self_loops"])
    alphas = []
    h = x
    for l, p in enumerate(layers):
        last = l == len(layers) - 1
        h, alpha = gat_conv(h, edge_index, p, not last, m["negative_slope"], m["residual"])
        alphas.append(alpha)
        if not last:
            if "norm" in p:  # LayerNorm over the concatenated heads, eps 1e-5 (src/model/gat.cpp)
                h = F.layer_norm(h, h.shape[-1:], *p["norm"])
            h = F.elu(h)
    return h, edge_index, alphas


def sums(task, logits, labels):
    """(loss summed over nodes, metric counts) as src/train/metrics.cpp: cross-entropy, or binary
    cross-entropy averaged over labels; counts for accuracy, or micro-F1's TP, FP, FN with a label
    predicted where its logit is above 0."""
    if task == "multiclass":
        loss = F.cross_entropy(logits, labels, reduction="none")
        counts = [(logits.argmax(1) == labels).sum().item(), 0, 0, 0]
    else:
        loss = F.binary_cross_entropy_with_logits(logits, labels.float(), reduction="none").mean(1)
        predicted, actual = logits > 0, labels.bool()
        counts = [0, (predicted & actual).sum().item(), (predicted & ~actual).sum().item(),
                  (~predicted & actual).sum().item()]
    return loss.sum().item(), counts


@torch.no_grad()
def evaluate(layers, task, cfg, data, split):
    """gat_eval's JSON fields for `split`. Node-level: one forward over the whole file, scoring the
    split's nodes. Graph-level: each graph of the split alone; gat_eval joins train.batch_graphs of
    them per forward, which changes no node's result (graphs share no edges) beyond rounding."""
    ids, level = data.splits[split]
    if level == "node":
        logits, _, _ = gat(layers, cfg, data.x, data.edge_index)
        batches = [(logits[ids], data.labels[ids])]
    else:
        batches = []
        for g in ids.tolist():
            x, labels, edge_index = data.graph(g)
            batches.append((gat(layers, cfg, x, edge_index)[0], labels))
    loss, nodes, counts = 0.0, 0, [0, 0, 0, 0]  # float64 sums over batches, as EvalSums
    for logits, labels in batches:
        batch_loss, batch_counts = sums(task, logits, labels)
        loss += batch_loss
        nodes += logits.shape[0]
        counts = [a + b for a, b in zip(counts, batch_counts)]
    correct, tp, fp, fn = counts
    if task == "multiclass":
        metric, value = "accuracy", correct / nodes
    else:
        metric, value = "micro_f1", 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0
    return {"metric": metric, "value": value, "loss": loss / nodes, "nodes": nodes}


@torch.no_grad()
def attention_error(layers, cfg, data, path):
    """Largest |alpha here - alpha in gat_explain's file| over its graphs, layers, edges and heads.
    The file (src/train/explain.h) holds, per graph g run alone, the planned edge_index and
    layer_<l> [E, heads]; the edges must be the ones planned here, in the same order."""
    worst = 0.0
    with h5py.File(path, "r") as f:
        for g, group in f["graphs"].items():
            x, _, edge_index = data.graph(int(g))
            _, planned, alphas = gat(layers, cfg, x, edge_index)
            if not torch.equal(planned, torch.from_numpy(group["edge_index"][:])):
                raise ValueError(f"{path}: graph {g}: edge_index differs from the planned edges")
            for l, alpha in enumerate(alphas):
                saved = torch.from_numpy(group[f"layer_{l}"][:])
                worst = max(worst, (alpha - saved).abs().max().item())
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True, help="a model saved by gat_train (RUN_DIR/best.pt)")
    parser.add_argument("--config", help="the run's config (default: config.yaml beside the checkpoint)")
    parser.add_argument("--data", help="use this HDF5 file instead of the config's data.path")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--attention", help="gat_explain's output to check the attention against")
    args = parser.parse_args()
    layers, task = load_model(args.checkpoint)
    cfg = load_config(args.checkpoint, args.config, args.data)
    data = Dataset(cfg["data"]["path"], cfg["data"]["normalize_features"], cfg["data"]["ignore_edges"])
    if data.task != task:
        parser.error(f"{args.checkpoint}: a model for a {task} task, but {cfg['data']['path']} is {data.task}")
    out = {"checkpoint": args.checkpoint, "data": cfg["data"]["path"], "split": args.split,
           **evaluate(layers, task, cfg, data, args.split)}
    if args.attention:
        out["attention_max_abs_error"] = attention_error(layers, cfg, data, args.attention)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
