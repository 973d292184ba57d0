"""Tests of gatdata/ppi_synth.py and the ppi-synth command: PPI-shaped files whose labels need
the graph. (That they are in the public layout, and deterministic, is checked by test_ppi.py.)"""

import os
import unittest

from testsupport import PpiDirs, TempDirTest, linear_probe, run_cli


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
