"""Tests of gatdata/ppi_synth.py and the ppi-synth command: PPI-shaped files whose labels need
the graph. (That they are in the public layout, and deterministic, is checked by test_ppi.py.)"""

import os
import unittest

import h5py
import numpy as np
import scipy.sparse as sp

from testsupport import PpiDirs, TempDirTest, run_cli


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


class PpiSynthTest(PpiDirs, TempDirTest):
    def test_neighbours_carry_the_signal(self):
        """Labels are (mostly) a function of the neighbourhood: a linear model that sees the
        neighbourhood mean beats one that sees only the node by a wide margin."""
        directory = self.synth("mid", "--graphs", "12", "--nodes", "200", "--degree", "10",
                               "--features", "16", "--labels", "16")
        scores = linear_probe(self.convert(directory))
        self.assertLess(scores["own"], 0.65, scores)
        self.assertGreater(scores["neighbourhood"], scores["own"] + 0.25, scores)

    def test_bad_arguments(self):
        rc, _, err = run_cli("ppi-synth", "--out-dir", self.path("x"), "--graphs", "2")
        self.assertOneLineError(rc, err, "--graphs must be at least 3")
        self.assertFalse(os.path.exists(self.path("x")))


if __name__ == "__main__":
    unittest.main()
