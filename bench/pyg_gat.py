#!/usr/bin/env python3
"""PyTorch Geometric's GATConv training the model of configs/ppi.yaml on a gat-graphs file.

The PyG side of the side-by-side GPU comparison that the project's GPU issue asks for: the same
model, data, loss, optimiser and early stopping as gat_train, built from PyG's own layer. It runs
on the GPU machine (PyTorch with CUDA, torch_geometric, h5py, PyYAML, numpy) and is not part of
the C++ build.

    python3 bench/pyg_gat.py --data data/ppi_synth.h5                 # time training steps
    python3 bench/pyg_gat.py --data data/ppi_synth.h5 --mode train    # train to early stopping
    python3 bench/pyg_gat.py --data /tmp/small.h5 --device cpu        # smoke test without a GPU

bench: times --steps steps (zero_grad, forward, loss, backward, Adam) on the first
train.batch_graphs training graphs, after --warmup untimed ones. train: trains like
src/train/trainer.cpp and reports validation and test micro-F1. Each prints one JSON line.
--precision says what gat_train's train.precision says: fp32 (the default) runs matmuls in full
float32, tf32 lets them and convolutions use TF32, bf16 runs the forward under bfloat16 autocast
(float32 weights, loss and optimiser), as a PyG user would. The weights start from PyG's own
initialisation and the graphs are shuffled by numpy, so runs match gat_train's in distribution,
not number for number.
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F
import torch_geometric
import yaml
from torch_geometric.nn import GATConv

# src/config/config.h's defaults for the keys read here, so that a key left out of the config
# means what it means to gat_train.
MODEL_DEFAULTS = {"hidden": [8], "heads": [8, 1], "input_dropout": 0.6, "dropout": 0.6,
                  "negative_slope": 0.2, "residual": False, "add_self_loops": True, "bias": True}
TRAIN_DEFAULTS = {"epochs": 1000, "lr": 0.005, "weight_decay": 5e-4, "patience": 100, "batch_graphs": 1}


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def load_config(path):
    try:
        with open(path) as f:
            cfg = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        fail(f"{path}: expected a readable YAML config: {e}")
    model = {**MODEL_DEFAULTS, **(cfg.get("model") or {})}
    train = {**TRAIN_DEFAULTS, **(cfg.get("train") or {})}
    if len(model["heads"]) != len(model["hidden"]) + 1:
        fail(f"{path}: model.heads: expected one entry per hidden layer plus one, got {model['heads']}")
    return model, train


def load_dataset(path):
    """The arrays of a multilabel, graph-level gat-graphs file (docs/data_format.md)."""
    if not os.path.isfile(path):
        fail(f"{path}: expected a gat-graphs HDF5 file, found no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        fail(f"{path}: expected a gat-graphs HDF5 file, got one h5py cannot open: {e}")
    with f:
        for name in ["features", "labels", "edge_index", "graph_ptr", "edge_ptr",
                     "splits/train", "splits/val", "splits/test"]:
            if name not in f:
                fail(f"{path}: /{name}: missing")
        labels = f["labels"]
        if labels.dtype != np.uint8 or labels.ndim != 2:
            fail(f"{path}: /labels: expected uint8 [N, C] (a multilabel dataset), "
                 f"got {labels.dtype} {list(labels.shape)}")
        splits = {}
        for name in ["train", "val", "test"]:
            level = f[f"splits/{name}"].attrs.get("level")
            level = level.decode() if isinstance(level, bytes) else level
            if level != "graph":
                fail(f"{path}: /splits/{name}: expected level 'graph' (whole graphs, like PPI), "
                     f"got {level!r}")
            splits[name] = f[f"splits/{name}"][()].tolist()
        if not splits["train"]:
            fail(f"{path}: /splits/train: expected at least one training graph, got none")
        return {"x": torch.from_numpy(f["features"][()]),
                "y": torch.from_numpy(labels[()]).float(),
                "edge_index": torch.from_numpy(f["edge_index"][()]),
                "graph_ptr": f["graph_ptr"][()].tolist(),
                "edge_ptr": f["edge_ptr"][()].tolist(),
                "splits": splits}


def graphs_on(ds, ids, device):
    """Graph id -> (features, edges numbered from 0 within the graph, labels), on `device`."""
    out = {}
    for g in ids:
        n0, n1 = ds["graph_ptr"][g], ds["graph_ptr"][g + 1]
        e0, e1 = ds["edge_ptr"][g], ds["edge_ptr"][g + 1]
        out[g] = (ds["x"][n0:n1].to(device), (ds["edge_index"][:, e0:e1] - n0).to(device),
                  ds["y"][n0:n1].to(device))
    return out


def batch(graphs, ids):
    """Concatenates whole graphs into one, renumbering nodes 0..n-1 (data::graph_batch)."""
    xs, edges, ys, offset = [], [], [], 0
    for g in ids:
        x, e, y = graphs[g]
        xs.append(x)
        edges.append(e + offset)
        ys.append(y)
        offset += x.size(0)
    return torch.cat(xs), torch.cat(edges, 1), torch.cat(ys)


def batches(graphs, ids, size):
    return [batch(graphs, ids[i:i + size]) for i in range(0, len(ids), size)]


class GAT(torch.nn.Module):
    """src/model/gat.cpp's stack of PyG GATConv layers: heads concatenated, the last layer's averaged,
    ELU between layers; input dropout on each layer's input, attention dropout inside the layer."""

    def __init__(self, in_channels, num_classes, m):
        super().__init__()
        self.input_dropout = m["input_dropout"]
        self.convs = torch.nn.ModuleList()
        self.identity_skips = []
        widths = m["hidden"] + [num_classes]
        for layer, (width, heads) in enumerate(zip(widths, m["heads"])):
            last = layer == len(widths) - 1
            out_total = width if last else width * heads
            # PyG's residual=True always adds a Linear, even where the sizes match (PPI's second
            # layer, 1024 -> 1024); ours adds the input itself there. So PyG's skip is used only
            # where the sizes differ, and forward() adds the identity one.
            identity = m["residual"] and in_channels == out_total
            self.convs.append(GATConv(in_channels, width, heads=heads, concat=not last,
                                      negative_slope=m["negative_slope"], dropout=m["dropout"],
                                      add_self_loops=m["add_self_loops"], bias=m["bias"],
                                      residual=m["residual"] and not identity))
            self.identity_skips.append(identity)
            in_channels = out_total

    def forward(self, x, edge_index):
        for layer, conv in enumerate(self.convs):
            x = F.dropout(x, self.input_dropout, self.training)
            out = conv(x, edge_index)
            if self.identity_skips[layer]:
                out = out + x
            x = out if layer == len(self.convs) - 1 else F.elu(out)
        return x


