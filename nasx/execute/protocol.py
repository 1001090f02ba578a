"""What every driver shares with the executors (the search's `SearchDriver`, the final phase's
`FinalDriver`): `record` writes an outcome under the interrupt guard, listeners hear each event,
`request_stop` ends launching. Subclasses implement `next_spec`, `_record` and `abandon`."""

from __future__ import annotations

from ..evaluate.outcome import TrialOutcome

FINISHED = "FINISHED"


class DriverBase:
    stop_requested = False
    aborting = False  # a second signal arrived inside `record`: abort right after it
    _recording = False
    last_event = ""

    def record(self, trial_id: str, outcome: TrialOutcome | dict) -> None:
        """A trial ended: the subclass journals it first, then tells whoever learns from it. A second
        Ctrl-C arriving meanwhile is deferred (`aborting`) so the journal line is never half-told."""
        self._recording = True
        try:
            self._record(trial_id, TrialOutcome.coerce(outcome))
        finally:
            self._recording = False
        if self.aborting:
            raise KeyboardInterrupt

    def _record(self, trial_id: str, outcome: TrialOutcome) -> None:
        raise NotImplementedError

    def request_stop(self, why: str = "interrupted") -> None:
        """Start no more trials (running ones end normally)."""
        self.stop_requested = True
        self.stats.stop_reason = why

    def _notify(self, event: str) -> None:
        """Tell each listener `fn(driver)`; `driver.last_event` says what happened (launch, finish,
        abandon), so a display can wait for the launch that refills a finished trial's slot."""
        self.last_event = event
        for fn in self.listeners:
            fn(self)
