#!/usr/bin/python3
"""Make and check gat-graphs HDF5 datasets (format: docs/data_format.md).

  gat_data.py planetoid cora --root DIR --out cora.h5       convert local Planetoid files
  gat_data.py planetoid cora --download DIR --out cora.h5   fetch them first, then convert
  gat_data.py planetoid cora --root DIR --unverified ...    non-upstream files too (planetoid-synth)
  gat_data.py synthetic --out syn.h5 [--seed S ...]         seeded planted-partition graphs
  gat_data.py ppi --root DIR --out ppi.h5                   convert PPI (public DGL/PyG files)
  gat_data.py ppi --download DIR --out ppi.h5               fetch ppi.zip first, then convert
  gat_data.py ppi-synth --out-dir DIR [--seed S ...]        PPI-shaped files, public layout
  gat_data.py planetoid-synth --out-dir DIR [--seed S ...]  Pubmed-shaped files, public layout
  gat_data.py big-synth --out big.h5 --graphs G [...]       any number of PPI-like graphs, streamed
  gat_data.py big-graph --out big.h5 [--nodes 2000000 ...]  one large community graph, streamed
  gat_data.py partition IN.h5 --parts K --out OUT.h5 [...]  one graph's rows grouped by cluster
  gat_data.py inspect FILE.h5                               validate and summarise
  gat_data.py inspect --check FILE.h5                       validate only, in bounded memory
  gat_data.py curves RUN_DIR [--out PNG]                    plot a run's training curves
  gat_data.py attention FILE.h5 [--out PNG]                 plot gat_explain's attention entropy
"""
# This file is the command line only: it parses, then hands each command to the gatdata package
# (one module per source format, synthetic data, plots; gatdata/__init__.py lists them).

import argparse
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatdata import (big_graph, big_synth, partition, planetoid, planetoid_synth,  # noqa: E402
                     plots, ppi, ppi_synth, synthetic)
from gatdata.common import CliError  # noqa: E402
from gatdata.summary import print_check, print_summary, write_and_summarise  # noqa: E402
from gatgraphs import GZIP_LEVELS, FormatError, validate  # noqa: E402


def _convert(args, download, read):
    """planetoid and ppi: read --root, or fetch into --download and read that; write --out."""
    directory = args.root
    if args.download is not None:
        download(args.download)
        directory = args.download
    write_and_summarise(args.out, read(directory), args.chunk, args.compress)


def cmd_planetoid(args):
    if args.unverified and args.download is not None:
        raise CliError("--unverified is only valid with --root, not with --download (downloads "
                       "must match the upstream sha256)")
    _convert(args, lambda d: planetoid.download_planetoid(args.name, d),
             lambda d: planetoid.read_planetoid(args.name, d, args.unverified))


def cmd_ppi(args):
    _convert(args, ppi.download_ppi, ppi.read_ppi)


def cmd_synthetic(args):
    write_and_summarise(args.out, synthetic.synthesize(args.seed, args.nodes, args.classes,
                                                       args.features, args.degree, args.graphs,
                                                       args.task),
                        args.chunk, args.compress)


def cmd_ppi_synth(args):
    stats, rate = ppi_synth.synthesize_ppi(args.out_dir, args.seed, args.graphs, args.nodes,
                                           args.degree, args.features, args.labels)
    print(f"wrote {len(ppi.PPI_FILES)} files to {args.out_dir}")
    for prefix, graphs, nodes, edges in stats:
        print(f"{prefix:<6} {graphs} graphs, {nodes} nodes, {edges} directed edges "
              f"(+ {nodes} self loops)")
    print(f"labels {args.labels}, {rate:.1%} positive; features {args.features}")


def cmd_planetoid_synth(args):
    s = planetoid_synth.synthesize_planetoid(args.out_dir, args.name, args.seed, args.nodes,
                                             args.features, args.density, args.edges,
                                             args.classes)
    print(f"wrote {len(planetoid.PLANETOID_EXTS)} files ind.{args.name}.* to {args.out_dir}")
    print(f"nodes {s['nodes']}: train {s['train']} (x), allx {s['known']}, test {s['test']} (tx); "
          f"{s['isolated']} isolated")
    print(f"edges {s['edges']} undirected ({2 * s['edges']} directed), "
          f"{s['same_class']:.1%} inside one class")
    print(f"features {s['features']}, {s['density']:.2%} non-zero; classes {s['classes']}")


def cmd_big_synth(args):
    print_summary(big_synth.write_big_synth(args.out, args.graphs, args.seed, args.nodes,
                                            args.min_nodes, args.max_nodes, args.degree,
                                            args.features, args.labels, args.chunk,
                                            args.compress))


