"""`run_final_phase`: after the search, the top K found architectures and every baseline trained
again from scratch under one protocol and S seeds, through the run's executor (nasx.final.driver),
then the verdict written to `final.json`. Called by `run_search` when the config has a final phase,
and by `nasx finalize RUN` on an existing run (to run, continue or extend one)."""

from __future__ import annotations

import dataclasses

from ..atomic import write_json
from ..config_sections import FinalSettings
from ..errors import Interrupted, NasxError
from ..execute.interrupt import StopSignals
from .driver import FinalDriver
from .plan import plan_final
from .verdict import final_summary


def run_final_phase(cfg, run, executor, observer, settings: FinalSettings | None = None,
                    command: str = "resume") -> dict | None:
    """Train what the phase still owes (none of it twice) and write `final.json`; None without a phase.
    Raises Interrupted after a Ctrl-C (the trainings already finished stay journaled)."""
    settings = settings or cfg.final_settings()
    if not settings.enabled:
        return None
    entries = plan_final(run, settings, cfg.to_dict())
    if not any(e.kind == "found" for e in entries):
        if command == "finalize":
            raise NasxError(f"run {run.path.name} has no finished trial to retrain; nothing to finalize")
        observer.message("final phase skipped: the search finished no trial to retrain", warning=True)
        run.update_meta(final_status="skipped (no finished trial)")
        return None
    driver = FinalDriver(cfg, run, entries, executor.gpus_per_trial(),
                         [observer.update, *executor.listeners(run.path.name)], settings.budget)
    found = len({e.name for e in entries if e.kind == "found"})
    base = len({e.name for e in entries if e.kind == "baseline"})
    epochs = entries[0].epochs
    observer.message(f"final phase: {found} found architecture{'s' if found != 1 else ''} + {base} baseline"
                     f"{'s' if base != 1 else ''} x {settings.seeds} seed{'s' if settings.seeds != 1 else ''}, "
                     f"{epochs} epochs each: {len(driver.pending)} training{'s' if len(driver.pending) != 1 else ''}"
                     f" to go" + (f" ({driver.skipped} already journaled)" if driver.skipped else ""))
    meta = run.meta()
    rounds = int(meta.get("final_rounds", 0)) + 1
    run.update_meta(final_status="running", final_rounds=rounds, final_settings=settings.to_dict())
    saved = executor.cfg
    executor.cfg = dataclasses.replace(cfg, asha=False)  # every final training runs its full protocol
    try:
        if driver.pending:
            with StopSignals(driver), observer:
                executor.run(driver, f"final{rounds}")
    except KeyboardInterrupt:
        driver.request_stop("aborted (second interrupt)")
    finally:
        executor.cfg = saved
    if driver.stop_requested:
        run.update_meta(final_status="interrupted")
        raise Interrupted(f"final phase interrupted ({driver.stats.finished} trainings finished and journaled)",
                          run_dir=str(run.path), command=command)
    summary = final_summary(run)
    write_json(run.path / "final.json", summary)  # atomically: temporary file, fsync, rename
    left = "" if not driver.pending else f"; {len(driver.pending)} not trained ({driver.stats.stop_reason})"
    run.update_meta(final_status="done" if not driver.pending else "partial",
                    final_device_seconds=summary["device_seconds"], final_reserved_seconds=meta.get("final_reserve"))
    observer.message(f"final phase done: {driver.stats.finished} trained, {driver.stats.failed} failed{left}")
    return summary
