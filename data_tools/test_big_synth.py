"""Tests of gatdata/big_synth.py and the big-synth command: PPI-like graphs written one at a time
in bounded memory, contiguous, chunked or compressed."""

import os
import tracemalloc
import unittest

import h5py
import numpy as np

from testsupport import TempDirTest, linear_probe, run_cli, run_main
from gatdata.big_synth import lognormal_sizes, write_big_synth
from gatgraphs import validate

# Small graphs, so the tests take seconds: sizes in [150, 260], 10 edges and 16 labels a node.
SMALL = ("--nodes", "200", "--min-nodes", "150", "--max-nodes", "260", "--degree", "10",
         "--features", "16", "--labels", "16")
DATASETS = ("features", "labels", "edge_index", "graph_ptr", "edge_ptr")


def read_all(path):
    with h5py.File(path) as f:
        return {name: f[name][()] for name in DATASETS + ("splits/train", "splits/val",
                                                          "splits/test")}


class BigSynthTest(TempDirTest):
    def write(self, name, *args):
        out = self.path(name)
        rc, stdout, err = run_main("big-synth", "--out", out, *args)
        self.assertEqual(rc, 0, err)
        return out, stdout

    def test_valid_and_summarised_as_inspect_would(self):
        out, printed = self.write("a.h5", "--graphs", "12", *SMALL)
        s = validate(out)
        self.assertEqual((s["num_graphs"], s["task"], s["num_classes"], s["num_features"]),
                         (12, "multilabel", 16, 16))
        self.assertEqual((s["split_level"], s["split_sizes"]),
                         ("graph", {"train": 10, "val": 1, "test": 1}))
        self.assertTrue(s["undirected"] and s["splits_disjoint"])
        self.assertEqual(s["self_loops"], 0)
        self.assertTrue(all(150 <= k <= 260 for k in s["nodes_per_graph"]))
        self.assertFalse(os.path.exists(out + ".tmp"))
        rc, inspected, err = run_main("inspect", out)
        self.assertEqual(rc, 0, err)
        self.assertEqual(printed, inspected)  # the summary gathered while writing is the file's

    def test_sizes_spread_over_ppi_range(self):
        sizes = lognormal_sizes(np.random.default_rng(0), 2000, 2450, 591, 3480)
        self.assertGreaterEqual(sizes.min(), 591)
        self.assertLessEqual(sizes.max(), 3480)
        self.assertTrue(2100 < sizes.mean() < 2400, sizes.mean())
        self.assertGreater(sizes.std(), 400)  # a spread, not one size
        self.assertLess(np.mean(sizes == 3480), 0.01)  # truncated, not clipped: no pile-up

    def test_deterministic(self):
        a, _ = self.write("a.h5", "--graphs", "4", *SMALL)
        b, _ = self.write("b.h5", "--graphs", "4", *SMALL)
        c, _ = self.write("c.h5", "--graphs", "4", "--seed", "1", *SMALL)
        with open(a, "rb") as fa, open(b, "rb") as fb, open(c, "rb") as fc:
            first = fa.read()
            self.assertEqual(first, fb.read())
            self.assertNotEqual(first, fc.read())

    def test_neighbours_carry_the_signal(self):
        """As with ppi-synth: a linear model that sees the neighbourhood mean beats one that
        sees only the node by a wide margin, across graphs (one label rule for all of them)."""
        out, _ = self.write("mid.h5", "--graphs", "12", *SMALL)
        scores = linear_probe(out)
        self.assertLess(scores["own"], 0.65, scores)
        self.assertGreater(scores["neighbourhood"], scores["own"] + 0.25, scores)

    def test_memory_does_not_grow_with_graphs(self):
        """Graph by graph: the peak of Python-tracked memory (numpy arrays included) for 40
        graphs is about that for 10, where holding them all would take about 4 times as much."""
        def peak(graphs):
            tracemalloc.start()
            try:
                write_big_synth(self.path(f"m{graphs}.h5"), graphs, nodes=400, min_nodes=300,
                                max_nodes=500, degree=27.0, features=50, labels=121)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        ten, forty = peak(10), peak(40)
        data_of_ten = os.path.getsize(self.path("m10.h5"))
        self.assertLess(forty, ten * 1.25, (ten, forty))
        self.assertLess(ten, 2 * data_of_ten)  # the check above would catch holding 10 graphs

    def test_chunked_and_compressed_read_back_the_same(self):
        plain, _ = self.write("plain.h5", "--graphs", "5", *SMALL)
        chunked, _ = self.write("chunked.h5", "--graphs", "5", "--chunk", *SMALL)
        packed, _ = self.write("packed.h5", "--graphs", "5", "--compress", "6", *SMALL)
        expected = read_all(plain)
        for path in (chunked, packed):
            for name, array in read_all(path).items():
                np.testing.assert_array_equal(array, expected[name], err_msg=f"{path}:{name}")
            validate(path)
        with h5py.File(plain) as p, h5py.File(chunked) as c, h5py.File(packed) as z:
            for name in DATASETS:
                self.assertIsNone(p[name].chunks)
                self.assertIsNotNone(c[name].chunks)
                self.assertIsNone(c[name].compression)
                self.assertEqual((z[name].compression, z[name].compression_opts), ("gzip", 6))
            self.assertEqual(c["features"].chunks, c["features"].shape)  # < 1 MiB: one chunk
            self.assertEqual(c["edge_index"].chunks[0], 2)  # whole columns
        self.assertLess(os.path.getsize(packed), os.path.getsize(plain))

    def test_bad_arguments(self):
        out = self.path("x.h5")
        for args, fragment in ((("--graphs", "2"), "--graphs must be at least 3"),
                               (("--graphs", "3", "--compress", "0"),
                                "argument --compress: expected a gzip level 1..9, got '0'"),
                               (("--graphs", "3", "--min-nodes", "700", "--nodes", "600"),
                                "expected 2 <= --min-nodes <= --nodes <= --max-nodes, "
                                "got 700, 600, 3480"),
                               (("--graphs", "3", "--degree", "0"), "--degree must be positive"),
                               ((), "the following arguments are required: --graphs")):
            rc, _, err = run_cli("big-synth", "--out", out, *args)
            self.assertOneLineError(rc, err, fragment)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
