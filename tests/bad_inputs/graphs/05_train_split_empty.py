# expect: {file}: /splits/train: expected nodes to train on, got an empty split
"""No training nodes: a run would report the untrained model's scores (docs/data_format.md,
empty splits)."""
import sys

from _small_graph import small_graph

with small_graph(sys.argv[1]) as f:
    del f["splits/train"]
    f.create_dataset("splits/train", data=[], dtype="i8").attrs["level"] = "node"
