"""Ctrl-C, two writers and resume (#20), with real processes, real signals and real Ray.

- SIGINT / SIGTERM: no new trial starts, running ones end and are journaled, the run is marked
  "interrupted", one line names the resume command, exit 130, no traceback; resume finishes it.
- A second SIGINT aborts at once and the run still resumes (Optuna's study included).
- One writer per run: a second `nasx resume` is refused (exit 2, names the holder) while readers
  (`nasx show`) work; after the writer is SIGKILLed its lock is taken over.
- No trial bought twice: resumed TPE, evolution and random search repeat no genotype hash, and a
  proposal that repeats a finished trial is answered from the run unless `allow_repeats` is set.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from searchutil import journal, subprocess_env, write_config

EXECUTORS = ["inprocess", "ray"]
# Trials long enough to still be running when a signal arrives (seconds each on a loaded 2-core box).
SLOW = {"epochs": 3, "network": {"channels": 8, "cells_per_stage": 1},
        "task": {"latency": False, "max_train": 1000, "batch_size": 64}, "max_concurrent": 1}


@pytest.fixture(autouse=True)
def _sigint_not_ignored():
    """A suite started in the background (`cmd &` from a script) ignores SIGINT, children inherit an
    ignored signal across exec, and nasx rightly stays deaf to it; these tests want a terminal's SIGINT.
    A handled signal is reset to the default in the exec'd child, so handling it here is enough."""
    before = signal.getsignal(signal.SIGINT)
    if before == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


