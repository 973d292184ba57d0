# expect: {file}: /features: declares shape [1000000000000, 3] of float32 (10.9 TiB), but the file holds 0 of its 1000000000 chunks: expected every element written
"""/features declared with 10^12 rows in chunks that were never written: the file stays a few KB,
and HDF5 would hand out fill values for all of them."""
import sys

from _small_graph import small_graph

with small_graph(sys.argv[1]) as f:
    del f["features"]
    f.create_dataset("features", shape=(10**12, 3), dtype="f4", chunks=(1000, 3))
