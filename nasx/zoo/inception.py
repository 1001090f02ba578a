"""Inception v2 (BN-Inception), v3, v4 and Inception-ResNet-v2, written as data.

Every module is a `Mix` of branches (concatenated) or a `Res` (branches -> 1x1 conv -> scaled
residual add, Inception-ResNet). A branch is a tuple of steps: a conv `(c_out, k[, stride[, "v"]])`
(Conv-BN-ReLU, "same" padding unless "v" = valid; k may be (1, 7)), a pool name from `POOLS`, or a
nested `Mix` (v3's and v4's 1x3 / 3x1 splits). The layer tables are the papers' (v2: BN paper
Fig. 5 -- whose 4c/4d rows give 608 channels, not the printed 576; v3/v4/IRv2: torchvision's and
the TF-slim layouts the published counts come from).

Counts (aux heads excluded): v3 23,834,568 (torchvision's 27,161,264 includes its aux head of
3,326,696), v4 42,679,816, Inception-ResNet-v2 55,843,464. Small inputs: stride-1 "same" stems
(valid convs padded, stem stride-2 steps made stride 1), so the first Inception block sees the full
28x28 / 32x32 image; the later reductions still apply.
"""

from __future__ import annotations

from torch import nn

from ..blocks import V2_STEM, Mix, Res, build_step, conv_bn_relu, gap_head, is_small, same
from .googlenet import AuxNet
from .registry import register_model


def _split(c, a=(1, 3), b=(3, 1)):
    return Mix((((c, a),), ((c, b),)))


# ---- Inception v2 = BN-Inception (Ioffe & Szegedy 2015, Figure 5) -------------------------------------
def _v2(c1, c3r, c3, d3r, d3, pool, proj):
    return Mix((((c1, 1),), ((c3r, 1), (c3, 3)), ((d3r, 1), (d3, 3), (d3, 3)), (pool, (proj, 1))))


def _v2_reduce(c3r, c3, d3r, d3):
    return Mix((((c3r, 1), (c3, 3, 2)), ((d3r, 1), (d3, 3), (d3, 3, 2)), ("maxc",)))


V2_BODY = (
    _v2(64, 64, 64, 64, 96, "avg", 32), _v2(64, 64, 96, 64, 96, "avg", 64), _v2_reduce(128, 160, 64, 96),
    _v2(224, 64, 96, 96, 128, "avg", 128), _v2(192, 96, 128, 96, 128, "avg", 128),
    _v2(160, 128, 160, 128, 160, "avg", 128), _v2(96, 128, 192, 160, 192, "avg", 128),
    _v2_reduce(128, 192, 192, 256),
    _v2(352, 192, 320, 160, 224, "avg", 128), _v2(352, 192, 320, 192, 224, "max", 128),
)

# ---- Inception v3 (Szegedy et al. 2016, "Rethinking the Inception Architecture") -----------------------
V3_STEM = ((32, 3, 2, "v"), (32, 3, 1, "v"), (64, 3), "max2", (80, 1), (192, 3, 1, "v"), "max2")


def _v3_a(pool):
    return Mix((((64, 1),), ((48, 1), (64, 5)), ((64, 1), (96, 3), (96, 3)), ("avg", (pool, 1))))


def _v3_c(c7):
    return Mix((((192, 1),), ((c7, 1), (c7, (1, 7)), (192, (7, 1))),
                ((c7, 1), (c7, (7, 1)), (c7, (1, 7)), (c7, (7, 1)), (192, (1, 7))), ("avg", (192, 1))))


_V3_E = Mix((((320, 1),), ((384, 1), _split(384)), ((448, 1), (384, 3), _split(384)), ("avg", (192, 1))))
V3_BODY = (
    _v3_a(32), _v3_a(64), _v3_a(64),
    Mix((((384, 3, 2, "v"),), ((64, 1), (96, 3), (96, 3, 2, "v")), ("max2",))),
    _v3_c(128), _v3_c(160), _v3_c(160), _v3_c(192),
    Mix((((192, 1), (320, 3, 2, "v")), ((192, 1), (192, (1, 7)), (192, (7, 1)), (192, 3, 2, "v")), ("max2",))),
    _V3_E, _V3_E,
)
V3_AUX_AFTER = 7  # after Mixed_6e


def v3_aux(c_in, num_classes):
    """5x5/3 average pool (adaptive to 5x5 so small inputs fit), 1x1x128, 5x5x768 valid, FC."""
    return nn.Sequential(nn.AdaptiveAvgPool2d(5), conv_bn_relu(c_in, 128, 1),
                         conv_bn_relu(128, 768, 5, padding=0), nn.Flatten(), nn.Linear(768, num_classes))


# ---- Inception v4 and Inception-ResNet-v2 (Szegedy et al. 2017) ---------------------------------------
V4_STEM = (
    (32, 3, 2, "v"), (32, 3, 1, "v"), (64, 3),
    Mix((("max2",), ((96, 3, 2, "v"),))),
    Mix((((64, 1), (96, 3, 1, "v")), ((64, 1), (64, (1, 7)), (64, (7, 1)), (96, 3, 1, "v")))),
    Mix((((192, 3, 2, "v"),), ("max2",))),
)
_V4_A = Mix((((96, 1),), ((64, 1), (96, 3)), ((64, 1), (96, 3), (96, 3)), ("avg", (96, 1))))
_V4_B = Mix((((384, 1),), ((192, 1), (224, (1, 7)), (256, (7, 1))),
             ((192, 1), (192, (7, 1)), (224, (1, 7)), (224, (7, 1)), (256, (1, 7))), ("avg", (128, 1))))
