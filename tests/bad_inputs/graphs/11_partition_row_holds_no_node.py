# expect: {file}: /partition/node_perm: row 2 holds node 6, expected a permutation of [0, 6)
"""node_perm names a node that does not exist at row 2."""
import sys

from _small_partition import small_partition

with small_partition(sys.argv[1]) as f:
    f["partition/node_perm"][2] = 6
