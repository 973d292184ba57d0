"""Planetoid (Cora, Citeseer, Pubmed): fetch the upstream ind.NAME.* files and convert them; with
--unverified, local files in that layout that are not the upstream ones are read with a restricted
unpickler."""

import codecs
import os
import pickle
import sys
import warnings

import numpy as np
import scipy.sparse as sp

from gatgraphs import undirected_dedup

from .common import CliError, check_sha256, fetch, sha256


PLANETOID_URL = "https://github.com/kimiyoung/planetoid/raw/master/data/{}"
PLANETOID_EXTS = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")
PLANETOID_VAL_SIZE = 500  # the standard split: the 500 nodes right after the training nodes

# Cora and Citeseer: from /work/shared/datasets/README.md (hashed from the files there).
# Pubmed: no copy was available here; these are the values recorded by several independent
# public projects that download the same upstream files (they all agree, and agree with the
# Cora/Citeseer values above). A download that does not match is refused, never kept; a local
# file that does not match is an error too, unless --unverified (unverified=True) asks for other
# data in this layout (e.g. planetoid-synth's): then it is read only through RestrictedUnpickler,
# and checked before it is used.
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
UNVERIFIED_HINT = ("; files that are not the upstream ones (e.g. from planetoid-synth) convert "
                   "with --unverified")


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


def _latin1_encode(text, encoding):
    """_codecs.encode as a protocol-2 pickle written by Python 3 uses it (to rebuild bytes, e.g.
    an array's buffer): the latin-1 codec only, not whatever codec the pickle names."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"refuses _codecs.encode with codec {encoding!r}")
    return codecs.encode(text, "latin1")


# The only globals a pickle that is not an upstream file may name, as (module, name) the way the
# pickle spells them: what numpy arrays, scipy csr matrices and defaultdict(list) pickle to under
# protocols 0-2 (Python 2's files and planetoid-synth's; this numpy and scipy checked with
# pickletools).
RESTRICTED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): None,  # ndarray.__reduce__
    ("numpy", "ndarray"): None,
    ("numpy", "dtype"): None,
    ("scipy.sparse.csr", "csr_matrix"): None,         # the upstream files' (old scipy) path
    ("scipy.sparse._csr", "csr_matrix"): None,        # where scipy >= 1.8 pickles it
    ("collections", "defaultdict"): None,             # the graph
    ("__builtin__", "list"): None,                    # its default_factory (Python 2 name)
    ("builtins", "list"): None,                       # ... (Python 3 name)
    ("_codecs", "encode"): _latin1_encode,            # bytes, in protocol 2 from Python 3
}
RESTRICTED_WHAT = ("only numpy arrays, scipy sparse matrices and dicts of lists are read from "
                   "files that are not the upstream ones")


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only what RESTRICTED_GLOBALS names: a pickle runs code only through the globals
    it names (calls, classes to build), so no other code runs. Any other global ends the load."""

    def find_class(self, module, name):
        if (module, name) not in RESTRICTED_GLOBALS:
            raise _RefusedGlobal(f"{module}.{name}")
        return RESTRICTED_GLOBALS[module, name] or super().find_class(module, name)


class _RefusedGlobal(pickle.UnpicklingError):
    pass


