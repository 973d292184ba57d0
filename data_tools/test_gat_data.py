"""Tests for gatgraphs.py and gat_data.py.

Run: /usr/bin/python3 -m unittest discover -s data_tools -p 'test_*.py'
The Planetoid tests need the real files: $GAT_PLANETOID_DIR or <repo>/../shared/datasets/planetoid.
"""

import contextlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings
import zipfile

import h5py
import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gat_data  # noqa: E402
from gatgraphs import FormatError, undirected_dedup, validate, write_dataset  # noqa: E402

GAT_DATA = os.path.join(HERE, "gat_data.py")
PLANETOID_DIR = os.environ.get("GAT_PLANETOID_DIR") or os.path.normpath(
    os.path.join(HERE, "..", "..", "shared", "datasets", "planetoid"))
HAVE_PLANETOID = os.path.isfile(os.path.join(PLANETOID_DIR, "ind.cora.graph"))
NO_PLANETOID = f"no Planetoid files in {PLANETOID_DIR} (set GAT_PLANETOID_DIR)"


def run_cli(*args):
    """Run the real executable, as a user would: (exit code, stdout, stderr)."""
    p = subprocess.run([sys.executable, GAT_DATA, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def run_main(*args):
    """Run gat_data.main in-process (faster), keeping its output out of the test log."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = gat_data.main(list(args))
    return rc, out.getvalue(), err.getvalue()


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gat_data_test_")
        self.addCleanup(shutil.rmtree, self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def assertOneLineError(self, rc, stderr, *fragments):
        self.assertEqual(rc, 2, stderr)
        self.assertTrue(stderr.startswith("gat_data: error: "), stderr)
        self.assertEqual(stderr.count("\n"), 1, stderr)
        self.assertNotIn("Traceback", stderr)
        for fragment in fragments:
            self.assertIn(fragment, stderr)


def small_dataset():
    """Two graphs of 3 and 4 nodes, graph-level splits: small enough to check by hand."""
    edges = undirected_dedup(np.array([[0, 1, 3, 4, 5], [1, 2, 4, 5, 6]]), 7)
    return dict(
        features=np.arange(14, dtype=np.float64).reshape(7, 2),
        labels=np.array([0, 1, 2, 0, 1, 2, 0]),
        edge_index=edges,
        graph_ptr=np.array([0, 3, 7]),
        edge_ptr=np.array([0, 4, 10]),
        splits={"train": ("graph", [0]), "val": ("graph", [1]), "test": ("graph", [1])},
        task="multiclass",
        num_classes=3,
    )


class WriteValidateTest(TempDirTest):
    def test_round_trip(self):
        data = small_dataset()
        out = self.path("small.h5")
        write_dataset(out, **data)
        summary = validate(out)
        self.assertEqual((summary["num_nodes"], summary["num_features"], summary["num_edges"],
                          summary["num_graphs"]), (7, 2, 10, 2))
        self.assertTrue(summary["undirected"])
        self.assertFalse(summary["splits_disjoint"])  # val and test share graph 1
        with h5py.File(out) as f:
            self.assertEqual(f.attrs["format"], "gat-graphs")
            self.assertEqual(f.attrs["version"].dtype, np.int64)
            self.assertEqual(f.attrs["num_classes"], 3)
            self.assertEqual(f["features"].dtype, np.float32)
            np.testing.assert_array_equal(f["features"][()], data["features"])
            np.testing.assert_array_equal(f["edge_index"][()], data["edge_index"])
            self.assertEqual(f["edge_index"].dtype, np.int64)
            self.assertEqual(f["splits/train"].attrs["level"], "graph")
        self.assertEqual(os.listdir(self.tmp), ["small.h5"])  # no .tmp left behind

    def test_write_refuses_bad_data_and_leaves_no_file(self):
        data = small_dataset()
        data["edge_index"] = data["edge_index"].copy()
        data["edge_index"][1, 0] = 7
        with self.assertRaisesRegex(FormatError, r"node id 7 in column 0 is out of range"):
            write_dataset(self.path("bad.h5"), **data)
        self.assertEqual(os.listdir(self.tmp), [])

    def test_undirected_dedup(self):
        edges = np.array([[2, 0, 1, 1, 0, 2], [0, 1, 0, 1, 1, 1]])  # dup, reverse, self loop
        np.testing.assert_array_equal(undirected_dedup(edges, 3),
                                      [[1, 2, 0, 2, 0, 1], [0, 0, 1, 1, 2, 2]])
        with self.assertRaises(ValueError):
            undirected_dedup(np.array([[0], [3]]), 3)


class BrokenCopies:
    """For tests of a reader: copies of the valid file self.good with one thing broken."""

    def broken(self, change):
        """A copy of the good file with `change(h5py.File)` applied."""
        bad = self.path("bad.h5")
        shutil.copy(self.good, bad)
        with h5py.File(bad, "r+") as f:
            change(f)
        return bad

    def replace(self, name, data):
        def change(f):
            attrs = dict(f[name].attrs)
            del f[name]
            f.create_dataset(name, data=data).attrs.update(attrs)
        return self.broken(change)


class ValidateRejectsTest(BrokenCopies, TempDirTest):
    """Each broken rule gives one line: FILE: /DATASET: what was expected."""

    def setUp(self):
        super().setUp()
        self.good = self.path("good.h5")
        write_dataset(self.good, **gat_data.synthesize(seed=1, nodes=20, classes=2, graphs=3))
        with h5py.File(self.good) as f:
            self.n = f["features"].shape[0]
            self.graph_ptr = f["graph_ptr"][()]
            self.edges = f["edge_index"][()]


    def assertRejected(self, bad, expected):
        with self.assertRaises(FormatError) as caught:
            validate(bad)
        self.assertEqual(str(caught.exception), f"{bad}: {expected}")

    def test_good_file_passes(self):
        self.assertEqual(validate(self.good)["num_graphs"], 3)

    def test_bad_node_id(self):
        edges = self.edges.copy()
        edges[1, 17] = self.n
        self.assertRejected(self.replace("edge_index", edges),
                            f"/edge_index: node id {self.n} in column 17 is out of range "
                            f"[0, {self.n})")

    def test_wrong_dtype(self):
        with h5py.File(self.good) as f:
            features = f["features"][()].astype(np.float64)
        self.assertRejected(self.replace("features", features),
                            "/features: expected float32, got float64")

    def test_shape_mismatch(self):
        self.assertRejected(self.replace("labels", np.zeros(self.n - 1, dtype=np.int64)),
                            f"/labels: expected shape [{self.n}], got [{self.n - 1}]")

    def test_label_out_of_range(self):
        labels = np.zeros(self.n, dtype=np.int64)
        labels[4] = 2
        self.assertRejected(self.replace("labels", labels),
                            "/labels: label 2 of node 4 is out of range [0, 2)")

    def test_missing_split(self):
        self.assertRejected(self.broken(lambda f: f.__delitem__("splits/val")),
                            "/splits/val: missing")

    def test_mixed_split_levels(self):
        def change(f):
            f["splits/test"].attrs["level"] = "node"
        self.assertRejected(self.broken(change),
                            "/splits: expected one level for train, val and test, "
                            "got train=graph, val=graph, test=node")

    def test_nan_features(self):
        with h5py.File(self.good) as f:
            features = f["features"][()]
        features[3, 5] = np.nan
        self.assertRejected(self.replace("features", features),
                            "/features: expected finite values, got nan at row 3, column 5")

    def test_edge_crossing_graphs(self):
        edges = self.edges.copy()
        edges[1, 0] = self.graph_ptr[1]  # column 0 belongs to graph 0
        self.assertRejected(self.replace("edge_index", edges),
                            f"/edge_index: node id {self.graph_ptr[1]} in column 0 lies outside "
                            f"graph 0's node range [0, {self.graph_ptr[1]})")

    def test_bad_graph_ptr(self):
        ptr = self.graph_ptr.copy()
        ptr[1], ptr[2] = ptr[2], ptr[1]
        self.assertRejected(self.replace("graph_ptr", ptr),
                            f"/graph_ptr: expected non-decreasing entries, got {ptr[1]} then "
                            f"{ptr[2]} at entries 1 and 2")
        ptr = self.graph_ptr.copy()
        ptr[-1] -= 1
        self.assertRejected(self.replace("graph_ptr", ptr),
                            f"/graph_ptr: expected last entry to equal the number of nodes "
                            f"{self.n}, got {self.n - 1}")

    def test_bad_format_attribute(self):
        def change(f):
            f.attrs["format"] = "other"
        self.assertRejected(self.broken(change),
                            "/: attribute format: expected 'gat-graphs', got 'other'")

    def test_not_hdf5(self):
        bad = self.path("bad.h5")
        with open(bad, "w") as f:
            f.write("not hdf5\n")
        with self.assertRaisesRegex(FormatError, r"^.*bad\.h5: /: cannot open as HDF5"):
            validate(bad)

    def test_inspect_cli(self):
        rc, out, err = run_cli("inspect", self.good)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("graph level: train 1, val 1, test 1", out)
        bad = self.replace("edge_ptr", np.array([0, 5], dtype=np.int64))
        rc, out, err = run_cli("inspect", bad)
        self.assertOneLineError(rc, err, "/edge_ptr: expected shape [4], got [2]")


class SyntheticTest(TempDirTest):
    def test_deterministic_and_valid(self):
        rc, out, err = run_cli("synthetic", "--out", self.path("a.h5"))
        self.assertEqual(rc, 0, err)
        run_main("synthetic", "--out", self.path("b.h5"))
        run_main("synthetic", "--out", self.path("c.h5"), "--seed", "1")
        with open(self.path("a.h5"), "rb") as a, open(self.path("b.h5"), "rb") as b, \
                open(self.path("c.h5"), "rb") as c:
            first = a.read()
            self.assertEqual(first, b.read())
            self.assertNotEqual(first, c.read())
        s = validate(self.path("a.h5"))
        self.assertEqual((s["num_nodes"], s["num_classes"], s["num_features"], s["num_graphs"]),
                         (600, 4, 32, 1))
        self.assertEqual((s["split_level"], s["split_sizes"]),
                         ("node", {"train": 80, "val": 100, "test": 200}))
        self.assertTrue(s["undirected"] and s["splits_disjoint"])
        self.assertEqual(s["self_loops"], 0)
        self.assertTrue(5 < s["num_edges"] / 600 <= 6)  # mean degree near --degree 6

    def test_neighbours_carry_the_signal(self):
        """A nearest-centroid classifier does clearly better on neighbourhood sums than on a
        node's own features, so the dataset rewards message passing."""
        d = gat_data.synthesize(seed=0)
        x, y, e = d["features"], d["labels"], d["edge_index"]
        train, test = d["splits"]["train"][1], d["splits"]["test"][1]
        self.assertGreater(np.mean(y[e[0]] == y[e[1]]), 0.75)  # homophily

        def accuracy(h):
            centroids = np.stack([h[train][y[train] == c].mean(axis=0) for c in range(4)])
            h = h / np.maximum(h.sum(axis=1, keepdims=True), 1)
            centroids /= centroids.sum(axis=1, keepdims=True)
            predicted = ((h[test, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)
            return np.mean(predicted == y[test])

        aggregated = x.copy()
        np.add.at(aggregated, e[1], x[e[0]])
        own, neighbourhood = accuracy(x), accuracy(aggregated)
        self.assertLess(own, 0.7)
        self.assertGreater(neighbourhood, own + 0.15)

    def test_inductive_multilabel(self):
        out = self.path("ppi_like.h5")
        rc, _, err = run_main("synthetic", "--out", out, "--graphs", "10", "--task", "multilabel",
                              "--nodes", "100", "--classes", "5")
        self.assertEqual(rc, 0, err)
        s = validate(out)
        self.assertEqual((s["num_graphs"], s["split_level"], s["split_sizes"]),
                         (10, "graph", {"train": 8, "val": 1, "test": 1}))
        self.assertTrue(s["splits_disjoint"])
        self.assertTrue(all(75 <= k <= 125 for k in s["nodes_per_graph"]))
        with h5py.File(out) as f:
            labels = f["labels"][()]
        self.assertEqual(labels.shape, (s["num_nodes"], 5))
        per_node = labels.sum(axis=1)
        self.assertGreaterEqual(per_node.min(), 1)
        self.assertGreater(per_node.mean(), 1.2)  # several labels per node

    def test_bad_arguments(self):
        rc, _, err = run_cli("synthetic", "--out", self.path("x.h5"), "--graphs", "2")
        self.assertOneLineError(rc, err, "--graphs must be 1")
        rc, _, err = run_cli("synthetic")
        self.assertOneLineError(rc, err, "--out")
        self.assertFalse(os.path.exists(self.path("x.h5")))


def kipf_reference(name, root):
    """Features, labels and edge set exactly as Kipf's GCN utils.load_data builds them."""
    import scipy.sparse as sp
    objects = []
    for ext in ("x", "y", "tx", "ty", "allx", "ally", "graph"):
        with open(os.path.join(root, f"ind.{name}.{ext}"), "rb") as f, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            objects.append(pickle.load(f, encoding="latin1"))
    x, y, tx, ty, allx, ally, graph = objects
    with open(os.path.join(root, f"ind.{name}.test.index")) as f:
        test_idx_reorder = [int(line) for line in f]
    test_idx_range = np.sort(test_idx_reorder)
    if name == "citeseer":
        full = range(min(test_idx_reorder), max(test_idx_reorder) + 1)
        tx_extended = sp.lil_matrix((len(full), x.shape[1]))
        tx_extended[test_idx_range - min(test_idx_range), :] = tx
        tx = tx_extended
        ty_extended = np.zeros((len(full), y.shape[1]))
        ty_extended[test_idx_range - min(test_idx_range), :] = ty
        ty = ty_extended
    features = sp.vstack((allx, tx)).tolil()
    features[test_idx_reorder, :] = features[test_idx_range, :]
    labels = np.vstack((ally, ty))
    labels[test_idx_reorder, :] = labels[test_idx_range, :]
    edges = {(a, b) for a, nbrs in graph.items() for b in nbrs if a != b}
    edges |= {(b, a) for a, b in edges}
    return features.toarray(), labels.argmax(axis=1), edges


@unittest.skipUnless(HAVE_PLANETOID, NO_PLANETOID)
class PlanetoidTest(TempDirTest):
    def convert(self, name, nodes, features, classes, edges, splits):
        out = self.path(f"{name}.h5")
        rc, _, err = run_main("planetoid", name, "--root", PLANETOID_DIR, "--out", out)
        self.assertEqual(rc, 0, err)
        s = validate(out)
        self.assertEqual((s["num_nodes"], s["num_features"], s["num_classes"], s["num_edges"]),
                         (nodes, features, classes, edges))
        self.assertEqual(s["split_level"], "node")
        self.assertEqual(tuple(s["split_sizes"].values()), splits)
        self.assertTrue(s["undirected"] and s["splits_disjoint"])
        self.assertEqual(s["self_loops"], 0)

        ref_x, ref_y, ref_edges = kipf_reference(name, PLANETOID_DIR)
        with h5py.File(out) as f:
            np.testing.assert_array_equal(f["features"][()], ref_x)
            np.testing.assert_array_equal(f["labels"][()], ref_y)
            self.assertEqual(set(map(tuple, f["edge_index"][()].T.tolist())), ref_edges)
            np.testing.assert_array_equal(f["splits/val"][()],
                                          np.arange(splits[0], splits[0] + 500))

    def test_cora(self):
        self.convert("cora", 2708, 1433, 7, 10556, (140, 500, 1000))

    def test_citeseer(self):
        self.convert("citeseer", 3327, 3703, 6, 9104, (120, 500, 1000))

    def corrupted_copy(self, filename):
        source = self.path("src")
        os.mkdir(source)
        for ext in gat_data.PLANETOID_EXTS:
            shutil.copy(os.path.join(PLANETOID_DIR, f"ind.cora.{ext}"), source)
        path = os.path.join(source, filename)
        os.chmod(path, 0o644)
        with open(path, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0x01]))
        return source

    def test_corrupted_file_fails_checksum(self):
        source = self.corrupted_copy("ind.cora.tx")
        out = self.path("cora.h5")
        rc, _, err = run_cli("planetoid", "cora", "--root", source, "--out", out)
        self.assertOneLineError(rc, err, os.path.join(source, "ind.cora.tx"), "sha256")
        self.assertFalse(os.path.exists(out))

    def test_download(self):
        """--download through file:// URLs: same code path as https, no network needed."""
        url = gat_data.PLANETOID_URL
        self.addCleanup(setattr, gat_data, "PLANETOID_URL", url)
        gat_data.PLANETOID_URL = "file://" + os.path.abspath(PLANETOID_DIR) + "/{}"
        fetched = self.path("fetched")
        rc, _, err = run_main("planetoid", "cora", "--download", fetched, "--out",
                              self.path("cora.h5"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(os.listdir(fetched)), 8)

        gat_data.PLANETOID_URL = "file://" + self.corrupted_copy("ind.cora.graph") + "/{}"
        fetched = self.path("fetched2")
        rc, _, err = run_main("planetoid", "cora", "--download", fetched, "--out",
                              self.path("cora2.h5"))
        self.assertOneLineError(rc, err, "/ind.cora.graph: sha256")
        self.assertNotIn("ind.cora.graph", os.listdir(fetched))


# --- PPI ---------------------------------------------------------------------------------------

SMALL_PPI = ("--graphs", "6", "--nodes", "40", "--degree", "6", "--labels", "8")


def micro_f1(predicted, labels):
    tp = np.sum(predicted & (labels == 1))
    return 2 * tp / (predicted.sum() + labels.sum())


def linear_probe(path):
    """Test micro-F1 of least-squares linear models trained on the train graphs, from a node's
    own features (the best a per-node model does here: the own part of the label score is
    linear) and from [own, mean over node + neighbours] (what one attention layer can see).
    Each label's threshold reproduces its train positive rate, so neither model is handicapped
    by calibration."""
    with h5py.File(path) as f:
        x, y, e = f["features"][()].astype(np.float64), f["labels"][()], f["edge_index"][()]
        graph_ptr, train, test = f["graph_ptr"][()], f["splits/train"][()], f["splits/test"][()]
    n = x.shape[0]
    adj = sp.csr_matrix((np.ones(e.shape[1]), (e[1], e[0])), shape=(n, n)) + sp.identity(n)
    mean = (adj @ x) / np.asarray(adj.sum(axis=1))

    def nodes(graphs):
        return np.concatenate([np.arange(graph_ptr[g], graph_ptr[g + 1]) for g in graphs])

    a, b = nodes(train), nodes(test)
    scores = {}
    for name, h in (("own", x), ("neighbourhood", np.hstack([x, mean]))):
        h = np.hstack([h, np.ones((n, 1))])
        w = np.linalg.lstsq(h[a], y[a].astype(np.float64), rcond=None)[0]
        fit = h[a] @ w
        threshold = np.array([np.quantile(fit[:, c], 1 - y[a, c].mean())
                              for c in range(y.shape[1])])
        scores[name] = micro_f1(h[b] @ w > threshold, y[b])
    scores["all ones"] = micro_f1(np.ones(y[b].shape, dtype=bool), y[b])
    return scores


class PpiTest(TempDirTest):
    def synth(self, name="synth", *args):
        out = self.path(name)
        rc, _, err = run_main("ppi-synth", "--out-dir", out, *(args or SMALL_PPI))
        self.assertEqual(rc, 0, err)
        return out

    def convert(self, directory, name="ppi.h5"):
        out = self.path(name)
        rc, _, err = run_main("ppi", "--root", directory, "--out", out)
        self.assertEqual(rc, 0, err)
        return out

    def test_synth_then_convert(self):
        rc, out, err = run_cli("ppi-synth", "--out-dir", self.path("a"), *SMALL_PPI)
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(os.listdir(self.path("a"))), sorted(gat_data.PPI_FILES))
        for prefix, ids in (("train", [1, 2, 3, 4]), ("valid", [5]), ("test", [6])):
            graph_id = np.load(os.path.join(self.path("a"), f"{prefix}_graph_id.npy"))
            np.testing.assert_array_equal(np.unique(graph_id), ids)
        with open(os.path.join(self.path("a"), "valid_graph.json")) as f:
            graph = json.load(f)
        links = {(link["source"], link["target"]) for link in graph["links"]}
        self.assertTrue(all((t, s) in links for s, t in links))  # both directions listed
        self.assertTrue(all((i, i) in links for i in range(len(graph["nodes"]))))  # + loops

        rc, out, err = run_cli("ppi", "--root", self.path("a"), "--out", self.path("a.h5"))
        self.assertEqual(rc, 0, err)
        self.assertIn("graph level: train 4, val 1, test 1", out)
        s = validate(self.path("a.h5"))
        self.assertEqual((s["task"], s["num_classes"], s["num_features"], s["num_graphs"]),
                         ("multilabel", 8, 50, 6))
        self.assertEqual(s["split_sizes"], {"train": 4, "val": 1, "test": 1})
        self.assertTrue(s["splits_disjoint"] and s["undirected"])
        self.assertEqual(s["self_loops"], 0)
        self.assertTrue(all(30 <= k <= 50 for k in s["nodes_per_graph"]))
        # round(n * 6 / 2) distinct pairs per graph, stored both ways.
        np.testing.assert_array_equal(s["edges_per_graph"], 6 * s["nodes_per_graph"])
        rate = s["class_counts"] / s["num_nodes"]
        self.assertTrue(((rate > 0.15) & (rate < 0.4)).all(), rate)
        with h5py.File(self.path("a.h5")) as f:
            np.testing.assert_array_equal(f["splits/test"][()], [5])
            train_x = np.load(os.path.join(self.path("a"), "train_feats.npy"))
            np.testing.assert_array_equal(f["features"][:train_x.shape[0]],
                                          train_x.astype(np.float32))  # rows already grouped

        # Deterministic: same seed, same bytes; another seed, other bytes.
        b, c = self.synth("b"), self.synth("c", *SMALL_PPI, "--seed", "1")
        for name in gat_data.PPI_FILES:
            with open(os.path.join(self.path("a"), name), "rb") as f1, \
                    open(os.path.join(b, name), "rb") as f2:
                self.assertEqual(f1.read(), f2.read(), name)
        with open(self.path("a.h5"), "rb") as f1, open(self.convert(b, "b.h5"), "rb") as f2, \
                open(self.convert(c, "c.h5"), "rb") as f3:
            first = f1.read()
            self.assertEqual(first, f2.read())
            self.assertNotEqual(first, f3.read())

    def test_neighbours_carry_the_signal(self):
        """Labels are (mostly) a function of the neighbourhood: a linear model that sees the
        neighbourhood mean beats one that sees only the node by a wide margin."""
        directory = self.synth("mid", "--graphs", "12", "--nodes", "200", "--degree", "10",
                               "--features", "16", "--labels", "16")
        scores = linear_probe(self.convert(directory))
        self.assertLess(scores["own"], 0.65, scores)
        self.assertGreater(scores["neighbourhood"], scores["own"] + 0.25, scores)

    def test_hand_written_layout(self):
        """A tiny directory in the public layout, with rows of one graph scattered, links
        duplicated, one-way, self loops, an isolated node and float labels."""
        d = self.path("tiny")
        os.mkdir(d)

        def write(prefix, feats, labels, graph_id, links):
            np.save(os.path.join(d, f"{prefix}_feats.npy"), np.asarray(feats, dtype=np.float64))
            np.save(os.path.join(d, f"{prefix}_labels.npy"), np.asarray(labels, dtype=np.float32))
            np.save(os.path.join(d, f"{prefix}_graph_id.npy"), np.asarray(graph_id))
            graph = {"directed": False, "graph": {}, "multigraph": False,
                     "nodes": [{"id": i, "val": False} for i in range(len(graph_id))],
                     "links": [{"source": s, "target": t} for s, t in links]}
            with open(os.path.join(d, f"{prefix}_graph.json"), "w") as f:
                json.dump(graph, f)

        train_x = np.arange(10).reshape(5, 2)
        train_y = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1]]
        write("train", train_x, train_y, [1, 2, 1, 2, 2],
              [(0, 2), (2, 0), (1, 3), (3, 4), (4, 4), (1, 3)])
        write("valid", [[10, 11], [12, 13]], [[1, 1, 1], [0, 0, 0]], [7, 7], [(0, 1)])
        write("test", [[14, 15], [16, 17], [18, 19]], [[1, 0, 1], [0, 0, 0], [0, 1, 0]],
              [9, 8, 9], [(0, 2)])
        with h5py.File(self.convert(d)) as f:
            # Train rows 0, 2 (graph 1) then 1, 3, 4 (graph 2); valid; test row 1 (graph 8)
            # then rows 0, 2 (graph 9).
            np.testing.assert_array_equal(
                f["features"][()], np.concatenate([train_x[[0, 2, 1, 3, 4]],
                                                   [[10, 11], [12, 13]],
                                                   [[16, 17], [14, 15], [18, 19]]]))
            np.testing.assert_array_equal(
                f["labels"][()], [[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 1, 0], [0, 1, 1],
                                  [1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 0, 1], [0, 1, 0]])
            np.testing.assert_array_equal(f["edge_index"][()],
                                          [[1, 0, 3, 2, 4, 3, 6, 5, 9, 8],
                                           [0, 1, 2, 3, 3, 4, 5, 6, 8, 9]])
            np.testing.assert_array_equal(f["graph_ptr"][()], [0, 2, 5, 7, 8, 10])
            np.testing.assert_array_equal(f["edge_ptr"][()], [0, 2, 6, 8, 8, 10])
            for split, ids in (("train", [0, 1]), ("val", [2]), ("test", [3, 4])):
                np.testing.assert_array_equal(f[f"splits/{split}"][()], ids)
                self.assertEqual(f[f"splits/{split}"].attrs["level"], "graph")
            self.assertEqual((f.attrs["task"], f.attrs["num_classes"]), ("multilabel", 3))

    def assertRefused(self, directory, *fragments):
        out = self.path("bad.h5")
        rc, _, err = run_cli("ppi", "--root", directory, "--out", out)
        self.assertOneLineError(rc, err, *fragments)
        self.assertFalse(os.path.exists(out))

    def test_rejects_bad_files(self):
        d = self.synth()
        path = os.path.join(d, "train_graph.json")
        with open(path) as f:
            graph = json.load(f)
        last = len(graph["nodes"]) - 1
        graph["links"].insert(3, {"source": 0, "target": last})
        with open(path, "w") as f:
            json.dump(graph, f)
        self.assertRefused(d, path, f"link 3 joins node 0 (graph 1) and node {last} (graph 4)")

        d = self.synth("rows")
        path = os.path.join(d, "valid_labels.npy")
        labels = np.load(path)
        np.save(path, labels[:-1])
        self.assertRefused(d, path, f"expected {labels.shape[0]} rows (one per row of "
                                    f"valid_feats.npy), got {labels.shape[0] - 1}")
        os.remove(os.path.join(d, "test_graph_id.npy"))
        self.assertRefused(d, os.path.join(d, "test_graph_id.npy"), "missing")

    def test_download(self):
        """--download through a file:// URL: the same code path as https, no network."""
        source = self.synth()
        archive = self.path("ppi.zip")
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("ppi/README", "extra members are ignored\n")
            for name in gat_data.PPI_FILES:
                z.write(os.path.join(source, name), "ppi/" + name)  # nested, flattened on unpack
        for name, value in (("PPI_URL", "file://" + archive),
                            ("PPI_SHA256", gat_data._sha256(archive))):
            self.addCleanup(setattr, gat_data, name, getattr(gat_data, name))
            setattr(gat_data, name, value)

        fetched = self.path("fetched")
        rc, _, err = run_main("ppi", "--download", fetched, "--out", self.path("dl.h5"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(os.listdir(fetched)), sorted(gat_data.PPI_FILES + ("ppi.zip",)))
        with open(self.path("dl.h5"), "rb") as f1, open(self.convert(source), "rb") as f2:
            self.assertEqual(f1.read(), f2.read())

        gat_data.PPI_SHA256 = "0" * 64
        fetched = self.path("fetched2")
        rc, _, err = run_main("ppi", "--download", fetched, "--out", self.path("dl2.h5"))
        self.assertOneLineError(rc, err, "ppi.zip: sha256", "does not match the known " + "0" * 64)
        self.assertEqual(os.listdir(fetched), [])
        self.assertFalse(os.path.exists(self.path("dl2.h5")))

    def test_bad_arguments(self):
        rc, _, err = run_cli("ppi-synth", "--out-dir", self.path("x"), "--graphs", "2")
        self.assertOneLineError(rc, err, "--graphs must be at least 3")
        self.assertFalse(os.path.exists(self.path("x")))
        rc, _, err = run_cli("ppi", "--root", self.path("x"))
        self.assertOneLineError(rc, err, "--out")



class CurvesTest(TempDirTest):
    def write_run(self, lines, results=None):
        run = self.path("run")
        os.makedirs(run, exist_ok=True)
        with open(os.path.join(run, "metrics.jsonl"), "w") as f:
            f.write("".join(line + "\n" for line in lines))
        if results is not None:
            with open(os.path.join(run, "results.json"), "w") as f:
                f.write(results)
        return run

    def test_plots_every_seed_as_a_png(self):
        lines = [json.dumps({"seed": s, "epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e,
                             "val": 0.5 + 0.01 * e, "seconds": 0.1})
                 for s in (0, 1) for e in range(1, 6)]
        lines[3] = lines[3].replace('"train_loss": 0.25', '"train_loss": null')  # all steps skipped
        run = self.write_run(lines, json.dumps({"metric": "accuracy", "dataset": "d",
                                                "runs": [{"seed": 0, "best_epoch": 3}]}))
        rc, out, err = run_cli("curves", run)
        self.assertEqual((rc, err), (0, ""))
        png = os.path.join(run, "curves.png")
        self.assertEqual(out, png + "\n")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(sorted(os.listdir(run)), ["curves.png", "metrics.jsonl", "results.json"])

    def test_bad_runs_get_one_line(self):
        rc, _, err = run_main("curves", self.path("none"))
        self.assertOneLineError(rc, err, self.path("none/metrics.jsonl") + ": no such file")
        good = json.dumps({"seed": 0, "epoch": 1, "train_loss": 1, "val_loss": 1, "val": 0.5})
        run = self.write_run([good, '{"seed": 0, "epoch": 2}'])
        rc, _, err = run_main("curves", run)
        self.assertOneLineError(rc, err, "metrics.jsonl: line 2: expected a JSON object with seed, epoch, "
                                         "train_loss, val_loss, val")
        run = self.write_run([], "{}")
        rc, _, err = run_main("curves", run)
        self.assertOneLineError(rc, err, "metrics.jsonl: no epochs recorded")
        run = self.write_run([good], "{not json")
        rc, _, err = run_main("curves", run)
        self.assertOneLineError(rc, err, "results.json: not JSON")
        self.assertFalse(os.path.exists(os.path.join(run, "curves.png")))


def write_attention(path, graphs, layers):
    """A gat_explain file: graphs {id: (nodes, edge_index [2, E], [alpha [E, H] per layer])}."""
    with h5py.File(path, "w") as f:
        f.attrs.update(format="gat-attention", version=1, layers=layers, checkpoint="c.pt",
                       data="d.h5")
        for g, (n, edge_index, alphas) in graphs.items():
            group = f.create_group(f"graphs/{g}")
            group.attrs["nodes"] = n
            group.create_dataset("edge_index", data=np.asarray(edge_index, dtype=np.int64))
            for layer, alpha in enumerate(alphas):
                group.create_dataset(f"layer_{layer}", data=np.asarray(alpha, dtype=np.float32))


def random_explained_graph(rng, n, edges, heads):
    """Random edges plus self loops, grouped by target; alpha a per-target softmax of scores."""
    pairs = rng.integers(0, n, size=(2, edges))
    edge_index = np.concatenate([pairs, np.tile(np.arange(n), (2, 1))], axis=1)
    edge_index = edge_index[:, np.lexsort(edge_index)]
    alphas = []
    for h in heads:
        weight = np.exp(rng.normal(size=(edge_index.shape[1], h)))
        total = np.zeros((n, h))
        np.add.at(total, edge_index[1], weight)
        alphas.append(weight / total[edge_index[1]])
    return n, edge_index, alphas


class AttentionTest(BrokenCopies, TempDirTest):
    # Graph A, 4 nodes, two heads: node 0 only its self loop; node 1 two edges, (0.5, 0.5) and
    # (0.9, 0.1); node 2 no incoming edge; node 3 three edges, (0.2, 0.3, 0.5) and (1, 0, 0).
    A_TARGETS = np.array([0, 1, 1, 3, 3, 3])
    A_EDGES = np.stack([np.array([0, 0, 1, 0, 1, 3]), A_TARGETS])
    A_ALPHA = np.array([[1, 1], [0.5, 0.9], [0.5, 0.1], [0.2, 1], [0.3, 0], [0.5, 0]])
    A_ENTROPY = [[0, 0],
                 [np.log(2), -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))],
                 [-(0.2 * np.log(0.2) + 0.3 * np.log(0.3) + 0.5 * np.log(0.5)), 0]]
    A_UNIFORM = [0, np.log(2), np.log(3)]

    def setUp(self):
        super().setUp()
        self.good = self.path("attention.h5")
        rng = np.random.default_rng(0)
        write_attention(self.good, {0: random_explained_graph(rng, 6, 15, (3, 1)),
                                    21: random_explained_graph(rng, 9, 30, (3, 1))}, layers=2)


    def assertRefused(self, bad, expected):
        rc, out, err = run_main("attention", bad)
        self.assertEqual((rc, out, err), (2, "", f"gat_data: error: {bad}: {expected}\n"))
        self.assertEqual(sorted(os.listdir(self.tmp)), ["attention.h5", "bad.h5"])

    def test_entropy_by_hand(self):
        entropy, uniform = gat_data.attention_entropy(self.A_TARGETS, self.A_ALPHA, 4)
        np.testing.assert_allclose(entropy, self.A_ENTROPY, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(uniform, self.A_UNIFORM, rtol=1e-12, atol=1e-15)

    def test_graphs_are_offset_and_in_id_order(self):
        # Graph 21 is graph A; graph 3 (listed after 21 by HDF5, first by id) has node 0 with
        # only its self loop and node 1 with two edges, alpha (0.5, 0.5) and (0.9, 0.1).
        path = self.path("two.h5")
        b_edges = np.array([[0, 0, 1], [0, 1, 1]])
        b_alpha = np.array([[1, 1], [0.5, 0.9], [0.5, 0.1]])
        write_attention(path, {21: (4, self.A_EDGES, [self.A_ALPHA]),
                               3: (2, b_edges, [b_alpha])}, layers=1)
        data = gat_data.read_attention(path)
        self.assertEqual((data["graphs"], data["nodes"]), (2, 6))
        np.testing.assert_array_equal(data["targets"],
                                      np.concatenate([b_edges[1], self.A_TARGETS + 2]))
        entropy, uniform = gat_data.attention_entropy(data["targets"], data["alpha"][0], 6)
        np.testing.assert_allclose(entropy, self.A_ENTROPY[:2] + self.A_ENTROPY,  # float32 alpha
                                   rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(uniform, self.A_UNIFORM[:2] + self.A_UNIFORM, rtol=1e-12)

    def test_softmax_entropy_lies_between_zero_and_uniform(self):
        data = gat_data.read_attention(self.good)
        self.assertEqual([a.shape[1] for a in data["alpha"]], [3, 1])
        for alpha in data["alpha"]:
            entropy, uniform = gat_data.attention_entropy(data["targets"], alpha, data["nodes"])
            self.assertEqual(entropy.shape, (15, alpha.shape[1]))  # self loops: every node
            self.assertTrue((entropy >= -1e-6).all() and (entropy <= uniform[:, None] + 1e-5).all())

    def test_plots_a_png(self):
        rc, out, err = run_cli("attention", self.good)
        self.assertEqual((rc, err), (0, ""))
        png = self.path("attention_entropy.png")
        self.assertEqual(out, png + "\n")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        other = self.path("other.png")
        self.assertEqual(run_main("attention", self.good, "--out", other), (0, other + "\n", ""))
        with open(other, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(sorted(os.listdir(self.tmp)),
                         ["attention.h5", "attention_entropy.png", "other.png"])

    def test_wrong_format(self):
        def change(f):
            f.attrs["format"] = "gat-graphs"
        self.assertRefused(self.broken(change),
                           "/: attribute format: expected 'gat-attention', got 'gat-graphs'")

    def test_wrong_version(self):
        def change(f):
            f.attrs["version"] = 2
        self.assertRefused(self.broken(change), "/: attribute version: expected 1, got 2")

    def test_no_graphs(self):
        def change(f):
            del f["graphs/0"], f["graphs/21"]
        self.assertRefused(self.broken(change), "/graphs: expected at least one graph, got none")

    def test_missing_layer(self):
        self.assertRefused(self.broken(lambda f: f.__delitem__("graphs/21/layer_1")),
                           "/graphs/21/layer_1: missing")

    def test_layer_with_wrong_edge_count(self):
        with h5py.File(self.good) as f:
            edges = f["graphs/21/edge_index"].shape[1]
        self.assertRefused(self.replace("graphs/21/layer_1", np.ones((edges - 1, 1), np.float32)),
                           f"/graphs/21/layer_1: expected float [E, H] with E = {edges} "
                           f"(edge_index's columns), got shape ({edges - 1}, 1)")
        self.assertRefused(self.replace("graphs/21/layer_1", np.ones(edges, np.float32)),
                           f"/graphs/21/layer_1: expected float [E, H] with E = {edges} "
                           f"(edge_index's columns), got shape ({edges},)")

    def test_bad_edge_index(self):
        with h5py.File(self.good) as f:
            edge_index = f["graphs/0/edge_index"][()]
        self.assertRefused(self.replace("graphs/0/edge_index", edge_index[:1]),
                           "/graphs/0/edge_index: expected integer [2, E], got shape (1, 21)")
        edge_index[1, 4] = 6
        self.assertRefused(self.replace("graphs/0/edge_index", edge_index),
                           "/graphs/0/edge_index: node id 6 in row 1, column 4 is out of range "
                           "[0, 6)")

    def test_bad_alpha(self):
        with h5py.File(self.good) as f:
            alpha = f["graphs/0/layer_0"][()]
        alpha[5, 2] = np.nan
        self.assertRefused(self.replace("graphs/0/layer_0", alpha),
                           "/graphs/0/layer_0: expected finite alpha >= 0, got nan at edge 5, "
                           "head 2")
        alpha[5, 2] = -0.5
        self.assertRefused(self.replace("graphs/0/layer_0", alpha),
                           "/graphs/0/layer_0: expected finite alpha >= 0, got -0.5 at edge 5, "
                           "head 2")

    def test_heads_differ_between_graphs(self):
        with h5py.File(self.good) as f:
            alpha = f["graphs/21/layer_0"][()]
        self.assertRefused(self.replace("graphs/21/layer_0", alpha[:, :2]),
                           "/graphs/21/layer_0: expected 3 heads (as /graphs/0/layer_0 has), got 2")

    def test_not_a_file(self):
        rc, _, err = run_main("attention", self.path("none.h5"))
        self.assertOneLineError(rc, err, self.path("none.h5") + ": no such file")


if __name__ == "__main__":
    unittest.main()
