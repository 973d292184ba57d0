"""Planetoid (Cora, Citeseer, Pubmed): fetch the upstream ind.NAME.* files and convert them."""

import os
import pickle
import warnings

import numpy as np

from gatgraphs import undirected_dedup

from .common import CliError, check_sha256, fetch


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


def download_planetoid(name, directory):
    """Fetch the files of `name` missing from `directory`."""
    os.makedirs(directory, exist_ok=True)
    for ext in PLANETOID_EXTS:
        filename = f"ind.{name}.{ext}"
        path = os.path.join(directory, filename)
        if not os.path.exists(path):
            fetch(PLANETOID_URL.format(filename), path, PLANETOID_SHA256[filename], filename)


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
        check_sha256(path, PLANETOID_SHA256[filename], filename)
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
