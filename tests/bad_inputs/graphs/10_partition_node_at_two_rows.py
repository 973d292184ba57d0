# expect: {file}: /partition/node_perm: node 4 is at rows 1 and 4, expected a permutation of [0, 6)
"""node_perm names node 4 at two rows, so node 1 is at none."""
import sys

from _small_partition import small_partition

with small_partition(sys.argv[1]) as f:
    f["partition/node_perm"][4] = 4
