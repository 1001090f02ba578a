"""Deep Compression end to end: plan per-layer rates, prune (iteratively, fine-tuning with masks),
share, store, and keep an accuracy budget.

`compress(model, dataset, config)` changes `model` in place into its decompressed form and returns
a `CompressResult` with per-layer and total figures. Sizes: "before" is fp32 dense; "after" is the
bytes the compact file actually takes (header and raw biases included in the totals).

The accuracy budget (`max_drop`) is kept on the *validation* split (the test split only reports):
after pruning and again after weight sharing, fine-tuning continues one epoch at a time until the
validation accuracy is within `max_drop` of the uncompressed model's, at most `max_extra_epochs`
extra epochs in all; the result says whether the budget was met and by how much it was missed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..data import Dataset
from ..errors import NasxError
from . import prune, sensitivity, share
from .storage import EncodedLayer, encode_layer, read_compact, write_compact
from .train import accuracy, finetune

COMPACT_FILE = "model.nasxc"
WEIGHTS_FILE = "weights.pt"
SENSITIVITY_IMAGES = 2000  # validation images per sensitivity point (the curves need ~12 x layers points)

# layer type -> the name of its bit-width kind (Han et al.: 8-bit conv, 5-bit fully connected codebooks)
LAYER_KINDS: tuple[tuple[type, str], ...] = ((nn.Conv2d, "conv"), (nn.Linear, "fc"))


def layer_kind(module: nn.Module) -> str:
    return next(kind for cls, kind in LAYER_KINDS if isinstance(module, cls))


@dataclass
class CompressConfig:
    sparsity: float = 0.9
    bits: int | None = None  # sets bits_conv and bits_fc both
    bits_conv: int = 8
    bits_fc: int = 5
    mode: str = "per-layer"  # "per-layer" (sensitivity) | "global" | "layerwise"
    steps: int = 3  # pruning rounds (each followed by fine-tuning)
    finetune_epochs: int = 2  # per pruning round, and again for the centroids (1 missed the budget on digits)
    max_drop: float = 0.01  # tolerated loss of validation accuracy (a fraction)
    max_extra_epochs: int = 20  # cap on the fine-tuning epochs spent recovering the budget
    lr: float = 0.05  # the zoo training's peak rate: recovery after 90% pruning needs it (0.01 did not, on digits)
    huffman: bool = True
    index_bits: int | None = None  # None: the best width per layer
    batch_size: int = 128
    device: str = "auto"
    seed: int = 0

    def __post_init__(self):
        if self.bits is not None:
            self.bits_conv = self.bits_fc = self.bits
        checks = [
            (0.0 <= self.sparsity < 1.0, f"sparsity must be in [0, 1), got {self.sparsity}"),
            *((1 <= b <= 16, f"{k} must be between 1 and 16, got {b}")
              for k, b in (("bits", self.bits_conv), ("bits", self.bits_fc))),
            (self.mode in PLANNERS, f"mode {self.mode!r} unknown; known: {', '.join(PLANNERS)}"),
            (self.steps >= 1, f"steps must be >= 1, got {self.steps}"),
            (self.finetune_epochs >= 0, f"finetune_epochs must be >= 0, got {self.finetune_epochs}"),
            (0.0 <= self.max_drop <= 1.0,
             f"max_drop must be in [0, 1] (a fraction: 0.01 = 1 point), got {self.max_drop}"),
            (self.max_extra_epochs >= 0, f"max_extra_epochs must be >= 0, got {self.max_extra_epochs}"),
            (self.lr > 0, f"lr must be > 0, got {self.lr}"),
            (self.index_bits is None or 1 <= self.index_bits <= 16,
             f"index_bits must be between 1 and 16, got {self.index_bits}"),
        ]
        for ok, message in checks:
            if not ok:
                raise NasxError(f"compress: {message}")

    def bits_for(self, module: nn.Module) -> int:
        return {"conv": self.bits_conv, "fc": self.bits_fc}[layer_kind(module)]


@dataclass
class LayerReport:
    name: str
    kind: str  # conv | fc
    params: int
    kept: int
    sparsity: float
    bits: int
    clusters: int
    index_bits: int
    huffman: bool
    size_before_bytes: int
    size_after_bytes: int
    quality: float | None = None  # per-layer mode: threshold / weight std (the paper's q)


@dataclass
class AccuracyBudget:
    """The accuracy budget on the validation split, and what keeping it cost."""

    max_drop: float
    val_before: float
    val_pruned: float = 0.0
    val_after: float = 0.0
    extra_epochs: int = 0
    max_extra_epochs: int = 0

    @property
    def drop(self) -> float:
        return self.val_before - self.val_after

    @property
    def met(self) -> bool:
        return self.drop <= self.max_drop + 1e-9

    def to_dict(self) -> dict:
        return asdict(self) | {"drop": self.drop, "met": self.met, "split": "val"}


@dataclass
class CompressResult:
    layers: list[LayerReport]
    size_before_bytes: int
    size_after_bytes: int
    weights_before_bytes: int  # conv/linear weights only (what the paper's per-layer tables count)
    weights_after_bytes: int
    acc_before: float  # test split
    acc_after: float
    acc_pruned: float
    sparsity: float
    config: dict
    seconds: float
    budget: AccuracyBudget
    files: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.size_before_bytes / max(1, self.size_after_bytes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["budget"] = self.budget.to_dict()
        d["ratio"] = self.ratio
        d["weights_ratio"] = self.weights_before_bytes / max(1, self.weights_after_bytes)
        return d


def dense_bytes(state: dict) -> int:
    """fp32 dense size of a state_dict (every tensor at 4 bytes per element, as the paper counts)."""
    return sum(4 * t.numel() for t in state.values())


# ---- pruning plans: mode -> (per-round targets, per-layer q or {})
Plan = tuple[list, dict[str, float]]


def _plan_uniform(model: nn.Module, dataset: Dataset, cfg: CompressConfig, log) -> Plan:
    return prune.schedule(cfg.sparsity, cfg.steps), {}


def _plan_per_layer(model: nn.Module, dataset: Dataset, cfg: CompressConfig, log) -> Plan:
    layers = prune.prunable_layers(model)
    grouped = sensitivity.groups(model, layers)
    x, y = dataset.x_val[:SENSITIVITY_IMAGES], dataset.y_val[:SENSITIVITY_IMAGES]
    grid = sensitivity.grid(len(grouped))
    _, drops = sensitivity.curves(grouped, lambda: _accuracy_on(model, x, y, cfg), grid)
    sizes = {g: sum(m.weight.numel() for _, m in members) for g, members in grouped.items()}
    group_rates = sensitivity.allocate(drops, sizes, cfg.sparsity, grid)
    rates = {n: group_rates[g] for g, members in grouped.items() for n, _ in members}
    q = {n: sensitivity.quality(m.weight, rates[n]) for n, m in layers}
    shown = list(group_rates.items())
    log(f"per-layer rates from sensitivity ({len(grid)} rates per layer): "
        + ", ".join(f"{g} {r:.2f}" for g, r in shown[:8]) + (f", ... ({len(shown)} layers)" if len(shown) > 8 else ""))
    return prune.layer_schedule(rates, cfg.steps), q


PLANNERS: dict[str, Callable[..., Plan]] = {"per-layer": _plan_per_layer, "global": _plan_uniform,
                                            "layerwise": _plan_uniform}


@torch.no_grad()
def _accuracy_on(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: CompressConfig) -> float:
    from ..evaluate import resolve_device

    device = resolve_device(cfg.device)
    model.to(device).eval()
    correct = sum(int((model(x[i:i + 1024].to(device)).argmax(1) == y[i:i + 1024].to(device)).sum())
                  for i in range(0, len(y), 1024))
    return correct / max(1, len(y))


def _recover(model: nn.Module, dataset: Dataset, cfg: CompressConfig, budget: AccuracyBudget, stage: str,
             weight_decay: float, log) -> float:
    """Fine-tune one epoch at a time until validation accuracy is back within the budget (or the cap)."""
    floor = budget.val_before - cfg.max_drop
    val = accuracy(model, dataset, cfg, "val")
    start = budget.extra_epochs
    while val < floor - 1e-9 and budget.extra_epochs < cfg.max_extra_epochs:
        budget.extra_epochs += 1
        finetune(model, dataset, 1, cfg, weight_decay, seed=cfg.seed + 1000 + budget.extra_epochs)
        val = accuracy(model, dataset, cfg, "val")
    if budget.extra_epochs > start:
        log(f"{stage}: {budget.extra_epochs - start} extra fine-tuning epoch(s) for the budget, "
            f"val acc {val:.4f} (floor {floor:.4f})")
    return val


def _prune(model: nn.Module, dataset: Dataset, cfg: CompressConfig, budget: AccuracyBudget, log) -> dict[str, float]:
    targets, quality = PLANNERS[cfg.mode](model, dataset, cfg, log)
    for i, target in enumerate(targets, 1):
        prune.prune_to(model, target, cfg.mode)
        log(f"prune {i}/{cfg.steps}: sparsity {prune.sparsity(model):.3f}")
        finetune(model, dataset, cfg.finetune_epochs, cfg, weight_decay=5e-4, seed=cfg.seed + i)
    budget.val_pruned = _recover(model, dataset, cfg, budget, "pruning", 5e-4, log)
    return quality


def _share(model: nn.Module, dataset: Dataset, cfg: CompressConfig, budget: AccuracyBudget,
           log) -> dict[str, share.Shared]:
    keep = prune.masks(model)
    prune.make_permanent(model)
    layers = prune.prunable_layers(model)
    shared = {n: share.cluster_layer(m.weight, keep[n].cpu(), cfg.bits_for(m)) for n, m in layers}
    share.attach(model, shared)
    try:
        finetune(model, dataset, cfg.finetune_epochs, cfg, weight_decay=0.0, seed=cfg.seed)
        budget.val_after = _recover(model, dataset, cfg, budget, "weight sharing", 0.0, log)
    finally:
        share.detach(model, shared)
    log(f"weight sharing: {1 << cfg.bits_conv} clusters per conv layer, {1 << cfg.bits_fc} per fc layer, "
        f"centroids fine-tuned for {cfg.finetune_epochs} epoch(s)")
    return shared


def _layer_report(name: str, m: nn.Module, s: share.Shared, enc: EncodedLayer, bits: int,
                  quality: float | None) -> LayerReport:
    n = s.mask.numel()
    kept = int(s.mask.sum())
    return LayerReport(name, layer_kind(m), n, kept, 1 - kept / max(1, n), bits, len(s.centroids),
                       enc.index.width, enc.index.lengths is not None or enc.codes.lengths is not None,
                       4 * n, enc.size(), quality)


def compress(model: nn.Module, dataset: Dataset, cfg: CompressConfig, out: str | Path,
             log=lambda _msg: None) -> CompressResult:
    """Prune, share and store `model` (trained on `dataset`) into folder `out`; returns the figures."""
    t0 = time.perf_counter()
    if not prune.prunable_layers(model):
        raise NasxError("compress: the model has no conv/linear layers to compress")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    acc_before = accuracy(model, dataset, cfg)
    budget = AccuracyBudget(cfg.max_drop, accuracy(model, dataset, cfg, "val"), max_extra_epochs=cfg.max_extra_epochs)
    log(f"accuracy before: test {acc_before:.4f}, val {budget.val_before:.4f}")
    quality = _prune(model, dataset, cfg, budget, log)
    acc_pruned = accuracy(model, dataset, cfg)
    log(f"accuracy after pruning: test {acc_pruned:.4f}, val {budget.val_pruned:.4f}")
    shared = _share(model, dataset, cfg, budget, log)
    modules = dict(prune.prunable_layers(model))
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    encoded = {f"{n}.weight": encode_layer(s, cfg.bits_for(modules[n]), cfg.huffman, cfg.index_bits)
               for n, s in shared.items()}
    size_after = write_compact(out / COMPACT_FILE, state, encoded)
    decoded = read_compact(out / COMPACT_FILE)
    bad = [k for k in state if not torch.equal(decoded[k], state[k])]
    if bad:
        raise NasxError(f"compress: the compact file does not decode to the model's weights ({bad[0]})")
    torch.save(decoded, out / WEIGHTS_FILE)
    acc_after = accuracy(model, dataset, cfg)
    budget.val_after = accuracy(model, dataset, cfg, "val")
    layers = [_layer_report(n, modules[n], s, encoded[f"{n}.weight"], cfg.bits_for(modules[n]), quality.get(n))
              for n, s in shared.items()]
    return CompressResult(layers, dense_bytes(state), size_after, sum(r.size_before_bytes for r in layers),
                          sum(r.size_after_bytes for r in layers), acc_before, acc_after, acc_pruned,
                          prune.sparsity(model), asdict(cfg), time.perf_counter() - t0, budget,
                          {"compact": COMPACT_FILE, "weights": WEIGHTS_FILE})
