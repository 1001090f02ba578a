"""nasx: neural architecture search for CNNs.

Public API: ops (`create_op`), measurements, genotypes and search spaces; the other parts
(zoo, data, evaluation, strategies, execution, export) live in sub-packages and are re-exported
here as they land.
"""

from . import blocks as _blocks  # noqa: F401  (registers the block ops: blocks stand on ops)
from .errors import ConfigError, GenotypeError, NasxError, SpaceError
from .export import load
from .measure import count_flops, count_macs, count_params, layer_table, summarize
from .ops import create_op, op_names, register_op

__version__ = "0.1.0"

from .errors import NasxError as _NasxError
from .plugins import load_plugins as _load_plugins

try:  # built-in plug-ins (task kinds, ENAS), then $NASX_PLUGINS; the CLI reports a failure as one line
    _load_plugins()
except _NasxError:
    pass

__all__ = [
    "ConfigError",
    "GenotypeError",
    "NasxError",
    "SpaceError",
    "count_flops",
    "count_macs",
    "count_params",
    "create_op",
    "layer_table",
    "load",
    "op_names",
    "register_op",
    "summarize",
]
