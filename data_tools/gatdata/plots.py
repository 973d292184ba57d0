"""PNG plots: a run's training curves (metrics.jsonl) and gat_explain's attention entropy."""

import json
import math
import os

import h5py
import numpy as np

from .common import CliError, write_atomic

CURVE_KEYS = ("seed", "epoch", "train_loss", "val_loss", "val")


def read_metrics(path):
    """The epoch records of a run's metrics.jsonl, grouped by seed: {seed: [record, ...]}."""
    if not os.path.isfile(path):
        raise CliError(f"{path}: no such file")
    runs = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            try:
                record = json.loads(line)
                ok = isinstance(record, dict) and all(k in record for k in CURVE_KEYS)
            except json.JSONDecodeError:
                ok = False
            if not ok:
                raise CliError(f"{path}: line {number}: expected a JSON object with "
                               f"{', '.join(CURVE_KEYS)}")
            runs.setdefault(record["seed"], []).append(record)
    if not runs:
        raise CliError(f"{path}: no epochs recorded")
    return runs


def _pyplot():
    """matplotlib's pyplot, drawing to files only. Imported here rather than at the top so
    that the commands which plot nothing do not wait for it."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(plt, fig, out):
    """Lay out `fig`, write it to `out` as a PNG (atomically), free it; return `out`."""
    fig.tight_layout()
    write_atomic(out, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)
    return out


def plot_curves(run_dir, out=None):
    """Plot loss and validation score per epoch and seed of a gat_train run directory.
    Return the PNG's path (default RUN_DIR/curves.png)."""
    runs = read_metrics(os.path.join(run_dir, "metrics.jsonl"))
    results_path = os.path.join(run_dir, "results.json")
    results = {}
    if os.path.isfile(results_path):  # absent while a run is still going
        try:
            with open(results_path) as f:
                results = json.load(f)
        except json.JSONDecodeError as e:
            raise CliError(f"{results_path}: not JSON ({e.msg}, line {e.lineno})")
    best = {r["seed"]: r["best_epoch"] for r in results.get("runs", [])}
    out = out or os.path.join(run_dir, "curves.png")

    plt = _pyplot()
    fig, (loss_ax, metric_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for seed, records in sorted(runs.items()):
        def values(key):  # null (an epoch whose steps were all skipped) plots as a gap
            return [math.nan if r[key] is None else r[key] for r in records]
        epochs = values("epoch")
        line, = loss_ax.plot(epochs, values("train_loss"), label=f"seed {seed} train")
        loss_ax.plot(epochs, values("val_loss"), "--", color=line.get_color(), label=f"seed {seed} val")
        metric_ax.plot(epochs, values("val"), color=line.get_color(), label=f"seed {seed}")
        if seed in best:  # the model early stopping kept
            metric_ax.axvline(best[seed], color=line.get_color(), linestyle=":", linewidth=1)
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss (dashed: validation)")
    metric_ax.set(xlabel="epoch", ylabel=f"validation {results.get('metric', 'metric')}",
                  title="validation score (dotted: kept epoch)")
    for ax in (loss_ax, metric_ax):
        ax.grid(alpha=0.3)
        if len(runs) <= 5:
            ax.legend(fontsize="small")
    fig.suptitle(f"{results.get('dataset', os.path.basename(os.path.normpath(run_dir)))}: "
                 f"{len(runs)} seed(s)")
    return _save(plt, fig, out)


# --- Attention entropy -------------------------------------------------------------------------

ATTENTION_FORMAT = "gat-attention"  # written by gat_explain; layout in src/train/explain.h
ATTENTION_VERSION = 1


def _h5_attr(path, obj, name, kind):
    """Attribute `name` of an HDF5 group as a str or an int (kind), or a CliError naming it."""
    if name not in obj.attrs:
        raise CliError(f"{path}: {obj.name}: attribute {name}: missing")
    value = obj.attrs[name]
    if isinstance(value, bytes):  # fixed-length HDF5 strings come back as bytes
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str if kind is str else (int, np.integer)):
        raise CliError(f"{path}: {obj.name}: attribute {name}: expected "
                       f"{'a string' if kind is str else 'an integer'}, got {value!r}")
    return value if kind is str else int(value)


