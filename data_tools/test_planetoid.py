"""Tests of gatdata/planetoid.py and the planetoid command, on the real upstream files:
$GAT_PLANETOID_DIR or <repo>/../shared/datasets/planetoid (skipped when there are none)."""

import os
import pickle
import shutil
import unittest
import warnings

import h5py
import numpy as np

from testsupport import HERE, TempDirTest, run_cli, run_main
from gatdata import planetoid
from gatgraphs import validate

PLANETOID_DIR = os.environ.get("GAT_PLANETOID_DIR") or os.path.normpath(
    os.path.join(HERE, "..", "..", "shared", "datasets", "planetoid"))
HAVE_PLANETOID = os.path.isfile(os.path.join(PLANETOID_DIR, "ind.cora.graph"))
NO_PLANETOID = f"no Planetoid files in {PLANETOID_DIR} (set GAT_PLANETOID_DIR)"


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
        for ext in planetoid.PLANETOID_EXTS:
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
        url = planetoid.PLANETOID_URL
        self.addCleanup(setattr, planetoid, "PLANETOID_URL", url)
        planetoid.PLANETOID_URL = "file://" + os.path.abspath(PLANETOID_DIR) + "/{}"
        fetched = self.path("fetched")
        rc, _, err = run_main("planetoid", "cora", "--download", fetched, "--out",
                              self.path("cora.h5"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(os.listdir(fetched)), 8)

        planetoid.PLANETOID_URL = "file://" + self.corrupted_copy("ind.cora.graph") + "/{}"
        fetched = self.path("fetched2")
        rc, _, err = run_main("planetoid", "cora", "--download", fetched, "--out",
                              self.path("cora2.h5"))
        self.assertOneLineError(rc, err, "/ind.cora.graph: sha256")
        self.assertNotIn("ind.cora.graph", os.listdir(fetched))


if __name__ == "__main__":
    unittest.main()
