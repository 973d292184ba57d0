"""Write and validate "gat-graphs" HDF5 datasets (the contract is docs/data_format.md).

One function, check_arrays, holds every rule; it runs on the arrays before writing and on a
file's contents when validating, so whatever write_dataset() produces passes validate().
"""

import contextlib
import os

import h5py
import numpy as np

FORMAT = "gat-graphs"
VERSION = 1
TASKS = ("multiclass", "multilabel")
LEVELS = ("graph", "node")
SPLITS = ("train", "val", "test")
GZIP_LEVELS = range(1, 10)  # HDF5's deflate filter: 1 fastest .. 9 smallest
CHUNK_BYTES = 1 << 20  # about 1 MiB a chunk: compresses well, and fits HDF5's default chunk cache


class FormatError(ValueError):
    """A dataset breaks the format. The message is one line: 'FILE: /DATASET: what was expected'."""


def _fail(where, dataset, message):
    raise FormatError(f"{where}: {dataset}: {message}")


def _shape(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _expect_array(where, dataset, array, dtype, ndim):
    if array.dtype != np.dtype(dtype):
        _fail(where, dataset, f"expected {np.dtype(dtype).name}, got {array.dtype.name}")
    if array.ndim != ndim:
        _fail(where, dataset, f"expected {ndim}-D, got shape {_shape(array.shape)}")


def _expect_shape(where, dataset, array, shape):
    if array.shape != tuple(shape):
        _fail(where, dataset, f"expected shape {_shape(shape)}, got {_shape(array.shape)}")


def _check_ptr(where, dataset, ptr, total, what):
    if ptr.shape[0] < 2:
        _fail(where, dataset, f"expected at least 2 entries (one graph), got {ptr.shape[0]}")
    if ptr[0] != 0:
        _fail(where, dataset, f"expected entry 0 to be 0, got {ptr[0]}")
    drops = np.flatnonzero(np.diff(ptr) < 0)
    if drops.size:
        g = int(drops[0])
        _fail(where, dataset, f"expected non-decreasing entries, got {ptr[g]} then {ptr[g + 1]} "
                              f"at entries {g} and {g + 1}")
    if ptr[-1] != total:
        _fail(where, dataset, f"expected last entry to equal the number of {what} {total}, "
                              f"got {ptr[-1]}")


def _check_ids(where, dataset, ids, limit, what):
    bad = np.flatnonzero((ids < 0) | (ids >= limit))
    if bad.size:
        i = int(bad[0])
        _fail(where, dataset, f"{what} id {ids[i]} at position {i} is out of range [0, {limit})")


def check_graph(where, task, num_classes, features, labels, edge_index):
    """Check rules 1 to 4 (root attributes, features, labels, edge ids in range) on in-memory
    arrays; raise FormatError on the first breach. Return (N, E).

    Called on one graph with its own node ids, this checks that graph in isolation: what a writer
    that streams graph by graph (gatdata/big_synth.py) checks before writing each one.
    """
    if task not in TASKS:
        _fail(where, "/", f"attribute task: expected one of {', '.join(TASKS)}, got {task!r}")
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) \
            or num_classes <= 0:
        _fail(where, "/", f"attribute num_classes: expected an integer > 0, got {num_classes!r}")

    _expect_array(where, "/features", features, np.float32, 2)
    n, f = features.shape
    if n == 0 or f == 0:
        _fail(where, "/features", f"expected at least one node and one feature, "
                                  f"got shape {_shape(features.shape)}")
    bad = np.argwhere(~np.isfinite(features))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        _fail(where, "/features", f"expected finite values, got {features[r, c]} "
                                  f"at row {r}, column {c}")

    if task == "multiclass":
        _expect_array(where, "/labels", labels, np.int64, 1)
        _expect_shape(where, "/labels", labels, (n,))
        bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
        if bad.size:
            i = int(bad[0])
            _fail(where, "/labels", f"label {labels[i]} of node {i} is out of range "
                                    f"[0, {num_classes})")
    else:
        _expect_array(where, "/labels", labels, np.uint8, 2)
        _expect_shape(where, "/labels", labels, (n, num_classes))
        bad = np.argwhere(labels > 1)
        if bad.size:
            r, c = (int(v) for v in bad[0])
            _fail(where, "/labels", f"expected 0 or 1, got {labels[r, c]} at node {r}, class {c}")

    _expect_array(where, "/edge_index", edge_index, np.int64, 2)
    if edge_index.shape[0] != 2:
        _fail(where, "/edge_index", f"expected shape [2, E], got {_shape(edge_index.shape)}")
    bad = np.argwhere((edge_index < 0) | (edge_index >= n))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        _fail(where, "/edge_index", f"node id {edge_index[r, c]} in column {c} is out of range "
                                    f"[0, {n})")
    return n, edge_index.shape[1]


