#!/usr/bin/python3
"""Make and check gat-graphs HDF5 datasets (format: docs/data_format.md).

  gat_data.py planetoid cora --root DIR --out cora.h5       convert local Planetoid files
  gat_data.py planetoid cora --download DIR --out cora.h5   fetch them first, then convert
  gat_data.py synthetic --out syn.h5 [--seed S ...]         seeded planted-partition graphs
  gat_data.py ppi --root DIR --out ppi.h5                   convert PPI (public DGL/PyG files)
  gat_data.py ppi --download DIR --out ppi.h5               fetch ppi.zip first, then convert
  gat_data.py ppi-synth --out-dir DIR [--seed S ...]        PPI-shaped files, public layout
  gat_data.py inspect FILE.h5                               validate and summarise
  gat_data.py curves RUN_DIR [--out PNG]                    plot a run's training curves
  gat_data.py attention FILE.h5 [--out PNG]                 plot gat_explain's attention entropy
"""

import argparse
import hashlib
import json
import math
import os
import pickle
import shutil
import sys
import urllib.request
import warnings
import zipfile

import h5py
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatgraphs import (FormatError, edge_ptr_for, undirected_dedup, validate,  # noqa: E402
                       write_dataset)


class CliError(Exception):
    """A user-facing failure; main() prints it as one line and exits 2."""


# --- Planetoid -------------------------------------------------------------------------------

PLANETOID_URL = "https://github.com/kimiyoung/planetoid/raw/master/data/{}"
PLANETOID_EXTS = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")
PLANETOID_VAL_SIZE = 500  # the standard split: the 500 nodes right after the training nodes

# Cora and Citeseer: from /work/shared/datasets/README.md (hashed from the files there).
# Pubmed: no copy was available here; these are the values recorded by several independent
# public projects that download the same upstream files (they all agree, and agree with the
# Cora/Citeseer values above). A wrong file is refused, never converted.
PLANETOID_SHA256 = {
    "ind.cora.x": "23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab",
    "ind.cora.y": "94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1",
    "ind.cora.tx": "b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a",
    "ind.cora.ty": "41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad",
    "ind.cora.allx": "9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543",
    "ind.cora.ally": "2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71",
    "ind.cora.graph": "58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d",
    "ind.cora.test.index": "297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875",
    "ind.citeseer.x": "d20de19150741e555de0ed037195630fc194114ebc7fd72ced62810148aa22f6",
    "ind.citeseer.y": "8ba87e515d8e3ee3cf52f6d2c5b86aa73f11ecad825a808455209ec26cd54924",
    "ind.citeseer.tx": "539a8906a2da97628d212f2fdd668c109a8b3f0d36574b59e5d3fd5b5303da21",
    "ind.citeseer.ty": "55e5bd1ba1e733a04598753ad1a8d57957f4b8f89e74519f41f4f4938767e4ce",
    "ind.citeseer.allx": "2ac30345d95c9ec933a817ee0bdd6a5f077f8c184a20e696910192d534414668",
    "ind.citeseer.ally": "f704b2d986dde6c2669934de1f3ae5696a6cf9455c0f6b2646a2d135ea0a1c95",
    "ind.citeseer.graph": "d79a4ef9d3e7169aee8946145f6b7306e35bc79bffad26346cfb94e10e9912a7",
    "ind.citeseer.test.index": "2af990671580b6b2df5d158d1038f8292e30c9cd821b5453f399659b25b723d4",
    "ind.pubmed.x": "fbe9cb5c47200d1b7769a26e579be3b7130b556831f9d850e77c4c74f2599b33",
    "ind.pubmed.y": "e6c807633307a07ed659249006536a147c7999c797f11a2560752990181b41b3",
    "ind.pubmed.tx": "4eb5f5d0f30f26497eb0ac6ac9719d09c67e284f1ed0385c93f3ef27a671da3d",
    "ind.pubmed.ty": "ee2e0d4819d9fbcc403689c3bf2e49face401b605932f093bc58ab6461130fdd",
    "ind.pubmed.allx": "508e538e2abdccdd54c4d3e9f49d638b4af7107d85845f66ddea5a5152658b7e",
    "ind.pubmed.ally": "0c37bbe3b5014ec365e9d393cf4791925e5ed94fb194305d74f064a8d7b50f0e",
    "ind.pubmed.graph": "5b89f0036ca22909471f1e6558eb42fa06e0c730a577bde5b058b40638f81dc9",
    "ind.pubmed.test.index": "b101d421688bbaecbd82e8a18f1e282378d6830f3a37666f28ebc47f844341b5",
}
PLANETOID_NAMES = ("cora", "citeseer", "pubmed")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(path, expected, filename, shown_as=None):
    got = _sha256(path)
    if got != expected:
        raise CliError(f"{shown_as or path}: sha256 {got} does not match the known {expected} "
                       f"(corrupt or not the upstream {filename})")


