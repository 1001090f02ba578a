"""Deployment latency: a candidate timed on the runtime it will be deployed with, not in eager PyTorch.

Eager PyTorch at batch 1 on a tiny network mostly times Python dispatch, so its ranking need not be
the ranking a deployed model sees; ONNX Runtime (`"ort"`, the default when installed) runs the
exported graph the way a CPU deployment does. Runtimes live in a small registry (`RUNTIMES`,
`register_runtime`), so another backend is one function. A measurement is bounded in cost (a search
bills it): warm-up capped in runs and seconds, timed runs stop after ~1 s once 30 are in. Results are
cached on disk per (architecture, network settings, input size, runtime, threads, batch, machine),
since a latency is only meaningful for the machine and runtime it was measured on.

`nasx.evaluate.probes.latency_ms` (eager, 10 runs) is the older training-side measurement and is kept.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import json
import logging
import os
import platform
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .errors import ConfigError, NasxError
from .measure import parse_input_size
from .registry import Registry

VERSION = 2  # 2: timed over a 0.3 s window instead of at most 200 runs  # bump when the measurement protocol changes: old cache rows stop matching
ONNX_OPSET = 17


class LatencyError(NasxError):
    """A model that could not be exported or run on the runtime; the message is one line, so a search
    can record the candidate as failed with it."""


@dataclass(frozen=True)
class Latency:
    """One measurement: order statistics of the timed runs (ms per forward pass of `batch` inputs),
    their coefficient of variation (std/mean), and `seconds`, the wall time the whole measurement
    took (export and session creation included), which is what it costs a search."""

    median_ms: float
    p10_ms: float
    p90_ms: float
    cv: float
    runtime: str
    threads: int
    batch: int
    repeats: int
    seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Latency:
        return cls(**json.loads(text))


# A runtime: fn(model, x, threads) -> context manager yielding a zero-argument callable that runs one
# forward pass of `x` (model is CPU float32, eval mode). Set-up (export, session) happens on entry and
# is not timed; whatever it changed (thread counts) is restored on exit.
Runtime = Callable[[nn.Module, torch.Tensor, int], contextlib.AbstractContextManager[Callable[[], object]]]
RUNTIMES: Registry[Runtime] = Registry("latency runtime")


def register_runtime(name: str) -> Callable[[Runtime], Runtime]:
    """Register a runtime under `name` (a taken name is a DuplicateName naming both modules, so a
    plugin cannot silently replace one)."""
    return RUNTIMES.register(name)


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def default_runtime() -> str:
    """"ort" when onnxruntime imports (what a CPU deployment runs), else eager "torch"."""
    return "ort" if _has_onnxruntime() else "torch"


def check_runtime(name: str) -> str:
    """`name` if it can be measured here; a one-line ConfigError naming the fix otherwise."""
    if name not in RUNTIMES:
        raise ConfigError(f"latency_runtime {name!r} is unknown; choose one of: {', '.join(sorted(RUNTIMES))}",
                          keys=("latency_runtime",))
    if name == "ort" and not _has_onnxruntime():
        raise ConfigError("latency_runtime ort needs onnxruntime: pip install onnxruntime "
                          "(or set latency_runtime torch)", keys=("latency_runtime",))
    return name


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")[:300]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporter warns and prints (deprecations, tracer warnings); a search prints its own lines."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [lg.level for lg in loggers]
    # torch's TorchScript exporter turns its C++ log on whatever `verbose` says (it tests the function
    # `_jit_is_onnx_log_enabled`, not its result) and dumps the whole graph to stderr on a failure.
    jit_log = getattr(torch._C, "_jit_onnx_log", None)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        if jit_log is not None:
            torch._C._jit_onnx_log = lambda *args: None
        try:
            yield
        finally:
            if jit_log is not None:
                torch._C._jit_onnx_log = jit_log
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


def _export_onnx(model: nn.Module, x: torch.Tensor) -> bytes:
    """The model as ONNX bytes, in memory (nothing written to disk), by the TorchScript exporter: a
    fixed-shape graph in well under a second for a small net, without onnxscript."""
    buf = io.BytesIO()
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with _quiet():
        torch.onnx.export(model, (x,), buf, opset_version=ONNX_OPSET, input_names=["input"],
                          do_constant_folding=True, **legacy)
    return buf.getvalue()


@register_runtime("ort")
@contextlib.contextmanager
def _ort_runtime(model: nn.Module, x: torch.Tensor, threads: int):
    """ONNX Runtime on CPU, sequential, `threads` intra-op threads, all graph optimizations."""
    import onnxruntime as ort

    try:
        data = _export_onnx(model, x)
    except Exception as exc:  # noqa: BLE001 - any exporter failure is the candidate's, reported as data
        raise LatencyError(f"ONNX export failed: {_one_line(exc)}") from None
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3  # errors only
    try:
        session = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001
        raise LatencyError(f"ONNX Runtime could not load the model: {_one_line(exc)}") from None
    feed = {session.get_inputs()[0].name: x.numpy()}
    yield lambda: session.run(None, feed)


@register_runtime("torch")
@contextlib.contextmanager
def _torch_runtime(model: nn.Module, x: torch.Tensor, threads: int):
    """Eager PyTorch, eval mode, no autograd, `threads` intra-op threads (restored afterwards)."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            yield lambda: model(x)
    finally:
        torch.set_num_threads(old)