def _h5_array(path, group, name):
    """Dataset `name` of `group`, whole: (its HDF5 path, for messages; the array)."""
    where = f"{group.name}/{name}"
    obj = group.get(name)
    if not isinstance(obj, h5py.Dataset):
        raise CliError(f"{path}: {where}: {'missing' if obj is None else 'expected a dataset'}")
    return where, np.asarray(obj[()])


def _read_edge_index(path, group, n):
    where, edge_index = _h5_array(path, group, "edge_index")
    if edge_index.dtype.kind not in "iu":
        raise CliError(f"{path}: {where}: expected integer [2, E], "
                       f"got {edge_index.dtype.name} values")
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise CliError(f"{path}: {where}: expected integer [2, E], got shape {edge_index.shape}")
    bad = np.argwhere(((edge_index < 0) | (edge_index >= n)).T)  # (column, row), first column first
    if bad.size:
        k, row = bad[0]
        raise CliError(f"{path}: {where}: node id {edge_index[row, k]} in row {row}, column {k} "
                       f"is out of range [0, {n})")
    return edge_index.astype(np.int64)


def _read_alpha(path, group, layer, edges):
    where, alpha = _h5_array(path, group, f"layer_{layer}")
    if alpha.dtype.kind != "f":
        raise CliError(f"{path}: {where}: expected float [E, H], got {alpha.dtype.name} values")
    if alpha.ndim != 2 or alpha.shape[0] != edges or alpha.shape[1] < 1:
        raise CliError(f"{path}: {where}: expected float [E, H] with E = {edges} "
                       f"(edge_index's columns), got shape {alpha.shape}")
    # Sums over a target's edges are not checked: gat_explain's float32 softmax makes them 1 only
    # up to rounding that grows with the degree, and a drift that small does not show in a
    # histogram. Values that would make the entropy meaningless (NaN, inf, < 0) are refused.
    bad = np.argwhere(~(np.isfinite(alpha) & (alpha >= 0)))
    if bad.size:
        e, h = bad[0]
        raise CliError(f"{path}: {where}: expected finite alpha >= 0, got {alpha[e, h]} "
                       f"at edge {e}, head {h}")
    return alpha


def _graph_groups(path, f):
    """The groups under /graphs in graph id order (HDF5 lists names as strings: 21 before 3)."""
    graphs = f.get("graphs")
    if not isinstance(graphs, h5py.Group):
        raise CliError(f"{path}: /graphs: {'missing' if graphs is None else 'expected a group'}")
    if not len(graphs):
        raise CliError(f"{path}: /graphs: expected at least one graph, got none")
    for name, group in graphs.items():
        if not name.isdecimal() or not isinstance(group, h5py.Group):
            raise CliError(f"{path}: {graphs.name}/{name}: expected a group named by a graph id")
    return [graphs[name] for name in sorted(graphs, key=int)]


