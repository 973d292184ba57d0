"""What each recipe here starts from: a small valid gat-graphs file written by data_tools' own
writer (5 nodes, 3 features, 2 classes, one graph, node splits), reopened for the recipe to break.
Recipes are the files named NN_name.py; this helper is not one (cli_test.cpp runs them)."""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "data_tools"))
from gatgraphs import write_dataset  # noqa: E402


def small_graph(path):
    """Writes the valid file at `path` and returns it open for editing (h5py.File, mode r+)."""
    edges = np.array([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    write_dataset(path, features=np.eye(5, 3), labels=np.array([0, 1, 0, 1, 0]), edge_index=edges,
                  graph_ptr=[0, 5], edge_ptr=[0, 6],
                  splits={"train": ("node", [0, 1]), "val": ("node", [2]), "test": ("node", [3, 4])},
                  task="multiclass", num_classes=2)
    return h5py.File(path, "r+")
