# expect: {file}: /features: declares shape [1000000000000, 3] of float32 (10.9 TiB), more than the {memory} of memory of this machine
"""/features of 10^12 rows kept in an external raw file of unlimited size: HDF5 cannot say how much
of it exists, so only memory bounds it ({memory}: this machine's, as the loader reads it)."""
import sys

import h5py

from _small_graph import small_graph

with small_graph(sys.argv[1]) as f:
    del f["features"]
    f.create_dataset("features", shape=(10**12, 3), dtype="f4",
                     external=[(sys.argv[1] + ".raw", 0, h5py.h5f.UNLIMITED)])
