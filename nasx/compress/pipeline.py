"""Deep Compression end to end: prune (iteratively, fine-tuning with masks), share, store.

`compress(model, dataset, config)` changes `model` in place into its decompressed form and returns
a `CompressResult` with per-layer and total figures. Sizes: "before" is fp32 dense; "after" is the
bytes the compact file actually takes (header and raw biases included in the totals).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..data import Dataset
from ..errors import NasxError
from . import prune, share
from .storage import EncodedLayer, encode_layer, read_compact, write_compact
from .train import accuracy, finetune

COMPACT_FILE = "model.nasxc"
WEIGHTS_FILE = "weights.pt"


@dataclass
class CompressConfig:
    sparsity: float = 0.9
    bits: int = 5
    mode: str = "global"  # "global" | "layerwise"
    steps: int = 3  # pruning rounds (each followed by fine-tuning)
    finetune_epochs: int = 1  # per pruning round, and again for the centroids
    lr: float = 0.01
    huffman: bool = True
    index_bits: int | None = None  # None: the best width per layer
    batch_size: int = 128
    device: str = "auto"
    seed: int = 0

    def __post_init__(self):
        checks = [
            (0.0 <= self.sparsity < 1.0, f"sparsity must be in [0, 1), got {self.sparsity}"),
            (1 <= self.bits <= 16, f"bits must be between 1 and 16, got {self.bits}"),
            (self.mode in prune.MODES, f"mode {self.mode!r} unknown; known: {', '.join(prune.MODES)}"),
            (self.steps >= 1, f"steps must be >= 1, got {self.steps}"),
            (self.finetune_epochs >= 0, f"finetune_epochs must be >= 0, got {self.finetune_epochs}"),
            (self.lr > 0, f"lr must be > 0, got {self.lr}"),
            (self.index_bits is None or 1 <= self.index_bits <= 16,
             f"index_bits must be between 1 and 16, got {self.index_bits}"),
        ]
        for ok, message in checks:
            if not ok:
                raise NasxError(f"compress: {message}")


@dataclass
class LayerReport:
    name: str
    params: int
    kept: int
    sparsity: float
    bits: int
    clusters: int
    index_bits: int
    huffman: bool
    size_before_bytes: int
    size_after_bytes: int


@dataclass
class CompressResult:
    layers: list[LayerReport]
    size_before_bytes: int
    size_after_bytes: int
    weights_before_bytes: int  # conv/linear weights only (what the paper's per-layer tables count)
    weights_after_bytes: int
    acc_before: float
    acc_after: float
    acc_pruned: float
    sparsity: float
    config: dict
    seconds: float
    files: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.size_before_bytes / max(1, self.size_after_bytes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ratio"] = self.ratio
        d["weights_ratio"] = self.weights_before_bytes / max(1, self.weights_after_bytes)
        return d


def dense_bytes(state: dict) -> int:
    """fp32 dense size of a state_dict (every tensor at 4 bytes per element, as the paper counts)."""
    return sum(4 * t.numel() for t in state.values())


def _prune(model: nn.Module, dataset: Dataset, cfg: CompressConfig, log) -> None:
    for i, target in enumerate(prune.schedule(cfg.sparsity, cfg.steps), 1):
        prune.prune_to(model, target, cfg.mode)
        log(f"prune {i}/{cfg.steps}: sparsity {prune.sparsity(model):.3f}")
        finetune(model, dataset, cfg.finetune_epochs, cfg, weight_decay=5e-4)


def _share(model: nn.Module, dataset: Dataset, cfg: CompressConfig, log) -> dict[str, share.Shared]:
    keep = prune.masks(model)
    prune.make_permanent(model)
    shared = {n: share.cluster_layer(m.weight, keep[n].cpu(), cfg.bits) for n, m in prune.prunable_layers(model)}
    if cfg.finetune_epochs:
        share.attach(model, shared)
        try:
            finetune(model, dataset, cfg.finetune_epochs, cfg, weight_decay=0.0)
        finally:
            share.detach(model, shared)
    else:
        with torch.no_grad():
            for n, m in prune.prunable_layers(model):
                m.weight.copy_(shared[n].weight())
    log(f"weight sharing: {1 << cfg.bits} clusters per layer, centroids fine-tuned for {cfg.finetune_epochs} epoch(s)")
    return shared


def _layer_report(name: str, s: share.Shared, enc: EncodedLayer, bits: int) -> LayerReport:
    n = s.mask.numel()
    kept = int(s.mask.sum())
    return LayerReport(name, n, kept, 1 - kept / max(1, n), bits, len(s.centroids), enc.index.width,
                       enc.index.lengths is not None or enc.codes.lengths is not None, 4 * n, enc.size())


def compress(model: nn.Module, dataset: Dataset, cfg: CompressConfig, out: str | Path,
             log=lambda _msg: None) -> CompressResult:
    """Prune, share and store `model` (trained on `dataset`) into folder `out`; returns the figures."""
    t0 = time.perf_counter()
    if not prune.prunable_layers(model):
        raise NasxError("compress: the model has no conv/linear layers to compress")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    acc_before = accuracy(model, dataset, cfg)
    log(f"accuracy before: {acc_before:.4f}")
    _prune(model, dataset, cfg, log)
    acc_pruned = accuracy(model, dataset, cfg)
    log(f"accuracy after pruning: {acc_pruned:.4f}")
    shared = _share(model, dataset, cfg, log)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    encoded = {f"{n}.weight": encode_layer(s, cfg.bits, cfg.huffman, cfg.index_bits) for n, s in shared.items()}
    size_after = write_compact(out / COMPACT_FILE, state, encoded)
    decoded = read_compact(out / COMPACT_FILE)
    bad = [k for k in state if not torch.equal(decoded[k], state[k])]
    if bad:
        raise NasxError(f"compress: the compact file does not decode to the model's weights ({bad[0]})")
    torch.save(decoded, out / WEIGHTS_FILE)
    acc_after = accuracy(model, dataset, cfg)
    layers = [_layer_report(n, s, encoded[f"{n}.weight"], cfg.bits) for n, s in shared.items()]
    return CompressResult(layers, dense_bytes(state), size_after, sum(r.size_before_bytes for r in layers),
                          sum(r.size_after_bytes for r in layers), acc_before, acc_after, acc_pruned,
                          prune.sparsity(model), asdict(cfg), time.perf_counter() - t0,
                          {"compact": COMPACT_FILE, "weights": WEIGHTS_FILE})
