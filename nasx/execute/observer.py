"""What a search tells the outside world, as an interface: the CLI passes its rich display in,
a library user passes nothing (plain lines) or their own. The engine never imports a terminal UI."""

from __future__ import annotations


class SearchObserver:
    """Hears one search. Used as a context manager around the executor; `update` is a driver
    listener (called after every launch, finish and abandon; `driver.last_event` says which)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def started(self, title: str, dashboard: str | None) -> None:
        """The search is about to launch trials (`dashboard`: where to watch it, if anywhere)."""

    def message(self, text: str, warning: bool = False) -> None:
        """A line for the user (resuming, a baseline being trained, a warning)."""

    def update(self, driver) -> None:
        """The driver's figures changed."""