def read_attention(path):
    """A gat_explain file, its graphs joined into one node range (ids offset per graph).

    Returns {"graphs": count, "nodes": total, "targets": [E] int64, "alpha": [[E, H_l] per layer]}.
    """
    if not os.path.isfile(path):
        raise CliError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise CliError(f"{path}: /: cannot open as HDF5 ({e})") from e
    with f:
        fmt = _h5_attr(path, f, "format", str)
        if fmt != ATTENTION_FORMAT:
            raise CliError(f"{path}: /: attribute format: expected {ATTENTION_FORMAT!r}, "
                           f"got {fmt!r}")
        version = _h5_attr(path, f, "version", int)
        if version != ATTENTION_VERSION:
            raise CliError(f"{path}: /: attribute version: expected {ATTENTION_VERSION}, "
                           f"got {version}")
        layers = _h5_attr(path, f, "layers", int)
        if layers < 1:
            raise CliError(f"{path}: /: attribute layers: expected at least 1, got {layers}")
        offset, targets, alpha, first = 0, [], [[] for _ in range(layers)], None
        for group in _graph_groups(path, f):
            n = _h5_attr(path, group, "nodes", int)
            if n < 0:
                raise CliError(f"{path}: {group.name}: attribute nodes: expected at least 0, "
                               f"got {n}")
            edge_index = _read_edge_index(path, group, n)
            for layer in range(layers):
                a = _read_alpha(path, group, layer, edge_index.shape[1])
                if first is not None and a.shape[1] != alpha[layer][0].shape[1]:
                    # one histogram per head pools every graph, so heads must mean the same
                    raise CliError(f"{path}: {group.name}/layer_{layer}: expected "
                                   f"{alpha[layer][0].shape[1]} heads (as {first}/layer_{layer} "
                                   f"has), got {a.shape[1]}")
                alpha[layer].append(a)
            first = first or group.name
            targets.append(edge_index[1] + offset)
            offset += n
    return {"graphs": len(targets), "nodes": offset, "targets": np.concatenate(targets),
            "alpha": [np.concatenate(a) for a in alpha]}


def attention_entropy(targets, alpha, num_nodes):
    """Each node's attention entropy per head, and the entropy of uniform attention (nats).

    targets: [E] the target of each edge, in [0, num_nodes); alpha: [E, H]. Returns
    (entropy [T, H], uniform [T]) for the T nodes with an incoming edge, in node order:
    H_i = -sum_j alpha_ij log alpha_ij (0 log 0 = 0) and uniform_i = log(in-degree of i).
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    terms = -alpha * np.log(np.where(alpha > 0, alpha, 1.0))  # log 1 = 0 makes 0 log 0 = 0
    degree = np.bincount(targets, minlength=num_nodes)
    kept = degree > 0
    # bincount adds per target in any edge order: the file's grouping by target is not relied on
    entropy = np.stack([np.bincount(targets, weights=terms[:, h], minlength=num_nodes)[kept]
                        for h in range(alpha.shape[1])], axis=1)
    return entropy, np.log(degree[kept])


def plot_attention(path, out=None):
    """Plot histograms of attention entropy per layer and head of a gat_explain file, against
    uniform attention. Return the PNG's path (default FILE with .h5 replaced by _entropy.png)."""
    data = read_attention(path)
    stem = path[:-3] if path.endswith(".h5") else path
    out = out or stem + "_entropy.png"
    per_layer = [attention_entropy(data["targets"], a, data["nodes"]) for a in data["alpha"]]
    heads = [entropy.shape[1] for entropy, _ in per_layer]
    # One set of bins for every panel, so that heads and layers compare by eye.
    top = max(max(e.max(initial=0), u.max(initial=0)) for e, u in per_layer) or 1.0
    bins = np.linspace(0, top, 31)

    plt = _pyplot()
    rows, cols = len(heads), max(heads)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.2 * rows), squeeze=False)
    for layer, (entropy, uniform) in enumerate(per_layer):
        axes[layer, 0].set_ylabel("nodes")
        for h, ax in enumerate(axes[layer]):
            if h >= heads[layer]:  # this layer has fewer heads than the widest
                ax.set_visible(False)
                continue
            ax.hist(entropy[:, h], bins, label="attention")
            ax.hist(uniform, bins, histtype="step", color="black", label="uniform")
            ax.set_title(f"layer {layer} head {h}", fontsize="medium")
            if layer == rows - 1 or h >= heads[layer + 1]:  # lowest panel of its column
                ax.set_xlabel("entropy (nats)")
    axes[0, 0].legend(fontsize="small")
    fig.suptitle(f"{os.path.basename(path)}: {data['graphs']} graph(s), {data['nodes']} nodes")
    return _save(plt, fig, out)