def _is_cpu_float32(model: nn.Module) -> bool:
    tensors = list(model.parameters()) + list(model.buffers())
    return all(t.device.type == "cpu" and (t.dtype == torch.float32 or not t.is_floating_point())
               for t in tensors)


@contextlib.contextmanager
def _cpu_eval(model: nn.Module) -> Iterator[nn.Module]:
    """The model in eval mode on CPU float32, left as it was afterwards: a CPU float32 model is used as
    is (mode restored); any other is copied, so its device, dtype and memory are untouched."""
    if not _is_cpu_float32(model):
        yield copy.deepcopy(model).to(device="cpu", dtype=torch.float32).eval()
        return
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def _check_positive(value: int, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{key} must be a positive integer, got {value!r}", keys=(key,))
    return value


def _input_spec(input_shape):
    """A nasx.inputs.InputSpec as is; any other shape through parse_input_size's checks (CxHxW)."""
    from .inputs import InputSpec

    return input_shape if isinstance(input_shape, InputSpec) else InputSpec(parse_input_size(input_shape))


def measure_latency(model: nn.Module, input_shape, runtime: str = "ort", batch: int = 1, threads: int = 1,
                    warmup: int = 20, repeats: int = 5000, *, min_repeats: int = 30, max_seconds: float = 0.3,
                    warmup_seconds: float = 0.5, seed: int = 0) -> Latency:
    """Time `model` on `runtime` with one fixed seeded input of `batch` x `input_shape` (CxHxW).

    Warm-up: `warmup` runs or `warmup_seconds`, whichever ends first (at least one run). Timed runs:
    up to `repeats`, stopping once `min_repeats` are in and `max_seconds` have passed: a time window,
    not a count, because a shared CPU's speed can change every 0.1-1 s, and 200 runs of a 0.15 ms net
    (30 ms) land in one such phase (two passes over 50 nets differed by 43% median with a 200-run cap,
    13% with 0.3 s windows; benchmarks/README.md, "Deployment latency"). The weights do
    not matter (latency is measured before training); the model is left as it was. Raises
    ConfigError for an unusable runtime / setting, LatencyError when the model cannot be run there.
    """
    t_start = time.perf_counter()
    check_runtime(runtime)
    _check_positive(batch, "latency_batch")
    _check_positive(threads, "latency_threads")
    x = _input_spec(input_shape).example(batch, seed=seed)
    times: list[float] = []
    with _cpu_eval(model) as m, RUNTIMES[runtime](m, x, threads) as run:
        try:
            t_end = time.perf_counter() + warmup_seconds
            for _ in range(max(1, warmup)):
                run()
                if time.perf_counter() >= t_end:
                    break
            t0 = time.perf_counter()
            for _ in range(max(1, repeats)):
                t = time.perf_counter()
                run()
                times.append(time.perf_counter() - t)
                if len(times) >= min_repeats and time.perf_counter() - t0 >= max_seconds:
                    break
        except LatencyError:
            raise
        except Exception as exc:  # noqa: BLE001 - a forward pass that fails is the candidate's failure
            raise LatencyError(f"{runtime} run failed: {_one_line(exc)}") from None
    ms = np.asarray(times) * 1000.0
    mean = float(ms.mean())
    return Latency(median_ms=float(np.median(ms)), p10_ms=float(np.percentile(ms, 10)),
                   p90_ms=float(np.percentile(ms, 90)), cv=float(ms.std() / mean) if mean > 0 else 0.0,
                   runtime=runtime, threads=threads, batch=batch, repeats=len(times),
                   seconds=time.perf_counter() - t_start)


# ---- the on-disk cache

def default_cache_path() -> Path:
    """$NASX_CACHE_DIR/latency.sqlite, else $XDG_CACHE_HOME/nasx/, else ~/.cache/nasx/ (as the proxies)."""
    root = os.environ.get("NASX_CACHE_DIR")
    if root:
        return Path(root) / "latency.sqlite"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg or Path.home() / ".cache") / "nasx" / "latency.sqlite"


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown-cpu"


