"""Run reports: sections a plug-in adds to a finished run (a file in the run directory, a key in
`nasx show --json`, a line in `nasx show`) without the search or the command line knowing it.

ENAS registers two (its re-rank of derived children, its supernet's training); a report returns
None for runs it has nothing to say about, and then leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .registry import Registry


@dataclass(frozen=True)
class RunReport:
    """`summarize(trials) -> dict | None` (JSON-ready); `describe(summary) -> str` (one line for
    `nasx show`); `write(run) -> path | None`, at the end of a search (optional)."""

    name: str
    summarize: Callable
    describe: Callable
    write: Callable | None = None


REPORTS: Registry[RunReport] = Registry("run report")


def register_report(report: RunReport) -> RunReport:
    return REPORTS.add(report.name, report, origin=getattr(report.summarize, "__module__", None))


def write_reports(run) -> None:
    for report in REPORTS.values():
        if report.write is not None:
            report.write(run)


def summarize_reports(trials) -> dict:
    """{report name: summary} for every report with something to say about these trials."""
    out = {}
    for name, report in REPORTS.items():
        summary = report.summarize(trials)
        if summary:
            out[name] = summary
    return out
