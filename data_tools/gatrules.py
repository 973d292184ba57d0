"""The rules of the gat-graphs format (docs/data_format.md), checked a piece at a time.

First what reads no data: the attributes, dtypes and shapes; then the index (graph_ptr,
edge_ptr, 16 bytes a graph, read whole; the split ids, read in blocks). Then the data, in pieces
of consecutive whole graphs of about BLOCK_BYTES together, a larger graph alone or in parts of
its rows and edge columns. The arrays may be numpy arrays (what write_dataset is about to write)
or h5py datasets (a file being validated): both have dtype and shape and slice alike, and h5py
reads only the slice, so a file of any size is checked in bounded memory by the very code that
checks the arrays before they are written.

A version-2 file (one graph partitioned into clusters) also meets rules 10 to 12, checked
after the others by check_version2: the splits' level and /graph_ptr, then the edges' order in
blocks of columns, then the partition, whose three datasets of N entries at most are read whole.

Every breach raises FormatError with one line: 'FILE: /DATASET: what was expected'.
"""

import numpy as np

FORMAT = "gat-graphs"
VERSION = 1
PARTITIONED = 2  # the version of a file whose graph is partitioned into clusters
VERSIONS = (VERSION, PARTITIONED)
TASKS = ("multiclass", "multilabel")
LEVELS = ("graph", "node")
SPLITS = ("train", "val", "test")
# Data read at a time (features, labels and edge columns of a piece together). With the checks'
# temporaries and HDF5's chunk caches the peak is a few times this (docs/data_format.md).
BLOCK_BYTES = 8 << 20
EDGE_BYTES = 16  # one int64 column of /edge_index


class FormatError(ValueError):
    """A dataset breaks the format. The message is one line: 'FILE: /DATASET: what was expected'."""


def fail(where, dataset, message):
    raise FormatError(f"{where}: {dataset}: {message}")


def shape_text(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _expect_array(where, dataset, array, dtype, ndim):
    if array.dtype != np.dtype(dtype):
        fail(where, dataset, f"expected {np.dtype(dtype).name}, got {array.dtype.name}")
    if array.ndim != ndim:
        fail(where, dataset, f"expected {ndim}-D, got shape {shape_text(array.shape)}")


def _expect_shape(where, dataset, array, shape, meaning=""):
    if array.shape != tuple(shape):
        fail(where, dataset, f"expected shape {shape_text(shape)}{meaning}, "
                             f"got {shape_text(array.shape)}")


def _blocks(length, step):
    """(lo, hi) ranges of at most `step` covering 0..length-1."""
    return ((lo, min(lo + step, length)) for lo in range(0, length, step))


def check_header(where, task, num_classes, features, labels, edge_index):
    """Rules 1 to 4 as far as the attributes, dtypes and shapes go: nothing is read. Return
    (N, E)."""
    if task not in TASKS:
        fail(where, "/", f"attribute task: expected one of {', '.join(TASKS)}, got {task!r}")
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) \
            or num_classes <= 0:
        fail(where, "/", f"attribute num_classes: expected an integer > 0, got {num_classes!r}")

    _expect_array(where, "/features", features, np.float32, 2)
    n, f = features.shape
    if n == 0 or f == 0:
        fail(where, "/features", f"expected at least one node and one feature, "
                                 f"got shape {shape_text(features.shape)}")
    if task == "multiclass":
        _expect_array(where, "/labels", labels, np.int64, 1)
        _expect_shape(where, "/labels", labels, (n,))
    else:
        _expect_array(where, "/labels", labels, np.uint8, 2)
        _expect_shape(where, "/labels", labels, (n, num_classes))
    _expect_array(where, "/edge_index", edge_index, np.int64, 2)
    if edge_index.shape[0] != 2:
        fail(where, "/edge_index", f"expected shape [2, E], got {shape_text(edge_index.shape)}")
    return n, edge_index.shape[1]


