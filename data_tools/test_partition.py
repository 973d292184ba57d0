"""Tests of gatdata/partition.py and the partition command, and of version 2 of the format
(rules 10 to 12): a graph partitioned into clusters, its rows grouped by cluster."""

import os
import unittest
from unittest import mock

import h5py
import numpy as np

from testsupport import BrokenCopies, TempDirTest, run_cli, run_main, run_recipe
from gatdata import partition
from gatdata.common import CliError
from gatdata.synthetic import synthesize
from gatgraphs import FormatError, check_file, undirected_dedup, validate, write_dataset

# The recipes of tests/bad_inputs/graphs that break a version-2 file, one for each line of the
# format's table of bad partitions, and one for rule 11.
PARTITION_RECIPES = ("07_partition_cluster_out_of_range.py", "08_partition_rows_in_no_cluster.py",
                     "09_partition_rows_in_two_clusters.py", "10_partition_node_at_two_rows.py",
                     "11_partition_row_holds_no_node.py",
                     "12_partition_rows_and_clusters_disagree.py",
                     "13_edge_index_not_sorted_by_target.py")
NAMES = ("features", "labels", "edge_index", "graph_ptr", "edge_ptr", "splits/train",
         "splits/val", "splits/test", "partition/cluster_ptr", "partition/node_perm",
         "partition/cluster")


def read_all(path):
    with h5py.File(path) as f:
        return {name: f[name][()] for name in NAMES if name in f}, dict(f.attrs), \
            dict(f["partition"].attrs) if "partition" in f else None


def edge_keys(edges, n):
    """The edges as a sorted multiset of (target, source) keys."""
    return np.sort(edges[1] * n + edges[0])


class PartitionTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.source = self.path("syn.h5")
        rc, _, err = run_main("synthetic", "--out", self.source, "--nodes", "600", "--seed", "3")
        self.assertEqual(rc, 0, err)

    def partition(self, name, *args):
        out = self.path(name)
        rc, printed, err = run_main("partition", self.source, "--out", out, *args)
        self.assertEqual(rc, 0, err)
        return out, printed

    def assertSameGraph(self, out):
        """node_perm takes the partitioned file back to its source exactly: features, labels,
        edges (as a multiset), splits; and the partition's three datasets agree."""
        src, _, _ = read_all(self.source)
        got, attrs, part = read_all(out)
        perm = got["partition/node_perm"]
        n = perm.shape[0]
        self.assertEqual(attrs["version"], 2)
        np.testing.assert_array_equal(np.sort(perm), np.arange(n))
        np.testing.assert_array_equal(got["features"], src["features"][perm])
        np.testing.assert_array_equal(got["labels"], src["labels"][perm])
        np.testing.assert_array_equal(edge_keys(perm[got["edge_index"]], n),
                                      edge_keys(src["edge_index"], n))
        self.assertTrue(np.all(np.diff(got["edge_index"][1]) >= 0))  # sorted by target
        for name in ("splits/train", "splits/val", "splits/test"):
            np.testing.assert_array_equal(np.sort(perm[got[name]]), src[name])
            self.assertTrue(np.all(np.diff(got[name]) > 0))  # rows, sorted
        np.testing.assert_array_equal(got["graph_ptr"], [0, n])
        np.testing.assert_array_equal(got["edge_ptr"], [0, got["edge_index"].shape[1]])
        ptr, cluster = got["partition/cluster_ptr"], got["partition/cluster"]
        np.testing.assert_array_equal(np.repeat(np.arange(ptr.shape[0] - 1), np.diff(ptr)),
                                      cluster[perm])
        for c in range(ptr.shape[0] - 1):  # a cluster's nodes in their source order
            self.assertTrue(np.all(np.diff(perm[ptr[c]:ptr[c + 1]]) > 0))
        self.assertEqual(part["source"], "syn.h5")
        return got, part

    def test_round_trip_random(self):
        out, printed = self.partition("r.h5", "--parts", "7", "--method", "random", "--seed", "5")
        got, part = self.assertSameGraph(out)
        self.assertEqual((part["method"], part["seed"]), ("random", 5))
        self.assertEqual(part["seed"].dtype, np.int64)
        self.assertEqual(got["partition/cluster_ptr"].shape, (8,))
        self.assertIn("7 clusters by random (seed 5)", printed)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["r.h5", "syn.h5"])  # no .tmp left

    def test_round_trip_metis(self):
        out, printed = self.partition("m.h5", "--parts", "6", "--compress", "4")
        got, part = self.assertSameGraph(out)
        self.assertEqual((part["method"], part["seed"]), ("metis", 0))
        self.assertIn("6 clusters by metis (seed 0, ufactor 30)", printed)
        with h5py.File(out) as f:
            self.assertEqual(f["partition/node_perm"].compression, "gzip")

    def test_multilabel_round_trip(self):
        write_dataset(self.source, **synthesize(seed=2, nodes=200, classes=5, task="multilabel"))
        out, _ = self.partition("ml.h5", "--parts", "4")
        self.assertSameGraph(out)

    def test_deterministic(self):
        for method in ("random", "metis"):
            with self.subTest(method):
                a, _ = self.partition("a.h5", "--parts", "8", "--method", method)
                b, _ = self.partition("b.h5", "--parts", "8", "--method", method)
                c, _ = self.partition("c.h5", "--parts", "8", "--method", method, "--seed", "1")
                with open(a, "rb") as fa, open(b, "rb") as fb, open(c, "rb") as fc:
                    first = fa.read()
                    self.assertEqual(first, fb.read())
                    self.assertNotEqual(first, fc.read())

    def test_one_cluster_needs_no_metis(self):
        """--parts 1 puts every node in cluster 0 without gpmetis (which refuses one part): the
        rows stay in source order and the edges as they were."""
        with mock.patch.object(partition, "GPMETIS", "no-such-gpmetis"):
            out, printed = self.partition("one.h5", "--parts", "1")
            rc, _, err = run_main("partition", self.source, "--out", self.path("two.h5"),
                                  "--parts", "2")
        self.assertOneLineError(rc, err, "no-such-gpmetis not found", "install Debian's metis "
                                "package", "--method random")
        got, _ = self.assertSameGraph(out)
        src, _, _ = read_all(self.source)
        np.testing.assert_array_equal(got["partition/cluster_ptr"], [0, 600])
        np.testing.assert_array_equal(got["partition/node_perm"], np.arange(600))
        np.testing.assert_array_equal(got["edge_index"], src["edge_index"])
        self.assertIn("cut edges    0 of", printed)

    def test_random_sizes_balanced(self):
        for n, parts in ((600, 7), (600, 600), (10, 3), (5, 1)):
            cluster = partition.random_clusters(n, parts, seed=0)
            sizes = np.bincount(cluster, minlength=parts)
            self.assertEqual(sizes.shape, (parts,))
            self.assertLessEqual(sizes.max() - sizes.min(), 1, (n, parts))
            self.assertEqual(sizes.sum(), n)

    def test_metis_cuts_fewer_edges_than_random(self):
        """On a planted partition of 8 blocks, METIS's 8 clusters cut far fewer edges than
        random ones (measured: about a quarter against seven eighths)."""
        write_dataset(self.source, **synthesize(seed=0, nodes=2000, classes=8, degree=10))
        cuts = {}
        for method in ("metis", "random"):
            out, _ = self.partition(f"{method}.h5", "--parts", "8", "--method", method)
            part = validate(out)["partition"]
            cuts[method] = part["edges_between"]
            self.assertLessEqual(part["cluster_sizes"].max(), 2000 / 8 * 1.03 + 1)
        self.assertLess(cuts["metis"], cuts["random"] / 2, cuts)

    def test_inspect_summarises_the_partition(self):
        out, printed = self.partition("r.h5", "--parts", "4", "--method", "random")
        rc, inspected, err = run_main("inspect", out)
        self.assertEqual(rc, 0, err)
        self.assertIn("partition    4 clusters (random, seed 0, from syn.h5)\n", inspected)
        self.assertIn("cluster size min 150  mean 150.0  max 150  (nodes)\n", inspected)
        cut = [line for line in printed.splitlines() if line.startswith("cut edges")]
        self.assertIn(cut[0] + "\n", inspected)  # the command and inspect count alike
        rc, checked, err = run_main("inspect", "--check", out)
        self.assertEqual((rc, err), (0, ""))
        self.assertRegex(checked, r"^.*r\.h5: valid gat-graphs version 2: 1 graphs, 600 nodes, "
                                  r"\d+ edges, 4 clusters\n$")

    def test_bad_sources_and_options(self):
        """One line each, and no output file."""
        out = self.path("out.h5")
        partitioned, _ = self.partition("p.h5", "--parts", "2", "--method", "random")
        several = self.path("several.h5")
        write_dataset(several, **synthesize(seed=1, nodes=20, classes=2, graphs=3))
        cases = [
            ((partitioned, "--parts", "2"), f"{partitioned}: /: attribute version: expected 1 "
                                            f"(a graph to partition), got 2"),
            ((several, "--parts", "2"), f"{several}: /graph_ptr: expected one graph to "
                                        f"partition, got 3 graphs"),
            ((self.source, "--parts", "0"), "--parts must be at least 1, got 0"),
            ((self.source, "--parts", "601"), "--parts must be at most the number of nodes, 600, "
                                              "got 601"),
            ((self.source, "--parts", "2", "--seed", "-1"), "--seed must be in [0, 2147483647]"),
            ((self.source, "--parts", "2", "--ufactor", "0"), "--ufactor must be at least 1"),
            ((self.path("none.h5"), "--parts", "2"), "none.h5: /: cannot open as HDF5"),
        ]
        for args, expected in cases:
            with self.subTest(args[1:]):
                rc, _, err = run_main("partition", *args, "--out", out)
                self.assertOneLineError(rc, err, expected)
                self.assertFalse(os.path.exists(out))
        rc, _, err = run_cli("partition", self.source, "--parts", "2", "--out", out,
                             "--method", "spectral")
        self.assertOneLineError(rc, err, "invalid choice: 'spectral'")

    def test_metis_on_a_graph_without_edges(self):
        """No edge between two distinct nodes: an error for metis (nothing to cut); random
        works."""
        data = synthesize(seed=1, nodes=30, classes=2)
        data.update(edge_index=np.zeros((2, 0), dtype=np.int64), edge_ptr=[0, 0])
        write_dataset(self.source, **data)
        rc, _, err = run_main("partition", self.source, "--parts", "3", "--out", self.path("o.h5"))
        self.assertOneLineError(rc, err, "/edge_index: no edge between two distinct nodes, so "
                                         "METIS has nothing to cut (use --method random)")
        self.partition("o.h5", "--parts", "3", "--method", "random")


