"""Run a search on Ray Tune: a `Searcher` adapter around the driver (so any ask/tell strategy runs
on Ray), resources per trial (CPU, fractional GPU), ASHA on the per-epoch reports, FailureConfig
retries, reused actors. Embedded local Ray by default (dashboard on 127.0.0.1), or an existing
cluster with `address`. `RayExecutor` owns all of it: starting or joining Ray, the cluster's GPUs,
the Ray metrics and the Tuner.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

from ray.tune.search import Searcher

from ..errors import ConfigError
from ..evaluate import TrialSpec
from ..evaluate.outcome import Status, TrialOutcome
from .driver import FINISHED, SearchDriver
from .executors import Executor
from .trial import run_trial

DASHBOARD_PORT = 8265


def _numbers(metrics: dict) -> dict:
    """The finite numbers of an epoch's metrics (what Tune and ASHA can read)."""
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def _trainable(config):
    """The Ray Tune function trainable: one report per epoch, the last one carrying the outcome.

    The last epoch is not reported on its own: its metrics go out with the outcome, so a
    scheduler's max_t (= epochs) never cuts a finished trial off before its outcome arrives.
    `objective` names the metric ASHA compares (the task kind's, e.g. val_acc).
    """
    from ray import tune

    spec = TrialSpec.from_dict(config["spec"])
    objective = config.get("objective", "val_acc")

    def report(epoch, metrics):
        if epoch < spec.epochs:
            tune.report({**_numbers(metrics), "epoch": epoch})

    out = run_trial(spec, report)
    val = out.metrics.get(objective)
    tune.report({"epoch": out.metrics.get("epochs_done") or 0,
                 objective: val if isinstance(val, (int, float)) else float("nan"),
                 "nasx_final": True, "nasx_outcome": json.dumps(out.to_dict(), default=str)})


def start_ray(address: str | None, dashboard: bool, num_cpus=None, num_gpus=None, quiet=True) -> str | None:
    """Connect to `address` or start local Ray; returns the dashboard URL (or None)."""
    import ray

    if ray.is_initialized():
        ctx = None
    else:
        kw = {"configure_logging": True, "logging_level": "ERROR", "log_to_driver": False}
        if address:
            try:
                ctx = ray.init(address=address, **kw)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(f"address {address}: cannot join the Ray cluster: {str(exc).splitlines()[0]}",
                                  keys=("address",)) from None
        else:  # "local": a new instance of our own, never whatever cluster this machine started last
            # (ray.init() with no address attaches to it: a search beside a ray.cluster_utils.Cluster
            # joined it, and lost its trials when that cluster removed a node)
            ctx = ray.init(address="local", num_cpus=num_cpus, num_gpus=num_gpus, include_dashboard=dashboard,
                           dashboard_host="127.0.0.1", dashboard_port=DASHBOARD_PORT, **kw)
    url = getattr(ctx, "dashboard_url", None) if ctx is not None else None
    if url:
        return url if url.startswith("http") else f"http://{url}"
    return None


class RayMetrics:
    """The search's own figures as Ray metrics (shown in the cluster's metrics view)."""

    def __init__(self, run_id: str):
        try:
            from ray.util.metrics import Counter, Gauge
        except ImportError:  # pragma: no cover
            self.ok = False
            return
        tags = {"run": run_id}
        self.finished = Counter("nasx_trials_finished", "trials finished", tag_keys=("run",))
        self.failed = Counter("nasx_trials_failed", "trials failed", tag_keys=("run",))
        self.spent = Gauge("nasx_budget_spent_device_seconds", "device-seconds spent", tag_keys=("run",))
        self.best = Gauge("nasx_best_objective", "best value of the search's objective", tag_keys=("run",))
        for m in (self.finished, self.failed, self.spent, self.best):
            m.set_default_tags(tags)
        self.ok, self._seen = True, (0, 0)

    def __call__(self, driver: SearchDriver) -> None:
        if not self.ok:
            return
        st = driver.stats
        fin, fail = st.finished, st.failed + st.stopped
        if fin > self._seen[0]:
            self.finished.inc(fin - self._seen[0])
        if fail > self._seen[1]:
            self.failed.inc(fail - self._seen[1])
        self._seen = (fin, fail)
        self.spent.set(driver.spent.gpu_seconds if driver.gpus > 0 else driver.spent.cpu_seconds)
        if st.best_value is not None:
            self.best.set(st.best_value)