def _check_ptr(where, dataset, ptr, total, what):
    if ptr.shape[0] < 2:
        fail(where, dataset, f"expected at least 2 entries (one graph), got {ptr.shape[0]}")
    if ptr[0] != 0:
        fail(where, dataset, f"expected entry 0 to be 0, got {ptr[0]}")
    drops = np.flatnonzero(np.diff(ptr) < 0)
    if drops.size:
        g = int(drops[0])
        fail(where, dataset, f"expected non-decreasing entries, got {ptr[g]} then {ptr[g + 1]} "
                             f"at entries {g} and {g + 1}")
    if ptr[-1] != total:
        fail(where, dataset, f"expected last entry to equal the number of {what} {total}, "
                             f"got {ptr[-1]}")


def _check_ids(where, dataset, ids, limit, what, block_bytes):
    for lo, hi in _blocks(ids.shape[0], max(1, block_bytes // 8)):
        part = ids[lo:hi]
        bad = np.flatnonzero((part < 0) | (part >= limit))
        if bad.size:
            i = int(bad[0])
            fail(where, dataset, f"{what} id {part[i]} at position {lo + i} is out of range "
                                 f"[0, {limit})")


def check_index(where, n, e, graph_ptr, edge_ptr, splits, block_bytes=BLOCK_BYTES):
    """Rules 5, 6 and 8 (graph_ptr, edge_ptr, splits) for N nodes and E edges. `splits` maps
    "train"/"val"/"test" to (level, ids); the ids are read block by block. Return graph_ptr and
    edge_ptr as numpy arrays: the walk over the data needs them whole."""
    _expect_array(where, "/graph_ptr", graph_ptr, np.int64, 1)
    graph_ptr = graph_ptr[()]
    _check_ptr(where, "/graph_ptr", graph_ptr, n, "nodes")
    g = graph_ptr.shape[0] - 1
    _expect_array(where, "/edge_ptr", edge_ptr, np.int64, 1)
    _expect_shape(where, "/edge_ptr", edge_ptr, (g + 1,))
    edge_ptr = edge_ptr[()]
    _check_ptr(where, "/edge_ptr", edge_ptr, e, "edges")

    levels = set()
    for name in SPLITS:
        dataset = f"/splits/{name}"
        if name not in splits:
            fail(where, dataset, "missing")
        level, ids = splits[name]
        if level not in LEVELS:
            fail(where, dataset, f"attribute level: expected one of {', '.join(LEVELS)}, "
                                 f"got {level!r}")
        levels.add(level)
        _expect_array(where, dataset, ids, np.int64, 1)
        _check_ids(where, dataset, ids, g if level == "graph" else n, level, block_bytes)
    if len(levels) > 1:
        fail(where, "/splits", "expected one level for train, val and test, got " +
             ", ".join(f"{s}={splits[s][0]}" for s in SPLITS))
    return graph_ptr, edge_ptr


def pieces(graph_ptr, edge_ptr, row_bytes, block_bytes, split_graphs):
    """Yield ((r0, r1), (c0, c1)): node rows r0..r1-1 and edge columns c0..c1-1 to read
    together. Consecutive whole graphs go together up to about block_bytes (a row costing
    row_bytes, a column EDGE_BYTES); a larger graph comes alone, whole, or with `split_graphs`
    in parts of about block_bytes, part i holding the i-th share of its rows and of its
    columns (the two do not match: each rule holds row by row or column by column)."""
    cost = graph_ptr * row_bytes + edge_ptr * EDGE_BYTES  # bytes before each graph
    g, last = 0, graph_ptr.shape[0] - 1
    while g < last:
        end = max(g + 1, int(np.searchsorted(cost, cost[g] + block_bytes, side="right")) - 1)
        parts = max(1, -(-int(cost[end] - cost[g]) // block_bytes)) if split_graphs else 1
        r0, r1, c0, c1 = (int(v) for v in (graph_ptr[g], graph_ptr[end], edge_ptr[g],
                                           edge_ptr[end]))
        for i in range(parts):
            yield ((r0 + (r1 - r0) * i // parts, r0 + (r1 - r0) * (i + 1) // parts),
                   (c0 + (c1 - c0) * i // parts, c0 + (c1 - c0) * (i + 1) // parts))
        g = end


def _check_features(where, features, r0, r1):
    """Rule 2's values on rows r0..r1-1; read here and dropped, as nothing else needs them."""
    x = features[r0:r1]
    finite = np.isfinite(x)
    if not finite.all():
        r, c = (int(v) for v in np.argwhere(~finite)[0])
        fail(where, "/features", f"expected finite values, got {x[r, c]} at row {r0 + r}, "
                                 f"column {c}")


def _check_labels(where, task, num_classes, y, r0):
    """Rule 3's values on the labels of rows r0.."""
    if task == "multiclass":
        bad = np.flatnonzero((y < 0) | (y >= num_classes))
        if bad.size:
            i = int(bad[0])
            fail(where, "/labels", f"label {y[i]} of node {r0 + i} is out of range "
                                   f"[0, {num_classes})")
    else:
        bad = np.argwhere(y > 1)
        if bad.size:
            r, c = (int(v) for v in bad[0])
            fail(where, "/labels", f"expected 0 or 1, got {y[r, c]} at node {r0 + r}, class {c}")


def _check_edges(where, e, c0, n, graph_ptr, edge_ptr):
    """Rules 4 and 7 on edge columns c0.. (`e`, int64 [2, k])."""
    bad = np.argwhere((e < 0) | (e >= n))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        fail(where, "/edge_index", f"node id {e[r, c]} in column {c0 + c} is out of range "
                                   f"[0, {n})")
    # Each edge column belongs to the graph whose edge range holds it; both ends must lie in
    # that graph's node range, so graphs can be batched and sharded independently.
    c1 = c0 + e.shape[1]
    g0 = int(np.searchsorted(edge_ptr, c0, side="right")) - 1
    g1 = int(np.searchsorted(edge_ptr, c1, side="left"))
    owner = np.repeat(np.arange(g0, g1), np.diff(np.clip(edge_ptr[g0:g1 + 1], c0, c1)))
    lo, hi = graph_ptr[owner], graph_ptr[owner + 1]
    bad = np.argwhere((e < lo) | (e >= hi))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        fail(where, "/edge_index", f"node id {e[r, c]} in column {c0 + c} lies outside graph "
                                   f"{owner[c]}'s node range [{lo[c]}, {hi[c]})")


def check_data(where, task, num_classes, features, labels, edge_index, graph_ptr, edge_ptr,
               on_piece=None, split_graphs=True, block_bytes=BLOCK_BYTES):
    """Rules 2, 3, 4 and 7 on the values, piece by piece (see pieces), once check_header and
    check_index have passed. After each piece passes, on_piece(r0, labels of its rows r0..,
    its edge columns) is called; without `split_graphs` these are the rows and columns of whole
    graphs, so it can take statistics graph by graph."""
    n = features.shape[0]
    row_bytes = features.dtype.itemsize * features.shape[1] + \
        labels.dtype.itemsize * int(np.prod(labels.shape[1:]))
    for (r0, r1), (c0, c1) in pieces(graph_ptr, edge_ptr, row_bytes, block_bytes, split_graphs):
        _check_features(where, features, r0, r1)
        y = labels[r0:r1]
        _check_labels(where, task, num_classes, y, r0)
        e = edge_index[:, c0:c1]
        if c1 > c0:
            _check_edges(where, e, c0, n, graph_ptr, edge_ptr)
        if on_piece is not None:
            on_piece(r0, y, e)


def check_all(where, task, num_classes, features, labels, edge_index, graph_ptr, edge_ptr, splits,
              on_piece=None, split_graphs=True, block_bytes=BLOCK_BYTES):
    """Every rule of the format (rules 1 to 8), in the order above; `splits` maps
    "train"/"val"/"test" to (level, ids); on_piece and split_graphs as for check_data. Return
    graph_ptr and edge_ptr as numpy arrays."""
    n, e = check_header(where, task, num_classes, features, labels, edge_index)
    graph_ptr, edge_ptr = check_index(where, n, e, graph_ptr, edge_ptr, splits, block_bytes)
    check_data(where, task, num_classes, features, labels, edge_index, graph_ptr, edge_ptr,
               on_piece, split_graphs, block_bytes)
    return graph_ptr, edge_ptr


def check_graph(where, task, num_classes, features, labels, edge_index):
    """Rules 1 to 4 on one graph in isolation, with its own node ids: what a writer that streams
    graph by graph (gatdata/big_synth.py) checks before writing each one."""
    n, e = check_header(where, task, num_classes, features, labels, edge_index)
    check_data(where, task, num_classes, features, labels, edge_index,
               np.array([0, n], dtype=np.int64), np.array([0, e], dtype=np.int64))


# Version 2 (rules 10 to 12): one graph whose rows are grouped by cluster. Each check walks its
# dataset in order and names the first offender, with the lines of docs/data_format.md's table,
# as the C++ reader (src/data/graph_partition.cpp) does: both give the same line for a file.

PARTITION = "/partition"
PARTITION_DATASETS = ("cluster_ptr", "node_perm", "cluster")
ONE_GRAPH = "(a version-2 file holds one graph)"


def attribute(where, name, attrs, key, kind):
    """Attribute `key` of object `name` (attrs: an h5py AttributeManager or a dict) as a str or
    an int (`kind`), or the line that says it is missing or of another type."""
    if key not in attrs:
        fail(where, name, f"attribute {key}: missing")
    value = attrs[key]
    if kind is str:
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            fail(where, name, f"attribute {key}: expected a string, got {value!r}")
        return value
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        fail(where, name, f"attribute {key}: expected an integer, got {value!r}")
    return int(value)


def check_one_graph(where, graph_ptr, splits):
    """Rule 10, once rules 5 and 8 hold (so the three splits share one level): a partition is
    of one graph's nodes."""
    if graph_ptr.shape[0] != 2:
        fail(where, "/graph_ptr", f"expected [0, N] {ONE_GRAPH}, got shape "
                                  f"{shape_text(graph_ptr.shape)}")
    level = splits["train"][0]
    if level != "node":
        fail(where, "/splits/train", f"attribute level: expected 'node' {ONE_GRAPH}, "
                                     f"got {level!r}")


def check_sorted_by_target(where, edge_index, block_bytes=BLOCK_BYTES):
    """Rule 11: row 1 of /edge_index never decreases, so the edges into a cluster are one range
    of columns. Read in blocks of targets, each compared with the last of the block before."""
    previous = None
    for lo, hi in _blocks(edge_index.shape[1], max(1, block_bytes // 8)):
        target = edge_index[1, lo:hi]
        t = target if previous is None else np.concatenate(([previous], target))
        first = lo if previous is None else lo - 1  # the column of t[0]
        drops = np.flatnonzero(t[1:] < t[:-1])
        if drops.size:
            j = int(drops[0])
            fail(where, "/edge_index", f"expected columns sorted by target (version 2), got "
                                       f"target {t[j]} then {t[j + 1]} at columns {first + j} "
                                       f"and {first + j + 1}")
        previous = target[-1]


def _rows(first, last):
    return f"rows {first}..{last}"


def _check_cluster_ptr(where, p, n):
    """Rule 12: cluster_ptr starts at 0, never decreases and ends at N, so that every row is in
    exactly one cluster; a breach names the rows it leaves out or puts in two clusters."""
    name = f"{PARTITION}/cluster_ptr"
    if p.shape[0] < 2:
        fail(where, name, f"expected shape [K + 1] with K >= 1, got {shape_text(p.shape)}")
    if p[0] > 0:
        fail(where, name, f"{_rows(0, p[0] - 1)} are in no cluster (expected first entry 0)")
    if p[0] < 0:
        fail(where, name, f"expected first entry 0, got {p[0]}")
    drops = np.flatnonzero(p[1:] < p[:-1])
    if drops.size:
        i = int(drops[0]) + 1
        fail(where, name, f"entries {i - 1} and {i} are {p[i - 1]} then {p[i]}: "
                          f"{_rows(p[i], p[i - 1] - 1)} would be in two clusters "
                          f"(expected non-decreasing entries)")
    last = p[-1]
    if last < n:
        fail(where, name, f"{_rows(last, n - 1)} are in no cluster (expected last entry {n}, "
                          f"the number of nodes)")
    if last > n:
        fail(where, name, f"expected last entry {n}, the number of nodes, got {last}")


def _check_node_perm(where, perm):
    """Rule 12: node_perm is a permutation of [0, N). As a walk over the rows would: the first
    row holding an id out of range or a node already seen at an earlier row."""
    n = perm.shape[0]
    expected = f", expected a permutation of [0, {n})"
    out = (perm < 0) | (perm >= n)
    first_out = int(np.argmax(out)) if out.any() else n
    rows = np.flatnonzero(~out)
    nodes = perm[rows]
    order = np.argsort(nodes, kind="stable")  # a node's rows stay in row order
    sorted_nodes = nodes[order]
    repeats = rows[order[1:][sorted_nodes[1:] == sorted_nodes[:-1]]]  # all but a node's first
    first_repeat = int(repeats.min()) if repeats.size else n
    if first_out < first_repeat:
        fail(where, f"{PARTITION}/node_perm", f"row {first_out} holds node {perm[first_out]}"
                                              f"{expected}")
    if first_repeat < n:
        node = perm[first_repeat]
        # The first repeat: its node was seen at exactly one row before.
        earlier = int(np.flatnonzero(perm[:first_repeat] == node)[0])
        fail(where, f"{PARTITION}/node_perm", f"node {node} is at rows {earlier} and "
                                              f"{first_repeat}{expected}")


def _check_clusters(where, ptr, perm, cluster):
    """Rule 12: every cluster id in [0, K), then each row's node in the cluster whose rows hold
    it (once cluster_ptr and node_perm hold)."""
    name = f"{PARTITION}/cluster"
    k = ptr.shape[0] - 1
    bad = np.flatnonzero((cluster < 0) | (cluster >= k))
    if bad.size:
        node = int(bad[0])
        fail(where, name, f"node {node} is in cluster {cluster[node]}, expected [0, {k})")
    row_cluster = np.repeat(np.arange(k, dtype=np.int64), np.diff(ptr))
    disagree = np.flatnonzero(cluster[perm] != row_cluster)
    if disagree.size:
        r = int(disagree[0])
        fail(where, name, f"node {perm[r]} (row {r}) is in cluster {cluster[perm[r]]}, but row "
                          f"{r} is in cluster {row_cluster[r]}'s rows")


def check_partition(where, n, cluster_ptr, node_perm, cluster, attrs):
    """Rule 12 on the three datasets of /partition (numpy arrays or h5py datasets, read whole:
    N entries at most) and its attributes (method, seed), for N nodes. Return cluster_ptr as a
    numpy array."""
    arrays = (cluster_ptr, node_perm, cluster)
    for key, array in zip(PARTITION_DATASETS, arrays):
        _expect_array(where, f"{PARTITION}/{key}", array, np.int64, 1)
    for key, array in (("node_perm", node_perm), ("cluster", cluster)):
        _expect_shape(where, f"{PARTITION}/{key}", array, (n,), " (one entry per node)")
    attribute(where, PARTITION, attrs, "method", str)
    attribute(where, PARTITION, attrs, "seed", int)
    ptr = cluster_ptr[()]
    _check_cluster_ptr(where, ptr, n)
    perm = node_perm[()]
    _check_node_perm(where, perm)
    _check_clusters(where, ptr, perm, cluster[()])
    return ptr


def check_version2(where, n, graph_ptr, splits, edge_index, partition, block_bytes=BLOCK_BYTES):
    """Rules 10 to 12, in the order of the C++ reader, once check_all has passed. `partition()`
    returns (cluster_ptr, node_perm, cluster, attrs) of /partition, or fails (e.g. the group is
    missing): it is called only once rules 10 and 11 hold. Return cluster_ptr as a numpy
    array."""
    check_one_graph(where, graph_ptr, splits)
    check_sorted_by_target(where, edge_index, block_bytes)
    return check_partition(where, n, *partition())
