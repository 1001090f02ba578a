"""The rich progress display of `nasx search` / `nasx resume`: a `SearchObserver` the CLI passes to
`run_search`. A Live panel on a terminal (budget, trials running / finished / failed, best so far,
the dashboard URL); off a terminal, the engine's plain lines, printed through the console."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.live import Live
from rich.table import Table

from ..execute.progress import PlainProgress


class RichProgress(PlainProgress):
    def __init__(self, console: Console):
        super().__init__(write=lambda text: console.print(text, soft_wrap=True, markup=False, highlight=False))
        self.console = console
        self.title, self.dashboard = "", None
        self.live: Live | None = None

    def started(self, title: str, dashboard: str | None) -> None:
        self.title, self.dashboard = title, dashboard
        if sys.stdout.isatty() and self.live is None:
            self.live = Live(self._render(None), console=self.console, refresh_per_second=2, transient=False)
            self.live.__enter__()

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)
            self.live = None
        super().__exit__(*exc)

    def message(self, text: str, warning: bool = False) -> None:
        self.console.print(text, style="yellow" if warning else None, soft_wrap=True, highlight=False, markup=False)

    def update(self, driver) -> None:
        if self.live is not None:
            self.live.update(self._render(driver))
            return
        super().update(driver)

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
            best = f"{st.best_value:.4f} ({st.best_id})" if st.best_value is not None else "-"
            t.add_row(f"best {st.objective}", best)
            for tid, status, acc, reason in st.recent[-3:]:
                detail = f"{acc:.4f}" if isinstance(acc, (int, float)) else (reason or "")
                t.add_row("", f"[dim]{tid} {status} {detail[:80]}[/]")
        if self.dashboard:
            t.add_row("dashboard", self.dashboard)
        return t
