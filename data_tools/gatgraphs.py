"""Write and validate "gat-graphs" HDF5 datasets (the contract is docs/data_format.md).

The rules live in gatrules, which checks them a piece at a time; they run on the arrays before
writing and on a file's datasets when validating, so whatever write_dataset() produces passes
validate(), and a file of any size is validated in bounded memory.
"""

import contextlib
import os

import h5py
import numpy as np

# FormatError is part of this module's interface: callers catch it from here.
from gatrules import (BLOCK_BYTES, FORMAT, SPLITS, VERSION, FormatError,  # noqa: F401
                      check_all, fail, shape_text)

GZIP_LEVELS = range(1, 10)  # HDF5's deflate filter: 1 fastest .. 9 smallest
CHUNK_BYTES = 1 << 20  # about 1 MiB a chunk: compresses well, and fits HDF5's default chunk cache
DATASETS = ("features", "labels", "edge_index", "graph_ptr", "edge_ptr")


def _as_int64(where, dataset, values):
    array = np.asarray(values)
    # Refuse float ids rather than truncate them silently.
    if array.size and array.dtype.kind not in "iu":
        fail(where, dataset, f"expected integers, got {array.dtype.name}")
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
            fail(where, "/labels", "expected 0 or 1 everywhere")
        labels = labels.astype(np.uint8)
    else:
        labels = _as_int64(where, "/labels", labels)
    edge_index = _as_int64(where, "/edge_index", edge_index)
    graph_ptr = _as_int64(where, "/graph_ptr", graph_ptr)
    edge_ptr = _as_int64(where, "/edge_ptr", edge_ptr)
    unknown = sorted(set(splits) - set(SPLITS))
    if unknown:
        fail(where, "/splits", f"expected only {', '.join(SPLITS)}, got {', '.join(unknown)}")
    splits = {name: (level, _as_int64(where, f"/splits/{name}", ids))
              for name, (level, ids) in splits.items()}
    check_all(where, task, num_classes, features, labels, edge_index, graph_ptr, edge_ptr, splits)

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
        fail(where, "/", f"attribute {name}: missing")
    value = f.attrs[name]
    if kind is str:
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            fail(where, "/", f"attribute {name}: expected a string, got {value!r}")
    elif not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        fail(where, "/", f"attribute {name}: expected an integer, got {value!r}")
    return value if kind is str else int(value)


def _human_bytes(n):
    """As the C++ reader writes sizes (gat::human_bytes), so both give the same message."""
    if n < 1024:
        return f"{int(n)} B"
    units = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    n, unit = n / 1024, 0
    while n >= 1024 and unit + 1 < len(units):
        n, unit = n / 1024, unit + 1
    return f"{n:.1f} {units[unit]}"


