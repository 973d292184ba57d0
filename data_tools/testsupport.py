"""What the data_tools tests share: running gat_data as a user would, temporary directories,
broken copies of a good file, small datasets, a probe of how much labels need the graph. Not a
test module itself (discovery wants test_*.py).

Run the tests: /usr/bin/python3 -m unittest discover -s data_tools -p 'test_*.py'
"""

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gat_data  # noqa: E402
from gatdata.synthetic import synthesize  # noqa: E402
from gatgraphs import FormatError, check_file, validate, write_dataset  # noqa: E402

GAT_DATA = os.path.join(HERE, "gat_data.py")
# The corpus of broken files the C++ reader is tested on (tests/cli_test.cpp); each recipe's
# first line is the message expected.
BAD_GRAPHS = os.path.join(HERE, "..", "tests", "bad_inputs", "graphs")
SMALL_PPI = ("--graphs", "6", "--nodes", "40", "--degree", "6", "--labels", "8")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_cli(*args):
    """Run the real executable, as a user would: (exit code, stdout, stderr)."""
    p = subprocess.run([sys.executable, GAT_DATA, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def run_main(*args):
    """Run gat_data.main in-process (faster), keeping its output out of the test log."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = gat_data.main(list(args))
    return rc, out.getvalue(), err.getvalue()


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gat_data_test_")
        self.addCleanup(shutil.rmtree, self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def assertOneLineError(self, rc, stderr, *fragments):
        self.assertEqual(rc, 2, stderr)
        self.assertTrue(stderr.startswith("gat_data: error: "), stderr)
        self.assertEqual(stderr.count("\n"), 1, stderr)
        self.assertNotIn("Traceback", stderr)
        for fragment in fragments:
            self.assertIn(fragment, stderr)


def run_recipe(recipe, path):
    """Let the recipe tests/bad_inputs/graphs/RECIPE write its broken file at `path`; return the
    line it expects, for that path. -B: no __pycache__ in the source tree."""
    subprocess.run([sys.executable, "-B", os.path.join(BAD_GRAPHS, recipe), path], check=True)
    with open(os.path.join(BAD_GRAPHS, recipe)) as f:
        return f.readline().removeprefix("# expect: ").rstrip("\n").format(file=path)


def write_small_synthetic(path):
    """A valid file of three small graphs (graph-level splits); returns `path`."""
    write_dataset(path, **synthesize(seed=1, nodes=20, classes=2, graphs=3))
    return path


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


class BrokenCopies:
    """For tests of a reader: copies of the valid file self.good with one thing broken, and the
    line each gets."""

    def stored(self, name):
        """Dataset `name` of the good file, read whole."""
        with h5py.File(self.good) as f:
            return f[name][()]

    def broken(self, change):
        """A copy of the good file with `change(h5py.File)` applied."""
        bad = self.path("bad.h5")
        shutil.copy(self.good, bad)
        with h5py.File(bad, "r+") as f:
            change(f)
        return bad

    def with_attribute(self, name, attribute, value):
        """A copy of the good file with an attribute of object `name` ("/" for the root) set."""
        def change(f):
            f[name].attrs[attribute] = value
        return self.broken(change)

    def with_value(self, name, index, value):
        """A copy of the good file with one entry of dataset `name` set to `value`."""
        data = self.stored(name)
        data[index] = value
        return self.replace(name, data)

    def assertRejected(self, bad, expected):
        """validate and check_file give the same line, whatever the pieces they read: with a
        64-byte block, validate reads one graph at a time and check_file parts of graphs."""
        for check in (validate, check_file, lambda path: validate(path, block_bytes=64),
                      lambda path: check_file(path, block_bytes=64)):
            with self.assertRaises(FormatError) as caught:
                check(bad)
            self.assertEqual(str(caught.exception), f"{bad}: {expected}")

    def replace(self, name, data):
        def change(f):
            attrs = dict(f[name].attrs)
            del f[name]
            f.create_dataset(name, data=data).attrs.update(attrs)
        return self.broken(change)


class PpiDirs:
    """For TempDirTest: PPI-shaped directories made and converted through the command line."""

    def synth(self, name="synth", *args):
        out = self.path(name)
        rc, _, err = run_main("ppi-synth", "--out-dir", out, *(args or SMALL_PPI))
        self.assertEqual(rc, 0, err)
        return out

    def convert(self, directory, name="ppi.h5"):
        out = self.path(name)
        rc, _, err = run_main("ppi", "--root", directory, "--out", out)
        self.assertEqual(rc, 0, err)
        return out

