"""Extra export formats (`--format pt2`, `--format onnx`): a registry of writers, each self-checking.

Each writer saves the engine model (eval mode, weights loaded) for the fixed example input, reloads
what it wrote with the format's own runtime and compares outputs, so a format that silently
changes the numbers fails the export instead of shipping.
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
from .check import TOLERANCE, example_input, reference

ONNX_OPSET = 18


@dataclass(frozen=True)
class Format:
    filename: str
    write: Callable[[nn.Module, torch.Tensor, Path], torch.Tensor]  # -> outputs of the reloaded file
    tolerance: float = TOLERANCE


FORMATS: dict[str, Format] = {}


def register_format(name: str, filename: str, tolerance: float = TOLERANCE):
    def deco(fn):
        FORMATS[name] = Format(filename, fn, tolerance)
        return fn
    return deco


@register_format("pt2", "model.pt2")
def write_pt2(model: nn.Module, x: torch.Tensor, path: Path) -> torch.Tensor:
    program = torch.export.export(model, (x,))
    torch.export.save(program, str(path))
    with torch.no_grad():
        return torch.export.load(str(path)).module()(x)


@register_format("onnx", "model.onnx")
def write_onnx(model: nn.Module, x: torch.Tensor, path: Path) -> torch.Tensor:
    try:
        import onnxruntime as ort
    except ImportError:
        raise NasxError("--format onnx needs onnx, onnxscript and onnxruntime: pip install 'nasx[onnx]'") from None
    torch.onnx.export(model, (x,), str(path), input_names=["input"], output_names=["logits"],
                      opset_version=ONNX_OPSET, external_data=False, verbose=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return torch.from_numpy(session.run(None, {"input": x.numpy()})[0])


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


def write_format(name: str, model: nn.Module, input_size, folder: Path) -> tuple[str, float]:
    """Write format `name` into `folder`; returns (file name, max abs diff vs the engine)."""
    if name not in FORMATS:
        raise NasxError(f"unknown export format {name!r}; known: {', '.join(FORMATS)}")
    fmt = FORMATS[name]
    model.eval()
    x = example_input(input_size)
    y = reference(model, x)
    try:
        with _quiet():
            out = fmt.write(model, x, folder / fmt.filename)
    except NasxError:
        raise
    except Exception as exc:  # noqa: BLE001 - exporter failures become one line
        msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NasxError(f"--format {name} failed: {type(exc).__name__}: {msg}") from None
    diff = float((out - y).abs().max())
    if not diff <= fmt.tolerance:
        raise NasxError(f"--format {name}: the exported file differs from the engine by {diff:.3g}")
    return fmt.filename, diff
