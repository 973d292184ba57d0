"""Tests of gatdata/planetoid.py and the planetoid command: files that are not the upstream ones
(refused, or with --unverified read by its restricted unpickler), then the real upstream files:
$GAT_PLANETOID_DIR or <repo>/../shared/datasets/planetoid (those tests skipped when there are
none)."""

import os
import pickle
import pickletools
import shutil
import unittest
import warnings

import h5py
import numpy as np

from testsupport import HERE, TempDirTest, run_cli, run_main
from gatdata import planetoid, planetoid_synth
from gatdata.common import sha256
from gatgraphs import validate

PLANETOID_DIR = os.environ.get("GAT_PLANETOID_DIR") or os.path.normpath(
    os.path.join(HERE, "..", "..", "shared", "datasets", "planetoid"))
HAVE_PLANETOID = os.path.isfile(os.path.join(PLANETOID_DIR, "ind.cora.graph"))
NO_PLANETOID = f"no Planetoid files in {PLANETOID_DIR} (set GAT_PLANETOID_DIR)"


def mismatch_error(path):
    """The whole stderr of the planetoid command for a file that is not the upstream one."""
    filename = os.path.basename(path)
    return (f"gat_data: error: {path}: sha256 {sha256(path)} does not match the known "
            f"{planetoid.PLANETOID_SHA256[filename]} (corrupt or not the upstream {filename}); "
            "files that are not the upstream ones (e.g. from planetoid-synth) convert with "
            "--unverified\n")


def kipf_reference(name, root):
    """Features, labels and edge set exactly as Kipf's GCN utils.load_data builds them."""
    import scipy.sparse as sp
    objects = []
    for ext in ("x", "y", "tx", "ty", "allx", "ally", "graph"):
        with open(os.path.join(root, f"ind.{name}.{ext}"), "rb") as f, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            objects.append(pickle.load(f, encoding="latin1"))
    x, y, tx, ty, allx, ally, graph = objects
    with open(os.path.join(root, f"ind.{name}.test.index")) as f:
        test_idx_reorder = [int(line) for line in f]
    test_idx_range = np.sort(test_idx_reorder)
    if name == "citeseer":
        full = range(min(test_idx_reorder), max(test_idx_reorder) + 1)
        tx_extended = sp.lil_matrix((len(full), x.shape[1]))
        tx_extended[test_idx_range - min(test_idx_range), :] = tx
        tx = tx_extended
        ty_extended = np.zeros((len(full), y.shape[1]))
        ty_extended[test_idx_range - min(test_idx_range), :] = ty
        ty = ty_extended
    features = sp.vstack((allx, tx)).tolil()
    features[test_idx_reorder, :] = features[test_idx_range, :]
    labels = np.vstack((ally, ty))
    labels[test_idx_reorder, :] = labels[test_idx_range, :]
    edges = {(a, b) for a, nbrs in graph.items() for b in nbrs if a != b}
    edges |= {(b, a) for a, b in edges}
    return features.toarray(), labels.argmax(axis=1), edges


