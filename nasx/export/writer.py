"""Write an export folder all at once or not at all.

Everything goes into a hidden temporary folder beside DIR; the round-trip check and the extra
formats run there; only when all of it succeeded is the folder renamed to DIR. Any failure (a
refused genotype, a mismatching check, an exporter error, Ctrl-C) removes the temporary folder, so
a DIR either is a complete, checked export or does not exist.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..atomic import make_parents, prepare_target, remove_empty, replace_dir, staging_dir
from ..errors import NasxError
from ..inputs import InputSpec
from .check import round_trip
from .formats import write_format
from .render import ModelInfo, render
from .sources import Exportable


@dataclass
class Report:
    out: Path
    class_name: str
    files: list[str]
    weights: bool
    check_diff: float | None = None
    format_diffs: dict = field(default_factory=dict)
    format_inputs: dict = field(default_factory=dict)  # format -> the input shapes its file accepts


def _metrics(ex: Exportable) -> dict:
    spec = InputSpec.of(ex.input_size)
    return {"metrics": ex.metrics, "params": ex.params, "macs": ex.macs, "input_size": list(spec.shape),
            **({"vocab": spec.vocab} if spec.tokens else {}),
            "num_classes": ex.num_classes, "class_name": ex.generated.class_name, "source": ex.source_info,
            "weights": "weights.pt" if ex.weights is not None else None}


def write_export(ex: Exportable, out: str | Path, formats: tuple[str, ...] = (), check: bool = True,
                 force: bool = False) -> Report:
    out = Path(out)
    prepare_target(out, force)
    info = ModelInfo(ex.title, ex.genotype_json, ex.params, ex.macs, ex.num_classes, ex.input_size, ex.source,
                     ex.weights is not None)
    text = render(ex.generated, info)  # refusals happen here, before anything touches the disk
    created = make_parents(out)
    tmp = staging_dir(out)
    ok = False
    try:
        report = Report(out, ex.generated.class_name, [], ex.weights is not None)
        (tmp / "model.py").write_text(text, encoding="utf-8")
        if ex.weights_file is not None:
            shutil.copyfile(ex.weights_file, tmp / "weights.pt")  # validated above: loads strictly
        elif ex.weights is not None:
            torch.save({k: v.detach().cpu() for k, v in ex.weights.items()}, tmp / "weights.pt")
        for name, text in ex.extra_files.items():  # e.g. a language model's vocab.json
            if "/" in name or name in ("model.py", "weights.pt", "genotype.json", "metrics.json"):
                raise NasxError(f"internal error: extra export file name {name!r}")
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / "genotype.json").write_text(json.dumps(ex.genotype_json, indent=1, sort_keys=True) + "\n")
        (tmp / "metrics.json").write_text(json.dumps(_metrics(ex), indent=1, default=str) + "\n")
        ex.model.eval()
        if check:
            report.check_diff = round_trip(tmp, ex.model, ex.input_size)
        for name in dict.fromkeys(formats):
            fr = write_format(name, ex.model, ex.input_size, tmp)
            report.format_diffs[name] = fr.max_abs_diff
            spec = InputSpec.of(ex.input_size)
            free = ("length", list(spec.shape)) if spec.tokens else ("height_width", list(spec.shape[1:]))
            report.format_inputs[name] = {"file": fr.filename, "batch": "dynamic", "checked_batches": list(fr.batches),
                                          free[0]: "dynamic" if fr.spatial_dynamic else free[1]}
        if report.format_inputs:  # what each deployment file accepts, beside the trained input size
            m = _metrics(ex)
            m["formats"] = report.format_inputs
            (tmp / "metrics.json").write_text(json.dumps(m, indent=1, default=str) + "\n")
        report.files = sorted(p.name for p in tmp.iterdir())
        replace_dir(tmp, out)
        ok = True
        return report
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if not ok:
            remove_empty(created)
