"""ENAS for image classification: the cells / nb201 / macro supernets (`supernet.py`), the image
search (`trainer.EnasSearch`), the data set of the run and the ordinary evaluator for retraining."""

from __future__ import annotations

import torch

from ..evaluate import cached_dataset, train_and_evaluate
from ..trial_build import build_record
from .kinds import register_enas_kind
from .supernet import SUPERNETS
from .trainer import EnasSearch


class ImageEnas:
    supernets = SUPERNETS
    search = EnasSearch

    @staticmethod
    def load(task):
        return cached_dataset(task.data, task.val_fraction, task.max_train)

    @staticmethod
    def build_record(spec, dataset, task) -> dict:
        return build_record(spec.network, dataset, task.data)

    @staticmethod
    def retrain(spec, space, genotype, dataset, task):
        """The derived child from scratch under the run's Task: (status, reason, metrics, weights)."""
        torch.manual_seed(task.seed)
        model = space.build(genotype, num_classes=dataset.num_classes, input_size=dataset.input_shape)
        result = train_and_evaluate(model, dataset, task)
        return result.status, result.reason, result.metrics, None


register_enas_kind("image-classification", ImageEnas())
