"""Where an export comes from: a run's trial, a genotype file, or a zoo model -> one `Exportable`.

Each source yields the engine's model (with the weights to ship loaded, strict), the generated
source, the facts for the docstring and metrics.json, and the genotype.json content. Weights are
always read with `weights_only=True`; num_classes / in_channels of a weights file are read from
its tensors when not given, so `nasx export --genotype g.json --weights w.pt` needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

from ..errors import NasxError
from ..genotype import Genotype
from ..inputs import InputSpec
from ..measure import count_macs, count_params
from ..spaces import genotype_from_obj, read_genotype
from ..tasks import get_task_kind
from ..training.folder import GENOTYPE, finished_weights, record_beside, recorded_input_size
from ..weights import DEFAULT_INPUT_SIZE, DEFAULT_NUM_CLASSES, infer_shape, load_into, load_state
from .codegen import Generated, generate
from .safety import check_input_size, check_input_spec, check_num_classes


@dataclass
class Exportable:
    model: nn.Module
    generated: Generated
    title: str
    source: str
    source_info: dict
    genotype_json: dict
    num_classes: int
    input_size: tuple[int, int, int]
    weights: dict | None = None  # the state_dict to ship as weights.pt (None: no weights)
    weights_file: Path | None = None  # where it was read from: shipped as a byte-for-byte copy
    metrics: dict = field(default_factory=dict)
    extra_files: dict = field(default_factory=dict)  # name -> text shipped beside model.py (a vocabulary)
    params: int = 0
    macs: int | None = None

    def measure(self) -> None:
        self.params = count_params(self.model)
        try:
            self.macs = count_macs(self.model, self.input_size)
        except NasxError:
            self.macs = None


def _resolve_shape(build, state, num_classes, input_size, weights_path=None):
    """Explicit options win; then the weights' own shapes (the input size `nasx train` recorded
    beside them); then the defaults."""
    if state is not None:
        n, c = infer_shape(build, state)
        check_num_classes(n)
        recorded = recorded_input_size(weights_path) if weights_path else None
        size = input_size or recorded or (c, *DEFAULT_INPUT_SIZE[1:])
        if input_size is None:
            size = (c, *size[1:])
        return num_classes or n, check_input_size(size)
    return check_num_classes(num_classes or DEFAULT_NUM_CLASSES), check_input_size(input_size or DEFAULT_INPUT_SIZE)


def _genotype_exportable(space, g: Genotype, state, num_classes, input_size, title, source, source_info,
                         metrics=None, weights_path=None) -> Exportable:
    def build(n, size):
        return space.build(g, num_classes=n, input_size=size.shape if isinstance(size, InputSpec) else tuple(size))

    kind = get_task_kind(space.task_kind)
    if kind.input_spec({}).tokens:  # a token model (a language model): vocabulary and sequence length
        if not num_classes:
            num_classes = infer_shape(build, state)[0] if state is not None else DEFAULT_NUM_CLASSES
        length = InputSpec.of(input_size).shape[0] if input_size else None
        input_size = check_input_spec(kind.input_spec({"input_size": [length] if length else None,
                                                       "num_classes": check_num_classes(num_classes)}))
    else:
        num_classes, input_size = _resolve_shape(build, state, num_classes, input_size, weights_path)
    check_num_classes(num_classes)
    model = build(num_classes, input_size)
    if state is not None:
        load_into(model, state, source_info.get("weights") or "weights")
    ex = Exportable(model, generate(space, g), title, source, source_info, g.to_dict(), num_classes, input_size,
                    state, weights_path, dict(metrics or {}))
    ex.measure()
    return ex


def from_genotype(path: str | Path, space: str | None = None, num_classes: int | None = None,
                  input_size=None, weights: str | Path | None = None, network: dict | None = None) -> Exportable:
    """A genotype file; `network` overrides the space's network settings (widths, depths) as a run's
    `network:` does; by default those recorded by `nasx train` beside `weights` (metrics.json)."""
    from ..spaces import get_space

    g = read_genotype(path, space)
    sp = get_space(space) if space else get_space(g.space)
    trained = record_beside(weights) if weights else {}
    if trained.get("hash") == g.hash:  # `nasx train` output: rebuild it as it was trained (ops version)
        from ..runs import as_trained

        g = genotype_from_obj({"space": g.space, **as_trained(g.data, trained.get("build") or {})})
    if network is None and weights:
        recorded = (trained.get("build") or {}).get("network")
        network = recorded if isinstance(recorded, dict) else None
    if network:
        sp = sp.with_network(**network)
    state = load_state(weights) if weights else None
    info = {"kind": "genotype", "genotype_file": str(path), "weights": str(weights) if weights else None,
            "build": {"space": sp.name, "network": dict(network or {})}}
    metrics = trained.get("metrics")
    return _genotype_exportable(sp, g, state, num_classes, input_size,
                                f"{sp.name} architecture {g.hash[:8]}", f"genotype file {Path(path).name}", info,
                                metrics=metrics if isinstance(metrics, dict) else None,
                                weights_path=Path(weights) if weights else None)


def from_training(folder: str | Path, num_classes: int | None = None, input_size=None) -> Exportable:
    """A finished `nasx train` folder (nasx.training.folder): its genotype with its weights, rebuilt
    with the network settings and ops version it was trained with; a token model at its recorded
    sequence length, with the files its kind ships (a language model's vocab.json)."""
    from ..spaces import get_space

    weights = finished_weights(folder)
    build = record_beside(weights).get("build") or {}
    kind = get_task_kind(get_space(read_genotype(Path(folder) / GENOTYPE).space).task_kind)
    spec = kind.input_spec(build)
    ex = from_genotype(Path(folder) / GENOTYPE, num_classes=num_classes, weights=weights,
                       input_size=input_size or (spec if spec.tokens else None))
    ex.extra_files = kind.export_files(build)
    return ex


def from_run(run_dir: str | Path, rank: int | None = None, trial: str | None = None,
             num_classes: int | None = None, input_size=None, weights: str | Path | None = None) -> Exportable:
    """A run's trial, rebuilt with the settings it was trained with (`nasx.trial_build`); `weights`
    replaces the trial's own weights file (e.g. compressed ones)."""
    from ..final.plan import final_trial, final_winner
    from ..runs import RunDir
    from ..trial_build import trial_build

    run = RunDir.open(run_dir)
    final = None
    if trial is not None:
        final = final_trial(run, trial)  # a final training by its id (final-e<E>-<trial>-s<seed>)
        rec = final or run.trial(trial)
    elif rank is None:  # the default: the final phase's winner with its final weights, when one ran
        final = final_winner(run)
        rec = final or run.best(1)
    else:
        rec = run.best(rank)
    wfile = Path(weights) if weights else rec.weights
    state = None
    if wfile is not None:
        if not wfile.is_file():
            raise NasxError(f"trial {rec.trial_id}: weights file {wfile} is missing")
        state = load_state(wfile)
    g = rec.genotype
    tb = trial_build(run, rec)
    if final is not None:
        f = final.meta.get("final") or {}
        where = (f"run {run.path.name}, final training {rec.trial_id} of search trial {f.get('name')} "
                 f"({f.get('epochs')} epochs, seed {f.get('seed')})")
    else:
        where = f"run {run.path.name}, trial {rec.trial_id}" + (f" (rank {rank or 1})" if trial is None else "")
    info = {"kind": "run", "run": str(run.path), "trial": rec.trial_id,
            "rank": None if (trial or final) else (rank or 1), "weights": str(wfile) if wfile else None,
            "weights_from": "final" if final is not None else "search", "build": tb.to_dict(),
            "build_source": tb.source}
    kind = run.task_kind()
    spec = kind.input_spec(tb.to_dict())
    ex = _genotype_exportable(tb.space_obj(), g, state, num_classes or tb.num_classes,
                              tuple(input_size) if input_size else (spec if spec.tokens else tb.input_size),
                              f"{g.space} architecture {g.hash[:8]}", where, info, metrics=rec.metrics,
                              weights_path=wfile)
    ex.extra_files = kind.export_files({**(rec.build or {}), **tb.to_dict()})
    return ex


def from_zoo(name: str, num_classes: int | None = None, input_size=None,
             weights: str | Path | None = None) -> Exportable:
    from .. import zoo
    from .zoo import emit_zoo

    spec = zoo.get_spec(name)
    if spec.family == "nas_cells":  # a published cell: exported through its space, like a found cell
        return _published_exportable(spec, num_classes, input_size, weights)
    n = check_num_classes(num_classes or spec.num_classes)
    size = check_input_size(tuple(input_size) if input_size else spec.input_size)
    model = zoo.create_model(name, num_classes=n, input_size=size)
    state = None
    if weights:
        state = load_state(weights)
        load_into(model, state, str(weights))
    info = {"kind": "zoo", "zoo": name, "weights": str(weights) if weights else None}
    ex = Exportable(model, emit_zoo(name, model), f"{name} ({spec.family})", f"nasx zoo model {name}", info,
                    {"zoo": name, "family": spec.family, "num_classes": n, "input_size": list(size)}, n, size, state,
                    Path(weights) if weights else None)
    ex.measure()
    return ex


def _published_exportable(spec, num_classes, input_size, weights) -> Exportable:
    from ..spaces import get_space
    from ..spaces.published import published_genotype

    kw = dict(spec.kwargs)
    space = get_space("cells").with_network(channels=kw["channels"], cells=kw["cells"], skeleton=kw["skeleton"])
    g = published_genotype(kw["cell"], space)
    state = load_state(weights) if weights else None
    info = {"kind": "zoo", "zoo": spec.name, "weights": str(weights) if weights else None,
            "build": {"space": space.name, "network": {k: kw[k] for k in ("channels", "cells", "skeleton")}}}
    ex = _genotype_exportable(space, g, state, num_classes or spec.num_classes,
                              tuple(input_size) if input_size else spec.input_size, f"{spec.name} ({spec.family})",
                              f"nasx zoo model {spec.name}", info, weights_path=Path(weights) if weights else None)
    ex.genotype_json = {**g.to_dict(), "zoo": spec.name}
    return ex
