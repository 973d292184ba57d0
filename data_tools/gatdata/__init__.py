"""The commands of gat_data.py, one module per concern (gat_data.py only parses the command line).

  common      CliError, checksummed downloads, atomic writes
  planetoid   Planetoid (Cora, Citeseer, Pubmed) files -> arrays
  ppi         PPI in the public GraphSAGE/PyG/DGL layout -> arrays
  ppi_synth   seeded PPI-shaped files in that layout
  planetoid_synth  seeded Planetoid-shaped files (Pubmed's shape) in the public layout
  big_synth   any number of PPI-like graphs, written to a .h5 one graph at a time
  big_graph   one large community graph, written to a .h5 a block of rows at a time
  synthetic   seeded planted-partition arrays
  partition   one graph's rows grouped by cluster (METIS or random): a version-2 file
  summary     what inspect prints
  plots       training curves and attention entropy as PNGs

The arrays go to gatgraphs.write_dataset (the format, docs/data_format.md); gatgraphs is imported
as a top-level module, so data_tools/ must be on sys.path, as it is for gat_data.py.
"""