class Proc:
    """`nasx ARGS` in its own process group (Ray's helpers die with it); output collected live."""

    def __init__(self, *args):
        self.p = subprocess.Popen([sys.executable, "-m", "nasx.cli", *map(str, args)], env=subprocess_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def out(self) -> str:
        return "\n".join(self.lines)

    def signal_group(self, sig):
        os.killpg(self.p.pid, sig)

    def wait(self, timeout) -> int:
        rc = self.p.wait(timeout=timeout)
        self.reader.join(timeout=30)
        return rc

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.p.wait(timeout=60)


def _wait_for(cond, timeout, proc: Proc | None = None) -> bool:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if cond():
            return True
        if proc is not None and proc.p.poll() is not None:
            return cond()
        time.sleep(0.3)
    return False


def _n_trials(run) -> int:
    return len(journal(run)) if (Path(run) / "journal.jsonl").exists() else 0


def _meta(run) -> dict:
    return json.loads((Path(run) / "run.json").read_text())


def _last_line(out: str) -> str:
    return [ln for ln in out.splitlines() if ln.strip()][-1]


def _optuna_states(run) -> list[str]:
    import optuna

    study = optuna.load_study(study_name="nasx", storage=f"sqlite:///{Path(run) / 'optuna.db'}")
    return [t.state.name for t in study.get_trials(deepcopy=False)]


def _cli(*args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nasx.cli", *map(str, args)], env=subprocess_env(),
                          capture_output=True, text=True, timeout=timeout, start_new_session=True, check=False)


def _check_resumed(run, before, total):
    after = journal(run)
    assert after[: len(before)] == before  # nothing rewritten
    assert len(after) == total
    assert len({t["id"] for t in after}) == total, [t["id"] for t in after]
    assert len({t["hash"] for t in after}) == total, [t["hash"][:8] for t in after]  # none bought twice


def _interrupt_line(run, n) -> str:
    return f"interrupted after {n} trial{'s' if n != 1 else ''}; continue with: nasx resume {Path(run).resolve()}"


@pytest.mark.parametrize("executor,sig", [("inprocess", signal.SIGINT), ("inprocess", signal.SIGTERM),
                                          ("ray", signal.SIGINT)])
def test_signal_stops_cleanly_then_resume_finishes(tmp_path, executor, sig):
    run = tmp_path / "run"
    cfg = write_config(tmp_path, **SLOW, strategy="tpe", executor=executor, budget="5trials")
    proc = Proc("search", "--config", cfg, "--run-dir", run)
    try:
        assert _wait_for(lambda: _n_trials(run) >= 1, 300, proc), proc.out
        proc.signal_group(sig)
        rc = proc.wait(300)
    finally:
        proc.kill()
    out = proc.out
    before = journal(run)
    assert rc == 130, out
    assert "Traceback" not in out
    assert 1 <= len(before) < 5, out
    assert _last_line(out) == _interrupt_line(run, len(before))
    assert f"nasx: {sig.name}: starting no more trials" in out
    meta = _meta(run)
    assert meta["status"] == "interrupted" and meta["stop_reason"] == f"interrupted ({sig.name})"
    assert all(t["status"] == "ok" for t in before)  # running trials ended normally, none cut short
    assert (run / "lock").read_text() == ""  # released
    assert "RUNNING" not in _optuna_states(run)  # every asked Optuna trial was told exactly once
    res = _cli("resume", run)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "resuming" in res.stdout
    _check_resumed(run, before, 5)
    assert _meta(run)["status"] == "finished"
    states = _optuna_states(run)  # a FAIL: the proposal being asked when the signal came, closed once
    assert "RUNNING" not in states and states.count("COMPLETE") == 5, states


@pytest.mark.parametrize("executor", EXECUTORS)
def test_second_sigint_aborts_at_once_and_run_stays_resumable(tmp_path, executor):
    run = tmp_path / "run"
    cfg = write_config(tmp_path, **{**SLOW, "epochs": 12}, strategy="tpe", executor=executor, budget="3trials")
    proc = Proc("search", "--config", cfg, "--run-dir", run)
    try:
        assert _wait_for(lambda: _n_trials(run) >= 1, 400, proc), proc.out
        proc.signal_group(signal.SIGINT)
        assert _wait_for(lambda: "starting no more trials" in proc.out, 60, proc), proc.out
        proc.signal_group(signal.SIGINT)
        rc = proc.wait(120)
    finally:
        proc.kill()
    out = proc.out
    before = journal(run)
    assert rc == 130, out
    assert "Traceback" not in out
    assert _last_line(out) == _interrupt_line(run, len(before))
    assert _meta(run)["status"] == "interrupted"
    res = _cli("resume", run)
    assert res.returncode == 0, res.stdout + res.stderr
    _check_resumed(run, before, 3)
    # an Optuna trial cut off by the abort was closed as failed on resume, not told twice
    assert "RUNNING" not in _optuna_states(run)
    assert _optuna_states(run).count("COMPLETE") == 3


# The run's lock is taken before any executor starts (nasx.search.prepare_search), so one executor
# shows it; a Ray start-up here cost the suite 40-70 s.
@pytest.mark.parametrize("executor", ["inprocess"])
def test_one_writer_per_run_and_a_dead_writers_lock_is_taken_over(tmp_path, executor):
    run = tmp_path / "run"
    cfg = write_config(tmp_path, **SLOW, strategy="evolution", executor=executor, budget="40trials")
    proc = Proc("search", "--config", cfg, "--run-dir", run)
    try:
        assert _wait_for(lambda: _n_trials(run) >= 1, 300, proc), proc.out
        second = _cli("resume", run, timeout=300)
        assert second.returncode == 2, second.stdout + second.stderr
        err = second.stderr.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith(f"nasx: error: run {run} is being written by pid {proc.p.pid} on "), err
        shown = _cli("show", run, "--json", timeout=300)  # readers never need the lock
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["status"] == "running"
        assert proc.p.poll() is None  # the first writer was not disturbed
    finally:
        proc.kill()  # SIGKILL: no chance to release anything
    before = journal(run)
    holder = json.loads((run / "lock").read_text())
    assert holder["pid"] == proc.p.pid  # left behind by the dead writer
    total = len(before) + 2
    res = _cli("resume", run, "--budget", f"{total}trials")
    assert res.returncode == 0, res.stdout + res.stderr
    _check_resumed(run, before, total)


def _search_then_resume(run_cli, tmp_path, executor, strategy, first, total):
    run = tmp_path / "run"
    cfg = write_config(tmp_path, strategy=strategy, executor=executor, budget=f"{first}trials", seed=3)
    if executor == "inprocess":
        rc, out1, err = run_cli("search", "--config", cfg, "--run-dir", run)
        assert rc == 0, err
        before = journal(run)
        rc, out2, err = run_cli("resume", run, "--budget", f"{total}trials")
        assert rc == 0, err
    else:
        res = _cli("search", "--config", cfg, "--run-dir", run)
        assert res.returncode == 0, res.stdout + res.stderr
        before, out1 = journal(run), res.stdout
        res = _cli("resume", run, "--budget", f"{total}trials")
        assert res.returncode == 0, res.stdout + res.stderr
        out2 = res.stdout
    return run, before, out1 + out2


# Each strategy in-process; one through Ray as well (the executor does not touch the strategy's
# random stream, and three Ray start-ups cost 75 s of the suite's time).
@pytest.mark.parametrize(("strategy", "executor"), [("tpe", "inprocess"), ("evolution", "inprocess"),
                                                    ("random", "inprocess"), ("tpe", "ray")])
def test_resumed_strategy_continues_its_random_stream(run_cli, tmp_path, executor, strategy):
    """#20: a resumed TPE re-proposed the first run's genotypes (its sampler restarted from the
    seed). Resumed, each strategy continues: no hash twice, and no repeat even proposed."""
    run, before, out = _search_then_resume(run_cli, tmp_path, executor, strategy, 4, 9)
    _check_resumed(run, before, 9)
    assert "repeated proposals" not in out  # nothing had to be refused: the strategy itself moved on


# ---- the no-repeat rule against a strategy that insists

def _register_insistent():
    from nasx.spaces import RandomChooser
    from nasx.strategies.base import Strategy
    from nasx.strategies.registry import _STRATEGIES, register_strategy

    if "insistent" in _STRATEGIES:
        return

    @register_strategy("insistent")
    class Insistent(Strategy):
        """Proposes its first genotype again and again, then (after 3 repeats) a new one."""

        def _propose(self):
            if len(self.history) < 4:
                import random

                return self.space.sample(RandomChooser(random.Random(self.seed + 12345)))
            return self.space.sample(RandomChooser(self.rng))


def test_a_repeat_is_answered_from_the_run_not_trained_again(run_cli, tmp_path):
    _register_insistent()
    cfg = write_config(tmp_path, strategy="insistent", executor="inprocess", budget="3trials")
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run")
    assert rc == 0, err
    trials = journal(tmp_path / "run")
    assert len(trials) == 3 and len({t["hash"] for t in trials}) == 3  # 3 bought, all different
    assert "3 repeated proposals answered from the run" in out


def test_allow_repeats_re_evaluates_on_purpose(run_cli, tmp_path):
    _register_insistent()
    cfg = write_config(tmp_path, strategy="insistent", executor="inprocess", budget="3trials")
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run", "--allow-repeats")
    assert rc == 0, err
    trials = journal(tmp_path / "run")
    assert len(trials) == 3 and len({t["hash"] for t in trials}) == 1
    assert "repeated proposals" not in out


def test_a_strategy_that_only_repeats_is_stopped_with_a_reason(run_cli, tmp_path):
    from nasx.spaces import RandomChooser
    from nasx.strategies.base import Strategy
    from nasx.strategies.registry import _STRATEGIES, register_strategy

    if "stuck" not in _STRATEGIES:
        @register_strategy("stuck")
        class Stuck(Strategy):
            def _propose(self):
                import random

                return self.space.sample(RandomChooser(random.Random(0)))

    cfg = write_config(tmp_path, strategy="stuck", executor="inprocess", budget="5trials")
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run")
    assert rc == 0, err
    assert len(journal(tmp_path / "run")) == 1
    assert "already evaluated" in _meta(tmp_path / "run")["stop_reason"]


# ---- the lock itself, between two real processes

def test_run_lock_between_processes(tmp_path):
    from nasx.runlock import RunLocked, acquire, holder, release

    code = ("import sys, time; from nasx.runlock import acquire; acquire(sys.argv[1]); "
            "print('held', flush=True); time.sleep(600)")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                             stdout=subprocess.PIPE, text=True, env=subprocess_env())
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked, match=f"being written by pid {child.pid} on "):
            acquire(tmp_path)
    finally:
        child.kill()
        child.wait()
    acquire(tmp_path)  # the dead holder's lock is taken over
    try:
        acquire(tmp_path)  # re-entrant within one process
        release(tmp_path)
        info = holder(tmp_path)
        assert info["pid"] == os.getpid() and info["took_over"]["pid"] == child.pid
    finally:
        release(tmp_path)
    assert holder(tmp_path) is None  # a clean release leaves the lock free