def _check_stored(where, dataset):
    """Rule 9: the file holds every element the dataset declares. HDF5 reads what was never
    written as fill values, so without this a header of a few KB declaring 10^12 rows would keep
    the piece by piece walk reading fill values for hours."""
    if dataset.shape is None:  # HDF5's null dataspace: no elements, not even a shape to check
        fail(where, dataset.name, "expected an array, got an empty dataspace")
    plist = dataset.id.get_create_plist()
    layout = plist.get_layout()
    nbytes = dataset.dtype.itemsize * int(np.prod(dataset.shape, dtype=object))
    declared = (f"declares shape {shape_text(dataset.shape)} of {dataset.dtype.name} "
                f"({_human_bytes(nbytes)})")
    if layout == h5py.h5d.CHUNKED:
        needed = int(np.prod([-(-d // c) for d, c in zip(dataset.shape, dataset.chunks)],
                             dtype=object))
        stored = dataset.id.get_num_chunks()
        if stored < needed:
            count = str(needed) if needed < 10**18 else f"{float(needed):.3e}"
            fail(where, dataset.name, f"{declared}, but the file holds {stored} of its {count} "
                                      f"chunks: expected every element written")
    elif layout == h5py.h5d.CONTIGUOUS and plist.get_external_count() == 0:
        stored = dataset.id.get_storage_size()
        if stored < nbytes:
            fail(where, dataset.name, f"{declared}, but the file holds {_human_bytes(stored)} of "
                                      f"it: expected every element written")


def _dataset(where, f, name):
    obj = f.get(name)
    if obj is None:
        fail(where, "/" + name, "missing")
    if not isinstance(obj, h5py.Dataset):
        fail(where, "/" + name, "expected a dataset, got a group")
    _check_stored(where, obj)
    return obj


def _level(where, dataset):
    if "level" not in dataset.attrs:
        fail(where, dataset.name, "attribute level: missing")
    level = dataset.attrs["level"]
    if isinstance(level, bytes):
        level = level.decode("utf-8", "replace")
    if not isinstance(level, str):
        fail(where, dataset.name, f"attribute level: expected a string, got {level!r}")
    return level


@contextlib.contextmanager
def _opened(path):
    """The file at `path` open, its format and version checked: yields (where, task,
    num_classes, the five datasets by name, splits as name -> (level, dataset)), all as h5py
    datasets, which read nothing until sliced."""
    where = os.fspath(path)
    try:
        f = h5py.File(where, "r")
    except OSError as e:
        fail(where, "/", f"cannot open as HDF5 ({e})")
    with f:
        fmt = _attr(where, f, "format", str)
        if fmt != FORMAT:
            fail(where, "/", f"attribute format: expected {FORMAT!r}, got {fmt!r}")
        version = _attr(where, f, "version", int)
        if version != VERSION:
            fail(where, "/", f"attribute version: expected {VERSION}, got {version}")
        task = _attr(where, f, "task", str)
        num_classes = _attr(where, f, "num_classes", int)
        data = {name: _dataset(where, f, name) for name in DATASETS}
        splits = {}
        for name in SPLITS:
            dataset = f.get(f"splits/{name}")
            if isinstance(dataset, h5py.Dataset):
                _check_stored(where, dataset)
                splits[name] = (_level(where, dataset), dataset)
        yield where, task, num_classes, data, splits


def check_file(path, block_bytes=BLOCK_BYTES):
    """Check a file against every rule of the format, in memory bounded by block_bytes (a few
    times it) whatever the file's size or its graphs': a larger graph is checked in parts. Only
    the index (16 bytes a graph) is read whole. Return (graphs, nodes, edges).

    Raises FormatError (one line naming the file, the dataset and what was expected).
    """
    with _opened(path) as (where, task, num_classes, data, splits):
        graph_ptr, edge_ptr = check_all(where, task, num_classes, splits=splits,
                                        block_bytes=block_bytes, **data)
    return graph_ptr.shape[0] - 1, int(graph_ptr[-1]), int(edge_ptr[-1])


def validate(path, block_bytes=BLOCK_BYTES):
    """Check a file against every rule of the format, as check_file does; return a summary
    dict of what it holds.

    The statistics need whole graphs, so the data comes in pieces of whole graphs: memory is
    bounded by block_bytes, or by one graph where a graph is larger, plus the index and the
    split ids. Raises FormatError (one line naming the file, the dataset and what was expected).
    """
    stats = None

    def take_stats(first_row, labels, edge_index):
        nonlocal stats
        piece = graph_stats(task, num_classes, labels, edge_index - first_row)
        stats = piece if stats is None else add_graph_stats(stats, piece)

    with _opened(path) as (where, task, num_classes, data, splits):
        graph_ptr, edge_ptr = check_all(where, task, num_classes, splits=splits,
                                        on_piece=take_stats, split_graphs=False,
                                        block_bytes=block_bytes, **data)
        features = data["features"]
        splits = {name: (level, ids[()]) for name, (level, ids) in splits.items()}
    return {
        "path": where,
        "task": task,
        "num_classes": num_classes,
        "num_nodes": features.shape[0],
        "num_features": features.shape[1],
        "num_edges": int(edge_ptr[-1]),
        "num_graphs": graph_ptr.shape[0] - 1,
        "nodes_per_graph": np.diff(graph_ptr),
        "edges_per_graph": np.diff(edge_ptr),
        **stats,
        **split_stats(splits),
    }


def _is_undirected(edge_index, n):
    key = edge_index[0] * n + edge_index[1]
    reverse = edge_index[1] * n + edge_index[0]
    return bool(np.isin(reverse, key).all())


def graph_stats(task, num_classes, labels, edge_index):
    """What validate reports on nodes and edges, for graphs given whole (ids from 0)."""
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


def add_graph_stats(a, b):
    """graph_stats of two sets of graphs that share no node, taken together: each count is the
    sum of the two, and `undirected` holds if it holds for each."""
    return {key: a[key] and b[key] if key == "undirected" else a[key] + b[key] for key in a}


def split_stats(splits):
    """What validate reports on the splits ((level, ids) by name)."""
    # Sorted numpy ids, not Python sets: node splits can hold millions of ids.
    unique = {name: np.unique(ids) for name, (_, ids) in splits.items()}
    return {
        "split_level": splits["train"][0],
        "split_sizes": {name: int(ids.shape[0]) for name, (_, ids) in splits.items()},
        # Not a format rule (the loader accepts overlap), but almost always a data bug.
        "splits_disjoint": not any(np.intersect1d(unique[a], unique[b], assume_unique=True).size
                                   for a, b in (("train", "val"), ("train", "test"),
                                                ("val", "test"))),
    }


def undirected_dedup(edge_index, num_nodes):
    """Symmetrise edges, drop self loops and duplicates; return int64 [2, E'].

    Columns come out sorted by target, then source. Because every graph owns a contiguous node
    range, this also groups edges by graph in graph order (see edge_ptr_for) and lists each
    node's incoming edges contiguously.
    """
    edge_index = np.asarray(edge_index, dtype=np.int64)
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"expected edges of shape [2, E], got {shape_text(edge_index.shape)}")
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
