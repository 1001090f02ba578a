"""`run_search`: one search (or the continuation of one) from a config to a finished run directory.

The executor named by the config (`nasx.execute.executors`) starts or joins what runs the trials;
the driver rebuilds the strategy from the journal; the executor runs it while an observer (the
CLI's rich display, or plain lines) hears the progress; then the baseline models are trained under
the same protocol and the leaderboard and pictures written, all under the run's write lock
(`nasx.runlock`). Ctrl-C / SIGTERM stops launching, lets running trials end, marks the run
"interrupted" and raises `Interrupted` (the CLI: one line, exit 130); a resume continues it.
"""

from __future__ import annotations

import time
from pathlib import Path

from .budget import Budget
from .config import SearchConfig
from .enas.rerank import write_rerank
from .errors import Interrupted
from .execute import SearchDriver, SearchObserver, create_executor
from .execute.driver import make_strategy
from .execute.interrupt import StopSignals
from .execute.progress import PlainProgress
from .final.phase import run_final_phase
from .runlock import run_lock
from .runs import RunDir, new_run_id


def default_run_dir(cfg: SearchConfig) -> Path:
    return Path("runs") / new_run_id(f"{cfg.space}-{cfg.strategy}-")


def check_strategy(cfg: SearchConfig) -> None:
    """Build the config's strategy once, outside any run (a storage strategy's study in memory), so
    its options are checked before `nasx search` writes anything: ConfigError on a bad one."""
    from .spaces import get_space

    make_strategy(cfg, get_space(cfg.space), None, Budget.parse(cfg.budget).trials)


def baselines_done(run: RunDir) -> dict[str, dict]:
    return {r["model"]: r for r in run.records() if r.get("event") == "baseline"}


def train_baselines(cfg: SearchConfig, run: RunDir, observer: SearchObserver) -> list[dict]:
    """Train the configured zoo models under the search's protocol (once per run); journal them."""
    if not cfg.baselines:
        return []
    from .evaluate import TrainingEvaluator
    from .learned import assess

    done = baselines_done(run)
    todo = [m for m in cfg.baselines if m not in done]
    if todo:
        ev = TrainingEvaluator()
        task = cfg.make_baseline_task()
        for name in todo:
            observer.message(f"training baseline {name} ({task.epochs} epochs on {cfg.data}) ...")
            res = ev.evaluate(f"zoo:{name}", task)
            learned, why = assess(name, res, task, ev.dataset_for(task))
            rec = {"event": "baseline", "model": name, "status": res.status, "reason": res.reason,
                   **{k: res.metrics.get(k) for k in ("val_acc", "test_acc", "params", "macs", "latency_ms_b1",
                                                      "device_seconds")}, "epochs": task.epochs, **learned}
            if why:
                rec["why_not"] = why
                observer.message(why, warning=True)
            run.append(rec)
            done[name] = rec
    return [done[m] for m in cfg.baselines if m in done]


def finalize(run: RunDir, baselines: list[dict]) -> None:
    from .plots import pareto_plot, progress_plot

    rows = [{"rank": "baseline", "id": b["model"], "val_acc": b.get("val_acc"), "test_acc": b.get("test_acc"),
             "params": b.get("params"), "macs": b.get("macs"), "latency_ms_b1": b.get("latency_ms_b1"),
             "device_seconds": b.get("device_seconds"), "arch": f"zoo:{b['model']}",
             "learned": {True: "yes", False: "no"}.get(b.get("learned"))} for b in baselines]
    run.write_leaderboard(rows)
    write_rerank(run)  # ENAS's re-ranked children and their Kendall tau (nothing for other runs)
    trials = run.trials()
    plots = run.path / "plots"
    plots.mkdir(exist_ok=True)
    if trials:
        from .final.verdict import final_rows

        progress_plot(trials, plots / "progress.png", f"search progress: {run.path.name}")
        pareto_plot(trials, baselines, plots / "pareto.png", f"accuracy vs size: {run.path.name}",
                    final=final_rows(run))


def run_search(cfg: SearchConfig, run: RunDir, observer: SearchObserver | None = None,
               resumed: bool = False) -> RunDir:
    """Search (or continue) `run` under its write lock, telling `observer` (default: plain lines)
    what happens. Ctrl-C / SIGTERM: raises `Interrupted` (run status "interrupted", resumable)
    after the trials already running have ended; a second signal aborts at once (still resumable)."""
    with run_lock(run.path):
        return _run_search(cfg, run, observer or PlainProgress(), resumed)


def _interrupted(run: RunDir, driver) -> Interrupted:
    run.update_meta(status="interrupted", stop_reason=driver.stats.stop_reason, spent=driver.spent.to_dict(),
                    wall_seconds_total=driver.wall_elapsed())
    n = len(run.trials())
    return Interrupted(f"interrupted after {n} trial{'s' if n != 1 else ''}", run_dir=str(run.path))


def _run_search(cfg: SearchConfig, run: RunDir, observer: SearchObserver, resumed: bool) -> RunDir:
    meta = run.meta()
    round_no = int(meta.get("rounds", 0))
    executor = create_executor(cfg.executor, cfg)
    for line in executor.start():
        observer.message(line)
    gpus = executor.gpus_per_trial()
    driver = SearchDriver(cfg, run, gpus, [observer.update, *executor.listeners(run.path.name)])
    if resumed:
        observer.message(f"resuming {run.path}: {driver.spent.trials} trials in the journal, "
                         f"{driver.stats.finished} finished, budget {driver.budget.describe()}")
    run.update_meta(status="running", rounds=round_no + 1, dashboard=executor.dashboard, gpus_per_trial=gpus,
                    budget_limit=driver.budget.to_dict())
    t0 = time.time()
    try:
        with StopSignals(driver), observer:
            observer.started(f"nasx search {run.path.name}: {cfg.strategy} on {cfg.space}, {cfg.data}",
                             executor.dashboard)
            executor.run(driver, round_no)
    except KeyboardInterrupt:  # a second Ctrl-C: abort now; the journal holds every finished trial
        driver.request_stop("aborted (second interrupt)")
        raise _interrupted(run, driver) from None
    if driver.stop_requested:  # the first Ctrl-C: running trials have ended and are journaled
        err = _interrupted(run, driver)
        try:
            finalize(run, [])
        except KeyboardInterrupt:
            pass
        raise err
    run.update_meta(status="searching-done", spent=driver.spent.to_dict(), wall_seconds_total=driver.wall_elapsed(),
                    stop_reason=driver.stats.stop_reason, final_reserve=driver.final_reserve() or None)
    try:
        if cfg.final_settings().enabled:  # the baselines are trained in the final phase, under its protocol
            finalize(run, [])
            run_final_phase(cfg, run, executor, observer)
            finalize(run, [])
        else:
            finalize(run, train_baselines(cfg, run, observer))
    except Interrupted:
        run.update_meta(status="interrupted")
        raise
    except KeyboardInterrupt:
        raise _interrupted(run, driver) from None
    run.update_meta(status="finished", finished_at=time.time())
    repeats = f", {driver.stats.repeats} repeated proposals answered from the run" if driver.stats.repeats else ""
    observer.message(f"search finished after {time.time() - t0:.0f} s ({driver.stats.stop_reason}{repeats}); "
                     f"run directory: {run.path}")
    return run
