"""One large transductive graph (stochastic-block-like), written block by block in bounded memory.

No edge list is ever held. Every node's neighbours follow from rules that can be evaluated for
any node on its own, so the file is written a block of target rows at a time, in the order the
format's writers keep (sorted by target, then source):

* Nodes have "latent" ids 0..N-1; community c owns the latent range [c N / M, (c+1) N / M)
  (M communities of nearly equal size S, rounded down at both ends).
* Inside community c, latent u at local position p links to the nodes at p + o and p - o
  (mod S) for each offset o of O_c: k_c distinct offsets in [1, (S - 1) / 2], drawn from
  community c's own stream. Excluding S / 2 keeps u + o and u - o apart, so every node of c has
  exactly 2 k_c intra-community neighbours, and the rule is symmetric (v = u + o means u = v - o).
* Across communities, u links to u + s and u - s (mod N) for each of R shifts s, distinct, in
  [S_max, (N - 1) / 2]: never in u's own community, never the same node twice. The pair
  {u, u + s_r} is kept when a hash of (r, u) falls under a rate, and u's neighbour u - s_r is
  kept by the same test on (r, u - s_r), so both ends agree without storing anything.
* Stored ids are new = (a latent + b) mod N with gcd(a, N) = 1 (a, b seeded), a bijection whose
  inverse gives the latent ids of a block of rows: the communities are scattered over the rows,
  so a partitioner has to find them.

The edge count E (the shape of /edge_index) and the split sizes come from a first pass that
evaluates only the hashes; a second writes the rows' labels, features and split ids, a third
the edges. Features come from one stream per TILE rows, labels from the
community's class, splits from a hash of the node id: nothing depends on how the passes cut the
rows into blocks (the block sizes below only bound the memory).
"""

import math
import os
import time

import numpy as np

from gatgraphs import CHUNK_BYTES, creating, storage, write_root
from gatrules import BLOCK_BYTES, SPLITS, check_all

from .common import CliError
from .synthetic import P_OFF, P_ON, TRAIN_PER_CLASS

TASK = "multiclass"
LEVEL = "node"
VAL_SHARE, TEST_SHARE = 1 / 6, 1 / 3  # as `synthetic`: of the nodes not in train
TILE = 256  # feature rows per random stream: fixes the features, whatever the blocks

# Limits that keep memory bounded whatever the options (each is a one-line error).
MAX_NODES = 2**31 - 1       # latent and new ids times a, b stay below 2^62 in int64
MAX_DEGREE = 4096           # a row block holds at least one node's neighbours
MAX_FEATURES = 65536        # a block of TILE rows and the random draws of a tile: ~220 MiB
MAX_COMMUNITIES = 1 << 20   # a few int64 arrays of one entry per community
MAX_OFFSETS = 1 << 24       # communities x intra offsets each, held as one int64 table (128 MiB)

# What a pass holds at once. The file does not depend on these (the tests shrink them).
EDGE_BLOCK = 1 << 20        # neighbour slots (target rows x their most neighbours) per block
ROW_BLOCK_BYTES = 8 << 20   # features per block of rows
COUNT_BLOCK = 1 << 20       # ids per block of the counting pass
CHECK_BYTES = BLOCK_BYTES   # pieces of the check before the file gets its name

# Stream tags: SeedSequence(seed, spawn_key=(TAG, ...)) for each use of randomness.
_PLAN, _OFFSETS, _FEATURES, _HASH = 0, 1, 2, 3

_M1, _M2, _GAMMA = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), \
    np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = (np.uint64(k) for k in (30, 27, 31, 11))


def _mix(x):
    """splitmix64's finaliser on uint64 arrays: a bijection whose outputs look independent."""
    x = x + _GAMMA
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def _uniform(keys, salt):
    """A uniform float64 in [0, 1) for each uint64 key, fixed by the key and the salt."""
    return (_mix(keys ^ salt) >> _S11).astype(np.float64) * 2.0**-53


