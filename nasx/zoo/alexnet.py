"""AlexNet (Krizhevsky, Sutskever, Hinton 2012) and ZFNet (Zeiler & Fergus 2013).

Three AlexNets, because "AlexNet" names three different parameter counts:
- `alexnet_2tower`: the paper's network as trained on two GPUs. conv2, conv4 and conv5 only see
  the feature maps on their own GPU, i.e. groups=2 (conv3 and the FC layers cross over):
  60,965,224 params, the paper's "60 million"; ~0.72 G MACs.
- `alexnet`: the same layer sizes (96-256-384-384-256, LRN) on one tower, no grouping: 62,378,344
  params (the commonly quoted 62.3 M), ~1.13 G MACs.
- `alexnet_owt`: torchvision's single-tower layout from "One weird trick" (Krizhevsky 2014):
  64-192-384-256-256, no LRN, 224 input: 61,100,840 params exactly as torchvision counts.
The input is 227x227 (the paper's "224" does not give its 55x55 conv1 output).

Small inputs: conv1 becomes 3x3/1 (no stride-4 stem), the three 3/2 max-pools stay (ceil mode),
and the FC layers shrink to 512 wide on the small final map.
"""

from __future__ import annotations

from torch import nn

from ..blocks import fc_head, is_small, out_size
from .registry import register_model

ALEXNET_RECIPE = {
    "batch_size": 128, "optimizer": "sgd", "momentum": 0.9, "lr": 1e-2,
    "lr_schedule": "divide by 10 when validation error stops improving (3 times)", "weight_decay": 5e-4,
    "epochs": 90, "dropout": 0.5, "init": "N(0, 0.01); biases 1 in conv2/4/5 and FC, 0 elsewhere",
    "augmentation": ["random 224 crops of 256x256", "horizontal flip", "PCA colour jitter"],
    "eval": "ILSVRC-2012 val, 1 model, 10-crop average",
}
ZFNET_RECIPE = {
    "batch_size": 128, "optimizer": "sgd", "momentum": 0.9, "lr": 1e-2, "lr_schedule": "annealed manually",
    "weight_decay": None, "epochs": 70, "dropout": 0.5, "init": "weights 1e-2, biases 0",
    "augmentation": ["10 random 224 crops of 256x256 (corners + centre)", "horizontal flip"],
    "notes": "conv filters whose RMS exceeds 0.1 are renormalised to 0.1",
    "eval": "ILSVRC-2012 val, 1 model, 10-crop",
}


def _lrn() -> nn.Module:
    return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)


def _convnet(num_classes, input_size, *, stem, widths, groups, lrn, pool_pad_ceil=False):
    """Five convs (stem k/s/p, 5x5, 3x3 x3), max-pools after conv1, conv2 and conv5, an FC head.

    `stem` is (kernel, stride, pad, conv2 stride); `groups` is per conv (2 = AlexNet's two towers).
    """
    c, h, _ = input_size
    small = is_small(input_size)
    k1, s1, p1, s2 = (3, 1, 1, 1) if small else stem
    w1, w2, w3, w4, w5 = widths
    g = groups
    ceil = pool_pad_ceil or small

    def pool():
        return nn.MaxPool2d(3, 2, ceil_mode=ceil)

    layers = [nn.Conv2d(c, w1, k1, s1, p1), nn.ReLU(inplace=True)]
    layers += [_lrn(), pool()] if lrn else [pool()]
    layers += [nn.Conv2d(w1, w2, 5, s2, 2 if s2 == 1 else 0, groups=g[1]), nn.ReLU(inplace=True)]
    layers += [_lrn(), pool()] if lrn else [pool()]
    layers += [nn.Conv2d(w2, w3, 3, 1, 1, groups=g[2]), nn.ReLU(inplace=True),
               nn.Conv2d(w3, w4, 3, 1, 1, groups=g[3]), nn.ReLU(inplace=True),
               nn.Conv2d(w4, w5, 3, 1, 1, groups=g[4]), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2)]
    side = out_size(h, k1, s1, p1)
    side = out_size(side, 3, 2, ceil=ceil)
    side = out_size(side, 5, s2, 2 if s2 == 1 else 0)
    side = out_size(out_size(side, 3, 2, ceil=ceil), 3, 2)
    return nn.Sequential(nn.Sequential(*layers), fc_head(w5 * side * side, 512 if small else 4096, num_classes))


_ALEX = {"family": "alexnet", "year": 2012, "input_size": (3, 227, 227), "recipe": ALEXNET_RECIPE,
         "paper": ("Krizhevsky, Sutskever, Hinton, ImageNet Classification with Deep Convolutional "
                   "Neural Networks, NIPS 2012")}


@register_model("alexnet_2tower", **_ALEX, top1_err=40.7, top5_err=18.2, kwargs={"groups": (1, 2, 1, 2, 2)},
                variant_note="the paper's two-GPU network: conv2/4/5 grouped (groups=2); 1-CNN val error")
@register_model("alexnet", **_ALEX, kwargs={"groups": (1, 1, 1, 1, 1)},
                variant_note="single tower with the paper's layer sizes (no grouping), 62.4M params; "
                             "error unpublished for this exact variant")
def _alexnet(num_classes, input_size, groups):
    return _convnet(num_classes, input_size, stem=(11, 4, 0, 1), widths=(96, 256, 384, 384, 256),
                    groups=groups, lrn=True)


@register_model("alexnet_owt", family="alexnet", year=2014, input_size=(3, 224, 224),
                paper="Krizhevsky, One weird trick for parallelizing convolutional neural networks, "
                      "arXiv:1404.5997 (torchvision's alexnet)",
                recipe={**ALEXNET_RECIPE, "batch_size": 128, "eval": "not reported per-crop in the paper"},
                variant_note="torchvision's single-tower layout 64-192-384-256-256, no LRN: 61,100,840 params")
def _alexnet_owt(num_classes, input_size):
    return _convnet(num_classes, input_size, stem=(11, 4, 2, 1), widths=(64, 192, 384, 256, 256),
                    groups=(1,) * 5, lrn=False)


@register_model("zfnet", family="alexnet", year=2013, input_size=(3, 224, 224), top1_err=37.5, top5_err=16.0,
                paper="Zeiler & Fergus, Visualizing and Understanding Convolutional Networks, ECCV 2014 "
                      "(arXiv 2013)",
                recipe=ZFNET_RECIPE,
                variant_note="Fig. 3 network with conv3-5 at 512/1024/512 (Table 2 model (b)); conv1 7x7/2, "
                             "conv2 5x5/2, contrast normalisation as LRN")
def _zfnet(num_classes, input_size):
    return _convnet(num_classes, input_size, stem=(7, 2, 1, 2), widths=(96, 256, 512, 1024, 512),
                    groups=(1,) * 5, lrn=True, pool_pad_ceil=True)
