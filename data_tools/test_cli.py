"""Tests of gat_data.py, the command line: its commands, its one-line errors, inspect."""

import unittest

import numpy as np

from testsupport import BrokenCopies, TempDirTest, run_cli, run_main, write_small_synthetic


class CommandLineTest(TempDirTest):
    COMMANDS = ("planetoid", "synthetic", "ppi", "ppi-synth", "planetoid-synth", "big-synth",
                "big-graph", "partition", "curves", "attention", "inspect")

    def test_help_lists_every_command(self):
        rc, out, err = run_cli("--help")
        self.assertEqual((rc, err), (0, ""))
        self.assertTrue(out.startswith("usage: gat_data "), out)
        self.assertIn("{" + ",".join(self.COMMANDS) + "}", out)  # argparse's list of commands
        for command in self.COMMANDS:
            self.assertIn(f"gat_data.py {command} ", out)  # the usage lines of the docstring

    def test_usage_errors_get_one_line(self):
        rc, _, err = run_main()
        self.assertOneLineError(rc, err, "the following arguments are required: command")
        rc, _, err = run_main("nonsense")
        self.assertOneLineError(rc, err, "invalid choice: 'nonsense'")


class InspectTest(BrokenCopies, TempDirTest):
    def setUp(self):
        super().setUp()
        self.good = write_small_synthetic(self.path("good.h5"))

    def test_inspect_cli(self):
        rc, out, err = run_cli("inspect", self.good)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("graph level: train 1, val 1, test 1", out)
        bad = self.replace("edge_ptr", np.array([0, 5], dtype=np.int64))
        rc, out, err = run_cli("inspect", bad)
        self.assertOneLineError(rc, err, "/edge_ptr: expected shape [4], got [2]")


if __name__ == "__main__":
    unittest.main()
