"""What a trial measures before it trains: params, MACs and the deployment latency (on the runtime
the run names, cached per architecture), and whether the candidate breaks a constraint.

Weights do not matter for any of these, so a candidate over a limit is rejected without a single
training step; the seconds spent measuring are the trial's wall time and so billed to the budget.
"""

from __future__ import annotations

import sqlite3

from torch import nn

from .errors import NasxError
from .measure import count_macs, count_params


def _cache():
    from .latency import LatencyCache, default_cache_path

    try:
        return LatencyCache(default_cache_path())
    except (OSError, sqlite3.Error):  # an unwritable cache folder: measure every time
        return None


def premeasure(model: nn.Module, input_shape, measure: dict | None, arch: str,
               network: dict | None) -> tuple[dict, str | None]:
    """(metrics, reason): reason None to go on training; else why the candidate is not trained
    (metrics["rejected"] True when it is over a limit; absent when measuring itself failed)."""
    from .config_sections import Limits

    measure = dict(measure or {})
    if not measure.get("runtime") and not any((measure.get("limits") or {}).values()):
        return {}, None
    limits = Limits(**(measure.get("limits") or {}))
    try:
        metrics: dict = {"params": count_params(model), "macs": count_macs(model, input_shape)}
    except NasxError as exc:
        return {}, str(exc)
    over = limits.violations(metrics)  # cheap limits first: no latency measured for a too-big candidate
    if not over and measure.get("runtime"):
        from .latency import cached_latency

        cache = _cache()
        try:
            lat, hit = cached_latency(cache, arch, network, input_shape, lambda: model,
                                      runtime=measure["runtime"], threads=int(measure.get("threads", 1)),
                                      batch=int(measure.get("batch", 1)))
        except NasxError as exc:  # LatencyError: export or runtime failure, the candidate's own
            return metrics, f"latency measurement failed: {exc}"
        finally:
            if cache is not None:
                cache.close()
        metrics.update(latency_ms=lat.median_ms, latency_p10_ms=lat.p10_ms, latency_p90_ms=lat.p90_ms,
                       latency_cv=lat.cv, latency_runtime=lat.runtime, latency_batch=lat.batch,
                       latency_threads=lat.threads, latency_seconds=0.0 if hit else lat.seconds,
                       latency_cached=hit)
        over = limits.violations(metrics)
    if over:
        return {**metrics, "rejected": True, "limits": limits.to_dict()}, "over the limit: " + "; ".join(over)
    return metrics, None
