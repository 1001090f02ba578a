"""Search strategies behind one ask/tell protocol (see base.py), registered by CLI name."""
# ruff: noqa: I001  (order matters: base before the modules that register strategies)

from .base import Proposal, Strategy, check_objectives, objective_values
from .registry import create_strategy, register_strategy, strategy_names
from .factory import make_strategy
from . import random_search as _random  # noqa: F401  (registers)
from . import evolution as _evolution  # noqa: F401
from . import optuna_strategy as _optuna  # noqa: F401
from . import pnas as _pnas  # noqa: F401
from . import local_search as _local  # noqa: F401
from . import bananas as _bananas  # noqa: F401

__all__ = ["Proposal", "Strategy", "check_objectives", "create_strategy", "make_strategy", "objective_values",
           "register_strategy", "strategy_names"]