def machine_tag(runtime: str) -> str:
    """Where a latency holds: CPU architecture and model, and the runtime's version (ORT's graph also
    depends on torch's exporter, so both versions for "ort")."""
    versions = f"torch-{torch.__version__}"
    if runtime == "ort" and _has_onnxruntime():
        import onnxruntime

        versions = f"onnxruntime-{onnxruntime.__version__}|{versions}"
    return f"{platform.machine()}|{_cpu_model()}|{versions}"


def arch_key(arch) -> str:
    """The architecture part of a cache key: "space:genotype-hash" for a Genotype, "zoo:name" for a
    zoo model's name; any other string is taken as already a key."""
    if hasattr(arch, "space") and hasattr(arch, "hash"):
        return f"{arch.space}:{arch.hash}"
    arch = str(arch)
    return arch if ":" in arch else f"zoo:{arch}"


def latency_key(arch, network: dict | None, input_shape, runtime: str, threads: int = 1, batch: int = 1,
                machine: str | None = None) -> tuple:
    """(architecture, network settings JSON, "CxHxW" (or "35 tokens (vocab 65)"), runtime, threads, batch,
    machine tag, VERSION)."""
    return (arch_key(arch), json.dumps(network or {}, sort_keys=True, default=str), _input_spec(input_shape).text(),
            runtime,
            int(threads), int(batch), machine if machine is not None else machine_tag(runtime), VERSION)


class LatencyCache:
    """get/put a Latency by `latency_key`; `path=None` keeps it in memory (tests, an unwritable home)."""

    def __init__(self, path: str | Path | None = None):
        self.path = None if path is None else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(":memory:" if self.path is None else str(self.path), timeout=30)
        self.db.execute("CREATE TABLE IF NOT EXISTS latency (arch TEXT, network TEXT, input TEXT, runtime TEXT,"
                        " threads INTEGER, batch INTEGER, machine TEXT, version INTEGER, result TEXT,"
                        " PRIMARY KEY (arch, network, input, runtime, threads, batch, machine, version))")
        self.db.commit()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Latency | None:
        row = self.db.execute("SELECT result FROM latency WHERE arch=? AND network=? AND input=? AND runtime=?"
                              " AND threads=? AND batch=? AND machine=? AND version=?", key).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return Latency.from_json(row[0])

    def put(self, key: tuple, latency: Latency) -> None:
        self.db.execute("INSERT OR REPLACE INTO latency VALUES (?,?,?,?,?,?,?,?,?)", (*key, latency.to_json()))
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def cached_latency(cache: LatencyCache | None, arch, network: dict | None, input_shape,
                   build: Callable[[], nn.Module], runtime: str = "ort", threads: int = 1, batch: int = 1,
                   **measure_kw) -> tuple[Latency, bool]:
    """(latency, hit): the cached measurement for this key, else `build()` measured and stored.
    `build` is only called on a miss, so a hit costs no network construction. Failures (LatencyError)
    are raised, not cached."""
    check_runtime(runtime)
    key = latency_key(arch, network, input_shape, runtime, threads, batch)
    if cache is not None:
        found = cache.get(key)
        if found is not None:
            return found, True
    lat = measure_latency(build(), input_shape, runtime=runtime, batch=batch, threads=threads, **measure_kw)
    if cache is not None:
        cache.put(key, lat)
    return lat, False
