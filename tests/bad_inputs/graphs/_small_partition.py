"""What the version-2 recipes here start from: a small valid partitioned file written by
data_tools' own writer (docs/data_format.md, version 2), reopened for the recipe to break.

The source graph has 6 nodes, 3 features, 2 classes: triangles 0-1-2 and 3-4-5 joined by the edge
2-3. Its partition puts nodes 3, 4, 5 in cluster 0 and 0, 1, 2 in cluster 1, so the rows hold
nodes 3 4 5 | 0 1 2 (node_perm), cluster_ptr is [0, 3, 6], and the edges, renumbered to rows, are
sorted by target row. Recipes are the files named NN_name.py; this helper is not one."""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "data_tools"))
from gatgraphs import write_dataset  # noqa: E402

NODE_PERM = [3, 4, 5, 0, 1, 2]  # the source node at each row
CLUSTER = [1, 1, 1, 0, 0, 0]  # the cluster of each source node
# Rows 0-1-2 and 3-4-5 are the triangles, 0-5 the edge 3-2; columns sorted by target row.
EDGES = [[1, 2, 5, 0, 2, 0, 1, 4, 5, 3, 5, 0, 3, 4],
         [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5]]


def small_partition(path):
    """Writes the valid version-2 file at `path` and returns it open for editing (h5py.File,
    mode r+)."""
    features, labels = np.eye(6, 3), np.array([0, 1, 0, 1, 0, 1])  # by source node
    write_dataset(path, features=features[NODE_PERM], labels=labels[NODE_PERM], edge_index=EDGES,
                  graph_ptr=[0, 6], edge_ptr=[0, 14],
                  splits={"train": ("node", [0, 3]), "val": ("node", [1, 4]),
                          "test": ("node", [2, 5])},
                  task="multiclass", num_classes=2,
                  partition={"cluster_ptr": [0, 3, 6], "node_perm": NODE_PERM, "cluster": CLUSTER,
                             "method": "random", "seed": 0, "source": "small.h5"})
    return h5py.File(path, "r+")