def _fetch(url, path, expected, filename):
    """Download `url` to `path`. The file lands under its real name only after its checksum
    matched, so an interrupted or bad download leaves nothing behind."""
    part = path + ".part"
    print(f"downloading {url}", flush=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out)
        _check_sha256(part, expected, filename, shown_as=url)
        os.replace(part, path)
    except OSError as e:
        raise CliError(f"{url}: download failed ({e})") from e
    finally:
        if os.path.exists(part):
            os.remove(part)


def download_planetoid(name, directory):
    """Fetch the files of `name` missing from `directory`."""
    os.makedirs(directory, exist_ok=True)
    for ext in PLANETOID_EXTS:
        filename = f"ind.{name}.{ext}"
        path = os.path.join(directory, filename)
        if not os.path.exists(path):
            _fetch(PLANETOID_URL.format(filename), path, PLANETOID_SHA256[filename], filename)


def _unpickle(path):
    with open(path, "rb") as f, warnings.catch_warnings():
        # The pickles name scipy.sparse.csr, a deprecated alias that still loads fine.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pickle.load(f, encoding="latin1")


def read_planetoid(name, directory):
    """Return the arrays of one Planetoid dataset, converted like the public loaders
    (Kipf's GCN utils.load_data, PyG read_planetoid_data)."""
    paths = {ext: os.path.join(directory, f"ind.{name}.{ext}") for ext in PLANETOID_EXTS}
    # Every file is checked before any is unpickled: pickles can run code.
    for ext, path in paths.items():
        if not os.path.isfile(path):
            wanted = ",".join(PLANETOID_EXTS)
            raise CliError(f"{path}: missing (need all of ind.{name}.{{{wanted}}})")
        filename = f"ind.{name}.{ext}"
        _check_sha256(path, PLANETOID_SHA256[filename], filename)
    x, y, tx, ty, allx, ally, graph = (_unpickle(paths[ext]) for ext in PLANETOID_EXTS[:-1])
    with open(paths["test.index"]) as f:
        test_index = np.array([int(tok) for tok in f.read().split()], dtype=np.int64)

    # The loaders stack allx and tx, pad tx/ty to the full test id range with zero rows (Citeseer
    # has isolated test nodes missing from tx/ty), then move row sorted(test)[k] to test[k].
    # The net effect, written directly: node test_index[k] gets tx[k], ty[k]; padded nodes get
    # zero features and a zero label row. That layout assumes test ids start right after allx.
    num_known = allx.shape[0]
    if test_index.size == 0 or test_index.min() != num_known:
        raise CliError(f"{paths['test.index']}: expected the smallest test id to be "
                       f"{num_known} (the number of allx rows)")
    n = int(test_index.max()) + 1
    features = np.zeros((n, allx.shape[1]), dtype=np.float32)
    features[:num_known] = allx.toarray()
    features[test_index] = tx.toarray()
    one_hot = np.zeros((n, ally.shape[1]), dtype=np.int64)
    one_hot[:num_known] = ally
    one_hot[test_index] = ty
    labels = one_hot.argmax(axis=1)  # a zero row (padded node) gives class 0, as upstream

    src = np.concatenate([np.full(len(nbrs), node, dtype=np.int64) for node, nbrs in graph.items()])
    dst = np.concatenate([np.asarray(nbrs, dtype=np.int64) for nbrs in graph.values()])
    try:
        edge_index = undirected_dedup(np.stack([src, dst]), n)
    except ValueError as e:
        raise CliError(f"{paths['graph']}: {e}") from e

    num_train = y.shape[0]
    return {
        "features": features,
        "labels": labels,
        "edge_index": edge_index,
        "graph_ptr": np.array([0, n], dtype=np.int64),
        "edge_ptr": np.array([0, edge_index.shape[1]], dtype=np.int64),
        "splits": {
            "train": ("node", np.arange(num_train)),
            "val": ("node", np.arange(num_train, num_train + PLANETOID_VAL_SIZE)),
            "test": ("node", np.sort(test_index)),
        },
        "task": "multiclass",
        "num_classes": ally.shape[1],
    }


