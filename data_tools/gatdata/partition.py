"""Partition one graph into clusters: a version-2 file (docs/data_format.md, version 2) made from
a version-1 file of one graph with node splits.

The clusters come from METIS (Debian's `gpmetis`, run on a graph file in a temporary directory)
or from a seeded random cut into clusters of equal sizes. The graph is then renumbered so that
cluster c owns rows cluster_ptr[c] .. cluster_ptr[c+1]-1, a cluster's nodes in their source
order; features, labels, edges and split ids follow their nodes, and /partition keeps the way
back (node_perm) and the partitioner's answer (cluster). The whole graph is held in memory: a
few int64 arrays of N or E entries besides the features.
"""

import os
import shutil
import subprocess
import tempfile
import time

import h5py
import numpy as np

from gatgraphs import VERSION, check_report, edges_between, undirected_dedup, write_dataset
from gatrules import SPLITS, attribute

from .common import CliError


METHODS = ("metis", "random")
UFACTOR = 30  # gpmetis's own default for k-way: clusters up to 3 % above the mean size
MAX_SEED = 2**31 - 1  # gpmetis reads its seed as a 32-bit int
TEXT_BLOCK = 1 << 22  # neighbour ids formatted at a time for gpmetis (about 40 MB of text)
GPMETIS = "gpmetis"


def check_options(parts, method, seed, ufactor):
    """The command's options, before any work."""
    if method not in METHODS:
        raise CliError(f"--method: expected one of {', '.join(METHODS)}, got {method!r}")
    if parts < 1:
        raise CliError(f"--parts must be at least 1, got {parts}")
    if not 0 <= seed <= MAX_SEED:
        raise CliError(f"--seed must be in [0, {MAX_SEED}], got {seed}")
    if ufactor < 1:
        raise CliError(f"--ufactor must be at least 1 (an imbalance of 1/1000), got {ufactor}")


def read_source(path):
    """The arrays of the file at `path` (write_dataset's keywords), once it is checked to be a
    valid version-1 file of one graph with node splits: what a partition can reorder."""
    report = check_report(path)
    if report["version"] != VERSION:
        raise CliError(f"{path}: /: attribute version: expected {VERSION} (a graph to partition), "
                       f"got {report['version']} (already partitioned: partition its source)")
    if report["graphs"] != 1:
        raise CliError(f"{path}: /graph_ptr: expected one graph to partition, got "
                       f"{report['graphs']} graphs")
    with h5py.File(path, "r") as f:
        level = attribute(path, "/splits/train", f["splits/train"].attrs, "level", str)
        if level != "node":
            raise CliError(f"{path}: /splits/train: attribute level: expected 'node' (a graph "
                           f"to partition has node splits), got {level!r}")
        return {
            "features": f["features"][()],
            "labels": f["labels"][()],
            "edge_index": f["edge_index"][()],
            "splits": {name: ("node", f[f"splits/{name}"][()]) for name in SPLITS},
            "task": attribute(path, "/", f.attrs, "task", str),
            "num_classes": attribute(path, "/", f.attrs, "num_classes", int),
        }


def random_clusters(n, parts, seed):
    """The cluster of each of n nodes: a seeded random order cut into `parts` runs whose sizes
    differ by at most one (node i of the order goes to cluster i * parts // n)."""
    cluster = np.empty(n, dtype=np.int64)
    cluster[np.random.default_rng(seed).permutation(n)] = np.arange(n, dtype=np.int64) * parts // n
    return cluster


def adjacency(edge_index, n):
    """The undirected graph without self loops or duplicates, as METIS wants it: (indptr [n + 1],
    neighbours), node v's neighbours being neighbours[indptr[v]:indptr[v + 1]]."""
    edges = undirected_dedup(edge_index, n)  # sorted by target: v's neighbours are its sources
    return np.searchsorted(edges[1], np.arange(n + 1)), edges[0]


def _digits(values):
    """Decimal digits of each value (all >= 1)."""
    count = np.ones(values.shape, dtype=np.int64)
    power = 10
    while True:
        more = values >= power
        if not more.any():
            return count
        count += more
        power *= 10