def cmd_big_graph(args):
    s = big_graph.write_big_graph(args.out, args.nodes, args.degree, args.communities,
                                  args.classes, args.features, args.homophily, args.seed,
                                  args.chunk, args.compress)
    print_summary(s)
    e = s["num_edges"]
    print(f"{'communities':<12} {s['communities']}; edges inside one: {s['intra_edges']} "
          f"({s['intra_edges'] / max(e, 1):.1%}), inside one class: {s['same_class_edges']} "
          f"({s['same_class_edges'] / max(e, 1):.1%})")
    print(f"{'seconds':<12} {s['seconds']:.1f}")
    print(f"{'file size':<12} {s['file_bytes']} bytes ({s['file_bytes'] / 2**20:.1f} MiB)")


def cmd_partition(args):
    partition.print_result(partition.partition_file(args.file, args.out, args.parts, args.method,
                                                    args.seed, args.ufactor, args.chunk,
                                                    args.compress))


def cmd_inspect(args):
    if args.check:
        print_check(args.file)
    else:
        print_summary(validate(args.file))


def cmd_curves(args):
    print(plots.plot_curves(args.run_dir, args.out))


def cmd_attention(args):
    print(plots.plot_attention(args.file, args.out))


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CliError(message)


def _gzip_level(text):
    try:
        level = int(text)
    except ValueError:
        level = None
    if level not in GZIP_LEVELS:
        raise argparse.ArgumentTypeError(f"expected a gzip level 1..9, got {text!r}")
    return level


def _add_storage(parser):
    """--chunk and --compress LEVEL: how every command that writes a .h5 stores its datasets."""
    parser.add_argument("--chunk", action="store_true",
                        help="store the datasets in chunks of about 1 MiB (default: contiguous)")
    parser.add_argument("--compress", type=_gzip_level, metavar="LEVEL",
                        help="gzip (HDF5 deflate) level 1..9; implies --chunk")


