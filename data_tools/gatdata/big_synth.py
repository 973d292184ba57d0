"""Large PPI-like inductive datasets, written straight to a gat-graphs file one graph at a time.

Memory is bounded by one graph plus a few integers per graph (sizes, graph_ptr, edge_ptr,
split ids), whatever the number of graphs: the datasets are created with their final shapes,
then each graph's features, labels and edges are made and written into their slices.

Every graph has its own random stream (SeedSequence(seed, spawn_key=(g,))), so a first pass can
count each graph's edges (for the shape of /edge_index) without keeping them, and the second
pass makes the same edges again.
"""

import os

import numpy as np
from scipy.special import ndtr, ndtri

from gatgraphs import (CHUNK_BYTES, add_graph_stats, creating, graph_stats, split_stats, storage,
                       undirected_dedup, write_root, write_splits)
from gatrules import check_graph, check_index

from .common import CliError
from .ppi_synth import check_shape, label_rule, ppi_labels, ppi_split_graphs, random_pairs


SIZE_SPREAD = 0.4  # sigma of the log node counts, about that of PPI's 24 graphs (0.41)
TASK = "multilabel"


def lognormal_sizes(rng, graphs, median, low, high):
    """Node counts: log-normal with `median` and sigma SIZE_SPREAD, truncated to [low, high].
    Drawn by inverse CDF from one uniform each, so nothing piles up at the bounds."""
    mu = np.log(median)
    a, b = (ndtr((np.log(v) - mu) / SIZE_SPREAD) for v in (low - 0.5, high + 0.5))
    z = ndtri(rng.uniform(a, b, size=graphs))
    return np.clip(np.rint(np.exp(mu + SIZE_SPREAD * z)), low, high).astype(np.int64)


def _graph_rng(seed, g):
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(g,)))


def _make_graph(seed, g, n, degree, features, rule):
    """Graph g of n nodes, with its own node ids: float32 features [n, F], uint8 labels [n, L],
    int64 edges [2, E] (undirected, sorted by target). Its edges come first from its stream, so
    _edge_count draws the same ones."""
    rng = _graph_rng(seed, g)
    edges = undirected_dedup(random_pairs(rng, n, degree), n)
    x = rng.standard_normal((n, features))  # like the z-scored features of the DGL archive
    return x.astype(np.float32), ppi_labels(x, edges, rule), edges


def _edge_count(seed, g, n, degree):
    return 2 * random_pairs(_graph_rng(seed, g), n, degree).shape[1]  # both directions


def write_big_synth(path, graphs, seed=0, nodes=2450, min_nodes=591, max_nodes=3480,
                    degree=27.0, features=50, labels=121, chunk=False, compress=None):
    """Write `graphs` PPI-like graphs to the gat-graphs file `path` (atomically, via
    `path.tmp`); return the summary validate() would give, gathered while writing."""
    check_shape(graphs, degree, features, labels, seed)
    if not 2 <= min_nodes <= nodes <= max_nodes:
        raise CliError(f"expected 2 <= --min-nodes <= --nodes <= --max-nodes, got "
                       f"{min_nodes}, {nodes}, {max_nodes}")
    where = os.fspath(path)
    rng = np.random.default_rng(seed)
    sizes = lognormal_sizes(rng, graphs, nodes, min_nodes, max_nodes)
    rule = label_rule(rng, features, labels)  # one rule for all graphs: learnable across them
    graph_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    counts = np.array([_edge_count(seed, g, int(n), degree) for g, n in enumerate(sizes)],
                      dtype=np.int64)
    edge_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    n_all, e_all = int(graph_ptr[-1]), int(edge_ptr[-1])
    # Like ppi-synth (and the real PPI): train first, then val, then test graphs.
    first_val, first_test = np.cumsum(ppi_split_graphs(graphs))[:2]
    splits = {"train": ("graph", np.arange(first_val)),
              "val": ("graph", np.arange(first_val, first_test)),
              "test": ("graph", np.arange(first_test, graphs))}
    check_index(where, n_all, e_all, graph_ptr, edge_ptr, splits)

    shapes = (("features", (n_all, features), np.float32), ("labels", (n_all, labels), np.uint8),
              ("edge_index", (2, e_all), np.int64))
    stats = {"isolated_nodes": 0, "self_loops": 0, "undirected": True,
             "class_counts": np.zeros(labels, dtype=np.int64)}
    # A few chunks of each dataset in HDF5's cache, so a chunk that two graphs share is
    # compressed and written once, when it is full, not once per graph.
    with creating(where, rdcc_nbytes=4 * CHUNK_BYTES) as f:
        write_root(f, TASK, labels)
        for name, shape, dtype in shapes:
            f.create_dataset(name, shape=shape, dtype=dtype, track_times=False,
                             **storage(name, shape, dtype, chunk, compress))
        for name, array in (("graph_ptr", graph_ptr), ("edge_ptr", edge_ptr)):
            f.create_dataset(name, data=array, track_times=False,
                             **storage(name, array.shape, array.dtype, chunk, compress))
        write_splits(f, splits)
        for g in range(graphs):
            x, y, edges = _make_graph(seed, g, int(sizes[g]), degree, features, rule)
            if edges.shape[1] != counts[g]:  # the two passes must draw the same edges
                raise RuntimeError(f"graph {g}: {edges.shape[1]} edges, counted {counts[g]}")
            check_graph(where, TASK, labels, x, y, edges)
            lo, hi = graph_ptr[g], graph_ptr[g + 1]
            f["features"][lo:hi] = x
            f["labels"][lo:hi] = y
            f["edge_index"][:, edge_ptr[g]:edge_ptr[g + 1]] = edges + lo
            stats = add_graph_stats(stats, graph_stats(TASK, labels, y, edges))

    return {"path": where, "task": TASK, "num_classes": labels, "num_nodes": n_all,
            "num_features": features, "num_edges": e_all, "num_graphs": graphs,
            "nodes_per_graph": sizes, "edges_per_graph": counts, **stats,
            **split_stats(splits)}
