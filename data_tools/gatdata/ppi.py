"""PPI in the public GraphSAGE/PyG/DGL layout: fetch ppi.zip, read the twelve files."""

import json
import os
import shutil
import zipfile

import numpy as np

from gatgraphs import edge_ptr_for, undirected_dedup

from .common import CliError, check_sha256, fetch, write_atomic


PPI_URL = "https://data.dgl.ai/dataset/ppi.zip"
# No copy could be fetched here, so this is not our own hash: it is the value that the Julia
# package GraphMLDatasets.jl checks for this URL (src/ppi.jl), and that a separate public
# provenance study of PPI recorded after hashing the archive (7,088,822 bytes). The two agree.
# A different archive is refused, never converted.
PPI_SHA256 = "1f5b2b09ac0f897fa6aa1338c64ab75a5473674cbba89380120bede8cddb2a6a"
# File prefix in the public layout, and the split it becomes.
PPI_SPLITS = (("train", "train"), ("valid", "val"), ("test", "test"))
PPI_SUFFIXES = ("graph.json", "feats.npy", "labels.npy", "graph_id.npy")
PPI_FILES = tuple(f"{prefix}_{suffix}" for prefix, _ in PPI_SPLITS for suffix in PPI_SUFFIXES)


def _unpack_ppi(archive, directory):
    """Extract only the twelve known files, flattened into `directory`: whatever folder the
    archive nests them in, and whatever else it holds, nothing lands outside `directory`."""
    try:
        with zipfile.ZipFile(archive) as z:
            members = {os.path.basename(m.filename): m for m in z.infolist() if not m.is_dir()}
            missing = [name for name in PPI_FILES if name not in members]
            if missing:
                raise CliError(f"{archive}: missing {', '.join(missing)}")
            for name in PPI_FILES:
                with z.open(members[name]) as src:
                    write_atomic(os.path.join(directory, name),
                                 lambda out: shutil.copyfileobj(src, out))
    except zipfile.BadZipFile as e:
        raise CliError(f"{archive}: not a zip archive ({e})") from e


def download_ppi(directory):
    """Make `directory` hold the unpacked public layout: fetch ppi.zip unless it is there,
    check it, unpack it. A directory already holding all twelve files is left alone."""
    os.makedirs(directory, exist_ok=True)
    if all(os.path.isfile(os.path.join(directory, name)) for name in PPI_FILES):
        return
    archive = os.path.join(directory, "ppi.zip")
    if os.path.exists(archive):
        check_sha256(archive, PPI_SHA256, "ppi.zip")
    else:
        fetch(PPI_URL, archive, PPI_SHA256, "ppi.zip")
    _unpack_ppi(archive, directory)


def _load_npy(path, ndim, rows=None, rows_from=None):
    try:
        array = np.load(path, allow_pickle=False)  # a pickled .npy could run code
    except (OSError, ValueError) as e:
        raise CliError(f"{path}: cannot read as a .npy array ({e})") from e
    if array.ndim != ndim or array.dtype.kind not in "biuf":
        raise CliError(f"{path}: expected a {ndim}-D numeric array, got {array.dtype.name} "
                       f"of shape {list(array.shape)}")
    if rows is not None and array.shape[0] != rows:
        raise CliError(f"{path}: expected {rows} rows (one per row of {rows_from}), "
                       f"got {array.shape[0]}")
    return array


def _int_array(values, path, what):
    # np.array turns Python ints into int64; floats, strings or bools mean a malformed file,
    # and truncating them would silently join the wrong nodes.
    array = np.array(values)
    if array.size and array.dtype.kind not in "iu":
        raise CliError(f"{path}: expected integer {what}, got {array.dtype.name} values")
    return array.astype(np.int64)


