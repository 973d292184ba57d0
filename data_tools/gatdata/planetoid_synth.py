"""Seeded Planetoid-shaped datasets (Pubmed's shape by default) written in the public layout:
the eight ind.NAME.* pickles and index file, with labels planted in the graph and the features."""

import collections
import os
import pickle
import re

import numpy as np
import scipy.sparse as sp

from .common import CliError, write_atomic
from .planetoid import PLANETOID_EXTS, PLANETOID_VAL_SIZE
from .synthetic import TRAIN_PER_CLASS

TEST_SIZE = 1000     # test nodes, the last ids, as in all three public datasets
HOMOPHILY = 0.7      # chance an edge's second node is drawn from its first node's class (else
                     # from all): with 3 classes ~0.8 of edges join one class, Pubmed's share
WORD_SPREAD = 1.0    # sigma of the lognormal feature popularity: a few common words, many rare
TOPIC_SPREAD = 0.3   # sigma of each class's lognormal factor on it: a row alone is a weak hint
                     # (a nearest-centroid probe ~0.68 on the default shape), with its
                     # neighbours a strong one (~0.86)
EXTRA_COUNT = 0.5    # Poisson mean of a word's occurrences beyond the first (its term count)
ROW_BLOCK_BYTES = 8 << 20  # the uniform draws of a block of feature rows; no n x F array
PICKLE_PROTOCOL = 2  # what the public files use (they were written by Python 2)


def check_shape(name, nodes, features, density, edges, classes, seed):
    """One CliError line for the first bad option, before anything is written."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise CliError(f"--name must be letters, digits, '_' or '-' (it names the files "
                       f"ind.NAME.*), got {name!r}")
    if classes < 2:
        raise CliError(f"--classes must be at least 2, got {classes}")
    least = TRAIN_PER_CLASS * classes + PLANETOID_VAL_SIZE + TEST_SIZE
    if nodes < least:
        raise CliError(f"--nodes must be at least {least} ({TRAIN_PER_CLASS} training nodes per "
                       f"class, the {PLANETOID_VAL_SIZE} validation nodes after them, "
                       f"{TEST_SIZE} test nodes), got {nodes}")
    if features < 1:
        raise CliError(f"--features must be at least 1, got {features}")
    if not 0 < density <= 1:
        raise CliError(f"--density must be in (0, 1], got {density}")
    # Half of all pairs at most: a sparse graph, and rejection sampling stays fast.
    most = nodes * (nodes - 1) // 4
    if not 0 <= edges <= most:
        raise CliError(f"--edges must be between 0 and {most} for {nodes} nodes (half of all "
                       f"node pairs), got {edges}")
    if seed < 0:
        raise CliError(f"--seed must be non-negative, got {seed}")


def planted_labels(rng, n, classes):
    """Classes of all nodes: the first TRAIN_PER_CLASS * classes (the training rows x, y) hold
    exactly TRAIN_PER_CLASS of each class in a shuffled order, the others are uniform."""
    head = rng.permutation(np.repeat(np.arange(classes), TRAIN_PER_CLASS))
    return np.concatenate([head, rng.integers(classes, size=n - head.size)])


def planted_pairs(rng, labels, num_edges):
    """Exactly num_edges distinct unordered pairs (lo < hi), no self pairs: each from a uniform
    node to a uniform node of its class with probability HOMOPHILY, else to a uniform node.
    Drawn in batches until enough distinct pairs are kept, the first in draw order, so no id
    range is favoured."""
    n = labels.shape[0]
    members = np.argsort(labels, kind="stable")
    count = np.bincount(labels)
    first = np.cumsum(count) - count
    keys = np.empty(0, dtype=np.int64)
    while keys.size < num_edges:
        m = 2 * (num_edges - keys.size) + 64  # spares for self pairs and repeats
        u = rng.integers(n, size=m)
        same = members[first[labels[u]] + rng.integers(count[labels[u]])]
        v = np.where(rng.random(m) < HOMOPHILY, same, rng.integers(n, size=m))
        keep = u != v
        lo, hi = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
        drawn = np.concatenate([keys, lo * n + hi])  # the kept keys first: they stay kept
        keys = drawn[np.sort(np.unique(drawn, return_index=True)[1])[:num_edges]]
    return np.stack([keys // n, keys % n])


def scaled_to_mean(weight, mean):
    """min(1, s * weight) for the s that makes its mean `mean` (at least; bisection on s, which
    the mean grows with; at s = 1 / min(weight) every entry is 1)."""
    lo, hi = 0.0, 1.0 / weight.min()
    for _ in range(64):
        mid = (lo + hi) / 2
        if np.minimum(1.0, mid * weight).mean() < mean:
            lo = mid
        else:
            hi = mid
    return np.minimum(1.0, hi * weight)


def feature_probabilities(rng, classes, num_features, density):
    """[classes, features]: the chance a feature is non-zero in a row of each class. Popularity
    is shared; each class scales it by its own factor (its topic), so a row's words hint at its
    class, and its neighbours' words (mostly the same class) hint more strongly."""
    popular = rng.lognormal(0.0, WORD_SPREAD, num_features)
    weight = popular * rng.lognormal(0.0, TOPIC_SPREAD, (classes, num_features))
    return np.stack([scaled_to_mean(row, density) for row in weight])


