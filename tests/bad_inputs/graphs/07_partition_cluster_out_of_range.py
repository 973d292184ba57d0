# expect: {file}: /partition/cluster: node 5 is in cluster 12, expected [0, 2)
"""A cluster id beyond the K = 2 clusters that cluster_ptr declares."""
import sys

from _small_partition import small_partition

with small_partition(sys.argv[1]) as f:
    f["partition/cluster"][5] = 12
