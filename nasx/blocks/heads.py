"""Classifier heads: global-average-pool + linear, and the AlexNet/VGG fully connected head.
"""

from __future__ import annotations

from torch import nn


def gap_head(c_in: int, num_classes: int, dropout: float = 0.0) -> nn.Sequential:
    """Global average pool -> (dropout) -> linear: the head of every post-2014 network here."""
    layers: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(c_in, num_classes))
    return nn.Sequential(*layers)


def fc_head(in_features: int, hidden: int, num_classes: int, dropout: float = 0.5) -> nn.Sequential:
    """AlexNet/VGG head: flatten -> [dropout -> FC -> ReLU] x2 -> FC."""
    return nn.Sequential(nn.Flatten(),
                         nn.Dropout(dropout), nn.Linear(in_features, hidden), nn.ReLU(inplace=True),
                         nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, num_classes))