def check_index(where, n, e, graph_ptr, edge_ptr, splits):
    """Check rules 5, 6 and 8 (graph_ptr, edge_ptr, splits) for N nodes and E edges; raise
    FormatError on the first breach. `splits` maps "train"/"val"/"test" to (level, ids)."""
    _expect_array(where, "/graph_ptr", graph_ptr, np.int64, 1)
    _check_ptr(where, "/graph_ptr", graph_ptr, n, "nodes")
    g = graph_ptr.shape[0] - 1
    _expect_array(where, "/edge_ptr", edge_ptr, np.int64, 1)
    _expect_shape(where, "/edge_ptr", edge_ptr, (g + 1,))
    _check_ptr(where, "/edge_ptr", edge_ptr, e, "edges")

    levels = set()
    for name in SPLITS:
        dataset = f"/splits/{name}"
        if name not in splits:
            _fail(where, dataset, "missing")
        level, ids = splits[name]
        if level not in LEVELS:
            _fail(where, dataset, f"attribute level: expected one of {', '.join(LEVELS)}, "
                                  f"got {level!r}")
        levels.add(level)
        _expect_array(where, dataset, ids, np.int64, 1)
        _check_ids(where, dataset, ids, g if level == "graph" else n, level)
    if len(levels) > 1:
        _fail(where, "/splits", "expected one level for train, val and test, got " +
              ", ".join(f"{s}={splits[s][0]}" for s in SPLITS))


def check_arrays(where, task, num_classes, features, labels, edge_index, graph_ptr, edge_ptr,
                 splits):
    """Check every rule of the format on in-memory arrays; raise FormatError on the first breach.

    `where` names the file in messages. `splits` maps "train"/"val"/"test" to (level, ids).
    """
    n, e = check_graph(where, task, num_classes, features, labels, edge_index)
    check_index(where, n, e, graph_ptr, edge_ptr, splits)
    g = graph_ptr.shape[0] - 1

    # Each edge column belongs to the graph whose edge range holds it; both ends must lie in
    # that graph's node range, so graphs can be batched and sharded independently.
    owner = np.repeat(np.arange(g), np.diff(edge_ptr))
    lo, hi = graph_ptr[owner], graph_ptr[owner + 1]
    bad = np.argwhere((edge_index < lo) | (edge_index >= hi))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        _fail(where, "/edge_index", f"node id {edge_index[r, c]} in column {c} lies outside graph "
                                    f"{owner[c]}'s node range [{lo[c]}, {hi[c]})")


def _as_int64(where, dataset, values):
    array = np.asarray(values)
    # Refuse float ids rather than truncate them silently.
    if array.size and array.dtype.kind not in "iu":
        _fail(where, dataset, f"expected integers, got {array.dtype.name}")
    return array.astype(np.int64)


def storage(name, shape, dtype, chunk=False, compress=None):
    """create_dataset keywords for dataset `name` of `shape` and `dtype`: none (contiguous)
    unless `chunk` or a gzip level `compress` (1..9, which implies chunks) is given. A chunk
    holds whole rows (whole columns of edge_index, whose long axis is 1), about CHUNK_BYTES of
    them. An empty dataset stays contiguous: it has no element to put in a chunk."""
    if compress is not None and compress not in GZIP_LEVELS:
        raise ValueError(f"expected a gzip level in 1..9, got {compress!r}")
    if not (chunk or compress) or 0 in shape:
        return {}
    axis = 1 if name == "edge_index" else 0
    row = np.dtype(dtype).itemsize * int(np.prod(shape)) // shape[axis]
    chunks = list(shape)
    chunks[axis] = max(1, min(shape[axis], CHUNK_BYTES // row))
    options = {"chunks": tuple(chunks)}
    if compress:
        options.update(compression="gzip", compression_opts=compress)
    return options


@contextlib.contextmanager
def creating(path, **file_options):
    """An h5py.File open for writing on `path + ".tmp"`, renamed over `path` when the block ends
    without error and removed otherwise, so `path` never names a half-written file.
    `file_options` go to h5py.File (e.g. a larger chunk cache)."""
    where = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(where)), exist_ok=True)  # `--out data/x.h5` on a fresh clone
    tmp = where + ".tmp"
    try:
        with h5py.File(tmp, "w", **file_options) as f:
            yield f
        os.replace(tmp, where)
    except BaseException:  # Ctrl-C included: never leave a stray .tmp
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_root(f, task, num_classes):
    """The four root attributes."""
    f.attrs["format"] = FORMAT
    f.attrs["version"] = np.int64(VERSION)
    f.attrs["task"] = task
    f.attrs["num_classes"] = np.int64(num_classes)


