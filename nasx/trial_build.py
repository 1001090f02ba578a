"""How a run's trial was built: the one place every reader of a run rebuilds a network from.

A trial's network depends on more than its genotype: the space's network overrides of the run
(`network: {channels: 8}`), the data's image size and channels, and its number of classes. The
trial runner records these in the journal (`"build"`), and `trial_build(run, record)` returns them,
so export, compress, visualize, `nasx.load`, `nasx train --trial` and resume all rebuild exactly
the network that was trained. Priority: the trial's own record, then the run's config (older runs
journaled no build), then the shapes of the trial's weights (read by nasx.weights), then the defaults.
It reads a run through the `run` it is handed and never imports nasx.runs or nasx.export.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import NasxError
from .weights import DEFAULT_INPUT_SIZE, DEFAULT_NUM_CLASSES, infer_shape, load_state


@dataclass(frozen=True)
class TrialBuild:
    """What `space.with_network(**network).build(g, num_classes, input_size)` needs, and where it came from."""

    space: str
    network: dict = field(default_factory=dict)
    num_classes: int = DEFAULT_NUM_CLASSES
    input_size: tuple[int, ...] = DEFAULT_INPUT_SIZE  # C x H x W for images; (T,) for token sequences
    data: str | None = None
    source: str = "defaults"  # "journal", "config", "defaults" (+"weights"): where these settings came from

    def space_obj(self):
        from .spaces import get_space

        return get_space(self.space).with_network(**self.network)

    def build(self, genotype):
        return self.space_obj().build(genotype, num_classes=self.num_classes, input_size=self.input_size)

    def to_dict(self) -> dict:
        return {"space": self.space, "network": dict(self.network), "num_classes": self.num_classes,
                "input_size": list(self.input_size), "data": self.data}

    def describe(self) -> str:
        net = ", ".join(f"{k}={v}" for k, v in sorted(self.network.items())) or "space defaults"
        size = "x".join(str(v) for v in self.input_size)
        return f"network {net}; input {size}; {self.num_classes} classes" + (
            f"; data {self.data}" if self.data else "")


def journal_build(network: dict | None, build: dict | None) -> dict:
    """The journal's `"build"` entry of a finished trial: the runner's record (`build_record`), over the
    run's network settings for a trial whose runner recorded none (its worker was lost)."""
    from .ops import OPS_VERSION

    return {"network": dict(network or {}), "ops_version": OPS_VERSION, **(build or {})}


def build_record(network: dict | None, dataset, data: str | None = None) -> dict:
    """The `"build"` entry a trial runner returns for the journal."""
    from .ops import OPS_VERSION

    return {"network": dict(network or {}), "num_classes": int(dataset.num_classes),
            "input_size": [int(v) for v in dataset.input_shape], "data": data, "ops_version": OPS_VERSION}


def _size(value) -> tuple[int, ...] | None:
    """A recorded input size: C x H x W, or one length (a token sequence); None if it is neither."""
    try:
        if isinstance(value, (list, tuple)) and len(value) in (1, 3) and all(int(v) > 0 for v in value):
            return tuple(int(v) for v in value)
    except (TypeError, ValueError):
        pass
    return None


def _from_config(run) -> dict:
    """Network / data / shape of an older run whose journal has no build record: from config.yaml,
    loading the run's data set (as the trials did) for its classes and image size."""
    cfg = run.config()
    if not isinstance(cfg, dict):
        return {}
    out: dict = {"network": dict(cfg.get("network") or {}), "data": cfg.get("data")}
    task = cfg.get("task") or {}
    if out["data"]:
        from .data import load_dataset

        try:
            ds = load_dataset(out["data"], val_fraction=float(task.get("val_fraction", 0.1)),
                              max_train=task.get("max_train"))
            out["num_classes"], out["input_size"] = ds.num_classes, tuple(ds.input_shape)
        except (NasxError, OSError, ValueError, TypeError):
            pass  # data gone or moved: the weights' shapes and the defaults fill in below
    return out


def trial_build(run, record) -> TrialBuild:
    """The settings `record` (a runs.TrialRecord) of `run` was trained with."""
    own = record.build if isinstance(getattr(record, "build", None), dict) else {}
    complete = bool(own.get("num_classes")) and _size(own.get("input_size")) is not None
    found = dict(own) if complete else {**_from_config(run), **{k: v for k, v in own.items() if v}}
    network = found.get("network") or {}
    if not isinstance(network, dict):
        raise NasxError(f"run {run.path.name}, trial {record.trial_id}: network settings {network!r} are not a mapping")
    size = _size(found.get("input_size"))
    classes = found.get("num_classes")
    source = "journal" if complete else ("config" if classes or size else "defaults")
    # Older runs: the weights' own shapes are the facts (classes, input channels); the config's data
    # gives the image size. A complete journaled build is consistent by construction and is used as it is.
    if not complete and record.weights is not None and record.weights.is_file():
        g = record.genotype
        space = TrialBuild(g.space, network).space_obj()
        n, c = infer_shape(lambda k, s: space.build(g, num_classes=k, input_size=tuple(s)),
                           load_state(record.weights))
        classes, size = n, (c, *(size or DEFAULT_INPUT_SIZE)[1:])
        source += "+weights"
    return TrialBuild(record.genotype.space, dict(network), int(classes or DEFAULT_NUM_CLASSES),
                      size or DEFAULT_INPUT_SIZE, found.get("data"), source)