def test_train_ctrl_c_exits_130_leaving_a_resumable_checkpoint(tmp_path):
    gen = tmp_path / "g.json"
    res = _cli("sample", "--space", "nb201", "--json", "--seed", "1")
    assert res.returncode == 0, res.stderr
    gen.write_text(res.stdout)
    out = tmp_path / "out"
    proc = Proc("train", "--genotype", gen, "--data", "digits", "--epochs", "500", "--out", out, "--device", "cpu")
    try:
        assert _wait_for(lambda: (out / "checkpoint.pt").exists(), 300, proc), proc.out
        proc.signal_group(signal.SIGINT)
        rc = proc.wait(120)
    finally:
        proc.kill()
    assert rc == 130, proc.out
    assert "Traceback" not in proc.out
    last = _last_line(proc.out)
    assert last.startswith("interrupted after epoch ") and last.endswith(f"continue with: nasx train --resume {out}")
    assert (out / "checkpoint.pt").is_file() and not (out / "weights.pt").exists()


def test_a_stop_during_the_strategys_ask_launches_nothing(tmp_path):
    """The signal can land while TPE is proposing (seconds on a busy machine): that proposal is not
    launched, and its Optuna trial is closed as failed exactly once (the study stays consistent)."""
    from nasx.config import load_config
    from nasx.execute import FINISHED, SearchDriver
    from nasx.runs import RunDir

    cfg = load_config(write_config(tmp_path, strategy="tpe", executor="inprocess", budget="3trials"), {})
    run = RunDir.create(tmp_path / "run", cfg.to_dict())
    driver = SearchDriver(cfg, run, 0.0)
    propose = driver.strategy._propose

    def propose_then_signal():
        out = propose()
        driver.request_stop("interrupted (SIGINT)")  # what the handler does, mid-ask
        return out

    driver.strategy._propose = propose_then_signal
    assert driver.next_spec() == FINISHED
    assert not driver.running and not driver.strategy.pending and driver.strategy.asked == 0
    assert _optuna_states(run.path) == ["FAIL"]
    driver.strategy.close()
