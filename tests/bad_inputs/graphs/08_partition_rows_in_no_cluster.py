# expect: {file}: /partition/cluster_ptr: rows 4..5 are in no cluster (expected last entry 6, the number of nodes)
"""cluster_ptr ends before the last rows: their nodes would be in no cluster."""
import sys

from _small_partition import small_partition

with small_partition(sys.argv[1]) as f:
    f["partition/cluster_ptr"][2] = 4
