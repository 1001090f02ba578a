"""ResNeXt (Xie, Girshick, Dollar, Tu, He 2017): ResNet bottlenecks with a grouped 3x3 conv.

"32x4d" = cardinality 32, 4 channels per group at the first stage (3x3 width 128, doubling per
stage). Built by `resnet.imagenet_resnet` with the stride on the grouped 3x3 conv, as in the
paper's Torch code (ResNeXt-50 32x4d: 25,028,904 params, 4.2 G MACs, as torchvision).
"""

from __future__ import annotations

from .registry import register_model
from .resnet import imagenet_resnet

RECIPE = {
    "batch_size": 256, "gpus": 8, "optimizer": "sgd", "momentum": 0.9, "lr": 0.1,
    "lr_schedule": "divide by 10 three times (fb.resnet.torch schedule)", "weight_decay": 1e-4,
    "augmentation": ["scale and aspect-ratio augmentation (Inception-style random-sized crop)", "horizontal flip"],
    "eval": "ILSVRC-2012 val, 1 crop 224x224",
}
_PAPER = "Xie, Girshick, Dollar, Tu, He, Aggregated Residual Transformations for Deep Neural Networks, CVPR 2017"
MODELS = {  # name: (depths, groups, width per group, top-1 err, top-5 err, note)
    "resnext50_32x4d": ((3, 4, 6, 3), 32, 4, 22.2, None, "Table 3 (top-5 unpublished)"),
    "resnext101_32x4d": ((3, 4, 23, 3), 32, 4, 21.2, 5.6, "Table 4"),
    "resnext101_32x8d": ((3, 4, 23, 3), 32, 8, None, None, "torchvision/FAIR model, not in the paper"),
}

for _name, (_depths, _g, _w, _t1, _t5, _note) in MODELS.items():
    register_model(_name, family="resnext", year=2017, paper=_PAPER, top1_err=_t1, top5_err=_t5, recipe=RECIPE,
                   kwargs={"block": "bottleneck", "depths": _depths, "groups": _g, "width_per_group": _w,
                           "stride_in_1x1": False},
                   variant_note=f"cardinality {_g}, {_w} channels per group; {_note}")(imagenet_resnet)
