"""Tests of gatdata/synthetic.py and the synthetic command: planted-partition datasets."""

import os
import unittest

import h5py
import numpy as np

from testsupport import TempDirTest, run_cli, run_main
from gatdata.synthetic import synthesize
from gatgraphs import validate


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
        d = synthesize(seed=0)
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

    def test_compress(self):
        """--compress (like --chunk, on every command that writes a .h5) gives the same data."""
        run_main("synthetic", "--out", self.path("a.h5"))
        rc, _, err = run_main("synthetic", "--out", self.path("z.h5"), "--compress", "6")
        self.assertEqual(rc, 0, err)
        with h5py.File(self.path("a.h5")) as a, h5py.File(self.path("z.h5")) as z:
            np.testing.assert_array_equal(z["features"][()], a["features"][()])
            self.assertEqual(z["features"].compression, "gzip")
        self.assertLess(os.path.getsize(self.path("z.h5")), os.path.getsize(self.path("a.h5")))

    def test_bad_arguments(self):
        rc, _, err = run_cli("synthetic", "--out", self.path("x.h5"), "--compress", "10")
        self.assertOneLineError(rc, err, "argument --compress: expected a gzip level 1..9")
        rc, _, err = run_cli("synthetic", "--out", self.path("x.h5"), "--graphs", "2")
        self.assertOneLineError(rc, err, "--graphs must be 1")
        rc, _, err = run_cli("synthetic")
        self.assertOneLineError(rc, err, "--out")
        self.assertFalse(os.path.exists(self.path("x.h5")))


if __name__ == "__main__":
    unittest.main()
