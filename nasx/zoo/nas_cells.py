"""The published NAS cells as zoo models: each cell of `nasx.spaces.published` stacked as its paper did.

Built through the `cells` space (so they export, train and serve as baselines like every zoo model,
and their exported model.py is the engine's own cell network). CIFAR models use the CIFAR skeleton
(3x3 stem to 3C, L cells) at each paper's own setting: DARTS C=36, L=20; NASNet-A N=6, F=32
("6 @ 768", L=20); AmoebaNet-A N=6, F=36 (L=20); PNASNet-5 N=3, F=48 (L=9: PNAS strides its own cell,
so L = 3N); ENAS C=36, L=17 (its reference's final script). ImageNet models: DARTS on DARTS's
stride-8 stem (C=48, L=14); NASNet-A, AmoebaNet-A and PNASNet-5 on their own skeleton (`nasnet`: a
stride-2 conv0 of 32 (mobile) / 96 (large) channels, two reduction cells as stem cells), mobile
NASNet-A N=4 F=44 (L=14), AmoebaNet-A N=4 F=50 (L=14), PNASNet-5 N=3 F=54 (L=9); large NASNet-A N=6
F=168 (L=20) and PNASNet-5 N=4 F=216 (L=12) at 331x331. Sizes against the papers:
benchmarks/README.md, "Published cells".
"""

from __future__ import annotations

from .registry import register_model

DARTS_CIFAR_RECIPE = {
    "batch_size": 96, "optimizer": "sgd", "momentum": 0.9, "lr": 0.025, "weight_decay": 3e-4,
    "lr_schedule": "cosine annealing to 0 (linear-like smooth decay)", "epochs": 600, "gradient_clip": 5.0,
    "augmentation": ["random crop (pad 4)", "horizontal flip", "cutout 16"], "drop_path": 0.2,
    "auxiliary_weight": 0.4, "eval": "CIFAR-10 test",
}
DARTS_IMAGENET_RECIPE = {
    "batch_size": 128, "optimizer": "sgd", "momentum": 0.9, "lr": 0.1, "weight_decay": 3e-5,
    "lr_schedule": "x0.97 per epoch", "epochs": 250, "gradient_clip": 5.0, "label_smoothing": 0.1,
    "auxiliary_weight": 0.4, "eval": "ImageNet val, 224x224 single crop",
}


def nas_cell_network(num_classes: int, input_size, cell: str, channels: int, cells: int, skeleton: str = "cifar",
                     stem_channels: int = 0):
    """Published cell `cell` stacked into `cells` cells of `channels` base channels on `skeleton`."""
    from ..spaces import get_space
    from ..spaces.published import published_genotype

    space = get_space("cells").with_network(channels=channels, cells=cells, skeleton=skeleton,
                                            stem_channels=stem_channels)
    return space.build(published_genotype(cell, space), num_classes=num_classes, input_size=tuple(input_size))


def _cifar(name, cell, year, paper, err, note="", cells=20, channels=36):
    register_model(name, family="nas_cells", year=year, paper=paper, input_size=(3, 32, 32), num_classes=10,
                   dataset="cifar10", top1_err=err, recipe=DARTS_CIFAR_RECIPE,
                   variant_note=note or "C=36, 20 cells (DARTS CIFAR setting), auxiliary head not counted",
                   kwargs={"cell": cell, "channels": channels, "cells": cells, "skeleton": "cifar"})(nas_cell_network)


def _imagenet(name, cell, year, paper, err, top5, channels, cells, side, note, skeleton="nasnet", stem=32):
    register_model(name, family="nas_cells", year=year, paper=paper, input_size=(3, side, side), top1_err=err,
                   top5_err=top5, recipe=DARTS_IMAGENET_RECIPE, variant_note=note,
                   kwargs={"cell": cell, "channels": channels, "cells": cells, "skeleton": skeleton,
                           "stem_channels": stem if skeleton == "nasnet" else 0})(nas_cell_network)


_NASNET = "Zoph et al. 2018, Learning Transferable Architectures for Scalable Image Recognition"
_AMOEBA = "Real et al. 2019, Regularized Evolution for Image Classifier Architecture Search"
_PNAS = "Liu et al. 2018, Progressive Neural Architecture Search"
_DARTS = "Liu, Simonyan, Yang 2019, DARTS: Differentiable Architecture Search"
_ENAS = "Pham et al. 2018, Efficient Neural Architecture Search via Parameter Sharing"

_cifar("nasnet_a_cifar", "nasnet_a", 2018, _NASNET, 2.65,
       "NASNet-A 6 @ 768 (N=6, F=32, 20 cells), the paper's CIFAR model with cutout", channels=32)
_cifar("amoebanet_a_cifar", "amoebanet_a", 2019, _AMOEBA, 3.34, "AmoebaNet-A N=6, F=36 (20 cells)")
_cifar("pnasnet5_cifar", "pnasnet5", 2018, _PNAS, 3.41, "PNASNet-5 N=3, F=48 (9 cells, PNAS strides its own cell)",
       cells=9, channels=48)
_cifar("enas_cifar", "enas", 2018, _ENAS, 2.89,
       "ENAS micro cell, C=36, 17 cells (the reference's final script: 15 normal + 2 reduction cells; paper: 4.6M)",
       cells=17)
_cifar("darts_v1", "darts_v1", 2019, _DARTS, 3.00)
_cifar("darts_v2", "darts_v2", 2019, _DARTS, 2.76)
_imagenet("darts_v2_imagenet", "darts_v2", 2019, _DARTS, 26.7, 8.7, 48, 14, 224, "C=48, 14 cells, 224x224 (DARTS)",
          skeleton="imagenet")
_imagenet("nasnet_a_mobile", "nasnet_a", 2018, _NASNET, 26.0, 8.4, 44, 14, 224,
          "N=4, F=44 on NASNet's ImageNet skeleton (conv0 32, two stem cells)")
_imagenet("amoebanet_a_mobile", "amoebanet_a", 2019, _AMOEBA, 25.5, 8.0, 50, 14, 224,
          "N=4, F=50 on NASNet's ImageNet skeleton (conv0 32, two stem cells)")
_imagenet("pnasnet5_mobile", "pnasnet5", 2018, _PNAS, 25.8, 8.1, 54, 9, 224,
          "N=3, F=54 (9 cells) on NASNet's ImageNet skeleton (conv0 32, two stem cells)")
_imagenet("nasnet_a_large", "nasnet_a", 2018, _NASNET, 17.3, None, 168, 20, 331,
          "N=6, F=168, 331x331 on NASNet's ImageNet skeleton (conv0 96, two stem cells)", stem=96)
_imagenet("pnasnet5_large", "pnasnet5", 2018, _PNAS, 17.1, None, 216, 12, 331,
          "N=4, F=216 (12 cells), 331x331 on NASNet's ImageNet skeleton (conv0 96, two stem cells)", stem=96)