class MetisFileTest(TempDirTest):
    """The graph file written for gpmetis, and gpmetis's answers checked."""

    def reference(self, indptr, neighbours):
        lines = [" ".join(str(v + 1) for v in neighbours[indptr[i]:indptr[i + 1]])
                 for i in range(indptr.shape[0] - 1)]
        return f"{indptr.shape[0] - 1} {neighbours.shape[0] // 2}\n" + "\n".join(lines) + "\n"

    def test_lines_as_python_would_write_them(self):
        """Multi-digit ids, isolated nodes first, last and in between, in blocks of every size
        (a node with more ids than a block comes alone)."""
        rng = np.random.default_rng(0)
        n = 1200
        raw = rng.integers(0, n, (2, 3000))
        raw = raw[:, (raw[0] % 7 != 0) & (raw[1] % 7 != 0)]  # every 7th node isolated, 0 too
        many = np.array([v for v in range(100, 160) if v % 7])
        raw = np.concatenate([raw, [np.full(many.shape, 5), many]], axis=1)  # node 5: 51 ids
        indptr, neighbours = partition.adjacency(raw, n)
        self.assertTrue(np.all(np.diff(indptr)[::7] == 0))
        expected = self.reference(indptr, neighbours)
        for block in (1, 7, 64, 1 << 22):
            with self.subTest(block=block), mock.patch.object(partition, "TEXT_BLOCK", block):
                path = self.path(f"g{block}.metis")
                partition.write_metis_graph(path, indptr, neighbours)
                with open(path) as f:
                    self.assertEqual(f.read(), expected)

    def test_adjacency_is_undirected_without_loops_or_duplicates(self):
        # 0-1 both ways, a self loop at 1, 2-0 twice; node 3 isolated.
        indptr, neighbours = partition.adjacency(np.array([[0, 1, 1, 2, 2], [1, 0, 1, 0, 0]]), 4)
        np.testing.assert_array_equal(indptr, [0, 2, 3, 4, 4])
        np.testing.assert_array_equal(neighbours, [1, 2, 0, 0])

    def test_gpmetis_exit_0_on_a_bad_file_is_an_error(self):
        """gpmetis reports a wrong edge count in the header, but exits 0 and writes no .part: the
        error names its complaint."""
        graph = self.path("bad.metis")
        with open(graph, "w") as f:
            f.write("4 5\n2\n1 3\n2 4\n3\n")
        with self.assertRaisesRegex(CliError, r"^gpmetis .*I only found 3 edges"):
            partition.run_gpmetis(graph, 4, 2, seed=0, ufactor=30)

    def test_gpmetis_answer_checked(self):
        graph = self.path("g.metis")
        with open(graph, "w") as f:
            f.write("4 3\n2\n1 3\n2 4\n3\n")
        self.assertEqual(sorted(partition.run_gpmetis(graph, 4, 2, seed=0, ufactor=30)),
                         [0, 0, 1, 1])
        with self.assertRaisesRegex(CliError, "gpmetis gave no partition of 5 nodes into 2"):
            partition.run_gpmetis(graph, 5, 2, seed=0, ufactor=30)  # 4 ids for 5 nodes


