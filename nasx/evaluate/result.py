"""`Result` of evaluating one candidate: failures are data (status + reason), never exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field

STATUSES = ("ok", "failed", "stopped")

METRIC_KEYS = (
    "val_acc", "test_acc", "val_loss", "train_loss", "params", "macs", "latency_ms_b1", "latency_ms_b64",
    "peak_mem_bytes", "device_seconds", "wall_seconds", "epochs_done", "img_per_s",
)


class StopTrial(Exception):
    """Raised by a per-epoch callback (or returned False) to stop training early: status "stopped"."""


def empty_metrics() -> dict:
    return dict.fromkeys(METRIC_KEYS)


@dataclass
class Result:
    """status "ok" | "failed" | "stopped"; reason says why when not ok; accuracies are fractions."""

    status: str = "ok"
    reason: str | None = None
    metrics: dict = field(default_factory=empty_metrics)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def val_acc(self) -> float | None:
        return self.metrics.get("val_acc")

    def to_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason, "metrics": dict(self.metrics)}

    def flat(self) -> dict:
        """One flat row (status, reason, every metric) for CSV files and Ray reports."""
        return {"status": self.status, "reason": self.reason, **self.metrics}

    @classmethod
    def from_dict(cls, d: dict) -> Result:
        metrics = empty_metrics()
        metrics.update(d.get("metrics") or {k: v for k, v in d.items() if k not in ("status", "reason")})
        return cls(d.get("status", "ok"), d.get("reason"), metrics)
