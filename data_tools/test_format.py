"""Tests of gatgraphs.py, the gat-graphs format: writing, validating, rejecting broken files."""

import os
import unittest

import h5py
import numpy as np

from testsupport import BrokenCopies, TempDirTest, run_recipe, write_small_synthetic
from gatgraphs import (CHUNK_BYTES, FormatError, check_file, storage, undirected_dedup, validate,
                       write_dataset)


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

    def test_chunked_and_compressed(self):
        """chunk=True and compress=LEVEL store the same arrays in chunks (gzip for compress); an
        empty dataset stays contiguous, and the splits are never chunked."""
        data = small_dataset()
        data["edge_index"] = np.zeros((2, 0), dtype=np.int64)
        data["edge_ptr"] = np.array([0, 0, 0])
        plain, chunked, packed = (self.path(n) for n in ("plain.h5", "chunked.h5", "packed.h5"))
        write_dataset(plain, **data)
        write_dataset(chunked, **data, chunk=True)
        write_dataset(packed, **data, compress=9)
        with h5py.File(plain) as p, h5py.File(chunked) as c, h5py.File(packed) as z:
            for name in ("features", "labels", "graph_ptr", "edge_ptr", "edge_index",
                         "splits/train"):
                np.testing.assert_array_equal(c[name][()], p[name][()])
                np.testing.assert_array_equal(z[name][()], p[name][()])
                stored = name in ("features", "labels", "graph_ptr", "edge_ptr")
                self.assertEqual(c[name].chunks, c[name].shape if stored else None, name)
                self.assertEqual((z[name].compression, z[name].compression_opts),
                                 ("gzip", 9) if stored else (None, None), name)
                self.assertIsNone(p[name].chunks)
        for path in (chunked, packed):
            validate(path)
        with self.assertRaisesRegex(ValueError, "expected a gzip level in 1..9, got 10"):
            write_dataset(self.path("bad.h5"), **data, compress=10)

    def test_chunk_shape(self):
        """Whole rows (whole columns of edge_index) of about CHUNK_BYTES a chunk."""
        rows = CHUNK_BYTES // (50 * 4)
        self.assertEqual(storage("features", (10**7, 50), np.float32, chunk=True),
                         {"chunks": (rows, 50)})
        self.assertEqual(storage("edge_index", (2, 10**8), np.int64, compress=1),
                         {"chunks": (2, CHUNK_BYTES // 16), "compression": "gzip",
                          "compression_opts": 1})
        self.assertEqual(storage("labels", (10**6, 121), np.uint8), {})  # contiguous

    def test_undirected_dedup(self):
        edges = np.array([[2, 0, 1, 1, 0, 2], [0, 1, 0, 1, 1, 1]])  # dup, reverse, self loop
        np.testing.assert_array_equal(undirected_dedup(edges, 3),
                                      [[1, 2, 0, 2, 0, 1], [0, 0, 1, 1, 2, 2]])
        with self.assertRaises(ValueError):
            undirected_dedup(np.array([[0], [3]]), 3)


class ValidateRejectsTest(BrokenCopies, TempDirTest):
    """Each broken rule gives one line: FILE: /DATASET: what was expected."""

    def setUp(self):
        super().setUp()
        self.good = self.path("good.h5")
        write_small_synthetic(self.good)
        with h5py.File(self.good) as f:
            self.n = f["features"].shape[0]
            self.graph_ptr = f["graph_ptr"][()]

    def test_good_file_passes(self):
        self.assertEqual(validate(self.good)["num_graphs"], 3)

    def test_bad_node_id(self):
        self.assertRejected(self.with_value("edge_index", (1, 17), self.n),
                            f"/edge_index: node id {self.n} in column 17 is out of range "
                            f"[0, {self.n})")

    def test_wrong_dtype(self):
        features = self.stored("features").astype(np.float64)
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
        self.assertRejected(self.with_attribute("splits/test", "level", "node"),
                            "/splits: expected one level for train, val and test, "
                            "got train=graph, val=graph, test=node")

    def test_nan_features(self):
        self.assertRejected(self.with_value("features", (3, 5), np.nan),
                            "/features: expected finite values, got nan at row 3, column 5")

    def test_edge_crossing_graphs(self):
        column_0_elsewhere = self.with_value("edge_index", (1, 0), self.graph_ptr[1])  # graph 0's
        self.assertRejected(column_0_elsewhere,
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
        self.assertRejected(self.with_attribute("/", "format", "other"),
                            "/: attribute format: expected 'gat-graphs', got 'other'")

    def test_declared_but_never_written(self):
        """Rule 9, refused before any data is read (a piece by piece walk over 10^12 rows of fill
        values would never end), with the C++ reader's lines: the recipes that break it."""
        for recipe in ("01_features_chunks_never_written.py", "02_edge_index_never_written.py"):
            bad = self.path("bad.h5")
            expected = run_recipe(recipe, bad)
            with self.subTest(recipe):
                for check in (validate, check_file):
                    with self.assertRaises(FormatError) as caught:
                        check(bad)
                    self.assertEqual(str(caught.exception), expected)

    def test_null_dataspace(self):
        self.assertRejected(self.replace("features", h5py.Empty("f4")),
                            "/features: expected an array, got an empty dataspace")

    def test_not_hdf5(self):
        bad = self.path("bad.h5")
        with open(bad, "w") as f:
            f.write("not hdf5\n")
        with self.assertRaisesRegex(FormatError, r"^.*bad\.h5: /: cannot open as HDF5"):
            validate(bad)


if __name__ == "__main__":
    unittest.main()
