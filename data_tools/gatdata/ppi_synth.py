"""Seeded PPI-shaped datasets written in the public layout, with labels that need the graph."""

import json
import os

import numpy as np
import scipy.sparse as sp

from gatgraphs import edge_ptr_for, undirected_dedup

from .common import CliError, write_atomic
from .ppi import PPI_SPLITS
from .synthetic import graph_sizes


DEGREE_SPREAD = 0.75  # sigma of the lognormal node weights: hubs and low-degree nodes
OWN_SHARE = 0.2       # weight of a node's own projection in its label score
POSITIVE_RATE = (0.20, 0.35)  # each label's share of positive nodes is uniform in this range


def ppi_split_graphs(graphs):
    """(train, valid, test) graph counts: valid and test get max(1, G/12 rounded half up)
    graphs each (2 of 24 like real PPI, 1 of 6), train the rest."""
    held = max(1, (graphs + 6) // 12)
    return graphs - 2 * held, held, held


def random_pairs(rng, n, degree):
    """round(n * degree / 2) distinct unordered node pairs, no self pairs (fewer only when the
    graph is close to complete). Endpoints are drawn in proportion to lognormal node weights,
    so degrees spread like an interaction network's instead of all being near `degree`."""
    want = min(round(n * degree / 2), n * (n - 1) // 2)
    weight = rng.lognormal(0.0, DEGREE_SPREAD, n)
    ends = rng.choice(n, size=(2, 2 * want + 16), p=weight / weight.sum())  # spares for dups
    lo, hi = ends.min(axis=0), ends.max(axis=0)
    keep = lo != hi
    lo, hi = lo[keep], hi[keep]
    first = np.unique(lo * n + hi, return_index=True)[1]
    first = np.sort(first)[:want]  # the first `want` in draw order: no bias toward small ids
    return np.stack([lo[first], hi[first]])


def label_rule(rng, num_features, num_labels):
    """What ppi_labels needs to label any graph the same way: for each label l, a random
    projection w_l ~ N(0, 1/F) of the features and a positive rate r_l."""
    weights = rng.standard_normal((num_features, num_labels)) / np.sqrt(num_features)
    return weights, rng.uniform(*POSITIVE_RATE, size=num_labels)


def ppi_labels(x, edge_index, rule):
    """0/1 labels that need the graph: label l is on when a score, mostly the mean of the
    projection x w_l over the node and its neighbours, is in the top r_l of all nodes of `x`
    (`rule` = (w, r), from label_rule)."""
    weights, rate = rule
    n, num_labels = x.shape[0], weights.shape[1]
    proj = x @ weights  # ~unit variance per label
    # Mean over in-neighbours plus the node itself: what one GAT layer with self loops and
    # uniform attention computes, so attention can express it; a per-node model cannot.
    adj = sp.csr_matrix((np.ones(edge_index.shape[1]), (edge_index[1], edge_index[0])),
                        shape=(n, n)) + sp.identity(n, format="csr")
    mean = (adj @ proj) / np.asarray(adj.sum(axis=1))
    score = (1 - OWN_SHARE) * mean / mean.std(axis=0) + OWN_SHARE * proj / proj.std(axis=0)
    top = np.clip(np.round(rate * n).astype(np.int64), 1, n)
    threshold = np.sort(score, axis=0)[n - top, np.arange(num_labels)]
    return (score >= threshold).astype(np.uint8)


def check_shape(graphs, degree, features, labels, seed):
    """The argument checks ppi-synth and big-synth share: one CliError line for the first bad one."""
    if graphs < 3:
        raise CliError("--graphs must be at least 3 (train, valid and test each need a graph)")
    if not degree > 0:
        raise CliError("--degree must be positive")
    if features < 1 or labels < 1:
        raise CliError("--features and --labels must be at least 1")
    if seed < 0:
        raise CliError("--seed must be non-negative")


def synthesize_ppi(out_dir, seed=0, graphs=24, nodes=2245, degree=27.0, features=50, labels=121):
    """Write a seeded PPI-shaped dataset in the public layout (the twelve files) to `out_dir`.
    Return [(file prefix, graphs, nodes, directed edges without loops)] and the positive rate."""
    check_shape(graphs, degree, features, labels, seed)
    if nodes < 2:
        raise CliError("--nodes must be at least 2")

    rng = np.random.default_rng(seed)
    sizes = graph_sizes(rng, nodes, graphs)
    graph_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(graph_ptr[-1])
    pairs = np.concatenate([random_pairs(rng, int(size), degree) + graph_ptr[g]
                            for g, size in enumerate(sizes)], axis=1)
    edge_index = undirected_dedup(pairs, n)
    edge_ptr = edge_ptr_for(edge_index, graph_ptr)
    x = rng.standard_normal((n, features))  # like the z-scored features of the DGL archive
    y = ppi_labels(x, edge_index, label_rule(rng, features, labels))
    graph_id = np.repeat(np.arange(1, graphs + 1), sizes)  # ids 1..G, as in the real files

    os.makedirs(out_dir, exist_ok=True)
    first, stats = 0, []
    for (prefix, _), count in zip(PPI_SPLITS, ppi_split_graphs(graphs)):
        g0, g1 = first, first + count
        lo, hi = int(graph_ptr[g0]), int(graph_ptr[g1])
        e = edge_index[:, edge_ptr[g0]:edge_ptr[g1]] - lo
        loops = np.arange(hi - lo)
        # Like the DGL archive: "directed", both directions listed, one self loop per node.
        src, dst = np.concatenate([e[0], loops]), np.concatenate([e[1], loops])
        graph = {"directed": True, "multigraph": False, "graph": {},
                 "nodes": [{"id": i} for i in range(hi - lo)],
                 "links": [{"source": s, "target": t}
                           for s, t in zip(src.tolist(), dst.tolist())]}
        path = os.path.join(out_dir, prefix + "_")
        write_atomic(path + "graph.json", lambda f, g=graph: f.write(json.dumps(g).encode()))
        for suffix, array in (("feats.npy", x[lo:hi]), ("labels.npy", y[lo:hi]),
                              ("graph_id.npy", graph_id[lo:hi])):
            write_atomic(path + suffix, lambda f, a=array: np.save(f, a, allow_pickle=False))
        stats.append((prefix, count, hi - lo, e.shape[1]))
        first = g1
    return stats, float(y.mean())
