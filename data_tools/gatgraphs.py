"""Write and validate "gat-graphs" HDF5 datasets (the contract is docs/data_format.md).

The rules live in gatrules, which checks them a piece at a time; they run on the arrays before
writing and on a file's datasets when validating, so whatever write_dataset() produces passes
validate(), and a file of any size is validated in bounded memory. A version-2 file (one graph
partitioned into clusters, written with write_dataset(partition=...)) meets rules 10 to 12 too.
"""

import contextlib
import os

import h5py
import numpy as np

# FormatError is part of this module's interface: callers catch it from here.
from gatrules import (BLOCK_BYTES, EDGE_BYTES, FORMAT, PARTITION,  # noqa: F401
                      PARTITION_DATASETS, PARTITIONED, SPLITS, VERSION, VERSIONS, FormatError,
                      attribute, check_all, check_version2, fail, shape_text)

GZIP_LEVELS = range(1, 10)  # HDF5's deflate filter: 1 fastest .. 9 smallest
CHUNK_BYTES = 1 << 20  # about 1 MiB a chunk: compresses well, and fits HDF5's default chunk cache
DATASETS = ("features", "labels", "edge_index", "graph_ptr", "edge_ptr")
PARTITION_KEYS = ("cluster_ptr", "node_perm", "cluster", "method", "seed", "source")


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


def write_root(f, task, num_classes, version=VERSION):
    """The four root attributes."""
    f.attrs["format"] = FORMAT
    f.attrs["version"] = np.int64(version)
    f.attrs["task"] = task
    f.attrs["num_classes"] = np.int64(num_classes)


def write_splits(f, splits):
    """/splits/{train,val,test}, each with its `level` attribute; `splits` maps each name to
    (level, int64 ids). Small, so never chunked."""
    group = f.create_group("splits")
    for name in SPLITS:
        level, ids = splits[name]
        group.create_dataset(name, data=ids, track_times=False).attrs["level"] = level


def _partition_arrays(where, partition):
    """write_dataset's `partition` dict with its arrays as int64 and its attributes typed as
    they are stored (method and source strings, seed int64)."""
    if set(partition) != set(PARTITION_KEYS):
        fail(where, PARTITION, f"expected the keys {', '.join(PARTITION_KEYS)}, got "
                               f"{', '.join(sorted(partition))}")
    arrays = {key: _as_int64(where, f"{PARTITION}/{key}", partition[key])
              for key in PARTITION_DATASETS}
    attrs = {"method": str(partition["method"]), "seed": np.int64(partition["seed"]),
             "source": str(partition["source"])}
    return arrays, attrs


def write_partition(f, arrays, attrs, chunk=False, compress=None):
    """/partition: its three datasets (stored like the main ones) and its attributes."""
    group = f.create_group(PARTITION)
    for key in PARTITION_DATASETS:
        array = arrays[key]
        group.create_dataset(key, data=array, track_times=False,
                             **storage(key, array.shape, array.dtype, chunk, compress))
    group.attrs.update(attrs)