def cmd_planetoid(args):
    directory = args.root
    if args.download is not None:
        download_planetoid(args.name, args.download)
        directory = args.download
    write_dataset(args.out, **read_planetoid(args.name, directory))
    print_summary(validate(args.out))


# --- Synthetic -------------------------------------------------------------------------------

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


def _graph_sizes(rng, nodes, graphs):
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
    sizes = [nodes] if graphs == 1 else _graph_sizes(rng, nodes, graphs)
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


def cmd_synthetic(args):
    write_dataset(args.out, **synthesize(args.seed, args.nodes, args.classes, args.features,
                                         args.degree, args.graphs, args.task))
    print_summary(validate(args.out))


# --- PPI ---------------------------------------------------------------------------------------

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
                path = os.path.join(directory, name)
                with z.open(members[name]) as src, open(path + ".part", "wb") as out:
                    shutil.copyfileobj(src, out)
                os.replace(path + ".part", path)
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
        _check_sha256(archive, PPI_SHA256, "ppi.zip")
    else:
        _fetch(PPI_URL, archive, PPI_SHA256, "ppi.zip")
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


def cmd_ppi(args):
    directory = args.root
    if args.download is not None:
        download_ppi(args.download)
        directory = args.download
    write_dataset(args.out, **read_ppi(directory))
    print_summary(validate(args.out))


# --- Synthetic PPI (public layout) -------------------------------------------------------------

DEGREE_SPREAD = 0.75  # sigma of the lognormal node weights: hubs and low-degree nodes
OWN_SHARE = 0.2       # weight of a node's own projection in its label score
POSITIVE_RATE = (0.20, 0.35)  # each label's share of positive nodes is uniform in this range