class RestrictedUnpicklerTest(TempDirTest):
    """Files that are not the upstream ones (small planetoid-synth files, no real data needed)."""

    def synth(self):
        out = self.path("synth")
        planetoid_synth.synthesize_planetoid(out, nodes=1600, features=20, edges=2000,
                                             classes=2)
        return out

    def test_refused_without_unverified(self):
        """Files that are not the upstream ones are an error unless --unverified: the first one
        (in the order x, y, tx, ...) is named, nothing is unpickled, nothing written."""
        source = self.synth()
        out = self.path("pubmed.h5")
        rc, _, err = run_cli("planetoid", "pubmed", "--root", source, "--out", out)
        self.assertEqual((rc, err), (2, mismatch_error(os.path.join(source, "ind.pubmed.x"))))
        self.assertFalse(os.path.exists(out))

    def test_unverified_needs_root(self):
        """--unverified with --download: downloads must always match; nothing is fetched."""
        fetched = self.path("fetched")
        rc, _, err = run_cli("planetoid", "cora", "--download", fetched, "--unverified", "--out",
                             self.path("cora.h5"))
        self.assertEqual(err, "gat_data: error: --unverified is only valid with --root, not with "
                              "--download (downloads must match the upstream sha256)\n")
        self.assertEqual(rc, 2)
        self.assertFalse(os.path.exists(fetched))

    def test_forbidden_global_is_refused(self):
        """A pickle naming any global but the allowed ones is refused before that global is
        even imported: here os.system, which unpickling would call (pickling it runs nothing).
        Without --unverified it fails the hash first; with it, the restricted unpickler."""
        class Evil:
            def __reduce__(self):
                return os.system, ("touch " + marker,)

        marker = self.path("ran")
        source = self.synth()
        x = os.path.join(source, "ind.pubmed.x")
        with open(x, "wb") as f:
            pickle.dump(Evil(), f, 2)
        out = self.path("pubmed.h5")
        rc, _, err = run_cli("planetoid", "pubmed", "--root", source, "--out", out)
        self.assertEqual((rc, err), (2, mismatch_error(x)))
        self.assertFalse(os.path.exists(marker))
        self.assertFalse(os.path.exists(out))
        rc, _, err = run_cli("planetoid", "pubmed", "--root", source, "--unverified", "--out",
                             out)
        self.assertEqual(err, f"gat_data: error: {x}: refuses to unpickle "
                              f"{os.system.__module__}.system (only numpy arrays, scipy sparse "
                              "matrices and dicts of lists are read from files that are not the "
                              "upstream ones)\n")
        self.assertEqual(rc, 2)
        self.assertFalse(os.path.exists(marker))
        self.assertFalse(os.path.exists(out))

    def test_other_codec_is_refused(self):
        """_codecs.encode is allowed for latin-1 (bytes in a protocol-2 pickle) and nothing else."""
        source = self.synth()
        y = os.path.join(source, "ind.pubmed.y")
        with open(y, "wb") as f:
            f.write(b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x06\x00\x00\x00rot_13\x86R.")
        rc, _, err = run_main("planetoid", "pubmed", "--root", source, "--unverified", "--out",
                              self.path("p.h5"))
        self.assertOneLineError(rc, err, f"{y}: not the upstream ind.pubmed.y (sha256 differs) "
                                         "and not a readable pickle (UnpicklingError: refuses "
                                         "_codecs.encode with codec 'rot_13')")

    def test_allowed_globals_only(self):
        """Every global the synthetic files (and the upstream ones, where present) name is an
        allowed one, all spelled by protocol 2's GLOBAL opcode."""
        files = [os.path.join(self.synth(), f"ind.pubmed.{ext}")
                 for ext in planetoid.PLANETOID_EXTS[:-1]]
        if HAVE_PLANETOID:
            files += [os.path.join(PLANETOID_DIR, f"ind.{name}.{ext}")
                      for name in ("cora", "citeseer") for ext in planetoid.PLANETOID_EXTS[:-1]]
        for path in files:
            with open(path, "rb") as f:
                ops = list(pickletools.genops(f.read()))
            named = {tuple(arg.split(" ")) for op, arg, _ in ops if op.name == "GLOBAL"}
            self.assertTrue(named, path)
            self.assertLessEqual(named, set(planetoid.RESTRICTED_GLOBALS), path)
            self.assertNotIn("STACK_GLOBAL", {op.name for op, _, _ in ops}, path)


@unittest.skipUnless(HAVE_PLANETOID, NO_PLANETOID)
class PlanetoidTest(TempDirTest):
    def convert(self, name, nodes, features, classes, edges, splits):
        out = self.path(f"{name}.h5")
        rc, _, err = run_main("planetoid", name, "--root", PLANETOID_DIR, "--out", out)
        self.assertEqual(rc, 0, err)
        s = validate(out)
        self.assertEqual((s["num_nodes"], s["num_features"], s["num_classes"], s["num_edges"]),
                         (nodes, features, classes, edges))
        self.assertEqual(s["split_level"], "node")
        self.assertEqual(tuple(s["split_sizes"].values()), splits)
        self.assertTrue(s["undirected"] and s["splits_disjoint"])
        self.assertEqual(s["self_loops"], 0)

        ref_x, ref_y, ref_edges = kipf_reference(name, PLANETOID_DIR)
        with h5py.File(out) as f:
            np.testing.assert_array_equal(f["features"][()], ref_x)
            np.testing.assert_array_equal(f["labels"][()], ref_y)
            self.assertEqual(set(map(tuple, f["edge_index"][()].T.tolist())), ref_edges)
            np.testing.assert_array_equal(f["splits/val"][()],
                                          np.arange(splits[0], splits[0] + 500))

    def test_cora(self):
        self.convert("cora", 2708, 1433, 7, 10556, (140, 500, 1000))

    def test_citeseer(self):
        self.convert("citeseer", 3327, 3703, 6, 9104, (120, 500, 1000))

    def copy(self):
        source = self.path("src")
        os.mkdir(source)
        for ext in planetoid.PLANETOID_EXTS:
            shutil.copy(os.path.join(PLANETOID_DIR, f"ind.cora.{ext}"), source)
            os.chmod(os.path.join(source, f"ind.cora.{ext}"), 0o644)
        return source

    def corrupted_copy(self, filename, offset=100):
        """A copy of the Cora files with one bit of `filename` flipped at `offset` (from the end
        if negative; byte 100 of ind.cora.tx is in the name numpy.core.multiarray._reconstruct)."""
        source = self.copy()
        with open(os.path.join(source, filename), "r+b") as f:
            whence = os.SEEK_END if offset < 0 else os.SEEK_SET
            f.seek(offset, whence)
            byte = f.read(1)
            f.seek(offset, whence)
            f.write(bytes([byte[0] ^ 0x01]))
        return source

    def test_corrupted_file_is_refused(self):
        """A file that fails the hash is an error naming it, whatever is wrong with it. With
        --unverified it is read by the restricted unpickler only: a flipped bit in a global's
        name is refused, a truncated file is not a readable pickle, a matrix that no longer holds
        together is refused; each one line naming the file, nothing written."""
        source = self.corrupted_copy("ind.cora.tx")
        tx = os.path.join(source, "ind.cora.tx")
        out = self.path("cora.h5")

        def refused(run, unverified_error):
            """The mismatch error without --unverified, unverified_error with it; no output."""
            rc, _, err = run_cli("planetoid", "cora", "--root", source, "--out", out)
            self.assertEqual((rc, err), (2, mismatch_error(tx)))
            rc, _, err = run("planetoid", "cora", "--root", source, "--unverified", "--out", out)
            self.assertOneLineError(rc, err, unverified_error)
            self.assertFalse(os.path.exists(out))

        refused(run_cli, f"{tx}: refuses to unpickle "
                         "numpy.core.multi`rray._reconstruct (only numpy arrays")

        shutil.copyfile(os.path.join(PLANETOID_DIR, "ind.cora.tx"), tx)  # keeps mode 644
        with open(tx, "r+b") as f:
            f.truncate(5000)
        refused(run_main, f"{tx}: not the upstream ind.cora.tx (sha256 differs) and not a "
                          "readable pickle (UnpicklingError: pickle data was truncated)")

        with open(os.path.join(PLANETOID_DIR, "ind.cora.tx"), "rb") as f, \
                warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            matrix = pickle.load(f, encoding="latin1")
        matrix.indices[5] = 1433  # out of range: scipy's C++ code would write out of bounds
        with open(tx, "wb") as f:
            pickle.dump(matrix, f, 2)
        refused(run_main, f"{tx}: not the upstream ind.cora.tx (sha256 differs) and not a "
                          "valid csr_matrix (column index values must be < 1433)")

    def test_changed_data_converts_with_a_note(self):
        """A change the restricted unpickler and the checks cannot tell from other data (a bit
        of one feature value) is refused by default, like any mismatch. With --unverified it
        converts, and stderr says which file is not the upstream one."""
        source = self.corrupted_copy("ind.cora.tx", offset=-200)
        out = self.path("cora.h5")
        rc, _, err = run_cli("planetoid", "cora", "--root", source, "--out", out)
        self.assertEqual((rc, err), (2, mismatch_error(os.path.join(source, "ind.cora.tx"))))
        self.assertFalse(os.path.exists(out))
        rc, stdout, err = run_cli("planetoid", "cora", "--root", source, "--unverified", "--out",
                                  out)
        self.assertEqual(rc, 0, err)
        self.assertIn("nodes        2708", stdout)
        self.assertEqual(err, f"gat_data: note: ind.cora.tx is not the upstream file (sha256) in "
                              f"{source}; read with the restricted unpickler and checked\n")

    def test_upstream_files_print_nothing_new(self):
        """The upstream files load as they are, with or without --unverified: same bytes out."""
        plain, flagged = self.path("citeseer.h5"), self.path("citeseer2.h5")
        rc, _, err = run_cli("planetoid", "citeseer", "--root", PLANETOID_DIR, "--out", plain)
        self.assertEqual((rc, err), (0, ""))
        rc, _, err = run_cli("planetoid", "citeseer", "--root", PLANETOID_DIR, "--unverified",
                             "--out", flagged)
        self.assertEqual((rc, err), (0, ""))
        with open(plain, "rb") as a, open(flagged, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_download(self):
        """--download through file:// URLs: same code path as https, no network needed."""
        url = planetoid.PLANETOID_URL
        self.addCleanup(setattr, planetoid, "PLANETOID_URL", url)
        planetoid.PLANETOID_URL = "file://" + os.path.abspath(PLANETOID_DIR) + "/{}"
        fetched = self.path("fetched")
        rc, _, err = run_main("planetoid", "cora", "--download", fetched, "--out",
                              self.path("cora.h5"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(os.listdir(fetched)), 8)

        planetoid.PLANETOID_URL = "file://" + self.corrupted_copy("ind.cora.graph") + "/{}"
        fetched = self.path("fetched2")
        rc, _, err = run_main("planetoid", "cora", "--download", fetched, "--out",
                              self.path("cora2.h5"))
        self.assertOneLineError(rc, err, "/ind.cora.graph: sha256")
        self.assertNotIn("ind.cora.graph", os.listdir(fetched))


if __name__ == "__main__":
    unittest.main()