def tfidf_features(rng, labels, prob):
    """csr float32 [nodes, features]: entry (i, f) is non-zero with chance prob[labels[i], f],
    drawn a block of rows at a time; a row left empty gets one word drawn from its class's
    probabilities (no empty rows: GAT row-normalises). Values are TF-IDF as scikit-learn makes
    them: term count x smoothed idf, rows scaled to unit L2 norm, so all are positive."""
    n, num_features = labels.shape[0], prob.shape[1]
    step = max(1, ROW_BLOCK_BYTES // (8 * num_features))
    rows, cols = [], []
    for lo in range(0, n, step):
        block = labels[lo:lo + step]
        r, c = np.nonzero(rng.random((block.size, num_features)) < prob[block])
        rows.append(r + lo)
        cols.append(c)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    empty = np.flatnonzero(np.bincount(rows, minlength=n) == 0)
    cdf = np.cumsum(prob, axis=1) / prob.sum(axis=1, keepdims=True)
    word = (cdf[labels[empty]] < rng.random((empty.size, 1))).sum(axis=1)
    rows, cols = np.concatenate([rows, empty]), np.concatenate([cols, word])

    count = 1 + rng.poisson(EXTRA_COUNT, rows.size)
    idf = np.log((1 + n) / (1 + np.bincount(cols, minlength=num_features))) + 1
    x = sp.csr_matrix((count * idf[cols], (rows, cols)), shape=(n, num_features))
    norm = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sp.csr_matrix(sp.diags(1 / norm) @ x, dtype=np.float32)
    x.sort_indices()  # canonical, as the public matrices are (the product leaves rows unsorted)
    return x


def adjacency_lists(pairs, n):
    """The public graph pickle: defaultdict(list), every node a key (in id order), its
    neighbours in both directions as a sorted list of ints."""
    adj = sp.csr_matrix((np.ones(2 * pairs.shape[1], dtype=np.int8),
                         (np.concatenate(pairs), np.concatenate(pairs[::-1]))), shape=(n, n))
    graph = collections.defaultdict(list)
    for node in range(n):
        graph[node] = adj.indices[adj.indptr[node]:adj.indptr[node + 1]].tolist()
    return graph


def synthesize_planetoid(out_dir, name="pubmed", seed=0, nodes=19717, features=500, density=0.1,
                         edges=44324, classes=3):
    """Write ind.NAME.{x,y,tx,ty,allx,ally,graph,test.index} to `out_dir`: x, y the training
    rows (the first ones), allx, ally all nodes but the test ones, tx, ty the last TEST_SIZE
    nodes in the shuffled order of test.index. Return what the command prints."""
    check_shape(name, nodes, features, density, edges, classes, seed)
    rng = np.random.default_rng(seed)
    labels = planted_labels(rng, nodes, classes)
    pairs = planted_pairs(rng, labels, edges)
    x = tfidf_features(rng, labels, feature_probabilities(rng, classes, features, density))
    one_hot = np.eye(classes, dtype=np.int32)[labels]  # int32, as the public y, ty, ally
    known = nodes - TEST_SIZE
    test_index = known + rng.permutation(TEST_SIZE)
    train = TRAIN_PER_CLASS * classes

    objects = {"x": x[:train], "y": one_hot[:train],
               "tx": x[test_index], "ty": one_hot[test_index],
               "allx": x[:known], "ally": one_hot[:known],
               "graph": adjacency_lists(pairs, nodes)}
    os.makedirs(out_dir, exist_ok=True)
    for ext in PLANETOID_EXTS:
        path = os.path.join(out_dir, f"ind.{name}.{ext}")
        if ext == "test.index":
            text = "".join(f"{i}\n" for i in test_index.tolist())
            write_atomic(path, lambda f, t=text: f.write(t.encode()))
        else:
            write_atomic(path, lambda f, o=objects[ext]: pickle.dump(o, f, PICKLE_PROTOCOL))
    return {"train": train, "known": known, "test": TEST_SIZE, "nodes": nodes,
            "features": features, "density": x.nnz / (nodes * features), "edges": edges,
            "same_class": float(np.mean(labels[pairs[0]] == labels[pairs[1]])) if edges else 0.0,
            "isolated": int(np.sum(np.bincount(pairs.ravel(), minlength=nodes) == 0)),
            "classes": classes}
