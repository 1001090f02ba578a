"""Final-training recipes: the published protocols a found cell is retrained under (`nasx train --recipe`).

A recipe is a set of `Task` fields plus network settings of the space (`space.with_network`);
options given on the command line override it. Sources (Liu, Simonyan & Yang, "DARTS:
Differentiable Architecture Search", ICLR 2019, and its reference code github.com/quark0/darts,
cnn/train.py and cnn/train_imagenet.py). The reference code could not be fetched from this
machine, so every number below is FROM MEMORY of the paper (section A.2 / Table 1-3 captions) and
of those scripts' argparse defaults; the ones also stated in the paper's text are marked (paper).

darts (CIFAR-10, cnn/train.py): 600 epochs (paper), batch 96 (paper), SGD momentum 0.9 lr 0.025
(train.py default) with cosine annealing to 0 (CosineAnnealingLR, eta_min 0), weight decay 3e-4,
no Nesterov, no label smoothing, cutout 16 px (paper: "cutout ... length 16"), drop-path 0.2
(paper: "path dropout of probability 0.2"), auxiliary towers of weight 0.4 (paper), grad-norm clip
5, 36 initial channels and 20 cells (paper: "a large network of 20 cells ... 36 initial channels").

imagenet_mobile (ImageNet mobile setting, cnn/train_imagenet.py): 250 epochs (paper), batch 128
(paper), SGD momentum 0.9 lr 0.1 (paper), weight decay 3e-5 (paper), lr x 0.97 after every epoch
(StepLR(step_size=1, gamma=0.97); reproduced exactly by the "exponential" schedule, a per-epoch
staircase), label smoothing 0.1 (paper), auxiliary weight 0.4 (paper), grad clip 5, no cutout,
no drop-path (train_imagenet.py default 0), 48 initial channels and 14 cells (paper: "14 cells
... 48 initial channels"), the ImageNet skeleton (three stride-2 stem convolutions, 224x224 input).

Deviations of nasx from the reference scripts (all small): the cosine schedule is per step, DARTS
steps it per epoch (the lr differs by at most pi/1200 = 0.26% of the peak lr at any step); nasx carves a validation
split (Task.val_fraction, 10% by default) from the training set where DARTS trains on all 50 000
images; bf16 autocast on CUDA (Task.amp) where DARTS trains in float32. BN recalibration before
evaluation (a proxy-training device of nasx) is off in both recipes, as DARTS has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    task: dict = field(default_factory=dict)  # Task fields
    network: dict = field(default_factory=dict)  # network settings of the space (with_network)


_COMMON = {"momentum": 0.9, "nesterov": False, "warmup": 0.0, "grad_clip": 5.0, "bn_recalibrate": 0,
           "auxiliary_weight": 0.4}

RECIPES: dict[str, Recipe] = {
    "darts": Recipe(
        "darts", "DARTS CIFAR-10 evaluation: 600 epochs, batch 96, SGD lr 0.025 cosine, wd 3e-4, cutout 16, "
                 "drop-path 0.2, auxiliary 0.4, 36 channels x 20 cells",
        {**_COMMON, "epochs": 600, "batch_size": 96, "lr": 0.025, "weight_decay": 3e-4, "label_smoothing": 0.0,
         "schedule": "cosine", "cutout": 16, "drop_path": 0.2},
        {"channels": 36, "cells": 20, "auxiliary": True}),
    "imagenet_mobile": Recipe(
        "imagenet_mobile", "DARTS ImageNet mobile setting: 250 epochs, batch 128, SGD lr 0.1 x0.97 per epoch, "
                           "wd 3e-5, label smoothing 0.1, auxiliary 0.4, 48 channels x 14 cells, ImageNet skeleton",
        {**_COMMON, "epochs": 250, "batch_size": 128, "lr": 0.1, "weight_decay": 3e-5, "label_smoothing": 0.1,
         "schedule": "exponential", "lr_gamma": 0.97, "cutout": 0, "drop_path": 0.0},
        {"channels": 48, "cells": 14, "skeleton": "imagenet", "auxiliary": True}),
}


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ConfigError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    return RECIPES[name]
