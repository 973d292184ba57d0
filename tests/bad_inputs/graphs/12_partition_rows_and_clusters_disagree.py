# expect: {file}: /partition/cluster: node 0 (row 3) is in cluster 0, but row 3 is in cluster 1's rows
"""cluster puts node 0 in cluster 0, but node_perm puts it at row 3, in cluster 1's rows 3..5."""
import sys

from _small_partition import small_partition

with small_partition(sys.argv[1]) as f:
    f["partition/cluster"][0] = 0
