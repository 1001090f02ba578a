"""`visualize`: top-k projections of a layer's feature maps into a folder, with the method named.

DIR gets one PNG per feature map (patch | reconstruction pairs), filters.png (the first conv
layer), README.txt and visualize.json saying, per layer, whether the exact deconvnet or the
gradient-based substitute was used and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import NasxError
from .project import DECONVNET, Projection, feature_maxima, top_projections
from .render import save_filters, save_pairs

METHOD_TEXT = {
    DECONVNET: "deconvnet (Zeiler & Fergus 2013): unpool with max-pool switches, ReLU, transposed filters",
    "guided-backprop": "guided backprop: no exact deconvnet inverse on the path; gradient of the activation "
                       "w.r.t. the input with positive-only gradients through ReLUs",
    "gradient": "gradient of the activation w.r.t. the input (no exact inverse and no ReLU modules to guide)",
}


@dataclass
class Visualization:
    layer: str
    method: str
    reason: str
    files: list[str]
    maps: list[dict]

    def summary(self) -> str:
        return f"layer {self.layer}: {METHOD_TEXT[self.method]} ({self.reason})"


def first_conv(model: nn.Module) -> tuple[str, nn.Conv2d] | None:
    return next(((n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)), None)


def check_channels(channels: list[int] | None, available: int, default: int = 8) -> list[int]:
    """The feature maps to show (default: the first `default`), each one the layer has."""
    if not channels:
        return list(range(min(default, available)))
    bad = [c for c in channels if not 0 <= c < available]
    if bad:
        raise NasxError(f"channels {','.join(map(str, bad))}: the layer has feature maps 0..{available - 1}",
                        keys=("channels",))
    return list(channels)


def visualize(model: nn.Module, x: torch.Tensor, layer: str, out: str | Path, top: int = 9,
              channels: list[int] | None = None) -> Visualization:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    available = feature_maxima(model, layer, x[:1]).shape[1]
    chans = check_channels(channels, available)
    projections = top_projections(model, layer, x, chans, top)
    files = []
    for p in projections:
        name = f"{layer.replace('.', '_')}_map{p.channel:03d}.png"
        save_pairs(p.images, p.reconstructions, f"{layer} map {p.channel}: top {len(p.indices)} ({p.method})",
                   out / name)
        files.append(name)
    conv = first_conv(model)
    if conv is not None:
        save_filters(conv[1].weight.detach(), f"first conv layer {conv[0]}: {conv[1].weight.shape[0]} filters",
                     out / "filters.png")
        files.append("filters.png")
    vis = Visualization(layer, projections[0].method, projections[0].reason, files,
                        [_map_record(p) for p in projections])
    _write_notes(vis, out)
    return vis


def _map_record(p: Projection) -> dict:
    return {"channel": p.channel, "images": p.indices, "activations": p.values, "method": p.method}


def _write_notes(vis: Visualization, out: Path) -> None:
    record = {"layers": {vis.layer: {"method": vis.method, "reason": vis.reason,
                                     "description": METHOD_TEXT[vis.method]}},
              "maps": vis.maps, "files": vis.files}
    (out / "visualize.json").write_text(json.dumps(record, indent=1) + "\n")
    lines = ["nasx visualize", "", vis.summary(), "",
             "Each map's PNG shows its top validation images: image patch (cropped to the reconstruction's",
             "support) beside the projection of its single strongest activation, all other activations of",
             "the layer set to zero. filters.png shows the first conv layer's filters."]
    (out / "README.txt").write_text("\n".join(lines) + "\n")