def write_splits(f, splits):
    """/splits/{train,val,test}, each with its `level` attribute; `splits` maps each name to
    (level, int64 ids). Small, so never chunked."""
    group = f.create_group("splits")
    for name in SPLITS:
        level, ids = splits[name]
        group.create_dataset(name, data=ids, track_times=False).attrs["level"] = level


def write_dataset(path, features, labels, edge_index, graph_ptr, edge_ptr, splits, task,
                  num_classes, chunk=False, compress=None):
    """Validate, then write one dataset to `path` atomically (via `path + ".tmp"`).

    Features may be any real array (stored as float32); ids any integer array (stored as
    int64); multilabel labels any 0/1 array (stored as uint8). `splits` maps each of
    "train", "val", "test" to (level, ids). `chunk` and `compress` (a gzip level 1..9) store
    the five main datasets in chunks (see storage); by default they are contiguous.
    """
    where = os.fspath(path)
    storage("labels", (1,), np.uint8, compress=compress)  # a bad level fails before any work
    features = np.asarray(features, dtype=np.float32)
    if task == "multilabel":
        labels = np.asarray(labels)
        # The uint8 cast would turn 256 or 0.5 into 0, so check the values before it.
        if not np.isin(labels, (0, 1)).all():
            _fail(where, "/labels", "expected 0 or 1 everywhere")
        labels = labels.astype(np.uint8)
    else:
        labels = _as_int64(where, "/labels", labels)
    edge_index = _as_int64(where, "/edge_index", edge_index)
    graph_ptr = _as_int64(where, "/graph_ptr", graph_ptr)
    edge_ptr = _as_int64(where, "/edge_ptr", edge_ptr)
    unknown = sorted(set(splits) - set(SPLITS))
    if unknown:
        _fail(where, "/splits", f"expected only {', '.join(SPLITS)}, got {', '.join(unknown)}")
    splits = {name: (level, _as_int64(where, f"/splits/{name}", ids))
              for name, (level, ids) in splits.items()}
    check_arrays(where, task, num_classes, features, labels, edge_index, graph_ptr, edge_ptr,
                 splits)

    with creating(where) as f:
        write_root(f, task, num_classes)
        # No timestamps, so the same arrays always give the same bytes.
        for name, array in (("features", features), ("labels", labels),
                            ("edge_index", edge_index), ("graph_ptr", graph_ptr),
                            ("edge_ptr", edge_ptr)):
            f.create_dataset(name, data=array, track_times=False,
                             **storage(name, array.shape, array.dtype, chunk, compress))
        write_splits(f, splits)


def _attr(where, f, name, kind):
    if name not in f.attrs:
        _fail(where, "/", f"attribute {name}: missing")
    value = f.attrs[name]
    if kind is str:
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            _fail(where, "/", f"attribute {name}: expected a string, got {value!r}")
    elif not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        _fail(where, "/", f"attribute {name}: expected an integer, got {value!r}")
    return value if kind is str else int(value)


def _read(where, f, name):
    obj = f.get(name)
    if obj is None:
        _fail(where, "/" + name, "missing")
    if not isinstance(obj, h5py.Dataset):
        _fail(where, "/" + name, "expected a dataset, got a group")
    return np.asarray(obj[()])


def _level(where, dataset):
    if "level" not in dataset.attrs:
        _fail(where, dataset.name, "attribute level: missing")
    level = dataset.attrs["level"]
    if isinstance(level, bytes):
        level = level.decode("utf-8", "replace")
    if not isinstance(level, str):
        _fail(where, dataset.name, f"attribute level: expected a string, got {level!r}")
    return level


def _is_undirected(edge_index, n):
    key = edge_index[0] * n + edge_index[1]
    reverse = edge_index[1] * n + edge_index[0]
    return bool(np.isin(reverse, key).all())


