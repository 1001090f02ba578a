"""Ctrl-C and SIGTERM during a search: the first one stops launching, the second aborts.

First signal: `driver.request_stop()`; `next_spec` returns FINISHED from then on, so no trial
starts; the trials already running end normally and are journaled (in-process: the one trial in
flight; on Ray: the running ones, which Tune waits for). Second signal: KeyboardInterrupt at once;
trials still running are lost (never journaled) and resume proposes again. If the second signal
lands while the driver writes a journal line and tells the strategy, the abort waits until both
are done, so the journal and the Optuna study never disagree.

Handlers are installed only from the main thread (Python allows no other) and restored on exit;
a signal ignored when nasx started (a background job of a non-interactive shell) stays ignored.
A signal that lands while the strategy is proposing discards that proposal (an Optuna trial is
closed as failed, once) instead of launching it.
"""

from __future__ import annotations

import os
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _say(msg: str) -> None:
    try:
        os.write(2, (msg + "\n").encode())  # safe inside a signal handler, unlike print()
    except OSError:
        pass


class StopSignals:
    def __init__(self, driver):
        self.driver = driver
        self.old: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                old = signal.getsignal(sig)
                if old is signal.SIG_IGN:  # e.g. `nasx search &` from a script: stay deaf to it
                    continue
                self.old[sig] = old
                signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, old in self.old.items():
            signal.signal(sig, old)
        self.old = {}

    def _handle(self, signum, frame):
        d = self.driver
        name = signal.Signals(signum).name
        if not d.stop_requested:
            d.request_stop(f"interrupted ({name})")
            n = len(d.running)
            wait = f"waiting for {n} running trial{'s' if n != 1 else ''} to end; " if n else ""
            _say(f"nasx: {name}: starting no more trials; {wait}Ctrl-C again to abort at once")
            return
        if d._recording:  # finish the journal line and the strategy's tell first
            d.aborting = True
            return
        raise KeyboardInterrupt
