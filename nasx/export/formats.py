"""Extra export formats (`--format pt2`, `--format onnx`): a registry of writers, each self-checking.

Each writer saves the engine model (eval mode, weights loaded) with a dynamic batch dimension, and
dynamic height/width where the network allows it (else the trained size), reloads what it wrote
with the format's own runtime and compares outputs at batch 2, 1 and 7, so a file that silently
changes the numbers, or only takes the example's batch size, fails the export instead of shipping.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import NasxError
from ..inputs import first_output
from ..registry import Registry
from .check import TOLERANCE, example_input, reference

ONNX_OPSET = 18
CHECK_BATCHES = (2, 1, 7)  # the example's batch, then a single image and an odd batch


@dataclass(frozen=True)
class Written:
    """A written file: `run(x)` evaluates it with the format's own runtime; `spatial` says whether
    height and width are dynamic (False: only the trained size is accepted)."""

    run: Callable[[torch.Tensor], torch.Tensor]
    spatial: bool


@dataclass(frozen=True)
class Format:
    filename: str
    write: Callable[[nn.Module, torch.Tensor, Path], Written]
    tolerance: float = TOLERANCE


FORMATS: Registry[Format] = Registry("export format")


def register_format(name: str, filename: str, tolerance: float = TOLERANCE):
    """Decorator: the writer of format `name` (a taken name is a DuplicateName naming both modules)."""
    def deco(fn):
        FORMATS.add(name, Format(filename, fn, tolerance), origin=getattr(fn, "__module__", None))
        return fn
    return deco


def _shape_specs(x: torch.Tensor):
    """Dynamic-shape specs to try in order: batch + spatial (AUTO: kept dynamic only where the
    network allows), then batch alone. The batch dimension must always stay dynamic."""
    from torch.export import Dim

    # images: height and width where the network allows; token sequences: the length stays the traced
    # one (a recurrence is unrolled over it: a file claiming any length would compute the traced steps)
    free = {2: Dim.AUTO, 3: Dim.AUTO} if x.dim() == 4 else {}
    return (({0: Dim.DYNAMIC, **free},), ({0: Dim.DYNAMIC},))


def _free_dims_dynamic(shape) -> bool:
    """Whether the exported file takes any height x width (images) or any length (token sequences)."""
    dims = shape[2:] if len(shape) == 4 else shape[1:]
    return all(_is_symbolic(d) for d in dims)


def _first_working(export_one, specs):
    errors = []
    for spec in specs:
        try:
            return export_one(spec)
        except Exception as exc:  # noqa: BLE001 - try the next, stricter spec
            errors.append(exc)
    raise errors[-1]


def _is_symbolic(dim) -> bool:
    return not isinstance(dim, int)


@register_format("pt2", "model.pt2")
def write_pt2(model: nn.Module, x: torch.Tensor, path: Path) -> Written:
    program = _first_working(lambda spec: torch.export.export(model, (x,), dynamic_shapes=spec), _shape_specs(x))
    torch.export.save(program, str(path))
    loaded = torch.export.load(str(path))
    shape = next(n.meta["val"].shape for n in loaded.graph.nodes if n.op == "placeholder"
                 and n.name not in loaded.graph_signature.inputs_to_parameters
                 and n.name not in loaded.graph_signature.inputs_to_buffers)
    if not _is_symbolic(shape[0]):
        raise NasxError("format pt2: torch.export fixed the batch size", keys=("format",))
    module = loaded.module()

    def run(xb):
        with torch.no_grad():
            return first_output(module(xb))  # a language model's logits, without its hidden state
    return Written(run, _free_dims_dynamic(shape))


@register_format("onnx", "model.onnx")
def write_onnx(model: nn.Module, x: torch.Tensor, path: Path) -> Written:
    try:
        import onnxruntime as ort
    except ImportError:
        raise NasxError("format onnx needs onnx, onnxscript and onnxruntime: pip install 'nasx[onnx]'",
                        keys=("format",)) from None

    def export_one(spec):
        torch.onnx.export(model, (x,), str(path), input_names=["input"], output_names=["logits"],
                          opset_version=ONNX_OPSET, external_data=False, verbose=False, dynamic_shapes=spec)
    _first_working(export_one, _shape_specs(x))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape  # ints for fixed dimensions, names for dynamic ones
    if isinstance(shape[0], int):
        raise NasxError("format onnx: the exporter fixed the batch size", keys=("format",))

    def run(xb):
        return torch.from_numpy(session.run(None, {"input": xb.numpy()})[0])
    return Written(run, _free_dims_dynamic(shape))



@contextlib.contextmanager
def _quiet():
    """The exporters print progress and warnings; the CLI prints its own one-line summary instead."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


@dataclass
class FormatReport:
    filename: str
    max_abs_diff: float  # over the checked batches
    batches: tuple[int, ...]
    spatial_dynamic: bool


def write_format(name: str, model: nn.Module, input_size, folder: Path) -> FormatReport:
    """Write format `name` into `folder`, checked against the engine at every batch of CHECK_BATCHES."""
    fmt = FORMATS.get_or_error(name)
    model.eval()
    x = example_input(input_size, CHECK_BATCHES[0])
    try:
        with _quiet():
            written = fmt.write(model, x, folder / fmt.filename)
            diff = 0.0
            for b in CHECK_BATCHES:
                xb = example_input(input_size, b)
                out = written.run(xb)
                diff = max(diff, float((out.double() - reference(model, xb)).abs().max()))
    except NasxError:
        raise
    except Exception as exc:  # noqa: BLE001 - exporter failures become one line
        msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NasxError(f"format {name} failed: {type(exc).__name__}: {msg}", keys=("format",)) from None
    if not diff <= fmt.tolerance:
        raise NasxError(f"format {name}: the exported file differs from the engine by {diff:.3g}", keys=("format",))
    return FormatReport(fmt.filename, diff, CHECK_BATCHES, written.spatial)
