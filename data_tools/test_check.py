"""Tests of the piece by piece check (gatrules, gatgraphs.check_file and validate, inspect
--check): multi-graph files, contiguous, chunked and compressed, broken in their middle graph,
read in pieces of every size; and the peak memory of inspect on files of 150 MiB and more."""

import os
import shutil
import subprocess
import sys
import unittest

import h5py
import numpy as np

from testsupport import HERE, TempDirTest, run_main
from gatdata.big_synth import write_big_synth
from gatgraphs import FormatError, check_file, creating, validate, write_root, write_splits
from gatrules import pieces

# 12 graphs of 150 to 260 nodes, 16 features, 16 labels, about 10 edges a node: about 48 KB a
# graph, so BLOCK_ONE_GRAPH reads them about one at a time, and BLOCK_PARTS cuts each of them
# into about ten parts when check_file may cut graphs.
SMALL = dict(nodes=200, min_nodes=150, max_nodes=260, degree=10.0, features=16, labels=16)
BLOCK_ONE_GRAPH = 50_000
BLOCK_PARTS = 4096
STORAGE = {"contiguous": {}, "chunked": {"chunk": True}, "gzip": {"compress": 6}}


class PiecesTest(unittest.TestCase):
    GRAPH_PTR = np.array([0, 3, 3, 10, 12])  # graph 1 is empty
    EDGE_PTR = np.array([0, 4, 4, 20, 22])

    def check_cover(self, found):
        """The pieces cover every row and every column once, in order."""
        rows = [r for r, _ in found]
        columns = [c for _, c in found]
        for spans, total in ((rows, 12), (columns, 22)):
            self.assertEqual(spans[0][0], 0)
            self.assertEqual(spans[-1][1], total)
            for (_, end), (start, _) in zip(spans, spans[1:]):
                self.assertEqual(end, start)

    def test_whole_graphs(self):
        """Without cutting graphs, each piece starts and ends at graph boundaries; graphs go
        together up to the block, and a graph larger than it comes alone."""
        found = list(pieces(self.GRAPH_PTR, self.EDGE_PTR, 10, 100, split_graphs=False))
        self.check_cover(found)
        self.assertEqual(found, [((0, 3), (0, 4)), ((3, 10), (4, 20)), ((10, 12), (20, 22))])
        self.assertEqual(list(pieces(self.GRAPH_PTR, self.EDGE_PTR, 10, 10**6, False)),
                         [((0, 12), (0, 22))])

    def test_parts_of_a_large_graph(self):
        """Graph 2 (7 rows of 10 bytes, 16 columns of 16: 326 bytes) is cut into 4 parts of at
        most 100 bytes' worth of rows and columns each."""
        found = list(pieces(self.GRAPH_PTR, self.EDGE_PTR, 10, 100, split_graphs=True))
        self.check_cover(found)
        self.assertEqual(found[0], ((0, 3), (0, 4)))
        self.assertEqual(found[1:5], [((3, 4), (4, 8)), ((4, 6), (8, 12)), ((6, 8), (12, 16)),
                                      ((8, 10), (16, 20))])


