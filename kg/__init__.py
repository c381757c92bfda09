"""CTKG: a knowledge graph of cell-therapy regulation.

The library owns the model (vocabulary, facts files, validation, the on-disk store);
the CLI (`kg.cli`) and the API (`api`) are thin edges over it.
"""

__version__ = "0.1.0"
