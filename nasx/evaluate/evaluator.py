"""Evaluators: one interface (`evaluate(candidate, task, callback) -> Result`) for every strategy,
whether the candidate is trained for real (TrainingEvaluator) or looked up (TabularEvaluator)."""

from __future__ import annotations

from ..data import Dataset, load_dataset
from .candidates import candidate_kind
from .result import Result
from .task import Task
from .trainer import train_and_evaluate


class Evaluator:
    """Base class: turn a candidate into a Result under a Task."""

    def evaluate(self, candidate, task: Task | None = None, callback=None) -> Result:
        raise NotImplementedError

    def __call__(self, candidate, task: Task | None = None, callback=None) -> Result:
        return self.evaluate(candidate, task, callback)


class TrainingEvaluator(Evaluator):
    """Build the candidate's network and train it with `train_and_evaluate`.

    The data set is loaded once per (spec, val_fraction, max_train) and kept, so a search that
    evaluates hundreds of candidates in one worker decodes and normalizes its data once.
    """

    def __init__(self, dataset: Dataset | None = None, task: Task | None = None):
        self.dataset, self.task = dataset, task or Task()
        self._datasets: dict[tuple, Dataset] = {}

    def dataset_for(self, task: Task) -> Dataset:
        if self.dataset is not None:
            return self.dataset
        key = (task.data, task.val_fraction, task.max_train)
        if key not in self._datasets:
            self._datasets[key] = load_dataset(task.data, val_fraction=task.val_fraction, max_train=task.max_train)
        return self._datasets[key]

    def evaluate(self, candidate, task: Task | None = None, callback=None) -> Result:
        task = task or self.task
        candidate_kind(candidate)  # an unusable candidate type is a usage error, raised before any work
        return train_and_evaluate(candidate, self.dataset_for(task), task, callback)
