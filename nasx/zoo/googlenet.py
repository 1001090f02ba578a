"""GoogLeNet / Inception v1 (Szegedy et al. 2014), built from `nasx.blocks.InceptionModule`.

Counted as torchvision counts it (conv without bias + BN, no LRN, aux heads excluded): 7,005,832
params. torchvision's 6,624,904 is 380,928 lower only because its "5x5" branches are 3x3 convs (a
known quirk kept for its weights); with 5x5 as in the paper our count also matches the paper's
Table 1 (6,798 K with K = 1024). MACs at 224: 1.58 G vs the paper's "1.5 billion": Table 1's ops
column sums to 1,502 M but lists 34 M for conv1, whose 7x7x3x64 at 112x112 is 118 M; with that one
entry corrected the table gives 1,586 M, 0.2% from our count.
The paper's net had no BN; BN (from torchvision) keeps the aux-less net trainable.

The two auxiliary classifiers (after 4a and 4d) run only in training mode: `forward` always
returns the main logits, and leaves the aux logits of a training pass in `model.aux_outputs` (the
paper adds them to the loss with weight 0.3). They live in `model.aux`, which
`registry.inference_params` leaves out. Small inputs: a 3x3/1 stem without the two early pools.
"""

from __future__ import annotations

from torch import nn

from ..blocks import InceptionModule, conv_bn_relu, gap_head, is_small
from .registry import register_model

# name: (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) -- Table 1; "M" = 3x3/2 max-pool.
MODULES = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}
LAYOUT = ("3a", "3b", "M", "4a", "4b", "4c", "4d", "4e", "M", "5a", "5b")
AUX_AFTER = ("4a", "4d")

RECIPE = {
    "optimizer": "sgd (asynchronous, DistBelief)", "momentum": 0.9, "lr_schedule": "decrease 4% every 8 epochs",
    "dropout": 0.4, "aux_loss_weight": 0.3, "aux_dropout": 0.7, "averaging": "Polyak averaging at inference",
    "augmentation": ["crops of 8%-100% of the image area, aspect ratio 3/4-4/3", "photometric distortions"],
    "eval": "ILSVRC-2014 val, 1 model, 1 crop (top-1 unpublished)",
}


class AuxNet(nn.Module):
    """A feature stack with training-only auxiliary heads tapped after some of its children."""

    def __init__(self, features: nn.Sequential, head: nn.Module, taps: dict[int, nn.Module]):
        super().__init__()
        self.features, self.head = features, head
        self.aux = nn.ModuleList(taps.values())
        self._tap_at = {i: k for k, i in enumerate(taps)}
        self.aux_outputs: tuple = ()

    def forward(self, x):
        aux = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if self.training and i in self._tap_at:
                aux.append(self.aux[self._tap_at[i]](x))
        self.aux_outputs = tuple(aux)
        return self.head(x)


def googlenet_aux(c_in: int, num_classes: int) -> nn.Sequential:
    """5x5/3 average pool (adaptive to 4x4 so small inputs fit), 1x1x128, FC 1024, dropout 0.7, FC."""
    return nn.Sequential(nn.AdaptiveAvgPool2d(4), conv_bn_relu(c_in, 128, 1), nn.Flatten(),
                         nn.Linear(2048, 1024), nn.ReLU(inplace=True), nn.Dropout(0.7),
                         nn.Linear(1024, num_classes))


def _googlenet(num_classes, input_size, aux_logits=True):
    c = input_size[0]
    if is_small(input_size):
        layers: list[nn.Module] = [conv_bn_relu(c, 64, 3), conv_bn_relu(64, 64, 1), conv_bn_relu(64, 192, 3)]
    else:
        layers = [conv_bn_relu(c, 64, 7, 2), nn.MaxPool2d(3, 2, ceil_mode=True), conv_bn_relu(64, 64, 1),
                  conv_bn_relu(64, 192, 3), nn.MaxPool2d(3, 2, ceil_mode=True)]
    c, taps = 192, {}
    for name in LAYOUT:
        if name == "M":
            layers.append(nn.MaxPool2d(3, 2, ceil_mode=True))
            continue
        layers.append(InceptionModule(c, *MODULES[name]))
        c = layers[-1].c_out
        if aux_logits and name in AUX_AFTER:
            taps[len(layers) - 1] = googlenet_aux(c, num_classes)
    return AuxNet(nn.Sequential(*layers), gap_head(c, num_classes, dropout=0.4), taps)


register_model("googlenet", family="inception", year=2014, top1_err=None, top5_err=10.07,
               paper="Szegedy et al., Going Deeper with Convolutions, CVPR 2015 (arXiv 2014)", recipe=RECIPE,
               variant_note="Inception v1 + BN (torchvision layout, true 5x5 branches); aux heads train-only; "
                            "1-model 1-crop top-5 error")(_googlenet)
