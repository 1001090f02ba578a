"""Live terminal progress of a search: budget spent of limit, trials running / finished / failed,
best so far, the dashboard URL. A rich Live panel on a terminal; one plain line per finished trial
otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.live import Live
from rich.table import Table


class SearchProgress:
    def __init__(self, title: str, dashboard: str | None = None, console: Console | None = None):
        self.console = console or Console(stderr=False, highlight=False)
        self.title, self.dashboard = title, dashboard
        self.live: Live | None = None
        self._last_done = -1
        self._t = 0.0

    def __enter__(self):
        if sys.stdout.isatty():
            self.live = Live(self._render(None), console=self.console, refresh_per_second=2, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live is not None:
            self.live.__exit__(*exc)

    def _render(self, driver):
        t = Table(title=self.title, show_header=False, box=None)
        t.add_column(style="bold")
        t.add_column()
        if driver is not None:
            spent, limit, unit = driver.spent_primary()
            st = driver.stats
            t.add_row("budget", f"{spent:.3g} of {limit:.3g} {unit}" if limit else f"{spent:.3g} {unit}")
            t.add_row("trials", f"{st.running} running, {st.finished} finished, {st.failed} failed, "
                                f"{st.stopped} stopped early")
            best = f"{st.best_val_acc:.4f} ({st.best_id})" if st.best_val_acc is not None else "-"
            t.add_row("best val_acc", best)
            for tid, status, acc, reason in st.recent[-3:]:
                detail = f"{acc:.4f}" if acc is not None else (reason or "")
                t.add_row("", f"[dim]{tid} {status} {detail[:80]}[/]")
        if self.dashboard:
            t.add_row("dashboard", self.dashboard)
        return t

    def __call__(self, driver) -> None:
        if self.live is not None:
            self.live.update(self._render(driver))
            return
        st = driver.stats
        done = st.finished + st.failed + st.stopped
        if done != self._last_done:
            self._last_done = done
            spent, limit, unit = driver.spent_primary()
            tid, status, acc, reason = st.recent[-1] if st.recent else ("-", "-", None, None)
            detail = f"val_acc={acc:.4f}" if acc is not None else (reason or "")
            best = f"{st.best_val_acc:.4f}" if st.best_val_acc is not None else "-"
            lim = f"/{limit:.3g}" if limit else ""
            self.console.print(f"[{time.strftime('%H:%M:%S')}] {tid} {status} {detail[:100]} | "
                               f"budget {spent:.3g}{lim} {unit} | running {st.running} done {done} "
                               f"failed {st.failed} | best {best}", soft_wrap=True)
