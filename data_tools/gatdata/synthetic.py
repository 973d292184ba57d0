"""Seeded planted-partition datasets: one transductive graph or several inductive ones."""

import math

import numpy as np

from gatgraphs import edge_ptr_for, undirected_dedup

from .common import CliError


HOMOPHILY = 0.8     # share of edges drawn inside the source's class; the rest go anywhere
P_ON, P_OFF = 0.35, 0.15  # chance a feature is 1 in the node's own class block / elsewhere
TRAIN_PER_CLASS = 20


def _planted_edges(rng, block, degree):
    """round(n * degree / 2) edges, each from a uniform node to a node of the same block with
    probability HOMOPHILY, else to a uniform node. Local ids; duplicates are removed later."""
    n, classes = block.shape[0], int(block.max()) + 1
    m = round(n * degree / 2)
    src = rng.integers(n, size=m)
    members = np.argsort(block, kind="stable")
    count = np.bincount(block, minlength=classes)
    first = np.cumsum(count) - count
    pick = (rng.random(m) * count[block[src]]).astype(np.int64)
    same = members[first[block[src]] + pick]
    anyone = rng.integers(n, size=m)
    dst = np.where(rng.random(m) < HOMOPHILY, same, anyone)
    return np.stack([src, dst])


def _planted_features(rng, block, classes, num_features):
    """Bag-of-words-like 0/1 features: each class owns a block of columns that are on more
    often for its nodes; the columns after the class blocks are pure noise. One node's row is
    a weak hint of its class; summed over its mostly same-class neighbours it is a strong one."""
    width = max(1, (3 * num_features) // (4 * classes))
    prob = np.full((block.shape[0], num_features), P_OFF)
    for c in range(classes):
        prob[block == c, c * width:(c + 1) * width] = P_ON
    return (rng.random(prob.shape) < prob).astype(np.float32)


def _node_splits(rng, block, classes):
    n = block.shape[0]
    perm = rng.permutation(n)
    by_class = perm[np.argsort(block[perm], kind="stable")]
    count = np.bincount(block, minlength=classes)
    per_class = max(1, min(TRAIN_PER_CLASS, int(count.min()) // 3))
    first = np.cumsum(count) - count
    train = np.concatenate([by_class[s:s + per_class] for s in first])
    rest = perm[~np.isin(perm, train)]
    num_val, num_test = n // 6, n // 3
    return {"train": ("node", np.sort(train)),
            "val": ("node", np.sort(rest[:num_val])),
            "test": ("node", np.sort(rest[num_val:num_val + num_test]))}


def _graph_splits(rng, num_graphs):
    perm = rng.permutation(num_graphs)
    held = max(1, round(num_graphs / 10))
    return {"train": ("graph", np.sort(perm[2 * held:])),
            "val": ("graph", np.sort(perm[held:2 * held])),
            "test": ("graph", np.sort(perm[:held]))}


def graph_sizes(rng, nodes, graphs):
    """Sizes of several graphs, each uniform in [0.75 nodes, 1.25 nodes]: a spread, like real
    graph collections, so batching code meets graphs of different sizes."""
    return rng.integers(math.ceil(0.75 * nodes), math.floor(1.25 * nodes) + 1, size=graphs)


def synthesize(seed=0, nodes=600, classes=4, features=32, degree=6.0, graphs=1,
               task="multiclass"):
    """Return the arrays of a planted-partition dataset (docs/data_format.md describes it)."""
    if classes < 2:
        raise CliError("--classes must be at least 2")
    if nodes < 5 * classes:
        raise CliError(f"--nodes must be at least 5 x --classes = {5 * classes}")
    if features < classes:
        raise CliError("--features must be at least --classes")
    if not degree > 0:
        raise CliError("--degree must be positive")
    if graphs < 1 or graphs == 2:
        raise CliError("--graphs must be 1 (one transductive graph) or at least 3 "
                       "(train, val and test each need a graph)")
    if seed < 0:
        raise CliError("--seed must be non-negative")

    rng = np.random.default_rng(seed)
    sizes = [nodes] if graphs == 1 else graph_sizes(rng, nodes, graphs)
    graph_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    blocks, edges = [], []
    for g, size in enumerate(sizes):
        block = rng.permutation(np.arange(size) % classes)  # balanced classes
        blocks.append(block)
        edges.append(_planted_edges(rng, block, degree) + graph_ptr[g])
    block = np.concatenate(blocks)
    n = block.shape[0]
    edge_index = undirected_dedup(np.concatenate(edges, axis=1), n)
    x = _planted_features(rng, block, classes, features)

    if task == "multiclass":
        labels = block
    else:
        # Label c: the node is in block c, or has a neighbour in block c.
        labels = np.zeros((n, classes), dtype=np.uint8)
        labels[np.arange(n), block] = 1
        labels[edge_index[1], block[edge_index[0]]] = 1

    return {
        "features": x,
        "labels": labels,
        "edge_index": edge_index,
        "graph_ptr": graph_ptr,
        "edge_ptr": edge_ptr_for(edge_index, graph_ptr),
        "splits": _node_splits(rng, block, classes) if graphs == 1 else _graph_splits(rng, graphs),
        "task": task,
        "num_classes": classes,
    }