def validate(path):
    """Check a file against every rule of the format; return a summary dict of what it holds.

    Raises FormatError (one line naming the file, the dataset and what was expected).
    """
    where = os.fspath(path)
    try:
        f = h5py.File(where, "r")
    except OSError as e:
        _fail(where, "/", f"cannot open as HDF5 ({e})")
    with f:
        fmt = _attr(where, f, "format", str)
        if fmt != FORMAT:
            _fail(where, "/", f"attribute format: expected {FORMAT!r}, got {fmt!r}")
        version = _attr(where, f, "version", int)
        if version != VERSION:
            _fail(where, "/", f"attribute version: expected {VERSION}, got {version}")
        task = _attr(where, f, "task", str)
        num_classes = _attr(where, f, "num_classes", int)
        arrays = {name: _read(where, f, name)
                  for name in ("features", "labels", "edge_index", "graph_ptr", "edge_ptr")}
        splits = {}
        for name in SPLITS:
            dataset = f.get(f"splits/{name}")
            if isinstance(dataset, h5py.Dataset):
                splits[name] = (_level(where, dataset), np.asarray(dataset[()]))
    check_arrays(where, task, num_classes, splits=splits, **arrays)

    features = arrays["features"]
    return {
        "path": where,
        "task": task,
        "num_classes": num_classes,
        "num_nodes": features.shape[0],
        "num_features": features.shape[1],
        "num_edges": arrays["edge_index"].shape[1],
        "num_graphs": arrays["graph_ptr"].shape[0] - 1,
        "nodes_per_graph": np.diff(arrays["graph_ptr"]),
        "edges_per_graph": np.diff(arrays["edge_ptr"]),
        **graph_stats(task, num_classes, arrays["labels"], arrays["edge_index"]),
        **split_stats(splits),
    }


def graph_stats(task, num_classes, labels, edge_index):
    """What validate reports on nodes and edges. For graphs that share no node, each count of
    the whole is the sum of the graphs' counts, and `undirected` holds if it holds for each."""
    n = labels.shape[0]
    loops = edge_index[0] == edge_index[1]
    touched = np.zeros(n, dtype=bool)
    touched[edge_index[:, ~loops].ravel()] = True
    return {
        "isolated_nodes": int(n - touched.sum()),
        "self_loops": int(loops.sum()),
        "undirected": _is_undirected(edge_index, n),
        # Nodes per class; for multilabel a node counts once for each of its labels.
        "class_counts": (np.bincount(labels, minlength=num_classes) if task == "multiclass"
                         else labels.sum(axis=0, dtype=np.int64)),
    }


def split_stats(splits):
    """What validate reports on the splits ((level, ids) by name)."""
    split_ids = {name: set(ids.tolist()) for name, (_, ids) in splits.items()}
    return {
        "split_level": splits["train"][0],
        "split_sizes": {name: int(ids.shape[0]) for name, (_, ids) in splits.items()},
        # Not a format rule (the loader accepts overlap), but almost always a data bug.
        "splits_disjoint": not (split_ids["train"] & split_ids["val"]
                                or split_ids["train"] & split_ids["test"]
                                or split_ids["val"] & split_ids["test"]),
    }


def undirected_dedup(edge_index, num_nodes):
    """Symmetrise edges, drop self loops and duplicates; return int64 [2, E'].

    Columns come out sorted by target, then source. Because every graph owns a contiguous node
    range, this also groups edges by graph in graph order (see edge_ptr_for) and lists each
    node's incoming edges contiguously.
    """
    edge_index = np.asarray(edge_index, dtype=np.int64)
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"expected edges of shape [2, E], got {_shape(edge_index.shape)}")
    if edge_index.size and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
        raise ValueError(f"edge endpoint out of range [0, {num_nodes})")
    src = np.concatenate([edge_index[0], edge_index[1]])
    dst = np.concatenate([edge_index[1], edge_index[0]])
    keep = src != dst
    key = np.unique(dst[keep] * num_nodes + src[keep])
    return np.stack([key % num_nodes, key // num_nodes])


def edge_ptr_for(edge_index, graph_ptr):
    """edge_ptr for edges sorted by target (as undirected_dedup returns them) and no edge
    crossing graphs: graph g's edges are those whose target lies in its node range."""
    return np.searchsorted(edge_index[1], graph_ptr, side="left").astype(np.int64)
