"""`run_search`: one search (or the continuation of one) from a config to a finished run directory.

`prepare_search(cfg)` (and `prepare_resume(run_dir, overrides)` for `nasx resume`) does, once, what
comes before: the config checked (network settings included), the data loaded (a bad path fails
before anything is written), the strategy's options checked, the run directory created, its write
lock taken; `PreparedSearch.search(observer)` then runs it. `run_search(cfg, run)` is both in one
call, for library callers. The executor named by the config (`nasx.execute.executors`) starts or joins what runs the trials;
the driver rebuilds the strategy from the journal; the executor runs it while an observer (the
CLI's rich display, or plain lines) hears the progress; then the baseline models are trained under
the same protocol and the leaderboard and pictures written, all under the run's write lock
(`nasx.runlock`). Ctrl-C / SIGTERM stops launching, lets running trials end, marks the run
"interrupted" and raises `Interrupted` (the CLI: one line, exit 130); a resume continues it.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .budget import Budget
from .config import SearchConfig, load_config
from .errors import Interrupted, NasxError
from .execute import SearchDriver, SearchObserver, create_executor
from .execute.interrupt import StopSignals
from .execute.progress import PlainProgress
from .final.phase import run_final_phase
from .reports import write_reports
from .runlock import acquire, release
from .runs import RunDir, new_run_id
from .strategies import make_strategy


def default_run_dir(cfg: SearchConfig) -> Path:
    return Path("runs") / new_run_id(f"{cfg.space}-{cfg.strategy}-")


def check_strategy(cfg: SearchConfig) -> None:
    """Build the config's strategy once, outside any run (a storage strategy's study in memory), so
    its options are checked before a search writes anything: ConfigError on a bad one."""
    from .spaces import get_space

    make_strategy(cfg, get_space(cfg.space), None, Budget.parse(cfg.budget).trials)


def check_search(cfg: SearchConfig) -> None:
    """What is checked before a search writes anything: the network settings and the config, the
    data (loaded: a bad path or file fails here). The strategy's options are checked by building the
    search's strategy once the run directory exists (`prepare_search`): a refusal removes the
    directory it made, so a bad option still leaves nothing behind."""
    from .spaces import get_space

    get_space(cfg.space).with_network(**dict(cfg.network or {}))  # an unknown or bad setting: one line
    cfg.validate()
    cfg.task_kind_obj().load_data(cfg.make_task())


def build_strategy(cfg: SearchConfig, run: RunDir):
    """The run's strategy, built once (with its study in the run directory); the driver replays the
    journal into it."""
    from .spaces import get_space

    return make_strategy(cfg, get_space(cfg.space), run.path, Budget.parse(cfg.budget).trials)


@dataclass
class PreparedSearch:
    """A checked search and its run directory, holding the run's write lock until `close()` (the end
    of a `with` block). `created`: the preparation made the run directory, so a refusal before any
    trial (a NasxError, e.g. GPUs asked of a CPU-only cluster) removes it again."""

    cfg: SearchConfig | None
    run: RunDir
    resumed: bool = False
    created: bool = False
    locked: bool = False
    strategy: object = None  # built by the preparation; the driver takes it over

    def build(self) -> PreparedSearch:
        """Build the run's strategy (a bad option: the error, after `close` undid the preparation)."""
        try:
            self.strategy = build_strategy(self.cfg, self.run)
        except BaseException as exc:
            self.close(exc)
            raise
        return self

    def lock(self) -> PreparedSearch:
        acquire(self.run.path)
        self.locked = True
        return self

    def search(self, observer: SearchObserver | None = None) -> RunDir:
        """Search (or continue) the run, telling `observer` (default: plain lines) what happens.
        Ctrl-C / SIGTERM: raises `Interrupted` (run status "interrupted", resumable) after the trials
        already running have ended; a second signal aborts at once (still resumable)."""
        if not self.locked:
            raise RuntimeError("PreparedSearch.search after close(): prepare the search again")
        strategy, self.strategy = self.strategy, None  # the driver owns (and closes) it from here
        return _run_search(self.cfg, self.run, observer or PlainProgress(), self.resumed, strategy)

    def close(self, error: BaseException | None = None) -> None:
        if self.strategy is not None:  # prepared, never searched
            self.strategy.close()
            self.strategy = None
        if self.locked:
            self.locked = False
            release(self.run.path)
        if self.created and isinstance(error, NasxError) and not self.run.records():
            shutil.rmtree(self.run.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(exc)


def prepare_search(cfg: SearchConfig, run: RunDir | None = None, *, resumed: bool = False) -> PreparedSearch:
    """`cfg` checked (`check_search`), then its run directory: `run`, or a new one at `cfg.run_dir`
    (default runs/<space>-<strategy>-<time>), locked for this process's writing."""
    check_search(cfg)
    created = run is None
    if created:
        cfg.run_dir = cfg.run_dir or str(default_run_dir(cfg))
        run = RunDir.create(cfg.run_dir, cfg.to_dict(), meta={"space": cfg.space, "strategy": cfg.strategy})
    return PreparedSearch(cfg, run, resumed, created).lock().build()


def prepare_resume(run_dir: str | Path, overrides: dict | None = None) -> PreparedSearch:
    """The search of `run_dir` to continue: its lock taken first (before anything is read for
    writing), its saved config with `overrides` (budget, address, dashboard; None keeps the saved
    value) checked as a new search's is. A finished run continues only with a new budget, which is
    saved into its config.yaml."""
    import yaml

    from .atomic import write_text

    run = RunDir.open(run_dir)
    prepared = PreparedSearch(None, run, resumed=True).lock()
    try:
        overrides = dict(overrides or {})
        if run.meta().get("status") == "finished" and overrides.get("budget") is None:
            raise NasxError(f"run {run_dir} already finished; pass budget to extend it", keys=("budget",))
        run.config()  # unreadable: one line naming the file
        cfg = load_config(str(run.path / "config.yaml"), overrides)
        check_search(cfg)
        if overrides.get("budget"):
            write_text(run.path / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    except BaseException:
        prepared.close()
        raise
    prepared.cfg = cfg
    return prepared.build()


def baselines_done(run: RunDir) -> dict[str, dict]:
    return {r["model"]: r for r in run.records() if r.get("event") == "baseline"}


def train_baselines(cfg: SearchConfig, run: RunDir, observer: SearchObserver) -> list[dict]:
    """Train the configured zoo models under the search's protocol (once per run); journal them."""
    if not cfg.baselines:
        return []
    done = baselines_done(run)
    todo = [m for m in cfg.baselines if m not in done]
    if todo:
        kind = cfg.task_kind_obj()
        task = cfg.make_baseline_task()
        for name in todo:
            observer.message(f"training baseline {name} ({task.epochs} epochs on {cfg.data}) ...")
            rec = {"event": "baseline", "model": name, **kind.train_baseline(name, task, dict(cfg.network or {})),
                   "epochs": task.epochs}
            if rec.get("why_not"):
                observer.message(rec["why_not"], warning=True)
            run.append(rec)
            done[name] = rec
    return [done[m] for m in cfg.baselines if m in done]


def finalize(run: RunDir, baselines: list[dict]) -> None:
    from .plots import pareto_plot, progress_plot

    kind = run.task_kind()
    rows = [{"rank": "baseline", "id": b["model"], **{k: b.get(k) for k in kind.quality_names()},
             "params": b.get("params"), "macs": b.get("macs"), "latency_ms_b1": b.get("latency_ms_b1"),
             "device_seconds": b.get("device_seconds"), "arch": f"zoo:{b['model']}",
             "learned": {True: "yes", False: "no"}.get(b.get("learned"))} for b in baselines]
    run.write_leaderboard(rows)
    write_reports(run)  # plug-ins' run reports (ENAS: its re-ranked children and their Kendall tau)
    trials = run.trials()
    plots = run.path / "plots"
    plots.mkdir(exist_ok=True)
    if trials:
        from .final.verdict import final_rows

        objective = run.objective()
        progress_plot(trials, plots / "progress.png", f"search progress: {run.path.name}", objective)
        pareto_plot(trials, baselines, plots / "pareto.png", f"{objective.title} vs size: {run.path.name}",
                    final=final_rows(run), objective=objective)


def run_search(cfg: SearchConfig, run: RunDir | None = None, observer: SearchObserver | None = None,
               resumed: bool = False) -> RunDir:
    """`prepare_search` then `PreparedSearch.search`: search (or continue) `run` (default: a new run
    directory) under its write lock, telling `observer` (default: plain lines) what happens."""
    with prepare_search(cfg, run, resumed=resumed) as prepared:
        return prepared.search(observer)


def _interrupted(run: RunDir, driver) -> Interrupted:
    run.update_meta(status="interrupted", stop_reason=driver.stats.stop_reason, spent=driver.spent.to_dict(),
                    wall_seconds_total=driver.wall_elapsed())
    n = len(run.trials())
    return Interrupted(f"interrupted after {n} trial{'s' if n != 1 else ''}", run_dir=str(run.path))


def _run_search(cfg: SearchConfig, run: RunDir, observer: SearchObserver, resumed: bool, strategy=None) -> RunDir:
    meta = run.meta()
    round_no = int(meta.get("rounds", 0))
    executor = create_executor(cfg.executor, cfg)
    for line in executor.start():
        observer.message(line)
    gpus = executor.gpus_per_trial()
    driver = SearchDriver(cfg, run, gpus, [observer.update, *executor.listeners(run.path.name)], strategy=strategy)
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
