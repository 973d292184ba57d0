#!/usr/bin/python3
"""Writes the datasets the C++ tests train on, with the project's own generator: OUT/synthetic.h5
(one graph, node splits, multiclass), OUT/inductive.h5 (several graphs, graph splits, multilabel),
OUT/inductive_gzip.h5 (the same graphs in chunked, gzip-compressed datasets) and OUT/clusters.h5
(synthetic.h5 in 12 seeded random clusters, which needs no METIS)."""
import os
import subprocess
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data_tools", "gat_data.py")
for name, args in [("synthetic", ["--nodes", "300", "--seed", "1"]),
                   ("inductive", ["--graphs", "6", "--nodes", "60", "--task", "multilabel", "--seed", "2"]),
                   ("inductive_gzip", ["--graphs", "6", "--nodes", "60", "--task", "multilabel", "--seed", "2",
                                       "--compress", "4"])]:
    subprocess.run([sys.executable, tool, "synthetic", "--out", os.path.join(out, name + ".h5"), *args], check=True)
subprocess.run([sys.executable, tool, "partition", os.path.join(out, "synthetic.h5"), "--parts", "12", "--method",
                "random", "--seed", "3", "--out", os.path.join(out, "clusters.h5")], check=True, stdout=subprocess.DEVNULL)
