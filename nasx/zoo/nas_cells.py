"""The published NAS cells as zoo models: each cell of `nasx.spaces.published` stacked as its paper did.

Built through the `cells` space (so they export, train and serve as baselines like every zoo model,
and their exported model.py is the engine's own cell network). Skeletons are DARTS's (Liu et al.
2019, `cnn/model.py`): CIFAR: 3x3 stem to 3C, L cells; ImageNet-mobile: the stride-8 DARTS stem
(two stride-2 convs, then a stride-2 conv), L cells. Settings are each paper's: DARTS C=36, L=20
(CIFAR) and C=48, L=14 (ImageNet); ENAS C=36, L=17 (CIFAR, its reference's final script); NASNet-A mobile N=4 F=44 (L=14), large N=6 F=168 (L=20) at
331x331; AmoebaNet-A mobile N=4 F=50; PNASNet-5 mobile N=3 F=54 (L=11), large N=4 F=216 (L=14) at
331x331. Departure: NASNet, AmoebaNet and PNASNet stack their ImageNet models on their own stem
(a 3x3 stride-2 conv of 32 (mobile) / 96 (large) channels, then two reduction cells as stem cells),
which nasx does not build; their parameter and MAC counts therefore differ from the papers' (see
benchmarks/README.md, "Published cells"). The CIFAR variants of NASNet/AmoebaNet/PNAS use DARTS's
CIFAR setting (C=36, L=20), the common ground of DARTS's Table 1 comparison.
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


def nas_cell_network(num_classes: int, input_size, cell: str, channels: int, cells: int, skeleton: str = "cifar"):
    """Published cell `cell` stacked into `cells` cells of `channels` base channels on `skeleton`."""
    from ..spaces import get_space
    from ..spaces.published import published_genotype

    space = get_space("cells").with_network(channels=channels, cells=cells, skeleton=skeleton)
    return space.build(published_genotype(cell, space), num_classes=num_classes, input_size=tuple(input_size))


def _cifar(name, cell, year, paper, err, note="", cells=20):
    register_model(name, family="nas_cells", year=year, paper=paper, input_size=(3, 32, 32), num_classes=10,
                   dataset="cifar10", top1_err=err, recipe=DARTS_CIFAR_RECIPE,
                   variant_note=note or "C=36, 20 cells (DARTS CIFAR setting), auxiliary head not counted",
                   kwargs={"cell": cell, "channels": 36, "cells": cells, "skeleton": "cifar"})(nas_cell_network)


def _imagenet(name, cell, year, paper, err, top5, channels, cells, side, note):
    register_model(name, family="nas_cells", year=year, paper=paper, input_size=(3, side, side), top1_err=err,
                   top5_err=top5, recipe=DARTS_IMAGENET_RECIPE, variant_note=note,
                   kwargs={"cell": cell, "channels": channels, "cells": cells, "skeleton": "imagenet"})(nas_cell_network)


_NASNET = "Zoph et al. 2018, Learning Transferable Architectures for Scalable Image Recognition"
_AMOEBA = "Real et al. 2019, Regularized Evolution for Image Classifier Architecture Search"
_PNAS = "Liu et al. 2018, Progressive Neural Architecture Search"
_DARTS = "Liu, Simonyan, Yang 2019, DARTS: Differentiable Architecture Search"
_ENAS = "Pham et al. 2018, Efficient Neural Architecture Search via Parameter Sharing"

_cifar("nasnet_a_cifar", "nasnet_a", 2018, _NASNET, 2.65,
       "NASNet-A cell at DARTS's CIFAR setting C=36, 20 cells (paper: 6 @ 768, 3.3M, with cutout)")
_cifar("amoebanet_a_cifar", "amoebanet_a", 2019, _AMOEBA, 3.34,
       "AmoebaNet-A cell at DARTS's CIFAR setting C=36, 20 cells (paper: 3.2M)")
_cifar("pnasnet5_cifar", "pnasnet5", 2018, _PNAS, 3.41, "PNASNet-5 cell at DARTS's CIFAR setting C=36, 20 cells")
_cifar("enas_cifar", "enas", 2018, _ENAS, 2.89,
       "ENAS micro cell, C=36, 17 cells (the reference's final script: 15 normal + 2 reduction cells; paper: 4.6M)",
       cells=17)
_cifar("darts_v1", "darts_v1", 2019, _DARTS, 3.00)
_cifar("darts_v2", "darts_v2", 2019, _DARTS, 2.76)
_imagenet("darts_v2_imagenet", "darts_v2", 2019, _DARTS, 26.7, 8.7, 48, 14, 224, "C=48, 14 cells, 224x224 (DARTS)")
_imagenet("nasnet_a_mobile", "nasnet_a", 2018, _NASNET, 26.0, 8.4, 44, 14, 224,
          "N=4, F=44 on DARTS's ImageNet stem (paper: NASNet stem cells)")
_imagenet("amoebanet_a_mobile", "amoebanet_a", 2019, _AMOEBA, 25.5, 8.0, 50, 14, 224,
          "N=4, F=50 on DARTS's ImageNet stem (paper: NASNet stem cells)")
_imagenet("pnasnet5_mobile", "pnasnet5", 2018, _PNAS, 25.8, 8.1, 54, 11, 224,
          "N=3, F=54 on DARTS's ImageNet stem (paper: NASNet stem cells)")
_imagenet("nasnet_a_large", "nasnet_a", 2018, _NASNET, 17.3, None, 168, 20, 331,
          "N=6, F=168, 331x331 on DARTS's ImageNet stem (paper: NASNet stem cells)")
_imagenet("pnasnet5_large", "pnasnet5", 2018, _PNAS, 17.1, None, 216, 14, 331,
          "N=4, F=216, 331x331 on DARTS's ImageNet stem (paper: NASNet stem cells)")