class StrategySearcher(Searcher):
    """Ray Tune `Searcher` that forwards suggest/complete to the nasx driver's ask/tell.

    The driver and the slot count live on the searcher but are not pickled with it: Tune snapshots
    its searcher, yet nasx never restores a Tuner (resume rebuilds the strategy from the nasx
    journal and starts a new Tune round), so only the trial map travels in `save`/`restore`.
    """

    def __init__(self, driver: SearchDriver | None = None, slots: int = 1):
        super().__init__(metric=None, mode=None)
        self.driver, self.slots = driver, slots
        self.trial_map: dict[str, str] = {}  # Tune trial id -> nasx trial id

    def __getstate__(self):
        return {"trial_map": dict(self.trial_map), "slots": self.slots}

    def __setstate__(self, state):
        self.driver, self.slots = None, int(state.get("slots", 1))
        self.trial_map = dict(state.get("trial_map", {}))

    def suggest(self, trial_id):
        if len(self.driver.running) >= self.slots:  # every slot busy: ask the strategy later, not now
            return None
        spec = self.driver.next_spec()
        if spec == FINISHED:
            return Searcher.FINISHED
        if spec is None:
            return None
        self.trial_map[trial_id] = spec.trial_id
        return {"spec": spec.to_dict(), "objective": self.driver.objective.name}

    def on_trial_complete(self, trial_id, result=None, error=False):
        pid = self.trial_map.pop(trial_id, None)
        if pid is None:
            return
        driver = self.driver
        if result and result.get("nasx_final"):
            outcome = TrialOutcome.from_dict(json.loads(result["nasx_outcome"]))
        elif error and driver.stop_requested:  # its worker got the Ctrl-C too: not a result
            driver.abandon(pid)
            return
        elif error:
            outcome = TrialOutcome.failed("worker error after retries (see the trial's log in the Ray dashboard)")
        else:  # stopped by the scheduler (ASHA) after an epoch report
            name = driver.objective.name
            val = (result or {}).get(name)
            outcome = TrialOutcome(Status.STOPPED, f"stopped early by ASHA after epoch {(result or {}).get('epoch')}",
                                   {name: val if val is not None and math.isfinite(val) else None,
                                    "epochs_done": (result or {}).get("epoch")})
        driver.record(pid, outcome)

    def save(self, checkpoint_path):
        Path(checkpoint_path).write_text(json.dumps(self.__getstate__()))

    def restore(self, checkpoint_path):
        """The trial map and slots back; the driver is attached by whoever restores (never Tune alone)."""
        driver = self.driver
        self.__setstate__(json.loads(Path(checkpoint_path).read_text()))
        self.driver = driver


def concurrent_slots(cpus: float, gpus: float, max_concurrent: int | None) -> int:
    """How many trials the cluster can run at once with these per-trial resources."""
    import ray

    res = ray.cluster_resources()
    n = int(res.get("CPU", 1) // cpus) if cpus > 0 else 10_000
    if gpus > 0:
        n = min(n, int(res.get("GPU", 0) // gpus))
    if max_concurrent:
        n = min(n, max_concurrent)
    return max(1, n)


def _ray_token_hint() -> str:
    tok = Path.home() / ".ray" / "auth_token"
    return f" (token: {tok.read_text().strip()} from {tok})" if tok.is_file() else ""


class RayExecutor(Executor):
    """Trials as Ray Tune trials on embedded local Ray or a joined cluster."""

    # Small candidates leave a GPU idle between kernels: 4 packed on one GPU train 2.3x faster in
    # total than one alone (H200, NB201's largest net, batch 256), hence 0.25 GPU per trial.
    default_gpu_share = 0.25

    def start(self) -> list[str]:
        cfg = self.cfg
        self.dashboard = start_ray(cfg.address, cfg.dashboard, cfg.ray_num_cpus, cfg.ray_num_gpus)
        return [f"Ray dashboard: {self.dashboard}{_ray_token_hint()}"] if self.dashboard else []

    def cluster_gpus(self) -> float:
        import ray

        return float(ray.cluster_resources().get("GPU", 0.0))

    def listeners(self, run_id: str) -> list:
        return [RayMetrics(run_id)]

    def run(self, driver: SearchDriver, round_no: int) -> None:
        run_on_ray(driver, self.cfg, round_no)


def run_on_ray(driver: SearchDriver, cfg, round_no: int) -> None:
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    resources = {"cpu": driver.cpus, "gpu": driver.gpus}
    # Rungs count per-epoch reports (training_iteration == epoch); the last epoch's report is the
    # outcome itself, so rungs sit strictly below the full training length.
    objective = driver.objective  # the task kind's metric and its direction
    scheduler = (ASHAScheduler(metric=objective.name, mode=objective.direction, time_attr="training_iteration",
                               max_t=cfg.epochs, grace_period=cfg.asha_grace, reduction_factor=3)
                 if cfg.asha else FIFOScheduler())
    storage = driver.run.path / "ray"
    storage.mkdir(exist_ok=True)
    slots = concurrent_slots(driver.cpus, driver.gpus, cfg.max_concurrent)
    # Tune keeps one pending trial for custom searchers by default, which serialises trials;
    # allow as many as there are slots (the searcher itself never exceeds the slots).
    os.environ["TUNE_MAX_PENDING_TRIALS_PG"] = str(slots)
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # Tune's own SIGINT handler ends the experiment as if it had completed (exit 0, run "finished");
    # nasx's handler (nasx.execute.interrupt) stops the searcher instead and marks the run interrupted.
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"
    tuner = tune.Tuner(
        tune.with_resources(_trainable, resources),
        tune_config=tune.TuneConfig(search_alg=StrategySearcher(driver, slots), scheduler=scheduler, num_samples=-1,
                                    max_concurrent_trials=cfg.max_concurrent, reuse_actors=True),
        run_config=tune.RunConfig(name=f"tune-{round_no}", storage_path=str(storage.resolve()), verbose=0,
                                  failure_config=tune.FailureConfig(max_failures=cfg.max_failures),
                                  checkpoint_config=tune.CheckpointConfig(num_to_keep=1)),
    )
    t0 = time.time()
    tuner.fit()
    driver.stats.stop_reason = driver.stats.stop_reason or f"Ray Tune ended after {time.time() - t0:.0f} s"
