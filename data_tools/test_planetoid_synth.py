"""Tests of gatdata/planetoid_synth.py and the planetoid-synth command: Planetoid-shaped files in
the public layout (types, shapes, graph, test order), deterministic, read by the planetoid
converter, with labels that follow the graph."""

import collections
import os
import pathlib
import pickle
import unittest

import h5py
import numpy as np
import scipy.sparse as sp

from testsupport import TempDirTest, run_cli, run_main
from gatdata import planetoid
from gatgraphs import validate

NODES, FEATURES, EDGES, CLASSES, DENSITY = 1600, 40, 3000, 2, 0.2  # the least nodes: 1540
SMALL = ("--nodes", str(NODES), "--features", str(FEATURES), "--edges", str(EDGES),
         "--classes", str(CLASSES), "--density", str(DENSITY))
KNOWN, TRAIN = NODES - 1000, 20 * CLASSES


def load(directory, ext):
    path = os.path.join(directory, f"ind.pubmed.{ext}")
    if ext == "test.index":
        with open(path) as f:
            return np.array([int(line) for line in f])
    with open(path, "rb") as f:
        return pickle.load(f, encoding="latin1")


class PlanetoidSynthTest(TempDirTest):
    def synth(self, name, *args):
        out = self.path(name)
        rc, _, err = run_main("planetoid-synth", "--out-dir", out, *SMALL, *args)
        self.assertEqual(rc, 0, err)
        return out

    def test_public_layout(self):
        out = self.path("a")
        rc, stdout, err = run_cli("planetoid-synth", "--out-dir", out, *SMALL)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn(f"edges {EDGES} undirected ({2 * EDGES} directed)", stdout)
        self.assertEqual(sorted(os.listdir(out)),
                         sorted(f"ind.pubmed.{ext}" for ext in planetoid.PLANETOID_EXTS))
        x, y, tx, ty, allx, ally, graph, test_index = (load(out, ext)
                                                       for ext in planetoid.PLANETOID_EXTS)
        for m, rows in ((x, TRAIN), (tx, 1000), (allx, KNOWN)):
            self.assertIsInstance(m, sp.csr_matrix)
            self.assertEqual((m.shape, m.dtype), ((rows, FEATURES), np.float32))
            self.assertTrue((m.data > 0).all() and (m.getnnz(axis=1) > 0).all())  # no empty rows
        for m, rows in ((y, TRAIN), (ty, 1000), (ally, KNOWN)):
            self.assertIsInstance(m, np.ndarray)
            self.assertEqual((m.shape, m.dtype), ((rows, CLASSES), np.int32))
            np.testing.assert_array_equal(m.sum(axis=1), 1)  # one-hot
        np.testing.assert_array_equal(y.sum(axis=0), 20)  # 20 training nodes per class
        self.assertEqual((x != allx[:TRAIN]).nnz, 0)  # x, y: the first rows of allx, ally
        np.testing.assert_array_equal(y, ally[:TRAIN])
        nnz = allx.nnz + tx.nnz
        self.assertAlmostEqual(nnz / (NODES * FEATURES), DENSITY, delta=0.01)

        # The test rows are the last ids, listed in a shuffled order.
        np.testing.assert_array_equal(np.sort(test_index), np.arange(KNOWN, NODES))
        self.assertFalse((np.diff(test_index) > 0).all())

        # The graph: every node a key, both directions, no loops, no repeats, EDGES pairs.
        self.assertIsInstance(graph, collections.defaultdict)
        self.assertIs(graph.default_factory, list)
        self.assertEqual(list(graph), list(range(NODES)))
        pairs = [(a, b) for a, nbrs in graph.items() for b in nbrs]
        self.assertEqual(len(pairs), 2 * EDGES)
        listed = set(pairs)
        self.assertEqual(len(listed), 2 * EDGES)
        self.assertTrue(all(a != b and (b, a) in listed for a, b in pairs))

        # Labels follow the graph: most edges join one class (chance: 1 / CLASSES).
        labels = np.concatenate([ally.argmax(axis=1), np.empty(1000, dtype=np.int64)])
        labels[test_index] = ty.argmax(axis=1)
        a, b = np.array(pairs).T
        self.assertGreater(np.mean(labels[a] == labels[b]), 0.75)

    def test_converts_and_validates(self):
        out = self.synth("a")
        h5 = self.path("a.h5")
        # Not the upstream files (sha256): an error without --unverified; with it the converter
        # reads them with its restricted unpickler, and says so in one line.
        rc, _, err = run_cli("planetoid", "pubmed", "--root", out, "--out", h5)
        self.assertOneLineError(rc, err, os.path.join(out, "ind.pubmed.x"),
                                "convert with --unverified")
        self.assertFalse(os.path.exists(h5))
        rc, _, err = run_cli("planetoid", "pubmed", "--root", out, "--unverified", "--out", h5)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "gat_data: note: ind.pubmed.{x,y,tx,ty,allx,ally,graph,test.index} "
                              f"are not the upstream files (sha256) in {out}; read with the "
                              "restricted unpickler and checked\n")
        rc, stdout, err = run_cli("inspect", h5)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn(f"node level: train {TRAIN}, val 500, test 1000", stdout)
        s = validate(h5)
        self.assertEqual((s["num_nodes"], s["num_features"], s["num_classes"], s["num_edges"]),
                         (NODES, FEATURES, CLASSES, 2 * EDGES))
        self.assertTrue(s["undirected"] and s["splits_disjoint"])
        self.assertEqual(s["self_loops"], 0)
        test_index, tx = load(out, "test.index"), load(out, "tx")
        with h5py.File(h5) as f:
            np.testing.assert_array_equal(f["features"][()][test_index], tx.toarray())
            np.testing.assert_array_equal(f["labels"][()][test_index],
                                          load(out, "ty").argmax(axis=1))

    def test_deterministic(self):
        a, b, c = self.synth("a"), self.synth("b"), self.synth("c", "--seed", "1")
        for ext in planetoid.PLANETOID_EXTS:
            name = f"ind.pubmed.{ext}"
            first, same, other = (pathlib.Path(d, name).read_bytes() for d in (a, b, c))
            self.assertEqual(first, same, name)
            self.assertNotEqual(first, other, name)

    def test_bad_arguments(self):
        out = self.path("x")
        rc, _, err = run_cli("planetoid-synth", "--out-dir", out, "--classes", "0")
        self.assertOneLineError(rc, err, "--classes must be at least 2, got 0")
        for args, expected in ((("--density", "1.5"), "--density must be in (0, 1], got 1.5"),
                               (("--edges", "97185094"), "--edges must be between 0 and "
                                                         "97185093 for 19717 nodes"),
                               (("--nodes", "1559", "--classes", "3"),
                                "--nodes must be at least 1560"),
                               (("--name", "../x"), "--name must be letters")):
            rc, _, err = run_main("planetoid-synth", "--out-dir", out, *args)
            self.assertOneLineError(rc, err, expected)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
