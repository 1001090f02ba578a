"""ResNet (He, Zhang, Ren, Sun 2016): ImageNet 18/34/50/101/152 and CIFAR-10 20/32/44/56/110/1202.

ImageNet nets reuse `nasx.blocks.BasicBlock` / `Bottleneck` with projection shortcuts where the
shape changes (option B): params equal torchvision's. Deviation on purpose: the bottleneck's
stride sits on its first 1x1 conv, as in the paper (torchvision's "v1.5" moves it to the 3x3,
same params, ~+7% MACs: ResNet-50 4.1 G instead of the paper's 3.8 G); `stride_in_1x1=False`
gives v1.5. Small inputs: 3x3/1 stem without the max-pool (the usual "ResNet-18 on CIFAR").

CIFAR nets use the paper's option-A shortcuts (stride-2 subsampling + zero channel padding, no
params): 0.27/0.46/0.66/0.85/1.7/19.4 M params and 41/69/97/125/253/2,829 M MACs at 32x32. (The
seed's "Summary of Popular CNN Models" table gives these rows ImageNet-scale GOP figures; the
figures computed here stand.)
"""

from __future__ import annotations

from torch import nn

from ..blocks import (
    BasicBlock,
    Bottleneck,
    BottleneckV1,
    ShortcutA,
    conv_bn_relu,
    gap_head,
    imagenet_stem,
)
from .registry import register_model


def make_stage(block: str, c_in, planes, n, stride, groups=1, width_per_group=64, stride_in_1x1=True):
    """`n` blocks; the first one strides. planes = the bottleneck's 3x3 width at 64 per group."""
    blocks = []
    for i in range(n):
        s = stride if i == 0 else 1
        if block == "basic":
            blocks.append(BasicBlock(c_in, planes, s))
            c_in = planes
        else:
            width = planes * width_per_group // 64 * groups
            cls = BottleneckV1 if stride_in_1x1 else Bottleneck
            blocks.append(cls(c_in, width, planes * 4, s, groups))
            c_in = planes * 4
    return nn.Sequential(*blocks), c_in


def imagenet_resnet(num_classes, input_size, block, depths, groups=1, width_per_group=64, stride_in_1x1=True):
    layers = imagenet_stem(input_size[0], input_size)
    c = 64
    for i, n in enumerate(depths):
        stage, c = make_stage(block, c, 64 * 2 ** i, n, 1 if i == 0 else 2, groups, width_per_group,
                              stride_in_1x1)
        layers.append(stage)
    return nn.Sequential(nn.Sequential(*layers), gap_head(c, num_classes))


def cifar_resnet(num_classes, input_size, depth):
    n = (depth - 2) // 6
    layers: list[nn.Module] = [conv_bn_relu(input_size[0], 16, 3)]
    c = 16
    for i, width in enumerate((16, 32, 64)):
        for j in range(n):
            stride = 2 if i and not j else 1
            block = BasicBlock(c, width, stride)
            if stride != 1 or c != width:
                block.shortcut = ShortcutA(c, width, stride)
            layers.append(block)
            c = width
    return nn.Sequential(nn.Sequential(*layers), gap_head(c, num_classes))


_PAPER = "He, Zhang, Ren, Sun, Deep Residual Learning for Image Recognition, CVPR 2016 (arXiv 2015)"
IMAGENET_RECIPE = {
    "batch_size": 256, "optimizer": "sgd", "momentum": 0.9, "lr": 0.1,
    "lr_schedule": "divide by 10 when the error plateaus", "iterations": 600_000, "weight_decay": 1e-4,
    "dropout": 0.0, "init": "He (MSRA) normal", "batch_norm": "after every conv, before ReLU",
    "augmentation": ["scale augmentation: shorter side in [256, 480]", "random 224 crop", "horizontal flip",
                     "per-pixel mean subtraction", "PCA colour augmentation"],
    "eval": "ILSVRC-2012 val, 10-crop",
}
CIFAR_RECIPE = {
    "batch_size": 128, "optimizer": "sgd", "momentum": 0.9, "lr": 0.1,
    "lr_schedule": {"divide_by_10_at_iterations": [32_000, 48_000], "stop_at_iteration": 64_000},
    "warmup": "resnet110: lr 0.01 until training error < 80% (~400 iterations)", "weight_decay": 1e-4,
    "dropout": 0.0, "init": "He (MSRA) normal", "split": "45k train / 5k val",
    "augmentation": ["4-pixel zero padding", "random 32x32 crop", "horizontal flip", "per-pixel mean subtraction"],
    "eval": "CIFAR-10 test, single model",
}
IMAGENET = {  # name: (block, depths, top-1 err, top-5 err); Table 3 (10-crop; ResNet-18 from Table 2)
    "resnet18": ("basic", (2, 2, 2, 2), 27.88, None), "resnet34": ("basic", (3, 4, 6, 3), 24.52, 7.46),
    "resnet50": ("bottleneck", (3, 4, 6, 3), 22.85, 6.71), "resnet101": ("bottleneck", (3, 4, 23, 3), 21.75, 6.05),
    "resnet152": ("bottleneck", (3, 8, 36, 3), 21.43, 5.71),
}
CIFAR = {20: 8.75, 32: 7.51, 44: 7.17, 56: 6.97, 110: 6.43, 1202: 7.93}  # Table 6, CIFAR-10 test error

for _name, (_block, _depths, _t1, _t5) in IMAGENET.items():
    register_model(_name, family="resnet", year=2015, paper=_PAPER, top1_err=_t1, top5_err=_t5,
                   recipe=IMAGENET_RECIPE, kwargs={"block": _block, "depths": _depths},
                   variant_note="projection shortcuts on shape change (option B); stride in the first 1x1")(
        imagenet_resnet)
for _depth, _err in CIFAR.items():
    register_model(f"resnet{_depth}", family="resnet", year=2015, paper=_PAPER, input_size=(3, 32, 32),
                   num_classes=10, dataset="cifar10", top1_err=_err, recipe=CIFAR_RECIPE,
                   kwargs={"depth": _depth},
                   variant_note=f"CIFAR-10 net, 3 stages x {(_depth - 2) // 6} basic blocks, 16/32/64 wide, "
                                "option-A shortcuts")(cifar_resnet)
