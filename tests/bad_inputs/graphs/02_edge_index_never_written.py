# expect: {file}: /edge_index: declares shape [2, 1000000000] of int64 (14.9 GiB), but the file holds 0 B of it: expected every element written
"""A contiguous /edge_index of 10^9 columns that was declared and never written (HDF5 allocates
contiguous storage only at the first write)."""
import sys

from _small_graph import small_graph

with small_graph(sys.argv[1]) as f:
    del f["edge_index"]
    f.create_dataset("edge_index", shape=(2, 10**9), dtype="i8")