class Version2RulesTest(BrokenCopies, TempDirTest):
    """Each breach of rules 10 to 12 gives its one line, the same through validate and
    check_file, whatever the blocks they read."""

    def setUp(self):
        super().setUp()
        source = self.path("syn.h5")
        write_dataset(source, **synthesize(seed=4, nodes=100, classes=4))
        self.good = self.path("good.h5")
        partition.partition_file(source, self.good, 10, method="random", seed=1)
        self.n = 100

    def test_good_file_passes(self):
        s = validate(self.good)
        self.assertEqual((s["version"], s["partition"]["method"], s["partition"]["seed"]),
                         (2, "random", 1))
        np.testing.assert_array_equal(s["partition"]["cluster_sizes"], [10] * 10)
        self.assertEqual(check_file(self.good, block_bytes=64), (1, 100, s["num_edges"]))

    def test_recipes_of_the_corpus(self):
        """The lines of the format's table, as the C++ reader is held to them too."""
        for recipe in PARTITION_RECIPES:
            with self.subTest(recipe):
                bad = self.path(recipe.replace(".py", ".h5"))
                self.assertRejected(bad, run_recipe(recipe, bad).removeprefix(f"{bad}: "))

    def test_small_partition_is_its_source_graph(self):
        """The corpus's valid version-2 file: node_perm gives back two triangles and a bridge."""
        good = self.path("small.h5")
        run_recipe("07_partition_cluster_out_of_range.py", good)
        with h5py.File(good, "r+") as f:
            f["partition/cluster"][5] = 0  # what the recipe broke
        s = validate(good)
        self.assertEqual((s["num_nodes"], s["num_edges"], s["undirected"]), (6, 14, True))
        got, _, _ = read_all(good)
        perm = got["partition/node_perm"]
        source_edges = undirected_dedup(np.array([[0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3]]),
                                        6)
        np.testing.assert_array_equal(edge_keys(perm[got["edge_index"]], 6),
                                      edge_keys(source_edges, 6))

    def test_cluster_ptr(self):
        ptr = self.stored("partition/cluster_ptr")
        name = "/partition/cluster_ptr"
        cases = [
            ((0, 5), f"{name}: rows 0..4 are in no cluster (expected first entry 0)"),
            ((0, -3), f"{name}: expected first entry 0, got -3"),
            ((4, 25), f"{name}: entries 3 and 4 are 30 then 25: rows 25..29 would be in two "
                      f"clusters (expected non-decreasing entries)"),
            ((10, 92), f"{name}: rows 92..99 are in no cluster (expected last entry 100, the "
                       f"number of nodes)"),
            ((10, 101), f"{name}: expected last entry 100, the number of nodes, got 101"),
        ]
        for index, expected in cases:
            with self.subTest(expected):
                self.assertRejected(self.with_value("partition/cluster_ptr", index[0], index[1]),
                                    expected)
        # The first entry is checked first, then the drops, in order, then the last entry.
        both = ptr.copy()
        both[[0, 4, 7, 10]] = 3, 25, 50, 90
        self.assertRejected(self.replace("partition/cluster_ptr", both),
                            f"{name}: rows 0..2 are in no cluster (expected first entry 0)")
        both[0] = 0
        self.assertRejected(self.replace("partition/cluster_ptr", both),
                            f"{name}: entries 3 and 4 are 30 then 25: rows 25..29 would be in two "
                            f"clusters (expected non-decreasing entries)")
        self.assertRejected(self.replace("partition/cluster_ptr", np.array([0])),
                            f"{name}: expected shape [K + 1] with K >= 1, got [1]")

    def test_node_perm(self):
        perm = self.stored("partition/node_perm")
        expected = ", expected a permutation of [0, 100)"
        repeat = perm.copy()
        repeat[[40, 60, 90]] = perm[3], perm[3], -1  # node perm[3] at rows 3, 40, 60
        self.assertRejected(self.replace("partition/node_perm", repeat),
                            f"/partition/node_perm: node {perm[3]} is at rows 3 and 40{expected}")
        out_first = repeat.copy()
        out_first[17] = 100
        self.assertRejected(self.replace("partition/node_perm", out_first),
                            f"/partition/node_perm: row 17 holds node 100{expected}")
        two_bad = perm.copy()
        two_bad[[5, 6]] = -1  # out of range twice: no repeat of -1
        self.assertRejected(self.replace("partition/node_perm", two_bad),
                            f"/partition/node_perm: row 5 holds node -1{expected}")

    def test_cluster(self):
        cluster = self.stored("partition/cluster")
        perm = self.stored("partition/node_perm")
        ptr = self.stored("partition/cluster_ptr")
        self.assertRejected(self.with_value("partition/cluster", 42, -1),
                            "/partition/cluster: node 42 is in cluster -1, expected [0, 10)")
        row = int(ptr[3]) + 2
        node = int(perm[row])
        moved = cluster.copy()
        moved[node] = 7
        moved[int(perm[ptr[8]])] = 1  # a later row disagrees too
        self.assertRejected(self.replace("partition/cluster", moved),
                            f"/partition/cluster: node {node} (row {row}) is in cluster 7, but "
                            f"row {row} is in cluster 3's rows")

    def test_one_graph_node_splits(self):
        def two_graphs(f):  # the first one empty, so that no edge crosses graphs
            e = f["edge_ptr"][1]
            for name, ptr in (("graph_ptr", [0, 0, 100]), ("edge_ptr", [0, 0, e])):
                del f[name]
                f[name] = np.array(ptr, dtype=np.int64)
        self.assertRejected(self.broken(two_graphs),
                            "/graph_ptr: expected [0, N] (a version-2 file holds one graph), got "
                            "shape [3]")

        def graph_level(f):
            for name in ("train", "val", "test"):
                del f[f"splits/{name}"]
                f.create_dataset(f"splits/{name}", data=np.array([0])).attrs["level"] = "graph"
        self.assertRejected(self.broken(graph_level),
                            "/splits/train: attribute level: expected 'node' (a version-2 file "
                            "holds one graph), got 'graph'")

    def test_sorted_by_target_across_blocks(self):
        """A descent found wherever it falls, also across the 8-column blocks of block_bytes
        64 (columns 7 and 8)."""
        edges = self.stored("edge_index")
        for j in (1, 8, edges.shape[1] // 2):
            bad = edges.copy()
            bad[1, j - 1] = edges[1, j] + 1
            bad[1, :j - 1] = np.minimum(bad[1, :j - 1], edges[1, j])  # sorted before j - 1
            with self.subTest(column=j):
                self.assertRejected(self.replace("edge_index", bad),
                                    f"/edge_index: expected columns sorted by target (version "
                                    f"2), got target {edges[1, j] + 1} then {edges[1, j]} at "
                                    f"columns {j - 1} and {j}")

    def test_partition_group_and_datasets(self):
        self.assertRejected(self.broken(lambda f: f.__delitem__("partition")),
                            "/partition: missing (a version-2 file holds a partition)")
        self.assertRejected(self.broken(lambda f: f.__delitem__("partition/node_perm")),
                            "/partition/node_perm: missing")
        perm = self.stored("partition/node_perm")
        self.assertRejected(self.replace("partition/node_perm", perm.astype(np.int32)),
                            "/partition/node_perm: expected int64, got int32")
        self.assertRejected(self.replace("partition/cluster", np.zeros(99, dtype=np.int64)),
                            "/partition/cluster: expected shape [100] (one entry per node), "
                            "got [99]")
        self.assertRejected(self.broken(lambda f: f["partition"].attrs.__delitem__("seed")),
                            "/partition: attribute seed: missing")
        self.assertRejected(self.with_attribute("partition", "method", np.int64(3)),
                            "/partition: attribute method: expected a string, got 3")

    def test_versions(self):
        self.assertRejected(self.with_attribute("/", "version", np.int64(3)),
                            "/: attribute version: expected 1 or 2, got 3")
        # A version-1 file ignores a /partition group, as any other group.
        self.assertIsNone(validate(self.with_attribute("/", "version", np.int64(1)))["partition"])

    def test_write_dataset_checks_the_partition(self):
        """write_dataset(partition=...) refuses a bad partition with the reader's line, and
        writes nothing."""
        data = synthesize(seed=0, nodes=20, classes=2)
        bad = {"cluster_ptr": [0, 10, 20], "node_perm": np.arange(20), "cluster": [0] * 20,
               "method": "random", "seed": 0, "source": "x.h5"}
        out = self.path("w.h5")
        with self.assertRaises(FormatError) as caught:
            write_dataset(out, **data, partition=bad)
        self.assertEqual(str(caught.exception), f"{out}: /partition/cluster: node 10 (row 10) is "
                                                f"in cluster 0, but row 10 is in cluster 1's rows")
        self.assertFalse(os.path.exists(out))


class Version1UnchangedTest(TempDirTest):
    def test_no_partition_writes_version_1(self):
        """Without partition, write_dataset writes what it wrote before version 2: version 1,
        no /partition, the same bytes whether partition=None is said or not."""
        data = synthesize(seed=0, nodes=60, classes=3)
        write_dataset(self.path("a.h5"), **data)
        write_dataset(self.path("b.h5"), **data, partition=None)
        with open(self.path("a.h5"), "rb") as a, open(self.path("b.h5"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        with h5py.File(self.path("a.h5")) as f:
            self.assertEqual(f.attrs["version"], 1)
            self.assertEqual(sorted(f), ["edge_index", "edge_ptr", "features", "graph_ptr",
                                         "labels", "splits"])
        rc, out, _ = run_main("inspect", "--check", self.path("a.h5"))
        self.assertEqual(rc, 0)
        self.assertTrue(out.endswith("valid gat-graphs version 1: 1 graphs, 60 nodes, "
                                     f"{data['edge_index'].shape[1]} edges\n"), out)


if __name__ == "__main__":
    unittest.main()