def _ppi_split_graphs(graphs):
    """(train, valid, test) graph counts: valid and test get max(1, G/12 rounded half up)
    graphs each (2 of 24 like real PPI, 1 of 6), train the rest."""
    held = max(1, (graphs + 6) // 12)
    return graphs - 2 * held, held, held


def _random_pairs(rng, n, degree):
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


def _ppi_labels(rng, x, edge_index, num_labels):
    """0/1 labels that need the graph: label l is on when a score, mostly the mean of a random
    projection over the node and its neighbours, is in the top rate_l of all nodes."""
    n, f = x.shape
    proj = x @ (rng.standard_normal((f, num_labels)) / np.sqrt(f))  # ~unit variance per label
    # Mean over in-neighbours plus the node itself: what one GAT layer with self loops and
    # uniform attention computes, so attention can express it; a per-node model cannot.
    adj = sp.csr_matrix((np.ones(edge_index.shape[1]), (edge_index[1], edge_index[0])),
                        shape=(n, n)) + sp.identity(n, format="csr")
    mean = (adj @ proj) / np.asarray(adj.sum(axis=1))
    score = (1 - OWN_SHARE) * mean / mean.std(axis=0) + OWN_SHARE * proj / proj.std(axis=0)
    rate = rng.uniform(*POSITIVE_RATE, size=num_labels)
    top = np.clip(np.round(rate * n).astype(np.int64), 1, n)
    threshold = np.sort(score, axis=0)[n - top, np.arange(num_labels)]
    return (score >= threshold).astype(np.uint8)


def _write_atomic(path, write):
    """Write via `path.tmp` then rename, so a half-written file never has the real name."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def synthesize_ppi(out_dir, seed=0, graphs=24, nodes=2245, degree=27.0, features=50, labels=121):
    """Write a seeded PPI-shaped dataset in the public layout (the twelve files) to `out_dir`.
    Return [(file prefix, graphs, nodes, directed edges without loops)] and the positive rate."""
    if graphs < 3:
        raise CliError("--graphs must be at least 3 (train, valid and test each need a graph)")
    if nodes < 2:
        raise CliError("--nodes must be at least 2")
    if not degree > 0:
        raise CliError("--degree must be positive")
    if features < 1 or labels < 1:
        raise CliError("--features and --labels must be at least 1")
    if seed < 0:
        raise CliError("--seed must be non-negative")

    rng = np.random.default_rng(seed)
    sizes = _graph_sizes(rng, nodes, graphs)
    graph_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(graph_ptr[-1])
    pairs = np.concatenate([_random_pairs(rng, int(size), degree) + graph_ptr[g]
                            for g, size in enumerate(sizes)], axis=1)
    edge_index = undirected_dedup(pairs, n)
    edge_ptr = edge_ptr_for(edge_index, graph_ptr)
    x = rng.standard_normal((n, features))  # like the z-scored features of the DGL archive
    y = _ppi_labels(rng, x, edge_index, labels)
    graph_id = np.repeat(np.arange(1, graphs + 1), sizes)  # ids 1..G, as in the real files

    os.makedirs(out_dir, exist_ok=True)
    first, stats = 0, []
    for (prefix, _), count in zip(PPI_SPLITS, _ppi_split_graphs(graphs)):
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
        _write_atomic(path + "graph.json", lambda f, g=graph: f.write(json.dumps(g).encode()))
        for suffix, array in (("feats.npy", x[lo:hi]), ("labels.npy", y[lo:hi]),
                              ("graph_id.npy", graph_id[lo:hi])):
            _write_atomic(path + suffix, lambda f, a=array: np.save(f, a, allow_pickle=False))
        stats.append((prefix, count, hi - lo, e.shape[1]))
        first = g1
    return stats, float(y.mean())


def cmd_ppi_synth(args):
    stats, rate = synthesize_ppi(args.out_dir, args.seed, args.graphs, args.nodes, args.degree,
                                 args.features, args.labels)
    print(f"wrote {len(PPI_FILES)} files to {args.out_dir}")
    for prefix, graphs, nodes, edges in stats:
        print(f"{prefix:<6} {graphs} graphs, {nodes} nodes, {edges} directed edges "
              f"(+ {nodes} self loops)")
    print(f"labels {args.labels}, {rate:.1%} positive; features {args.features}")


# --- Inspect ---------------------------------------------------------------------------------

def _spread(values):
    return f"min {values.min()}  mean {values.mean():.1f}  max {values.max()}"


def print_summary(s):
    n = s["num_nodes"]
    sizes = s["split_sizes"]
    rows = [
        ("file", s["path"]),
        ("task", f"{s['task']}, {s['num_classes']} classes"),
        ("nodes", f"{n}  ({s['isolated_nodes']} isolated)"),
        ("features", s["num_features"]),
        ("edges", f"{s['num_edges']}  ({s['self_loops']} self loops, "
                  f"{'undirected' if s['undirected'] else 'directed'})"),
        ("graphs", s["num_graphs"]),
        ("nodes/graph", _spread(s["nodes_per_graph"])),
        ("edges/graph", _spread(s["edges_per_graph"])),
        ("per class", " ".join(str(c) for c in s["class_counts"])),
        ("splits", f"{s['split_level']} level: train {sizes['train']}, val {sizes['val']}, "
                   f"test {sizes['test']}"
                   f"{'' if s['splits_disjoint'] else '  (WARNING: splits overlap)'}"),
    ]
    for key, value in rows:
        print(f"{key:<12} {value}")


def cmd_inspect(args):
    print_summary(validate(args.file))


# --- Training curves ---------------------------------------------------------------------------

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


def cmd_curves(args):
    runs = read_metrics(os.path.join(args.run_dir, "metrics.jsonl"))
    results_path = os.path.join(args.run_dir, "results.json")
    results = {}
    if os.path.isfile(results_path):  # absent while a run is still going
        try:
            with open(results_path) as f:
                results = json.load(f)
        except json.JSONDecodeError as e:
            raise CliError(f"{results_path}: not JSON ({e.msg}, line {e.lineno})")
    best = {r["seed"]: r["best_epoch"] for r in results.get("runs", [])}
    out = args.out or os.path.join(args.run_dir, "curves.png")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
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
    fig.suptitle(f"{results.get('dataset', os.path.basename(os.path.normpath(args.run_dir)))}: "
                 f"{len(runs)} seed(s)")
    fig.tight_layout()
    _write_atomic(out, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)
    print(out)


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


def cmd_attention(args):
    data = read_attention(args.file)
    stem = args.file[:-3] if args.file.endswith(".h5") else args.file
    out = args.out or stem + "_entropy.png"
    per_layer = [attention_entropy(data["targets"], a, data["nodes"]) for a in data["alpha"]]
    heads = [entropy.shape[1] for entropy, _ in per_layer]
    # One set of bins for every panel, so that heads and layers compare by eye.
    top = max(max(e.max(initial=0), u.max(initial=0)) for e, u in per_layer) or 1.0
    bins = np.linspace(0, top, 31)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
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
    fig.suptitle(f"{os.path.basename(args.file)}: {data['graphs']} graph(s), {data['nodes']} nodes")
    fig.tight_layout()
    _write_atomic(out, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)
    print(out)


# --- Command line ----------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CliError(message)


def build_parser():
    parser = _Parser(prog="gat_data", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("planetoid", help="convert Planetoid (Cora, Citeseer, Pubmed) files")
    p.add_argument("name", choices=PLANETOID_NAMES)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--root", help="directory holding ind.NAME.* files")
    source.add_argument("--download", metavar="DIR",
                        help="fetch missing ind.NAME.* files from upstream Planetoid into DIR")
    p.add_argument("--out", required=True, help="output .h5 file")
    p.set_defaults(func=cmd_planetoid)

    p = sub.add_parser("synthetic", help="generate a seeded planted-partition dataset")
    p.add_argument("--out", required=True, help="output .h5 file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nodes", type=int, default=600,
                   help="nodes (per graph; with --graphs > 1 each graph has 0.75x to 1.25x this)")
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--features", type=int, default=32)
    p.add_argument("--degree", type=float, default=6.0, help="target mean degree")
    p.add_argument("--graphs", type=int, default=1,
                   help="1: one transductive graph, node splits; >= 3: inductive, graph splits")
    p.add_argument("--task", choices=("multiclass", "multilabel"), default="multiclass")
    p.set_defaults(func=cmd_synthetic)

    p = sub.add_parser("ppi", help="convert PPI in the public GraphSAGE/PyG/DGL layout")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--root", help="directory holding {train,valid,test}_{graph.json,"
                                       "feats.npy,labels.npy,graph_id.npy}")
    source.add_argument("--download", metavar="DIR",
                        help=f"fetch {PPI_URL} into DIR and unpack it there (skipped if the "
                             f"files are already there)")
    p.add_argument("--out", required=True, help="output .h5 file")
    p.set_defaults(func=cmd_ppi)

    p = sub.add_parser("ppi-synth", help="write a seeded PPI-shaped dataset in the public layout")
    p.add_argument("--out-dir", required=True, help="directory for the twelve files")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--graphs", type=int, default=24,
                   help="graphs (>= 3); valid and test get max(1, G/12) each")
    p.add_argument("--nodes", type=int, default=2245,
                   help="nodes per graph (each graph has 0.75x to 1.25x this)")
    p.add_argument("--degree", type=float, default=27.0,
                   help="directed edges per node, both directions counted")
    p.add_argument("--features", type=int, default=50)
    p.add_argument("--labels", type=int, default=121)
    p.set_defaults(func=cmd_ppi_synth)

    p = sub.add_parser("curves", help="plot a run's training curves (metrics.jsonl) as a PNG")
    p.add_argument("run_dir", help="a run directory written by gat_train")
    p.add_argument("--out", help="PNG file (default: RUN_DIR/curves.png)")
    p.set_defaults(func=cmd_curves)

    p = sub.add_parser("attention",
                       help="plot the attention entropy of a gat_explain file as a PNG")
    p.add_argument("file", help="an HDF5 file written by gat_explain")
    p.add_argument("--out", help="PNG file (default: FILE with .h5 replaced by _entropy.png)")
    p.set_defaults(func=cmd_attention)

    p = sub.add_parser("inspect", help="validate a file and print a summary")
    p.add_argument("file")
    p.set_defaults(func=cmd_inspect)
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        args.func(args)
    except (CliError, FormatError, OSError, pickle.UnpicklingError) as e:
        message = " ".join(str(e).split())  # always one line
        print(f"gat_data: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
