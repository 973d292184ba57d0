# expect: {file}: /splits/val: expected nodes to validate on (early stopping and the kept model depend on them), got an empty split
"""No validation nodes: early stopping and the kept model would run on a loss and a score of 0.0
(docs/data_format.md, empty splits)."""
import sys

from _small_graph import small_graph

with small_graph(sys.argv[1]) as f:
    del f["splits/val"]
    f.create_dataset("splits/val", data=[], dtype="i8").attrs["level"] = "node"
