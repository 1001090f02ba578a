"""Task kinds: what a trial is (an image classifier, a language model, a generator) behind one registry.

A kind declares its data specs, its network input contract, its trainer (a registered trial
runner), its metrics with their directions, the metric a search optimises by default, the
held-out metric the final verdict compares, its baselines, and how export builds an example input.
The journal, leaderboard, `nasx show`, the pictures, budgets, the strategies' objectives, the final
phase and export read these from the run's kind; nothing in nasx branches on a kind's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError, NasxError
from ..metrics import METRICS, Metric, register_metric
from ..registry import Registry

DEFAULT_KIND = "image-classification"


@dataclass(frozen=True)
class TaskKind:
    """One kind of trial. `metrics`: the quality metrics its trainer reports (costs such as params,
    MACs and latency are shared by every kind, see nasx.metrics); `objective`: the default first
    search objective; `held_out`: the test-split metric the final verdict compares; `runner`: the
    registered trial runner that trains one candidate; `data_schemes`: the data specs it reads
    (None: any); `input_contract`: what its networks take, in words (errors and docs)."""

    name: str
    metrics: tuple[Metric, ...]
    objective: str
    held_out: str
    runner: str
    baselines: tuple[str, ...] = ()
    data_schemes: tuple[str, ...] | None = None
    input_contract: str = ""
    description: str = ""
    default_data: str = "digits"  # the data a search of this kind reads when its config names none
    origin: str = field(default="", compare=False)

    def make_task(self, settings: dict):
        """The training protocol of one trial from its settings mapping (ConfigError on a bad key):
        image classification's `nasx.evaluate.Task`; a kind with its own trainer returns its own."""
        from ..evaluate.task import Task

        return Task.from_dict(settings)

    def load_data(self, task) -> object:
        """Load (and so check) the data `task` names: a bad path or file is a one-line NasxError
        before a search writes anything."""
        from ..data import load_dataset

        return load_dataset(task.data, val_fraction=task.val_fraction, max_train=task.max_train)

    def metric(self, name: str) -> Metric:
        """A metric this kind reports or one every kind shares; ConfigError naming the kind otherwise."""
        own = {m.name: m for m in self.metrics}
        if name in own:
            return own[name]
        if name in METRICS and METRICS.origin(name) == "nasx.metrics":
            return METRICS[name]
        raise ConfigError(f"{self.origin or self.name}: task kind {self.name!r} reports no metric {name!r}; "
                          f"it reports {', '.join(m.name for m in self.metrics)} (and the shared costs "
                          f"{', '.join(n for n in METRICS if METRICS.origin(n) == 'nasx.metrics')})")

    @property
    def objective_metric(self) -> Metric:
        return self.metric(self.objective)

    @property
    def held_out_metric(self) -> Metric:
        return self.metric(self.held_out)

    def quality_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def check_data(self, data: str) -> None:
        """A one-line error when `data` is a spec this kind cannot read."""
        if self.data_schemes is None:
            return
        scheme = data.split(":", 1)[0] if ":" in data else data
        if scheme not in self.data_schemes:
            raise ConfigError(f"data {data!r}: task kind {self.name!r} reads {', '.join(self.data_schemes)}",
                              keys=("data",))

    def baseline_names(self) -> list[str]:
        """The hand-designed models this kind can train as baselines (names for `baselines:`)."""
        return list(self.baselines)

    def check_baselines(self, names) -> None:
        known = self.baseline_names()
        bad = [n for n in names if n not in known]
        if bad:
            raise ConfigError(f"baselines: {', '.join(map(repr, bad))} unknown for task kind {self.name!r}; "
                              f"known: {', '.join(known)}", keys=("baselines",))

    def train_baseline(self, name: str, task, network: dict) -> dict:
        """Train baseline `name` under the search's protocol `task` (no final phase); its journal fields:
        status, reason, the kind's metrics and the shared costs. Image classification: a zoo model
        through nasx.evaluate, with whether it learned (nasx.learned) and, if not, why."""
        from ..evaluate import TrainingEvaluator
        from ..learned import assess

        ev = TrainingEvaluator()
        res = ev.evaluate(f"zoo:{name}", task)
        learned, why = assess(name, res, task, ev.dataset_for(task))
        keys = (*self.quality_names(), "params", "macs", "latency_ms_b1", "device_seconds")
        rec = {"status": res.status, "reason": res.reason, **{k: res.metrics.get(k) for k in keys}, **learned}
        if why:
            rec["why_not"] = why
        return rec

    def export_files(self, build: dict) -> dict[str, str]:
        """Files an export of a trial ships beside model.py (name -> text), read from its build record:
        none for image classifiers; a language model's vocabulary."""
        return {}

    def input_spec(self, build: dict):
        """What one sample of this kind's networks is (a nasx.inputs.InputSpec), from a trial's build
        record: measuring, latency and export make their example inputs from it. Default: floats
        of the recorded input size (C x H x W)."""
        from ..inputs import InputSpec

        return InputSpec(tuple(int(v) for v in build.get("input_size") or (3, 32, 32)))

    def example_input(self, build: dict, batch: int = 2):
        """An input of the network's contract for export's round-trip check (seeded, so repeatable)."""
        return self.input_spec(build).example(batch, seed=0)

    # ---- final training (`nasx train`, nasx.training); the defaults are image classification's

    def train_recipes(self) -> dict:
        """The published protocols `nasx train --recipe` knows for this kind (name -> nasx.evaluate Recipe)."""
        from ..evaluate.recipes import RECIPES

        return dict(RECIPES)

    def train_recipe(self, name: str):
        """Recipe `name` of this kind, or one line saying which kind it belongs to."""
        recipes = self.train_recipes()
        if name in recipes:
            return recipes[name]
        owners = [k for k in TASK_KINDS if k != self.name and name in TASK_KINDS[k].train_recipes()]
        what = f"is for {owners[0]} networks, not {self.name} ones" if owners else f"is unknown for {self.name}"
        raise NasxError(f"recipe {name} {what} (recipes for those: {', '.join(recipes) or 'none'})",
                        keys=("recipe",))

    def train_defaults(self, run_task: dict) -> dict:
        """The task settings a final training takes from the task mapping of the run it comes from
        (`run_task`; {} without a run), with the values used where the run sets none."""
        fallback = {"batch_size": 128, "lr": 0.05, "max_train": None, "val_fraction": 0.1}
        return {k: run_task.get(k, v) for k, v in fallback.items()}

    def foreign_train_options(self) -> tuple[str, ...]:
        """`nasx train` options (TrainingOptions fields) that mean nothing to this kind: refused in one line."""
        return ()

    def training_network(self, space, genotype, data, task):
        """The network a final training trains on `data` (the result of `load_data`), built after the
        seed is set; every refusal (cutout larger than the images, drop-path without support) comes
        here, before anything is written."""
        from ..evaluate import check_network

        _, h, w = data.input_shape
        if task.cutout > min(h, w):
            raise NasxError(f"--cutout {task.cutout} is larger than the {h}x{w} images of {data.name}")
        net = space.build(genotype, num_classes=data.num_classes, input_size=tuple(data.input_shape))
        check_network(net, task)
        return net

    def train_network(self, net, data, task, on_epoch=None, checkpoint=None, resume=None):
        """Train a final training's network (a nasx.evaluate Result): `on_epoch(epoch, metrics)` after
        every epoch, `checkpoint(state)` with the state `resume=state` continues from; the metrics
        hold the kind's own, params, MACs, latency and device-seconds."""
        from ..evaluate import train_and_evaluate

        return train_and_evaluate(net, data, task, on_epoch, checkpoint=checkpoint, resume=resume)

    def training_build(self, network: dict, data, task) -> dict:
        """The build record of a final training (metrics.json's `build`: what export rebuilds it from)."""
        from ..trial_build import build_record

        return build_record(network, data, task.data)

    def describe_data(self, data) -> str:
        """`data` in the line `nasx train` starts with."""
        return f"{data.name} {tuple(data.input_shape)}, {data.num_classes} classes"


