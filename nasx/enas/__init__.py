"""ENAS (Pham et al. 2018): weight-sharing search with an LSTM controller.

supernet.py holds every op of every edge once (shared weights) and runs only the sampled paths;
controller.py samples architectures decision by decision through the space's chooser interface
(the generic LSTM) and holds `Picker` and `Reinforce`; attention.py is the base of the reference's
micro (micro_controller.py) and macro (macro_controller.py) controllers;
trainer.py alternates shared-weight and controller training, then derives the best child;
runner.py is the one-shot trial the `enas` strategy (strategy.py) names as its runner.

ENAS is one plug-in, loaded with nasx like a user's (`nasx.plugins.BUILTIN`): importing this package
registers the `enas` strategy, the `enas` trial runner and the two run reports (re-rank, supernet).
"""

from . import macro_controller as _macro  # noqa: F401  (registers the macro controller)
from . import micro_controller as _micro  # noqa: F401  (registers the cells controller)
from . import rerank as _rerank  # noqa: F401  (registers the run reports)
from . import runner as _runner  # noqa: F401  (registers the enas runner)
from . import strategy as _strategy  # noqa: F401  (registers the enas strategy)
from .controller import Controller, build_controller
from .supernet import build_supernet, child_from_supernet

__all__ = ["Controller", "build_controller", "build_supernet", "child_from_supernet"]
