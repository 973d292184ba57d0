"""What inspect prints: the summary of a gat-graphs file (as does every command that writes one),
or with --check the one line that says it is valid."""

from gatgraphs import FORMAT, VERSION, check_file, validate, write_dataset


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
    for key, value in rows:
        print(f"{key:<12} {value}")


def print_check(path):
    """Check every rule of the file at `path` in bounded memory (check_file); print one line."""
    graphs, nodes, edges = check_file(path)
    print(f"{path}: valid {FORMAT} version {VERSION}: {graphs} graphs, {nodes} nodes, "
          f"{edges} edges")


def write_and_summarise(path, arrays, chunk=False, compress=None):
    """Write a dataset (the dict a reader or generator returns; `chunk` and `compress` as for
    write_dataset), then validate it from disk and print its summary: what the user sees is
    what the file holds."""
    write_dataset(path, **arrays, chunk=chunk, compress=compress)
    print_summary(validate(path))