def metis_lines(indptr, neighbours, lo, hi):
    """Lines lo..hi-1 of a METIS graph file as bytes: node v's neighbours, 1-based, separated by
    spaces; a node without neighbours gets an empty line. Made with numpy, digit by digit, as a
    Python loop over 50 million ids would take minutes."""
    ids = neighbours[indptr[lo]:indptr[hi]] + 1
    degree = np.diff(indptr[lo:hi + 1])
    digits = _digits(ids)
    empty = degree == 0
    empties_before = np.cumsum(empty) - empty  # each empty line is one byte, "\n"
    ends = np.concatenate(([0], np.cumsum(digits + 1)))  # each id and the byte after it
    first = indptr[lo:hi] - indptr[lo]  # each node's first id
    start = ends[:-1] + np.repeat(empties_before, degree)
    text = np.full(int(ends[-1] + empty.sum()), ord(" "), dtype=np.uint8)
    for d in range(int(digits.max(initial=0))):
        has = digits > d
        text[(start + digits - 1 - d)[has]] = ord("0") + (ids[has] // 10**d) % 10
    last = (first + degree - 1)[~empty]
    text[start[last] + digits[last]] = ord("\n")
    text[ends[first[empty]] + empties_before[empty]] = ord("\n")
    return text.tobytes()


def write_metis_graph(path, indptr, neighbours):
    """The METIS graph file: header "n m" (m undirected edges), then one line a node, written in
    blocks of about TEXT_BLOCK ids."""
    n = indptr.shape[0] - 1
    with open(path, "wb") as f:
        f.write(f"{n} {neighbours.shape[0] // 2}\n".encode())
        lo = 0
        while lo < n:
            hi = int(np.searchsorted(indptr, indptr[lo] + TEXT_BLOCK, side="right")) - 1
            hi = min(n, max(lo + 1, hi), lo + TEXT_BLOCK)
            f.write(metis_lines(indptr, neighbours, lo, hi))
            lo = hi


def _gpmetis_says(output):
    """gpmetis's complaint, in a line: its output without the banner rules of * and -."""
    lines = [line.strip() for line in output.splitlines()]
    said = [line for line in lines if line and line.strip("*- ")]
    return " ".join(said[-3:])[:300] or "no output"


def run_gpmetis(graph, n, parts, seed, ufactor):
    """Cluster of each node as gpmetis gives it for the graph file `graph` of n nodes. gpmetis
    exits 0 on some input errors (it prints them), so only a .part file of n ids in [0, parts)
    counts as an answer."""
    exe = shutil.which(GPMETIS)
    if exe is None:
        raise CliError(f"{GPMETIS} not found: --method metis runs METIS's gpmetis (install "
                       f"Debian's metis package: apt-get install metis), or use --method random")
    p = subprocess.run([exe, "-ptype=kway", f"-seed={seed}", f"-ufactor={ufactor}", graph,
                        str(parts)], capture_output=True, text=True)
    part = f"{graph}.part.{parts}"
    if p.returncode != 0 or not os.path.exists(part):
        raise CliError(f"gpmetis failed (exit {p.returncode}): "
                       f"{_gpmetis_says(p.stdout + p.stderr)}")
    with open(part, "rb") as f:
        try:
            cluster = np.array(f.read().split(), dtype=np.int64)
        except ValueError:
            cluster = None
    if cluster is None or cluster.shape != (n,) or cluster.min() < 0 or cluster.max() >= parts:
        raise CliError(f"gpmetis gave no partition of {n} nodes into {parts} clusters: "
                       f"{_gpmetis_says(p.stdout + p.stderr)}")
    return cluster


def metis_clusters(where, edge_index, n, parts, seed, ufactor):
    """The cluster of each node by gpmetis (k-way, minimising the edges cut) on the undirected
    graph without self loops or duplicates. One cluster needs no METIS (which refuses it)."""
    if parts == 1:
        return np.zeros(n, dtype=np.int64)
    indptr, neighbours = adjacency(edge_index, n)
    if neighbours.shape[0] == 0:
        raise CliError(f"{where}: /edge_index: no edge between two distinct nodes, so METIS has "
                       f"nothing to cut (use --method random)")
    with tempfile.TemporaryDirectory(prefix="gat_partition_") as tmp:
        graph = os.path.join(tmp, "graph.metis")
        write_metis_graph(graph, indptr, neighbours)
        del indptr, neighbours
        return run_gpmetis(graph, n, parts, seed, ufactor)


def reorder(arrays, cluster, parts):
    """The arrays renumbered so that rows are grouped by cluster, a cluster's nodes in source
    order; edges sorted by (target, source) rows, split ids as rows, sorted. Return (the arrays
    for write_dataset, cluster_ptr, node_perm)."""
    n = cluster.shape[0]
    node_perm = np.argsort(cluster, kind="stable")
    cluster_ptr = np.concatenate(([0], np.cumsum(np.bincount(cluster, minlength=parts))))
    row_of = np.empty(n, dtype=np.int64)
    row_of[node_perm] = np.arange(n, dtype=np.int64)
    # One int64 key a column (target row, then source row): n * n fits for n below 3 * 10^9.
    key = row_of[arrays["edge_index"][1]] * n + row_of[arrays["edge_index"][0]]
    key.sort()
    edges = np.stack([key % n, key // n])
    del key
    out = dict(arrays)
    out.update(features=arrays["features"][node_perm], labels=arrays["labels"][node_perm],
               edge_index=edges, graph_ptr=np.array([0, n], dtype=np.int64),
               edge_ptr=np.array([0, edges.shape[1]], dtype=np.int64),
               splits={name: (level, np.sort(row_of[ids]))
                       for name, (level, ids) in arrays["splits"].items()})
    return out, cluster_ptr.astype(np.int64), node_perm


def partition_file(source, out, parts, method="metis", seed=0, ufactor=UFACTOR, chunk=False,
                   compress=None):
    """Write to `out` the version-2 file of `source` (a version-1 file of one graph with node
    splits) partitioned into `parts` clusters by `method`. The same source and options give
    the same bytes (gpmetis is deterministic for a seed). Return what print_result shows."""
    check_options(parts, method, seed, ufactor)
    started = time.perf_counter()
    where = os.fspath(source)
    arrays = read_source(where)
    n = arrays["features"].shape[0]
    if parts > n:
        raise CliError(f"--parts must be at most the number of nodes, {n}, got {parts}")
    clustering = time.perf_counter()
    if method == "random":
        cluster = random_clusters(n, parts, seed)
    else:
        cluster = metis_clusters(where, arrays["edge_index"], n, parts, seed, ufactor)
    clustered = time.perf_counter()
    arrays, cluster_ptr, node_perm = reorder(arrays, cluster, parts)
    write_dataset(out, **arrays, chunk=chunk, compress=compress,
                  partition={"cluster_ptr": cluster_ptr, "node_perm": node_perm,
                             "cluster": cluster, "method": method, "seed": seed,
                             "source": os.path.basename(where)})
    edges = arrays["edge_index"]
    return {"path": os.fspath(out), "nodes": n, "edges": edges.shape[1], "method": method,
            "seed": seed, "ufactor": ufactor if method == "metis" and parts > 1 else None,
            "cluster_sizes": np.diff(cluster_ptr),
            "edges_between": edges_between(edges, cluster_ptr),
            "seconds": time.perf_counter() - started, "clustering_seconds": clustered - clustering}


def print_result(r):
    """The lines partition_file's result shows: the file, its clusters, their sizes, the edges
    between clusters, the time taken (and the part the partitioner took)."""
    sizes, edges = r["cluster_sizes"], r["edges"]
    how = f"seed {r['seed']}" + (f", ufactor {r['ufactor']}" if r["ufactor"] is not None else "")
    share = r["edges_between"] / edges if edges else 0.0
    rows = [
        ("wrote", f"{r['path']} (gat-graphs version 2): {r['nodes']} nodes, {edges} edges"),
        ("partition", f"{sizes.shape[0]} clusters by {r['method']} ({how})"),
        ("cluster size", f"min {sizes.min()}  mean {sizes.mean():.1f}  max {sizes.max()}  "
                         f"(nodes)"),
        ("cut edges", f"{r['edges_between']} of {edges} ({share:.1%}) between clusters"),
        ("seconds", f"{r['seconds']:.1f} ({r['method']} {r['clustering_seconds']:.1f})"),
    ]
    for key, value in rows:
        print(f"{key:<12} {value}")
