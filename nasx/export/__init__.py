"""Export architectures as standalone PyTorch: model.py (imports only torch), weights, pt2, ONNX.

    from nasx.export import from_genotype, write_export
    write_export(from_genotype("g.json"), "exported/")      # what `nasx export` does
    net = nasx.load("exported/")                             # or a run directory
"""

from . import family as _family  # noqa: F401  (registers the family-space emitters)
from . import macro as _macro  # noqa: F401  (registers the ENAS macro emitter)
from . import rnn as _rnn  # noqa: F401  (registers the recurrent-cell emitter)
from .load import load
from .sources import Exportable, from_genotype, from_run, from_zoo
from .writer import Report, write_export

__all__ = ["Exportable", "Report", "from_genotype", "from_run", "from_zoo", "load", "write_export"]