def _read_node_link(path, n, rows_from):
    """The links of a networkx node-link JSON file as int64 [2, E] (row ids of the split)."""
    try:
        with open(path) as f:
            data = json.load(f)
        ids = [node["id"] for node in data["nodes"]]
        # networkx 3.4+ may write "edges" where older versions wrote "links".
        links = data["edges"] if "links" not in data and "edges" in data else data["links"]
        pairs = [(link["source"], link["target"]) for link in links]
    except ValueError as e:
        raise CliError(f"{path}: not valid JSON ({e})") from e
    except (KeyError, TypeError) as e:
        detail = f"no key {e}" if isinstance(e, KeyError) else str(e)
        raise CliError(f"{path}: expected networkx node-link JSON: 'nodes' with an 'id' each "
                       f"and 'links' with a 'source' and 'target' each ({detail})") from e
    ids = _int_array(ids, path, "node ids")
    # The ids index the rows of the .npy files (the public loaders rely on it too), so they
    # must be exactly 0 .. n-1; anything else means the files do not belong together.
    if ids.shape[0] != n or not np.array_equal(np.sort(ids), np.arange(n)):
        raise CliError(f"{path}: expected node ids 0..{n - 1} (one per row of {rows_from}), "
                       f"got {ids.shape[0]} ids")
    edges = _int_array(pairs, path, "link endpoints").reshape(-1, 2).T
    bad = np.flatnonzero((edges < 0).any(axis=0) | (edges >= n).any(axis=0))
    if bad.size:
        k = int(bad[0])
        raise CliError(f"{path}: link {k} ({edges[0, k]} -> {edges[1, k]}) names a node "
                       f"outside 0..{n - 1}")
    return edges


def _read_ppi_split(directory, prefix):
    path = {suffix: os.path.join(directory, f"{prefix}_{suffix}") for suffix in PPI_SUFFIXES}
    feats_name = os.path.basename(path["feats.npy"])
    features = _load_npy(path["feats.npy"], 2)
    n = features.shape[0]
    labels = _load_npy(path["labels.npy"], 2, n, feats_name)
    if not np.isin(labels, (0, 1)).all():
        raise CliError(f"{path['labels.npy']}: expected 0 or 1 everywhere")
    graph_id = _load_npy(path["graph_id.npy"], 1, n, feats_name)
    if graph_id.dtype.kind not in "iu":
        raise CliError(f"{path['graph_id.npy']}: expected integer graph ids, "
                       f"got {graph_id.dtype.name}")
    edges = _read_node_link(path["graph.json"], n, feats_name)
    crossing = np.flatnonzero(graph_id[edges[0]] != graph_id[edges[1]])
    if crossing.size:
        k = int(crossing[0])
        s, t = edges[:, k]
        raise CliError(f"{path['graph.json']}: link {k} joins node {s} (graph {graph_id[s]}) "
                       f"and node {t} (graph {graph_id[t]}); links must stay inside one graph")
    return features, labels, graph_id, edges


def read_ppi(directory):
    """Return the arrays of a dataset in the public PPI layout (docs/data_format.md)."""
    for name in PPI_FILES:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            raise CliError(f"{path}: missing (need all of "
                           f"{{train,valid,test}}_{{{','.join(PPI_SUFFIXES)}}})")
    features, labels, edges, sizes, splits = [], [], [], [], {}
    offset = 0
    for prefix, split in PPI_SPLITS:
        x, y, graph_id, e = _read_ppi_split(directory, prefix)
        for suffix, array, done in (("feats.npy", x, features), ("labels.npy", y, labels)):
            if done and array.shape[1] != done[0].shape[1]:
                raise CliError(f"{os.path.join(directory, f'{prefix}_{suffix}')}: expected "
                               f"{done[0].shape[1]} columns like train_{suffix}, "
                               f"got {array.shape[1]}")
        # The format needs each graph's nodes contiguous; the public files do not promise that
        # (rows of one graph id may be scattered), so gather them, keeping their order.
        order = np.argsort(graph_id, kind="stable")
        new_id = np.empty_like(order)
        new_id[order] = np.arange(order.shape[0])
        counts = np.unique(graph_id, return_counts=True)[1]  # ascending ids, as argsort
        features.append(x[order])
        labels.append(y[order])
        edges.append(new_id[e] + offset)
        splits[split] = ("graph", np.arange(len(sizes), len(sizes) + counts.shape[0]))
        sizes.extend(counts)
        offset += order.shape[0]
    edge_index = undirected_dedup(np.concatenate(edges, axis=1), offset)
    graph_ptr = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
    return {
        "features": np.concatenate(features),
        "labels": np.concatenate(labels),
        "edge_index": edge_index,
        "graph_ptr": graph_ptr,
        "edge_ptr": edge_ptr_for(edge_index, graph_ptr),
        "splits": splits,
        "task": "multilabel",
        "num_classes": labels[0].shape[1],
    }