def _add_source(parser, root_help, download_help):
    """--root DIR or --download DIR (exactly one), then --out: the converters' options."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--root", help=root_help)
    source.add_argument("--download", metavar="DIR", help=download_help)
    parser.add_argument("--out", required=True, help="output .h5 file")
    _add_storage(parser)


def build_parser():
    parser = _Parser(prog="gat_data", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("planetoid", help="convert Planetoid (Cora, Citeseer, Pubmed) files")
    p.add_argument("name", choices=planetoid.PLANETOID_NAMES)
    _add_source(p, "directory holding ind.NAME.* files",
                "fetch missing ind.NAME.* files from upstream Planetoid into DIR")
    p.add_argument("--unverified", action="store_true",
                   help="with --root only: convert files that do not match the upstream sha256 "
                        "(e.g. planetoid-synth's), read with a restricted unpickler and checked "
                        "(default: a mismatch is an error)")
    p.set_defaults(func=cmd_planetoid)

    p = sub.add_parser("synthetic", help="generate a seeded planted-partition dataset")
    p.add_argument("--out", required=True, help="output .h5 file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nodes", type=int, default=600,
                   help="nodes (per graph; with --graphs > 1 each graph has 0.75x to 1.25x this)")
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--features", type=int, default=32)
    p.add_argument("--degree", type=float, default=6.0, help="target mean degree")
    p.add_argument("--graphs", type=int, default=1,
                   help="1: one transductive graph, node splits; >= 3: inductive, graph splits")
    p.add_argument("--task", choices=("multiclass", "multilabel"), default="multiclass")
    _add_storage(p)
    p.set_defaults(func=cmd_synthetic)

    p = sub.add_parser("ppi", help="convert PPI in the public GraphSAGE/PyG/DGL layout")
    _add_source(p, "directory holding {train,valid,test}_{graph.json,feats.npy,labels.npy,"
                   "graph_id.npy}",
                f"fetch {ppi.PPI_URL} into DIR and unpack it there (skipped if the files are "
                f"already there)")
    p.set_defaults(func=cmd_ppi)

    p = sub.add_parser("ppi-synth", help="write a seeded PPI-shaped dataset in the public layout")
    p.add_argument("--out-dir", required=True, help="directory for the twelve files")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--graphs", type=int, default=24,
                   help="graphs (>= 3); valid and test get max(1, G/12) each")
    p.add_argument("--nodes", type=int, default=2245,
                   help="nodes per graph (each graph has 0.75x to 1.25x this)")
    p.add_argument("--degree", type=float, default=27.0,
                   help="directed edges per node, both directions counted")
    p.add_argument("--features", type=int, default=50)
    p.add_argument("--labels", type=int, default=121)
    p.set_defaults(func=cmd_ppi_synth)

    p = sub.add_parser("planetoid-synth", help="write a seeded Planetoid-shaped dataset (Pubmed's "
                                               "shape by default) in the public layout")
    p.add_argument("--out-dir", required=True, help="directory for the eight ind.NAME.* files")
    p.add_argument("--name", default="pubmed", help="NAME in the file names")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nodes", type=int, default=19717,
                   help="nodes; the last 1000 are the test nodes (tx)")
    p.add_argument("--features", type=int, default=500)
    p.add_argument("--density", type=float, default=0.1,
                   help="share of non-zero feature entries, in (0, 1]")
    p.add_argument("--edges", type=int, default=44324,
                   help="undirected edges (each listed in both directions in the graph file)")
    p.add_argument("--classes", type=int, default=3, help="classes; 20 training nodes each")
    p.set_defaults(func=cmd_planetoid_synth)

    p = sub.add_parser("big-synth", help="write any number of PPI-like graphs to one .h5, "
                                         "graph by graph in bounded memory")
    p.add_argument("--out", required=True, help="output .h5 file")
    p.add_argument("--graphs", type=int, required=True,
                   help="graphs (>= 3); val and test get max(1, G/12) each")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nodes", type=int, default=2450,
                   help="median of the log-normal graph sizes (sigma 0.4) before they are "
                        "truncated to [--min-nodes, --max-nodes]; the default gives a mean "
                        "near 2,240")
    p.add_argument("--min-nodes", type=int, default=591, help="smallest graph (PPI's)")
    p.add_argument("--max-nodes", type=int, default=3480, help="largest graph (PPI's)")
    p.add_argument("--degree", type=float, default=27.0,
                   help="directed edges per node, both directions counted")
    p.add_argument("--features", type=int, default=50)
    p.add_argument("--labels", type=int, default=121)
    _add_storage(p)
    p.set_defaults(func=cmd_big_synth)

    p = sub.add_parser("big-graph", help="write one large community graph (transductive, node "
                                         "splits) block by block in bounded memory")
    p.add_argument("--out", required=True, help="output .h5 file")
    p.add_argument("--nodes", type=int, default=2_000_000)
    p.add_argument("--degree", type=float, default=26.0,
                   help="mean neighbours per node (directed edges, both directions counted)")
    p.add_argument("--communities", type=int, default=2000,
                   help="communities of nearly equal size; each belongs to one class")
    p.add_argument("--classes", type=int, default=8)
    p.add_argument("--features", type=int, default=32)
    p.add_argument("--homophily", type=float, default=0.8,
                   help="share of each node's edges inside its community")
    p.add_argument("--seed", type=int, default=0)
    _add_storage(p)
    p.set_defaults(func=cmd_big_graph)

    p = sub.add_parser("partition", help="partition one graph into clusters: a version-2 file "
                                         "whose rows are grouped by cluster")
    p.add_argument("file", help="a version-1 file of one graph with node splits")
    p.add_argument("--parts", type=int, required=True, help="clusters, 1 to the number of nodes")
    p.add_argument("--out", required=True, help="output .h5 file (version 2)")
    p.add_argument("--method", choices=partition.METHODS, default="metis",
                   help="metis: gpmetis k-way, fewest edges cut (default); random: seeded, "
                        "equal sizes")
    p.add_argument("--seed", type=int, default=0, help="gpmetis's -seed, or numpy's for random")
    p.add_argument("--ufactor", type=int, default=partition.UFACTOR,
                   help="gpmetis's -ufactor: clusters up to U/1000 above the mean size "
                        f"(default {partition.UFACTOR})")
    _add_storage(p)
    p.set_defaults(func=cmd_partition)

    p = sub.add_parser("curves", help="plot a run's training curves (metrics.jsonl) as a PNG")
    p.add_argument("run_dir", help="a run directory written by gat_train")
    p.add_argument("--out", help="PNG file (default: RUN_DIR/curves.png)")
    p.set_defaults(func=cmd_curves)

    p = sub.add_parser("attention",
                       help="plot the attention entropy of a gat_explain file as a PNG")
    p.add_argument("file", help="an HDF5 file written by gat_explain")
    p.add_argument("--out", help="PNG file (default: FILE with .h5 replaced by _entropy.png)")
    p.set_defaults(func=cmd_attention)

    p = sub.add_parser("inspect", help="validate a file and print a summary")
    p.add_argument("file")
    p.add_argument("--check", action="store_true",
                   help="only check every rule, in memory bounded whatever the file's and its "
                        "graphs' sizes, and print one line (the summary needs whole graphs)")
    p.set_defaults(func=cmd_inspect)
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        args.func(args)
    except (CliError, FormatError, OSError, pickle.UnpicklingError) as e:
        message = " ".join(str(e).split())  # always one line
        print(f"gat_data: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
