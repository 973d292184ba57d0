# expect: {file}: /edge_index: expected columns sorted by target (version 2), got target 2 then 1 at columns 4 and 5
"""Two edge columns of a version-2 file swapped: the edges into row 1 are no longer one range of
columns (rule 11), though each edge is still a valid one."""
import sys

from _small_partition import small_partition

with small_partition(sys.argv[1]) as f:
    edges = f["edge_index"][()]
    f["edge_index"][:, 4:6] = edges[:, [5, 4]]