TASK_KINDS: Registry[TaskKind] = Registry("task kind")


def register_task(kind: TaskKind, origin: str | None = None) -> TaskKind:
    """Register a task kind and its metrics. A taken kind or metric name, a metric without a
    direction, or an objective / held-out metric the kind does not report: one line naming the
    module that registers it (a ConfigError)."""
    import inspect

    if origin is None:
        caller = inspect.getmodule(inspect.stack()[1].frame)
        origin = caller.__name__ if caller else "?"
    for m in kind.metrics:
        if not isinstance(m, Metric):
            raise ConfigError(f"{origin}: task kind {kind.name!r}: metric {m!r} is not a nasx.metrics.Metric "
                              "(a name and a direction, max or min)")
    names = {m.name for m in kind.metrics}
    for role, name in (("objective", kind.objective), ("held_out", kind.held_out)):
        if name not in names:
            raise ConfigError(f"{origin}: task kind {kind.name!r}: its {role} {name!r} is none of its metrics "
                              f"({', '.join(sorted(names))})")
    if kind.name in TASK_KINDS:  # checked before any metric is added: a refused kind leaves nothing behind
        TASK_KINDS.add(kind.name, kind, origin=origin)  # raises DuplicateName naming both modules
    for m in kind.metrics:
        if m.name in METRICS:
            raise ConfigError(f"{origin}: task kind {kind.name!r}: metric {m.name!r} is already registered by "
                              f"{METRICS.origin(m.name)}; name it differently")
    for m in kind.metrics:
        register_metric(m, origin=origin)
    object.__setattr__(kind, "origin", origin)
    return TASK_KINDS.add(kind.name, kind, origin=origin)


def get_task_kind(name: str | None) -> TaskKind:
    """The registered kind `name` (None: image classification)."""
    return TASK_KINDS.get_or_error(name or DEFAULT_KIND)


def unregister_task(name: str) -> None:
    """Remove a kind and its metrics (tests that register a temporary kind clean up with this)."""
    kind = TASK_KINDS.get(name)
    if kind is None:
        return
    for m in kind.metrics:
        METRICS.remove(m.name)
    TASK_KINDS.remove(name)
