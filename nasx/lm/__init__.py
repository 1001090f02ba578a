"""Language models as nasx trials: the protocol (`LMTask`, DARTS's recurrent recipe) and its trainer."""

from .task import RECIPES, LMTask
from .trainer import evaluate_lm, train_lm

__all__ = ["RECIPES", "LMTask", "evaluate_lm", "train_lm"]
