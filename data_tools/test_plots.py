"""Tests of gatdata/plots.py and the curves and attention commands."""

import json
import os
import unittest

import h5py
import numpy as np

from testsupport import PNG_SIGNATURE, BrokenCopies, TempDirTest, run_cli, run_main
from gatdata.plots import attention_entropy, read_attention


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
            self.assertEqual(f.read(8), PNG_SIGNATURE)
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
        entropy, uniform = attention_entropy(self.A_TARGETS, self.A_ALPHA, 4)
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
        data = read_attention(path)
        self.assertEqual((data["graphs"], data["nodes"]), (2, 6))
        np.testing.assert_array_equal(data["targets"],
                                      np.concatenate([b_edges[1], self.A_TARGETS + 2]))
        entropy, uniform = attention_entropy(data["targets"], data["alpha"][0], 6)
        np.testing.assert_allclose(entropy, self.A_ENTROPY[:2] + self.A_ENTROPY,  # float32 alpha
                                   rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(uniform, self.A_UNIFORM[:2] + self.A_UNIFORM, rtol=1e-12)

    def test_softmax_entropy_lies_between_zero_and_uniform(self):
        data = read_attention(self.good)
        self.assertEqual([a.shape[1] for a in data["alpha"]], [3, 1])
        for alpha in data["alpha"]:
            entropy, uniform = attention_entropy(data["targets"], alpha, data["nodes"])
            self.assertEqual(entropy.shape, (15, alpha.shape[1]))  # self loops: every node
            self.assertTrue((entropy >= -1e-6).all() and (entropy <= uniform[:, None] + 1e-5).all())

    def test_plots_a_png(self):
        rc, out, err = run_cli("attention", self.good)
        self.assertEqual((rc, err), (0, ""))
        png = self.path("attention_entropy.png")
        self.assertEqual(out, png + "\n")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), PNG_SIGNATURE)
        other = self.path("other.png")
        self.assertEqual(run_main("attention", self.good, "--out", other), (0, other + "\n", ""))
        with open(other, "rb") as f:
            self.assertEqual(f.read(8), PNG_SIGNATURE)
        self.assertEqual(sorted(os.listdir(self.tmp)),
                         ["attention.h5", "attention_entropy.png", "other.png"])

    def test_wrong_format(self):
        self.assertRefused(self.with_attribute("/", "format", "gat-graphs"),
                           "/: attribute format: expected 'gat-attention', got 'gat-graphs'")

    def test_wrong_version(self):
        self.assertRefused(self.with_attribute("/", "version", 2), "/: attribute version: expected 1, got 2")

    def test_no_graphs(self):
        def change(f):
            del f["graphs/0"], f["graphs/21"]
        self.assertRefused(self.broken(change), "/graphs: expected at least one graph, got none")

    def test_missing_layer(self):
        self.assertRefused(self.broken(lambda f: f.__delitem__("graphs/21/layer_1")),
                           "/graphs/21/layer_1: missing")

    def test_layer_with_wrong_edge_count(self):
        edges = self.stored("graphs/21/edge_index").shape[1]
        self.assertRefused(self.replace("graphs/21/layer_1", np.ones((edges - 1, 1), np.float32)),
                           f"/graphs/21/layer_1: expected float [E, H] with E = {edges} "
                           f"(edge_index's columns), got shape ({edges - 1}, 1)")
        self.assertRefused(self.replace("graphs/21/layer_1", np.ones(edges, np.float32)),
                           f"/graphs/21/layer_1: expected float [E, H] with E = {edges} "
                           f"(edge_index's columns), got shape ({edges},)")

    def test_bad_edge_index(self):
        edge_index = self.stored("graphs/0/edge_index")
        self.assertRefused(self.replace("graphs/0/edge_index", edge_index[:1]),
                           "/graphs/0/edge_index: expected integer [2, E], got shape (1, 21)")
        self.assertRefused(self.with_value("graphs/0/edge_index", (1, 4), 6),
                           "/graphs/0/edge_index: node id 6 in row 1, column 4 is out of range "
                           "[0, 6)")

    def test_bad_alpha(self):
        self.assertRefused(self.with_value("graphs/0/layer_0", (5, 2), np.nan),
                           "/graphs/0/layer_0: expected finite alpha >= 0, got nan at edge 5, "
                           "head 2")
        self.assertRefused(self.with_value("graphs/0/layer_0", (5, 2), -0.5),
                           "/graphs/0/layer_0: expected finite alpha >= 0, got -0.5 at edge 5, "
                           "head 2")

    def test_heads_differ_between_graphs(self):
        alpha = self.stored("graphs/21/layer_0")
        self.assertRefused(self.replace("graphs/21/layer_0", alpha[:, :2]),
                           "/graphs/21/layer_0: expected 3 heads (as /graphs/0/layer_0 has), got 2")

    def test_not_a_file(self):
        rc, _, err = run_main("attention", self.path("none.h5"))
        self.assertOneLineError(rc, err, self.path("none.h5") + ": no such file")


if __name__ == "__main__":
    unittest.main()