def write_dataset(path, features, labels, edge_index, graph_ptr, edge_ptr, splits, task,
                  num_classes, chunk=False, compress=None, partition=None):
    """Validate, then write one dataset to `path` atomically (via `path + ".tmp"`).

    Features may be any real array (stored as float32); ids any integer array (stored as
    int64); multilabel labels any 0/1 array (stored as uint8). `splits` maps each of
    "train", "val", "test" to (level, ids). `chunk` and `compress` (a gzip level 1..9) store
    the five main datasets in chunks (see storage); by default they are contiguous.

    With `partition` (a dict of cluster_ptr, node_perm, cluster, method, seed and source; see
    docs/data_format.md, version 2) the file is version 2, the arrays being already in the
    partition's row order; its /partition datasets are stored like the main ones. Without it
    the file is version 1, byte for byte what it was before version 2 existed.
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
    if partition is not None:
        arrays, attrs = _partition_arrays(where, partition)
        check_version2(where, features.shape[0], graph_ptr, splits, edge_index,
                       lambda: (*(arrays[key] for key in PARTITION_DATASETS), attrs))

    with creating(where) as f:
        write_root(f, task, num_classes, VERSION if partition is None else PARTITIONED)
        # No timestamps, so the same arrays always give the same bytes.
        for name, array in (("features", features), ("labels", labels),
                            ("edge_index", edge_index), ("graph_ptr", graph_ptr),
                            ("edge_ptr", edge_ptr)):
            f.create_dataset(name, data=array, track_times=False,
                             **storage(name, array.shape, array.dtype, chunk, compress))
        write_splits(f, splits)
        if partition is not None:
            write_partition(f, arrays, attrs, chunk, compress)


def _attr(where, f, name, kind):
    return attribute(where, "/", f.attrs, name, kind)


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
    return attribute(where, dataset.name, dataset.attrs, "level", str)


@contextlib.contextmanager
def _opened(path):
    """The file at `path` open, its format and version checked: yields (where, the h5py.File,
    version, task, num_classes, the five datasets by name, splits as name -> (level,
    dataset)), all as h5py datasets, which read nothing until sliced."""
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
        if version not in VERSIONS:
            fail(where, "/", f"attribute version: expected {' or '.join(map(str, VERSIONS))}, "
                             f"got {version}")
        task = _attr(where, f, "task", str)
        num_classes = _attr(where, f, "num_classes", int)
        data = {name: _dataset(where, f, name) for name in DATASETS}
        splits = {}
        for name in SPLITS:
            dataset = f.get(f"splits/{name}")
            if isinstance(dataset, h5py.Dataset):
                _check_stored(where, dataset)
                splits[name] = (_level(where, dataset), dataset)
        yield where, f, version, task, num_classes, data, splits


def _partition(where, f):
    """/partition's three datasets (each present and stored whole, rule 9) and its attributes:
    what check_version2 asks for once rules 10 and 11 hold."""
    group = f.get(PARTITION)
    if group is None:
        fail(where, PARTITION, "missing (a version-2 file holds a partition)")
    if not isinstance(group, h5py.Group):
        fail(where, PARTITION, "expected a group, got a dataset")
    return (*(_dataset(where, f, f"partition/{key}") for key in PARTITION_DATASETS),
            group.attrs)


def _partition_summary(where, f, cluster_ptr, edge_index, block_bytes):
    """What validate reports on a checked partition: its attributes (source is optional: no
    reader needs it), cluster sizes and the edges between clusters (counted block by block)."""
    attrs = f[PARTITION].attrs
    source = attrs.get("source")
    if isinstance(source, bytes):
        source = source.decode("utf-8", "replace")
    return {"method": attribute(where, PARTITION, attrs, "method", str),
            "seed": attribute(where, PARTITION, attrs, "seed", int),
            "source": source if isinstance(source, str) else None,
            "cluster_sizes": np.diff(cluster_ptr),
            "edges_between": edges_between(edge_index, cluster_ptr, block_bytes)}


def _checked(path, block_bytes, summarise=False):
    """Every rule on the file at `path` (10 to 12 too for version 2), as check_all walks them.
    Return a dict of what check_file and, with `summarise`, validate report. The statistics
    need whole graphs, so with `summarise` the pieces are whole graphs."""
    stats = []

    def take_stats(first_row, labels, edge_index):
        piece = graph_stats(task, num_classes, labels, edge_index - first_row)
        stats[:] = [add_graph_stats(stats[0], piece) if stats else piece]

    with _opened(path) as (where, f, version, task, num_classes, data, splits):
        graph_ptr, edge_ptr = check_all(where, task, num_classes, splits=splits,
                                        on_piece=take_stats if summarise else None,
                                        split_graphs=not summarise, block_bytes=block_bytes,
                                        **data)
        report = {"path": where, "version": version, "task": task, "num_classes": num_classes,
                  "features": data["features"].shape, "graph_ptr": graph_ptr,
                  "edge_ptr": edge_ptr, "clusters": None, "partition": None}
        if version == PARTITIONED:
            cluster_ptr = check_version2(where, int(graph_ptr[-1]), graph_ptr, splits,
                                         data["edge_index"], lambda: _partition(where, f),
                                         block_bytes)
            report["clusters"] = cluster_ptr.shape[0] - 1
            if summarise:
                report["partition"] = _partition_summary(where, f, cluster_ptr,
                                                         data["edge_index"], block_bytes)
        if summarise:
            report["stats"] = stats[0]
            report["splits"] = {name: (level, ids[()]) for name, (level, ids) in splits.items()}
    return report


def check_report(path, block_bytes=BLOCK_BYTES):
    """check_file's check; return a dict: version, graphs, nodes, edges, and clusters (None for
    version 1)."""
    r = _checked(path, block_bytes)
    return {"version": r["version"], "graphs": r["graph_ptr"].shape[0] - 1,
            "nodes": int(r["graph_ptr"][-1]), "edges": int(r["edge_ptr"][-1]),
            "clusters": r["clusters"]}


def check_file(path, block_bytes=BLOCK_BYTES):
    """Check a file against every rule of the format, in memory bounded by block_bytes (a few
    times it) whatever the file's size or its graphs': a larger graph is checked in parts. Only
    the index (16 bytes a graph) is read whole, and a version-2 file's partition (three
    datasets of at most N entries). Return (graphs, nodes, edges).

    Raises FormatError (one line naming the file, the dataset and what was expected).
    """
    r = check_report(path, block_bytes)
    return r["graphs"], r["nodes"], r["edges"]


def validate(path, block_bytes=BLOCK_BYTES):
    """Check a file against every rule of the format, as check_file does; return a summary
    dict of what it holds (`partition`: None for version 1).

    The statistics need whole graphs, so the data comes in pieces of whole graphs: memory is
    bounded by block_bytes, or by one graph where a graph is larger, plus the index and the
    split ids. Raises FormatError (one line naming the file, the dataset and what was expected).
    """
    r = _checked(path, block_bytes, summarise=True)
    graph_ptr, edge_ptr = r["graph_ptr"], r["edge_ptr"]
    return {
        "path": r["path"],
        "version": r["version"],
        "task": r["task"],
        "num_classes": r["num_classes"],
        "num_nodes": r["features"][0],
        "num_features": r["features"][1],
        "num_edges": int(edge_ptr[-1]),
        "num_graphs": graph_ptr.shape[0] - 1,
        "nodes_per_graph": np.diff(graph_ptr),
        "edges_per_graph": np.diff(edge_ptr),
        **r["stats"],
        **split_stats(r["splits"]),
        "partition": r["partition"],
    }


def edges_between(edge_index, cluster_ptr, block_bytes=BLOCK_BYTES):
    """How many edges join two different clusters (rows grouped by cluster_ptr), counted over
    blocks of columns of edge_index (a numpy array or an h5py dataset)."""
    between, step = 0, max(1, block_bytes // EDGE_BYTES)
    for lo in range(0, edge_index.shape[1], step):
        # Row r is in the last cluster starting at or before it (empty clusters start there too).
        c = np.searchsorted(cluster_ptr, edge_index[:, lo:lo + step], side="right")
        between += int(np.count_nonzero(c[0] != c[1]))
    return between


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
