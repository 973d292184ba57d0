"""Tests of gatdata/ppi.py and the ppi command: the public layout, read, checked, fetched.
The inputs are mostly made by ppi-synth (its own tests: test_ppi_synth.py)."""

import json
import os
import unittest
import zipfile

import h5py
import numpy as np

from testsupport import SMALL_PPI, PpiDirs, TempDirTest, run_cli, run_main
from gatdata import common, ppi
from gatgraphs import validate


class PpiTest(PpiDirs, TempDirTest):
    def test_synth_then_convert(self):
        rc, out, err = run_cli("ppi-synth", "--out-dir", self.path("a"), *SMALL_PPI)
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(os.listdir(self.path("a"))), sorted(ppi.PPI_FILES))
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
        for name in ppi.PPI_FILES:
            with open(os.path.join(self.path("a"), name), "rb") as f1, \
                    open(os.path.join(b, name), "rb") as f2:
                self.assertEqual(f1.read(), f2.read(), name)
        with open(self.path("a.h5"), "rb") as f1, open(self.convert(b, "b.h5"), "rb") as f2, \
                open(self.convert(c, "c.h5"), "rb") as f3:
            first = f1.read()
            self.assertEqual(first, f2.read())
            self.assertNotEqual(first, f3.read())

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
            for name in ppi.PPI_FILES:
                z.write(os.path.join(source, name), "ppi/" + name)  # nested, flattened on unpack
        for name, value in (("PPI_URL", "file://" + archive),
                            ("PPI_SHA256", common.sha256(archive))):
            self.addCleanup(setattr, ppi, name, getattr(ppi, name))
            setattr(ppi, name, value)

        fetched = self.path("fetched")
        rc, _, err = run_main("ppi", "--download", fetched, "--out", self.path("dl.h5"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(os.listdir(fetched)), sorted(ppi.PPI_FILES + ("ppi.zip",)))
        with open(self.path("dl.h5"), "rb") as f1, open(self.convert(source), "rb") as f2:
            self.assertEqual(f1.read(), f2.read())

        ppi.PPI_SHA256 = "0" * 64
        fetched = self.path("fetched2")
        rc, _, err = run_main("ppi", "--download", fetched, "--out", self.path("dl2.h5"))
        self.assertOneLineError(rc, err, "ppi.zip: sha256", "does not match the known " + "0" * 64)
        self.assertEqual(os.listdir(fetched), [])
        self.assertFalse(os.path.exists(self.path("dl2.h5")))

    def test_bad_arguments(self):
        rc, _, err = run_cli("ppi", "--root", self.path("x"))
        self.assertOneLineError(rc, err, "--out")


if __name__ == "__main__":
    unittest.main()