_V4_C = Mix((((256, 1),), ((384, 1), _split(256)), ((384, 1), (448, (3, 1)), (512, (1, 3)), _split(256)),
             ("avg", (256, 1))))
V4_BODY = (
    (_V4_A,) * 4
    + (Mix((((384, 3, 2, "v"),), ((192, 1), (224, 3), (256, 3, 2, "v")), ("max2",))),)
    + (_V4_B,) * 7
    + (Mix((((192, 1), (192, 3, 2, "v")), ((256, 1), (256, (1, 7)), (320, (7, 1)), (320, 3, 2, "v")),
            ("max2",))),)
    + (_V4_C,) * 3
)

IRV2_BODY = (
    (Mix((((96, 1),), ((48, 1), (64, 5)), ((64, 1), (96, 3), (96, 3)), ("avg", (64, 1)))),)
    + (Res((((32, 1),), ((32, 1), (32, 3)), ((32, 1), (48, 3), (64, 3))), 0.17),) * 10
    + (Mix((((384, 3, 2, "v"),), ((256, 1), (256, 3), (384, 3, 2, "v")), ("max2",))),)
    + (Res((((192, 1),), ((128, 1), (160, (1, 7)), (192, (7, 1)))), 0.10),) * 20
    + (Mix((((256, 1), (384, 3, 2, "v")), ((256, 1), (288, 3, 2, "v")), ((256, 1), (288, 3), (320, 3, 2, "v")),
            ("max2",))),)
    + (Res((((192, 1),), ((192, 1), (224, (1, 3)), (256, (3, 1)))), 0.20),) * 9
    + (Res((((192, 1),), ((192, 1), (224, (1, 3)), (256, (3, 1)))), 1.0, relu=False), (1536, 1))
)


def build_net(num_classes, input_size, stem, body, dropout, aux_after=None, aux_head=None):
    stem = same(stem) if is_small(input_size) else stem
    c, layers = input_size[0], []
    for step in stem + body:
        m, c = build_step(c, step)
        layers.append(m)
    taps = {} if aux_after is None else {len(stem) + aux_after: aux_head(768, num_classes)}
    return AuxNet(nn.Sequential(*layers), gap_head(c, num_classes, dropout), taps)


_RMSPROP = {"optimizer": "rmsprop", "rmsprop_decay": 0.9, "rmsprop_eps": 1.0, "lr": 0.045,
            "lr_schedule": "x0.94 every 2 epochs", "gradient_clip": 2.0, "batch_size": 32,
            "workers": 50, "eval": "ILSVRC-2012 val, 1 model, 1 crop"}
_V4_PAPER = ("Szegedy, Ioffe, Vanhoucke, Alemi, Inception-v4, Inception-ResNet and the Impact of Residual "
             "Connections on Learning, AAAI 2017")


@register_model(
    "inception_resnet_v2", family="inception", year=2016, input_size=(3, 299, 299), top1_err=19.9, top5_err=4.9,
    paper=_V4_PAPER, recipe={**_RMSPROP, "residual_scale": "0.1-0.3"}, kwargs={"version": "irv2"},
    variant_note="residual Inception blocks scaled 0.17 / 0.10 / 0.20, TF-slim layout")
@register_model(
    "inception_v4", family="inception", year=2016, input_size=(3, 299, 299), top1_err=20.0, top5_err=5.0,
    paper=_V4_PAPER, recipe=_RMSPROP, kwargs={"version": "v4"}, variant_note="pure Inception, TF-slim layout")
@register_model(
    "inception_v3", family="inception", year=2015, input_size=(3, 299, 299), top1_err=21.2, top5_err=5.6,
    paper="Szegedy et al., Rethinking the Inception Architecture for Computer Vision, CVPR 2016",
    recipe={**_RMSPROP, "label_smoothing": 0.1, "aux_loss_weight": 0.4, "epochs": 100},
    kwargs={"version": "v3"}, variant_note="factorized 7x7 / asymmetric convs, BN aux head (train only)")
@register_model(
    "inception_v2", family="inception", year=2015, top1_err=25.2, top5_err=7.82, kwargs={"version": "v2"},
    paper="Ioffe & Szegedy, Batch Normalization: Accelerating Deep Network Training by Reducing Internal "
          "Covariate Shift, ICML 2015",
    recipe={"optimizer": "sgd (asynchronous)", "momentum": 0.9, "lr": 0.045, "lr_schedule": "x0.94 per epoch "
            "(BN-x5: lr x5, decay 6x faster)", "dropout": 0.0, "weight_decay": "L2 reduced 5x from Inception",
            "augmentation": ["less photometric distortion", "shuffled examples"], "lrn": "removed",
            "eval": "ILSVRC-2012 val, 1 model, 1 crop"},
    variant_note="BN-Inception: GoogLeNet + BN, 5x5 -> two 3x3, avg/max pool projections; regular 7x7 "
                 "first conv (not the paper's depthwise-separable one)")
def _inception(num_classes, input_size, version, aux_logits=True):
    return VERSIONS[version](num_classes, input_size, aux_logits)


VERSIONS = {
    "v2": lambda n, s, aux: build_net(n, s, V2_STEM, V2_BODY, 0.0),
    "v3": lambda n, s, aux: build_net(n, s, V3_STEM, V3_BODY, 0.5, V3_AUX_AFTER if aux else None, v3_aux),
    "v4": lambda n, s, aux: build_net(n, s, V4_STEM, V4_BODY, 0.2),
    "irv2": lambda n, s, aux: build_net(n, s, V3_STEM, IRV2_BODY, 0.2),
}
