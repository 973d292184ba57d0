"""What inspect prints: the summary of a gat-graphs file (as does every command that writes one),
or with --check the one line that says it is valid."""

from gatgraphs import FORMAT, check_report, validate, write_dataset


def _spread(values):
    return f"min {values.min()}  mean {values.mean():.1f}  max {values.max()}"


def print_summary(s):
    """Print validate()'s summary dict `s` as aligned "key value" lines."""
    n = s["num_nodes"]
    sizes = s["split_sizes"]
    rows = [
        ("file", s["path"]),
        ("task", f"{s['task']}, {s['num_classes']} classes"),
        ("nodes", f"{n}  ({s['isolated_nodes']} isolated)"),
        ("features", s["num_features"]),
        ("edges", f"{s['num_edges']}  ({s['self_loops']} self loops, "
                  f"{'undirected' if s['undirected'] else 'directed'})"),
        ("graphs", s["num_graphs"]),
        ("nodes/graph", _spread(s["nodes_per_graph"])),
        ("edges/graph", _spread(s["edges_per_graph"])),
        ("per class", " ".join(str(c) for c in s["class_counts"])),
        ("splits", f"{s['split_level']} level: train {sizes['train']}, val {sizes['val']}, "
                   f"test {sizes['test']}"
                   f"{'' if s['splits_disjoint'] else '  (WARNING: splits overlap)'}"),
    ]
    rows += _partition_rows(s.get("partition"), s["num_edges"])
    for key, value in rows:
        print(f"{key:<12} {value}")


def _partition_rows(p, num_edges):
    """The lines of a version-2 file's partition (none for version 1): clusters, how they were
    made, their sizes, and the share of edges that join two clusters (what a batch of whole
    clusters loses)."""
    if p is None:
        return []
    sizes = p["cluster_sizes"]
    source = f", from {p['source']}" if p["source"] is not None else ""
    share = p["edges_between"] / num_edges if num_edges else 0.0
    return [("partition", f"{sizes.shape[0]} clusters ({p['method']}, seed {p['seed']}{source})"),
            ("cluster size", f"{_spread(sizes)}  (nodes)"),
            ("cut edges", f"{p['edges_between']} of {num_edges} ({share:.1%}) between clusters")]


def print_check(path):
    """Check every rule of the file at `path` in bounded memory (check_file); print one line."""
    r = check_report(path)
    clusters = "" if r["clusters"] is None else f", {r['clusters']} clusters"
    print(f"{path}: valid {FORMAT} version {r['version']}: {r['graphs']} graphs, {r['nodes']} "
          f"nodes, {r['edges']} edges{clusters}")


def write_and_summarise(path, arrays, chunk=False, compress=None):
    """Write a dataset (the dict a reader or generator returns; `chunk` and `compress` as for
    write_dataset), then validate it from disk and print its summary: what the user sees is
    what the file holds."""
    write_dataset(path, **arrays, chunk=chunk, compress=compress)
    print_summary(validate(path))
