"""Plain-text progress of a search: one line per finished trial (logs, CI, library use).

The line of a finished trial is written after the launch that refills its slot (or the next
finish, or the end), so `running N` counts the trials really running, not the moment between a
trial's end and its successor's start. The CLI's rich display (`nasx.cli.progress`) builds on this.
"""

from __future__ import annotations

import sys
import time

from .observer import SearchObserver


def trial_line(driver) -> tuple[str, str]:
    """The progress line of the last finished trial, split where the running count goes."""
    st = driver.stats
    done = st.finished + st.failed + st.stopped
    spent, limit, unit = driver.spent_primary()
    tid, status, acc, reason = st.recent[-1] if st.recent else ("-", "-", None, None)
    detail = f"{st.objective}={acc:.4f}" if isinstance(acc, (int, float)) else (reason or "")
    best = f"{st.best_value:.4f}" if st.best_value is not None else "-"
    lim = f"/{limit:.3g}" if limit else ""
    return (f"[{time.strftime('%H:%M:%S')}] {tid} {status} {detail[:100]} | budget {spent:.3g}{lim} {unit} | ",
            f" done {done} failed {st.failed} | best {best}")


class PlainProgress(SearchObserver):
    def __init__(self, write=None):
        self.write = write or (lambda text: print(text, file=sys.stdout, flush=True))
        self._pending: tuple[str, str] | None = None  # a finished trial's line, waiting for the refill launch
        self._driver = None

    def __exit__(self, *exc) -> None:
        self._flush()

    def message(self, text: str, warning: bool = False) -> None:
        self.write(text)

    def update(self, driver) -> None:
        self._driver = driver
        if driver.last_event == "finish":
            self._flush()  # an earlier finish whose slot was not refilled
            self._pending = trial_line(driver)
        elif driver.last_event == "launch":
            self._flush()

    def _flush(self) -> None:
        if self._pending is not None and self._driver is not None:
            head, tail = self._pending
            self.write(f"{head}running {self._driver.stats.running}{tail}")
        self._pending = None