class MiddleGraphTest(TempDirTest):
    """A file of 12 graphs with graph 7 broken: every check, in pieces of every size, names the
    row, column or graph of graph 7, on each storage."""

    def setUp(self):
        super().setUp()
        self.files = {}
        for name, options in STORAGE.items():
            self.files[name] = self.path(f"{name}.h5")
            write_big_synth(self.files[name], 12, **SMALL, **options)
        with h5py.File(self.files["contiguous"]) as f:
            self.graph_ptr, self.edge_ptr = f["graph_ptr"][()], f["edge_ptr"][()]
        self.n = int(self.graph_ptr[-1])

    def checks(self):
        """Each check and piece size: (name, function of a path)."""
        for block in (None, BLOCK_ONE_GRAPH, BLOCK_PARTS):
            options = {} if block is None else {"block_bytes": block}
            for check in (validate, check_file):
                yield f"{check.__name__} {block or 'default'}", \
                    lambda path, check=check, options=options: check(path, **options)

    def broken(self, storage, name, index, value):
        """A copy of one of the files with one element of dataset `name` set in place (in its
        chunks, compressed or not)."""
        bad = self.path(f"bad_{storage}.h5")
        shutil.copy(self.files[storage], bad)
        with h5py.File(bad, "r+") as f:
            f[name][index] = value
        return bad

    def assertRejectedEverywhere(self, name, index, value, expected):
        for storage in STORAGE:
            bad = self.broken(storage, name, index, value)
            for label, check in self.checks():
                with self.subTest(storage=storage, check=label):
                    with self.assertRaises(FormatError) as caught:
                        check(bad)
                    self.assertEqual(str(caught.exception), f"{bad}: {expected}")

    def test_good_files_pass_alike(self):
        """Statistics summed over pieces are those of the whole, on every storage."""
        whole = validate(self.files["contiguous"], block_bytes=10**9)
        for storage, path in self.files.items():
            self.assertEqual(check_file(path, block_bytes=BLOCK_PARTS),
                             (12, self.n, int(self.edge_ptr[-1])))
            for block in (None, BLOCK_ONE_GRAPH, BLOCK_PARTS):
                s = validate(path) if block is None else validate(path, block_bytes=block)
                for key, value in whole.items():
                    if key != "path":
                        np.testing.assert_array_equal(s[key], value, err_msg=f"{storage} {key}")

    def test_edge_leaving_graph_7(self):
        column = int(self.edge_ptr[7]) + 3
        target = int(self.graph_ptr[8])  # graph 8's first node
        self.assertRejectedEverywhere(
            "edge_index", (0, column), target,
            f"/edge_index: node id {target} in column {column} lies outside graph 7's node range "
            f"[{self.graph_ptr[7]}, {self.graph_ptr[8]})")

    def test_edge_id_out_of_range_in_graph_7(self):
        column = int(self.edge_ptr[8]) - 1  # graph 7's last column
        self.assertRejectedEverywhere(
            "edge_index", (1, column), self.n,
            f"/edge_index: node id {self.n} in column {column} is out of range [0, {self.n})")

    def test_infinite_feature_in_graph_7(self):
        row = int(self.graph_ptr[7]) + 5
        self.assertRejectedEverywhere(
            "features", (row, 2), -np.inf,
            f"/features: expected finite values, got -inf at row {row}, column 2")

    def test_label_not_0_or_1_in_graph_7(self):
        row = int(self.graph_ptr[8]) - 1  # graph 7's last node
        self.assertRejectedEverywhere(
            "labels", (row, 4), 2, f"/labels: expected 0 or 1, got 2 at node {row}, class 4")

    def test_inspect_check(self):
        bad = self.broken("gzip", "edge_index", (0, int(self.edge_ptr[7])), -1)
        rc, out, err = run_main("inspect", "--check", self.files["gzip"])
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, f"{self.files['gzip']}: valid gat-graphs version 1: 12 graphs, "
                              f"{self.n} nodes, {self.edge_ptr[-1]} edges\n")
        rc, out, err = run_main("inspect", "--check", bad)
        self.assertOneLineError(rc, err, f"{bad}: /edge_index: node id -1 in column "
                                         f"{self.edge_ptr[7]} is out of range [0, {self.n})")


# Runs gat_data.main(ARGS) and prints the process's peak RSS in KiB; no ARGS: only the imports.
# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would
# report at least the test process's own peak.
PEAK_RSS = ("import sys; sys.path.insert(0, sys.argv[1]); import gat_data; "
            "rc = gat_data.main(sys.argv[2:]) if sys.argv[2:] else 0; "
            "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]); "
            "sys.exit(rc)")


def peak_rss_mib(*args):
    p = subprocess.run([sys.executable, "-c", PEAK_RSS, HERE, *args], capture_output=True,
                       text=True, check=True)
    return int(p.stdout.split()[-1]) / 1024


class BoundedMemoryTest(TempDirTest):
    """inspect, with and without --check, on a file of 152 MiB: its peak RSS above that of the
    interpreter with numpy and h5py loaded stays under 40 MiB, about a quarter of the file
    (measured: 10 and 11 MiB; loading the datasets whole, as inspect did, took 222 MiB)."""
    BOUND_MIB = 40

    def assertPeakBounded(self, path, *commands):
        self.assertGreater(os.path.getsize(path) / 2**20, 150)
        base = peak_rss_mib()
        for command in commands:
            with self.subTest(command):
                self.assertLess(peak_rss_mib(*command, path) - base, self.BOUND_MIB)

    def test_peak_rss(self):
        big = self.path("big.h5")
        write_big_synth(big, 32, features=500, labels=16, degree=10.0)
        self.assertPeakBounded(big, ("inspect", "--check"), ("inspect",))

    def test_peak_rss_of_one_large_graph(self):
        """--check cuts a graph into parts: one graph of 800,000 nodes and 3.2 million edges
        (153 MiB) stays under the same bound (measured: 12 MiB). Plain inspect holds the whole
        graph for its summary (405 MiB), so it is not held to it."""
        n, e = 800_000, 3_200_000
        one = self.path("one.h5")
        rng = np.random.default_rng(0)
        with creating(one) as f:
            write_root(f, "multiclass", 7)
            features = f.create_dataset("features", shape=(n, 32), dtype=np.float32)
            for lo in range(0, n, 100_000):  # a slice at a time: this process stays small too
                features[lo:lo + 100_000] = rng.standard_normal((min(100_000, n - lo), 32),
                                                                dtype=np.float32)
            f["labels"] = rng.integers(0, 7, n)
            f["edge_index"] = rng.integers(0, n, (2, e))
            f["graph_ptr"], f["edge_ptr"] = np.array([0, n]), np.array([0, e])
            write_splits(f, {name: ("node", np.arange(k, k + 100)) for k, name in
                             enumerate(("train", "val", "test"))})
        self.assertPeakBounded(one, ("inspect", "--check"))


if __name__ == "__main__":
    unittest.main()