def _unpickle_restricted(path, filename):
    """An object from a pickle that is not an upstream file, or one CliError line naming it."""
    with open(path, "rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # as _unpickle
        try:
            return RestrictedUnpickler(f, encoding="latin1").load()
        except _RefusedGlobal as e:
            raise CliError(f"{path}: refuses to unpickle {e} ({RESTRICTED_WHAT})") from e
        except Exception as e:  # truncated or garbled: any error of the load is about the file
            raise CliError(f"{path}: not the upstream {filename} (sha256 differs) and not a "
                           f"readable pickle ({type(e).__name__}: {e})") from e


def _checked(ext, obj, path, filename):
    """A non-upstream object as the converter needs it, or one CliError line: a csr matrix
    (rebuilt and fully checked: scipy's sparsetools trusts indices and indptr), a 2-D numeric
    array, or a dict of int -> list of ints."""
    def bad(what):
        return CliError(f"{path}: not the upstream {filename} (sha256 differs) and {what}")
    if ext in ("x", "tx", "allx"):
        if not isinstance(obj, sp.csr_matrix):
            raise bad(f"not a scipy csr_matrix (got {type(obj).__name__})")
        try:
            m = sp.csr_matrix((obj.data, obj.indices, obj.indptr), shape=obj.shape)
            m.check_format(full_check=True)
        except Exception as e:
            raise bad(f"not a valid csr_matrix ({e})") from e
        if m.dtype.kind not in "biuf":
            raise bad(f"its values are not numeric (dtype {m.dtype})")
        return m
    if ext in ("y", "ty", "ally"):
        if type(obj) is not np.ndarray or obj.ndim != 2 or obj.dtype.kind not in "biuf":
            got = (f"{obj.ndim}-D {obj.dtype}" if isinstance(obj, np.ndarray)
                   else type(obj).__name__)
            raise bad(f"not a 2-D numeric numpy array of one-hot labels (got {got})")
        return obj
    if not (isinstance(obj, dict) and obj and all(
            type(k) is int and type(v) is list and all(type(b) is int for b in v)
            for k, v in obj.items())):
        raise bad("not a non-empty dict of node id -> list of node ids")
    return obj


def _check_shapes(x, y, tx, ty, allx, ally, test_index, paths, why):
    """The row and column counts the conversion relies on (checked when some files are not the
    upstream ones, `why` says which: the upstream ones are known to agree)."""
    def need(ok, ext, what):
        if not ok:
            raise CliError(f"{paths[ext]}: {what} ({why})")
    need(tx.shape[1] == allx.shape[1], "tx", f"{tx.shape[1]} columns, allx has {allx.shape[1]}")
    need(x.shape[1] == allx.shape[1], "x", f"{x.shape[1]} columns, allx has {allx.shape[1]}")
    need(ally.shape[0] == allx.shape[0], "ally",
         f"{ally.shape[0]} rows, allx has {allx.shape[0]}")
    need(ally.shape[1] >= 1, "ally", "no classes (0 columns)")
    need(y.shape[1] == ally.shape[1] and ty.shape[1] == ally.shape[1], "ally",
         f"{ally.shape[1]} classes, y has {y.shape[1]} and ty {ty.shape[1]}")
    need(y.shape[0] == x.shape[0] and x.shape[0] <= allx.shape[0], "y",
         f"{y.shape[0]} rows, x has {x.shape[0]} (and allx {allx.shape[0]})")
    for ext, m in (("tx", tx), ("ty", ty)):
        need(m.shape[0] == test_index.size, ext,
             f"{m.shape[0]} rows, test.index lists {test_index.size} test ids")


def read_planetoid(name, directory, unverified=False):
    """Return the arrays of one Planetoid dataset, converted like the public loaders
    (Kipf's GCN utils.load_data, PyG read_planetoid_data). A file that is not the upstream one
    (sha256) is an error, or with `unverified` (--unverified) is read by RestrictedUnpickler."""
    paths = {ext: os.path.join(directory, f"ind.{name}.{ext}") for ext in PLANETOID_EXTS}
    for path in paths.values():
        if not os.path.isfile(path):
            wanted = ",".join(PLANETOID_EXTS)
            raise CliError(f"{path}: missing (need all of ind.{name}.{{{wanted}}})")
    # Every file is hashed before any is unpickled: pickles can run code. The upstream files
    # load as they are; any other is an error or, if unverified, is read by RestrictedUnpickler,
    # which runs nothing, and checked.
    untrusted = []
    for ext, path in paths.items():
        filename = f"ind.{name}.{ext}"
        if not unverified:
            check_sha256(path, PLANETOID_SHA256[filename], filename, hint=UNVERIFIED_HINT)
        elif sha256(path) != PLANETOID_SHA256[filename]:
            untrusted.append(ext)
    objects = {}
    for ext in PLANETOID_EXTS[:-1]:
        filename = f"ind.{name}.{ext}"
        if ext in untrusted:
            obj = _unpickle_restricted(paths[ext], filename)
            objects[ext] = _checked(ext, obj, paths[ext], filename)
        else:
            objects[ext] = _unpickle(paths[ext])
    x, y, tx, ty, allx, ally, graph = (objects[ext] for ext in PLANETOID_EXTS[:-1])
    with open(paths["test.index"], "rb") as f:
        try:
            test_index = np.array([int(tok) for tok in f.read().split()], dtype=np.int64)
        except (ValueError, OverflowError) as e:
            raise CliError(f"{paths['test.index']}: expected one node id a line ({e})") from e
    why = (f"ind.{name}.{untrusted[0]} is not the upstream file (sha256)" if len(untrusted) == 1
           else f"ind.{name}.{{{','.join(untrusted)}}} are not the upstream files (sha256)")
    if untrusted:
        _check_shapes(x, y, tx, ty, allx, ally, test_index, paths, why)

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

    try:
        src = np.concatenate([np.full(len(nbrs), node, dtype=np.int64)
                              for node, nbrs in graph.items()])
        dst = np.concatenate([np.asarray(nbrs, dtype=np.int64) for nbrs in graph.values()])
        edge_index = undirected_dedup(np.stack([src, dst]), n)
    except (ValueError, OverflowError) as e:  # ids out of range (or of int64)
        raise CliError(f"{paths['graph']}: {e}") from e

    num_train = y.shape[0]
    if untrusted:  # after the checks, so a refused file gets its one error line only
        print(f"gat_data: note: {why} in {directory}; read with the restricted unpickler and "
              f"checked", file=sys.stderr, flush=True)
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
