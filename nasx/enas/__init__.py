"""ENAS (Pham et al. 2018): weight-sharing search with an LSTM controller.

supernet.py holds every op of every edge once (shared weights) and runs only the sampled paths
(rnn_supernet.py: the recurrent cell's weights per node and predecessor);
controller.py samples architectures decision by decision through the space's chooser interface
(the generic LSTM) and holds `Picker` and `Reinforce`; attention.py is the base of the reference's
micro (micro_controller.py), macro (macro_controller.py) and recurrent (rnn_controller.py) controllers;
trainer.py (images) and lm_search.py (language models) alternate shared-weight and controller
training, then derive the best child; kinds.py is the registry, keyed by task kind, that gives the
runner its supernets, data, search and retraining (image_kind.py, lm_kind.py);
runner.py is the one-shot trial the `enas` strategy (strategy.py) names as its runner.

ENAS is one plug-in, loaded with nasx like a user's (`nasx.plugins.BUILTIN`): importing this package
registers the `enas` strategy, the `enas` trial runner and the two run reports (re-rank, supernet).
"""

from . import image_kind as _image  # noqa: F401  (registers ENAS for image classification)
from . import lm_kind as _lm  # noqa: F401  (registers ENAS for language models)
from . import macro_controller as _macro  # noqa: F401  (registers the macro controller)
from . import micro_controller as _micro  # noqa: F401  (registers the cells controller)
from . import rerank as _rerank  # noqa: F401  (registers the run reports)
from . import rnn_controller as _rnn  # noqa: F401  (registers the recurrent-cell controller)
from . import runner as _runner  # noqa: F401  (registers the enas runner)
from . import strategy as _strategy  # noqa: F401  (registers the enas strategy)
from .controller import Controller, build_controller
from .supernet import build_supernet, child_from_supernet

__all__ = ["Controller", "build_controller", "build_supernet", "child_from_supernet"]
