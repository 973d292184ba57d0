# expect: {file}: /: attribute num_classes: expected a model that fits in memory, got 1000000000 classes: training it on 5 nodes needs at least 1.0 TiB, more than the {memory} of memory of this machine
"""num_classes of 10^9 with labels that fit it: the output layer alone would hold 64 x 10^9 weights
(the default model), a gradient and Adam's two moments each."""
import sys

import numpy as np

from _small_graph import small_graph

with small_graph(sys.argv[1]) as f:
    f.attrs["num_classes"] = np.int64(10**9)
