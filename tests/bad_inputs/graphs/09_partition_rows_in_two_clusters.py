# expect: {file}: /partition/cluster_ptr: entries 1 and 2 are 5 then 3: rows 3..4 would be in two clusters (expected non-decreasing entries)
"""cluster_ptr decreases: cluster 0 (rows 0..4) and cluster 2 (rows 3..5) would share rows 3 and 4."""
import sys

from _small_partition import small_partition

with small_partition(sys.argv[1]) as f:
    del f["partition/cluster_ptr"]
    f.create_dataset("partition/cluster_ptr", data=[0, 5, 3, 6], dtype="i8")
