"""Evaluating candidates: the training protocol (Task), the trainer, and evaluators.

    result = TrainingEvaluator().evaluate(my_factory, Task(data="digits", epochs=5))
    result.status, result.metrics["val_acc"]
"""

from .candidates import CANDIDATE_KINDS, build_model, register_candidate_kind
from .evaluator import Evaluator, TrainingEvaluator
from .failures import describe
from .inputs import cached_dataset, network_space
from .probes import MemoryMeter, latency_ms
from .recipes import RECIPES, Recipe, get_recipe
from .result import METRIC_KEYS, Result, StopTrial
from .schedule import SCHEDULES
from .tabular import TabularEvaluator, load_table
from .task import Task, resolve_device
from .trainer import check_network, train_and_evaluate
from .trial_spec import SPEC_VERSION, TrialSpec

__all__ = [
    "CANDIDATE_KINDS", "METRIC_KEYS", "RECIPES", "SCHEDULES", "SPEC_VERSION", "Evaluator", "MemoryMeter", "Recipe",
    "Result", "StopTrial", "TabularEvaluator", "Task", "TrainingEvaluator", "TrialSpec", "build_model",
    "cached_dataset", "check_network", "describe", "get_recipe", "latency_ms", "load_table", "network_space",
    "register_candidate_kind", "resolve_device", "train_and_evaluate",
]