# --precision bf16: the forward under bfloat16 autocast (set in main).
AUTOCAST = contextlib.nullcontext


def logits_of(model, x, edge_index):
    with AUTOCAST():
        return model(x, edge_index).float()


def train_step(model, optimizer, x, edge_index, y):
    optimizer.zero_grad()
    # The mean over nodes and labels equals the mean over nodes of each node's mean over labels
    # (train/metrics.cpp), since every node has the same number of labels.
    loss = F.binary_cross_entropy_with_logits(logits_of(model, x, edge_index), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


@torch.no_grad()
def evaluate(model, batches):
    """(mean loss over nodes, micro-F1 with predicted = logit > 0) over all nodes of `batches`."""
    model.eval()
    loss = nodes = tp = fp = fn = 0
    for x, edge_index, y in batches:
        logits = logits_of(model, x, edge_index)
        loss += F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(1).sum().item()
        nodes += x.size(0)
        predicted, actual = logits > 0, y > 0
        tp += (predicted & actual).sum().item()
        fp += (predicted & ~actual).sum().item()
        fn += (~predicted & actual).sum().item()
    return (loss / nodes if nodes else 0.0), (2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)


class EarlyStopping:
    """src/train/early_stopping.cpp: an epoch that improves or ties the best validation loss or
    the best validation metric resets the patience; the model is kept only when it does both."""

    def __init__(self, patience):
        self.patience, self.bad_epochs = patience, 0
        self.best_loss, self.best_metric = 1e300, -1e300

    def update(self, val_loss, val_metric):
        """'keep' (save this epoch's model), 'continue' or 'stop'."""
        metric_ok, loss_ok = val_metric >= self.best_metric, val_loss <= self.best_loss
        if metric_ok or loss_ok:
            self.best_metric = max(self.best_metric, val_metric)
            self.best_loss = min(self.best_loss, val_loss)
            self.bad_epochs = 0
            return "keep" if metric_ok and loss_ok else "continue"
        self.bad_epochs += 1
        return "stop" if self.bad_epochs >= self.patience else "continue"


def make_model(ds, model_cfg, train_cfg, device):
    model = GAT(ds["x"].size(1), ds["y"].size(1), model_cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_cfg["lr"],
                                 weight_decay=train_cfg["weight_decay"])
    return model, optimizer


def peak_gpu_mb(device):
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def bench(args, ds, model_cfg, train_cfg, device):
    ids = ds["splits"]["train"][:train_cfg["batch_graphs"]]
    x, edge_index, y = batch(graphs_on(ds, ids, device), ids)
    model, optimizer = make_model(ds, model_cfg, train_cfg, device)
    model.train()
    cuda = device.type == "cuda"
    if cuda:
        # Reset after the model, optimiser and batch are on the device: they stay counted as
        # allocated, so the peak is theirs plus what the steps add (Adam's state included).
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(args.warmup):
        train_step(model, optimizer, x, edge_index, y)
    times = []
    if cuda:
        events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
                  for _ in range(args.steps)]
        for start, end in events:
            start.record()
            train_step(model, optimizer, x, edge_index, y)
            end.record()
        torch.cuda.synchronize(device)
        times = [start.elapsed_time(end) / 1000 for start, end in events]
    else:
        for _ in range(args.steps):
            start = time.perf_counter()
            train_step(model, optimizer, x, edge_index, y)
            times.append(time.perf_counter() - start)
    return {"impl": "pyg_gatconv", "device": str(device), "dataset": args.data, "nodes": x.size(0),
            "edges": edge_index.size(1), "heads": model_cfg["heads"], "steps": args.steps,
            "median_step_s": statistics.median(times), "min_step_s": min(times),
            "peak_gpu_mb": peak_gpu_mb(device), "precision": args.precision,
            "torch": torch.__version__, "pyg": torch_geometric.__version__}