class Plan:
    """Everything a block needs to make its rows: the community layout, the intra offsets
    table, the shifts, the classes, the affine map and the hash salts. O(communities) memory."""

    def __init__(self, nodes, degree, communities, classes, features, homophily, seed):
        _check_options(nodes, degree, communities, classes, features, homophily, seed)
        n, m = nodes, communities
        self.n, self.m, self.classes, self.features, self.seed = n, m, classes, features, seed
        self.starts = np.arange(m + 1, dtype=np.int64) * n // m
        self.sizes = np.diff(self.starts)
        s_min, s_max = int(self.sizes.min()), int(self.sizes.max())
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_PLAN,)))

        # Intra: 2 k_c neighbours for each node of community c; k_c is floor(h D / 2) or one
        # more, the larger for round(frac M) communities, so the mean is h D.
        half = round(homophily * degree / 2, 9)
        k_low = math.floor(half)
        extra = round((half - k_low) * m)
        self.k = np.full(m, k_low, dtype=np.int64)
        self.k[rng.permutation(m)[:extra]] += 1
        self.k_max = int(self.k.max())
        if self.k_max > (s_min - 1) // 2:
            raise CliError(f"--nodes / --communities gives communities of {s_min} nodes, too "
                           f"few for {2 * self.k_max} distinct neighbours inside each (at least "
                           f"{2 * self.k_max + 1} nodes): use fewer communities or a lower "
                           f"--degree or --homophily")
        if m * self.k_max > MAX_OFFSETS:
            raise CliError(f"--communities x intra-community offsets = {m} x {self.k_max} is more "
                           f"than {MAX_OFFSETS} (the table held in memory): use fewer communities")

        # Inter: R shifts, each pair kept at `keep`, so the mean is 2 R keep = (1 - h) D.
        rest = round((1 - homophily) * degree / 2, 9)
        self.r = math.ceil(rest)
        self.keep = rest / self.r if self.r else 0.0
        room = (n - 1) // 2 - s_max + 1  # shifts in [s_max, (n - 1) / 2]
        if self.r > room:
            raise CliError(f"--nodes / --communities leaves {max(room, 0)} distinct shifts between "
                           f"communities, fewer than the {self.r} needed for --degree x "
                           f"(1 - --homophily): use more communities or a lower --degree")
        self.shifts = np.sort(rng.choice(room, size=self.r, replace=False)).astype(np.int64) + s_max

        # Classes: a seeded assignment of communities, balanced (counts differ by at most 1).
        self.community_class = (rng.permutation(m) % classes).astype(np.int64)

        # The affine map latent -> new id.
        a = int(rng.integers(1, n))
        while math.gcd(a, n) != 1:
            a = a % (n - 1) + 1
        self.a, self.b = a, int(rng.integers(n))
        self.a_inv = pow(a, -1, n)

        self.train = self._train(rng)
        self.salt_inter, self.salt_split = np.random.SeedSequence(
            seed, spawn_key=(_HASH,)).generate_state(2, np.uint64)

        # The intra offsets: community c's from its own stream.
        self.offsets = np.zeros((m, self.k_max), dtype=np.int64)
        for c in range(m if self.k_max else 0):
            stream = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_OFFSETS, c)))
            half_size = (int(self.sizes[c]) - 1) // 2
            k = int(self.k[c])
            self.offsets[c, :k] = np.sort(stream.choice(half_size, size=k, replace=False)) + 1

    def _train(self, rng):
        """TRAIN_PER_CLASS distinct nodes of each class (fewer if a class is small), as new ids,
        sorted: positions drawn among the class's nodes, then found in its communities."""
        class_nodes = np.bincount(self.community_class, weights=self.sizes,
                                  minlength=self.classes).astype(np.int64)
        per_class = max(1, min(TRAIN_PER_CLASS, int(class_nodes.min()) // 3))
        chosen = []
        for cls in range(self.classes):
            members = np.flatnonzero(self.community_class == cls)
            ends = np.cumsum(self.sizes[members])
            position = rng.choice(int(ends[-1]), size=per_class, replace=False)
            j = np.searchsorted(ends, position, side="right")
            chosen.append(self.starts[members[j]] + position - (ends[j] - self.sizes[members[j]]))
        return np.sort(self.to_new(np.concatenate(chosen)))

    # Ids.
    def to_new(self, latent):
        return (self.a * latent + self.b) % self.n

    def to_latent(self, new):
        return (self.a_inv * ((new - self.b) % self.n)) % self.n

    def community(self, latent):
        """The community owning each latent id: the largest c with c N / M (rounded down) <= u."""
        return ((latent + 1) * self.m - 1) // self.n

    def labels(self, new):
        return self.community_class[self.community(self.to_latent(new))]

    # Edges.
    def _kept(self, latent, r):
        """Whether the pair {u, u + s_r} of each latent u is kept (u: [B] or [B, R], r: [R])."""
        keys = latent.astype(np.uint64) + np.uint64(self.n) * r.astype(np.uint64)
        return _uniform(keys, self.salt_inter) < self.keep

    def kept_pairs(self, latent):
        """How many of the R pairs {u, u + s_r} each latent u owns are kept: half of u's inter
        edges' count, summed over all u."""
        if not self.r:
            return 0
        r = np.arange(self.r)
        return int(np.count_nonzero(self._kept(latent[:, None], r[None, :])))

    def neighbours(self, latent):
        """Latent neighbours of latent ids [B]: int64 [B, 2 k_max + 2 R] and whether each slot
        holds one (bool, same shape), intra-community slots first."""
        parts, valid = [], []
        if self.k_max:
            c = self.community(latent)
            start, size = self.starts[c][:, None], self.sizes[c][:, None]
            p = latent[:, None] - start
            off = self.offsets[c]
            used = np.arange(self.k_max)[None, :] < self.k[c][:, None]
            parts += [start + (p + off) % size, start + (p - off) % size]
            valid += [used, used]
        if self.r:
            r = np.arange(self.r)[None, :]
            up = (latent[:, None] + self.shifts) % self.n
            down = (latent[:, None] - self.shifts) % self.n
            parts += [up, down]
            valid += [self._kept(latent[:, None], r), self._kept(down, r)]
        return np.concatenate(parts, axis=1), np.concatenate(valid, axis=1)

    @property
    def slots(self):
        return 2 * self.k_max + 2 * self.r

    # Splits and features.
    def split_share(self, new):
        """Each node's place in [0, 1): val below VAL_SHARE, test up to VAL_SHARE + TEST_SHARE."""
        return _uniform(new.astype(np.uint64), self.salt_split)

    def features_of_tile(self, t, labels):
        """Rows t TILE .. of /features (labels: theirs): 0/1, a column on with P_ON in the node's
        class block of columns, P_OFF elsewhere (as `synthetic`), from tile t's stream."""
        width = max(1, (3 * self.features) // (4 * self.classes))
        stream = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(_FEATURES, t)))
        draw = stream.random((labels.shape[0], self.features), dtype=np.float32)
        on = draw < np.float32(P_OFF)
        rows = np.arange(labels.shape[0])[:, None]
        own = labels[:, None] * width + np.arange(width)[None, :]  # < classes x width <= F
        on[rows, own] = draw[rows, own] < np.float32(P_ON)
        return on.astype(np.float32)


def _check_options(nodes, degree, communities, classes, features, homophily, seed):
    if not 1 <= nodes <= MAX_NODES:
        raise CliError(f"--nodes must be in [1, {MAX_NODES}], got {nodes}")
    if not 0 < degree <= MAX_DEGREE:
        raise CliError(f"--degree must be in (0, {MAX_DEGREE}], got {degree:g}")
    if classes < 2:
        raise CliError(f"--classes must be at least 2, got {classes}")
    if not classes <= communities <= min(nodes, MAX_COMMUNITIES):
        raise CliError(f"--communities must be in [--classes, min(--nodes, {MAX_COMMUNITIES})] = "
                       f"[{classes}, {min(nodes, MAX_COMMUNITIES)}] (each class owns whole "
                       f"communities), got {communities}")
    if not classes <= features <= MAX_FEATURES:
        raise CliError(f"--features must be in [--classes, {MAX_FEATURES}] = [{classes}, "
                       f"{MAX_FEATURES}], got {features}")
    if not 0 <= homophily <= 1:
        raise CliError(f"--homophily must be in [0, 1], got {homophily:g}")
    if seed < 0:
        raise CliError(f"--seed must be non-negative, got {seed}")


def _blocks(total, step):
    for lo in range(0, total, step):
        yield lo, min(total, lo + step)


def _count(plan):
    """The first pass: E, and the sizes of val and test (train excluded)."""
    edges = 2 * int(np.sum(plan.sizes * plan.k))
    val = test = 0
    for lo, hi in _blocks(plan.n, COUNT_BLOCK):
        ids = np.arange(lo, hi, dtype=np.int64)
        edges += 2 * plan.kept_pairs(ids)  # here as latent ids: each pair counted at its owner
        share = plan.split_share(ids)      # here as new ids
        val += int(np.count_nonzero(share < VAL_SHARE))
        test += int(np.count_nonzero((share >= VAL_SHARE) & (share < VAL_SHARE + TEST_SHARE)))
    share = plan.split_share(plan.train)
    val -= int(np.count_nonzero(share < VAL_SHARE))
    test -= int(np.count_nonzero((share >= VAL_SHARE) & (share < VAL_SHARE + TEST_SHARE)))
    return edges, val, test


def _write_nodes(f, plan, split_sizes):
    """Second pass, over rows: /labels, /features and /splits/val, /splits/test, in blocks of
    whole tiles. Returns the nodes per class."""
    rows = max(1, ROW_BLOCK_BYTES // (TILE * 4 * plan.features)) * TILE
    at = {"val": 0, "test": 0}
    for lo, hi in _blocks(plan.n, rows):
        ids = np.arange(lo, hi, dtype=np.int64)
        y = plan.labels(ids)
        f["labels"][lo:hi] = y
        x = np.empty((hi - lo, plan.features), dtype=np.float32)
        for t0 in range(lo, hi, TILE):
            t1 = min(hi, t0 + TILE)
            x[t0 - lo:t1 - lo] = plan.features_of_tile(t0 // TILE, y[t0 - lo:t1 - lo])
        f["features"][lo:hi] = x
        share = plan.split_share(ids)
        free = ~np.isin(ids, plan.train)
        for name, chosen in (("val", share < VAL_SHARE),
                             ("test", (share >= VAL_SHARE) & (share < VAL_SHARE + TEST_SHARE))):
            picked = ids[chosen & free]
            f[f"splits/{name}"][at[name]:at[name] + picked.shape[0]] = picked
            at[name] += picked.shape[0]
    if at != {"val": split_sizes["val"], "test": split_sizes["test"]}:
        raise RuntimeError(f"splits: wrote {at}, counted {split_sizes}")  # the passes disagree
    return np.bincount(plan.community_class, weights=plan.sizes,
                       minlength=plan.classes).astype(np.int64)


def _write_edges(f, plan, num_edges):
    """Third pass, over target rows: /edge_index, each row's sources sorted. Returns the counts
    of intra-community edges, same-class edges and isolated nodes."""
    step = max(1, EDGE_BLOCK // max(1, plan.slots))
    at = intra = same = isolated = 0
    intra_slots = 2 * plan.k_max
    for lo, hi in _blocks(plan.n, step):
        targets = np.arange(lo, hi, dtype=np.int64)
        latent = plan.to_latent(targets)
        neighbour, valid = plan.neighbours(latent)
        intra += int(np.count_nonzero(valid[:, :intra_slots]))
        own = plan.community_class[plan.community(latent)]
        same += int(np.count_nonzero(valid & (plan.community_class[plan.community(neighbour)] ==
                                              own[:, None])))
        source = np.where(valid, plan.to_new(neighbour), plan.n)  # n: no neighbour, sorts last
        del neighbour
        source.sort(axis=1)
        degree = np.count_nonzero(valid, axis=1)
        isolated += int(np.count_nonzero(degree == 0))
        source = source[source < plan.n]
        stop = at + source.shape[0]
        if stop > num_edges:
            break
        f["edge_index"][:, at:stop] = np.stack([source, np.repeat(targets, degree)])
        at = stop
    if at != num_edges:  # the counting pass and this one must keep the same pairs
        raise RuntimeError(f"edges: wrote {at} or more, counted {num_edges}")
    return intra, same, isolated


def write_big_graph(path, nodes=2_000_000, degree=26.0, communities=2000, classes=8,
                    features=32, homophily=0.8, seed=0, chunk=False, compress=None):
    """Write the graph to the gat-graphs file `path` (atomically, via `path.tmp`), check it
    (every rule, in blocks) before it gets its name; return the summary validate() would give,
    gathered while writing, plus `communities`, `intra_edges`, `same_class_edges`, `seconds`
    and `file_bytes`."""
    began = time.monotonic()
    where = os.fspath(path)
    storage("labels", (1,), np.uint8, compress=compress)  # a bad level fails before any work
    plan = Plan(nodes, degree, communities, classes, features, homophily, seed)
    num_edges, val, test = _count(plan)
    split_sizes = {"train": int(plan.train.shape[0]), "val": val, "test": test}
    n = plan.n

    shapes = (("features", (n, features), np.float32), ("labels", (n,), np.int64),
              ("edge_index", (2, num_edges), np.int64))
    with creating(where, rdcc_nbytes=4 * CHUNK_BYTES) as f:
        write_root(f, TASK, classes)
        for name, shape, dtype in shapes:
            f.create_dataset(name, shape=shape, dtype=dtype, track_times=False,
                             **storage(name, shape, dtype, chunk, compress))
        for name in ("graph_ptr", "edge_ptr"):
            array = np.array([0, n if name == "graph_ptr" else num_edges], dtype=np.int64)
            f.create_dataset(name, data=array, track_times=False,
                             **storage(name, array.shape, array.dtype, chunk, compress))
        group = f.create_group("splits")  # contiguous, like gatgraphs.write_splits
        for name in SPLITS:
            split = group.create_dataset(name, shape=(split_sizes[name],), dtype=np.int64,
                                         track_times=False)
            split.attrs["level"] = LEVEL
        f["splits/train"][:] = plan.train
        class_counts = _write_nodes(f, plan, split_sizes)
        intra, same, isolated = _write_edges(f, plan, num_edges)
        f.flush()
        check_all(where, TASK, classes, f["features"], f["labels"], f["edge_index"],
                  f["graph_ptr"], f["edge_ptr"],
                  {name: (LEVEL, f[f"splits/{name}"]) for name in SPLITS},
                  block_bytes=CHECK_BYTES)

    return {"path": where, "task": TASK, "num_classes": classes, "num_nodes": n,
            "num_features": features, "num_edges": num_edges, "num_graphs": 1,
            "nodes_per_graph": np.array([n]), "edges_per_graph": np.array([num_edges]),
            "isolated_nodes": isolated, "self_loops": 0, "undirected": True,
            "class_counts": class_counts, "split_level": LEVEL, "split_sizes": split_sizes,
            "splits_disjoint": True, "partition": None,
            "communities": plan.m, "intra_edges": intra, "same_class_edges": same,
            "seconds": time.monotonic() - began, "file_bytes": os.path.getsize(where)}