def train(args, ds, model_cfg, train_cfg, device):
    splits, batch_graphs = ds["splits"], train_cfg["batch_graphs"]
    graphs = graphs_on(ds, set(splits["train"] + splits["val"] + splits["test"]), device)
    val_batches = batches(graphs, splits["val"], batch_graphs)
    test_batches = batches(graphs, splits["test"], batch_graphs)
    train_nodes = sum(graphs[g][0].size(0) for g in splits["train"])
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    model, optimizer = make_model(ds, model_cfg, train_cfg, device)
    # Seeded like the trainer, but numpy's shuffle, not std::mt19937_64's: the same graphs per
    # epoch in another order than gat_train's.
    rng = np.random.default_rng(args.seed)
    train_ids = list(splits["train"])
    stopping = EarlyStopping(train_cfg["patience"])
    best = {k: v.detach().clone() for k, v in model.state_dict().items()}
    best_epoch, best_val_f1, epochs = 0, 0.0, 0
    max_epochs = args.max_epochs or train_cfg["epochs"]
    for epoch in range(1, max_epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        rng.shuffle(train_ids)
        loss_sum = torch.zeros((), device=device)
        for i in range(0, len(train_ids), batch_graphs):
            x, edge_index, y = batch(graphs, train_ids[i:i + batch_graphs])
            loss_sum += train_step(model, optimizer, x, edge_index, y) * x.size(0)
        val_loss, val_f1 = evaluate(model, val_batches)
        epochs = epoch
        verdict = stopping.update(val_loss, val_f1)
        if verdict == "keep":
            best = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_epoch, best_val_f1 = epoch, val_f1
        print(f"epoch {epoch} train_loss {loss_sum.item() / train_nodes:.4f} val_loss {val_loss:.4f} "
              f"val_micro_f1 {val_f1:.4f} {time.perf_counter() - epoch_start:.2f}s"
              f"{' kept' if verdict == 'keep' else ''}", file=sys.stderr)
        if verdict == "stop":
            break
    model.load_state_dict(best)
    _, test_f1 = evaluate(model, test_batches)
    seconds = time.perf_counter() - start  # evaluate() read its counts back: the GPU is done
    return {"impl": "pyg_gatconv", "device": str(device), "dataset": args.data, "epochs": epochs,
            "best_epoch": best_epoch, "val_micro_f1": best_val_f1, "test_micro_f1": test_f1,
            "seconds": seconds, "seconds_per_epoch": seconds / epochs,
            "peak_gpu_mb": peak_gpu_mb(device), "precision": args.precision}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="gat-graphs HDF5 file, split by graph, multilabel")
    parser.add_argument("--config", default="configs/ppi.yaml")
    parser.add_argument("--mode", choices=["bench", "train"], default="bench")
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=50, help="bench: timed steps")
    parser.add_argument("--warmup", type=int, default=5, help="bench: untimed steps before them")
    parser.add_argument("--max-epochs", type=int, help="train: instead of the config's train.epochs")
    parser.add_argument("--precision", choices=["fp32", "tf32", "bf16"], default="fp32",
                        help="as train.precision: full float32, TF32 matmuls, or bfloat16 autocast")
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0 or (args.max_epochs is not None and args.max_epochs < 1):
        fail("pyg_gat.py: expected --steps >= 1, --warmup >= 0 and --max-epochs >= 1")

    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            fail(f"pyg_gat.py: --device {args.device}: this torch {torch.__version__} sees no CUDA "
                 "device; --device cpu runs without one")
        if device.index is None:  # the JSON names the card: cuda:0, not cuda
            device = torch.device("cuda", torch.cuda.current_device())
    torch.backends.cuda.matmul.allow_tf32 = args.precision == "tf32"
    torch.backends.cudnn.allow_tf32 = args.precision == "tf32"
    if args.precision == "bf16":
        global AUTOCAST
        AUTOCAST = lambda: torch.autocast(device.type, dtype=torch.bfloat16)  # noqa: E731

    model_cfg, train_cfg = load_config(args.config)
    ds = load_dataset(args.data)
    torch.manual_seed(args.seed)
    run = bench if args.mode == "bench" else train
    print(json.dumps(run(args, ds, model_cfg, train_cfg, device)))


if __name__ == "__main__":
    main()
