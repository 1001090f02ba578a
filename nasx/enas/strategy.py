"""The `enas` strategy: one proposal whose trial runs the whole ENAS search, then (`derive_top_k`)
the re-ranked children as ordinary trials.

The proposal names its runner as data (`meta["runner"]`, looked up in the runner registry
`nasx.evaluate.runners`, where nasx.enas registers it); the strategy never imports the executor. Its genotype is a placeholder
sample of the space: the runner reports the architecture it derived, which the driver journals.
The ENAS options travel in the proposal's meta.

With `derive_top_k` = k > 0 the ENAS trial does not retrain: it reports the children it ranked by
their shared-weight score (`metrics["derived"]`, best first: `shared_val_acc` for images,
`shared_val_bpc` for language models, the task kind's objective) and no objective metric, and this
strategy then proposes the top k as ordinary training trials of `derive_epochs` epochs, so the
executor runs them in parallel, the budget counts them, and the journal, `nasx show` and
`nasx export` see them. Each carries its
rank and shared-weight score in meta (`nasx.enas.rerank` reads them back for Kendall's tau).
With `retrain` (the default) the best child by the search's first objective (its direction: higher
accuracy, lower bits per token) is then trained once more
at the task's epochs (meta `derive_final`), as the plain derive retrains its pick: the run ends with
a cell trained under the search's protocol, which `nasx export` takes. Resume replays the journal:
the ENAS trial refills the queue, the replayed children leave it, a replayed final ends the run.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..spaces import RandomChooser, genotype_from_obj
from ..strategies.base import Strategy
from ..strategies.registry import register_strategy
from .kinds import enas_kind, shared_key
from .options import EnasOptions

RUNNER = "enas"  # the trial runner, by its registered name: data in the proposal, not an import


@register_strategy("enas")
class EnasStrategy(Strategy):
    def __init__(self, space, seed=0, objectives=("val_acc",), max_trials=None, seeds=None, **options):
        self.enas = EnasOptions.from_dict(options, getattr(space, "kind", None))
        super().__init__(space, seed=seed, objectives=objectives, max_trials=max_trials)
        if space is not None:
            enas_kind(space)  # one line when ENAS has no supernet for the space's kind
        self.shared_key = shared_key(space) if space is not None else "shared_val_acc"
        settings = getattr(space, "settings", None)
        if getattr(settings, "skeleton", "cifar") != "cifar" or getattr(settings, "auxiliary", False) is True:
            raise ConfigError("strategy enas: its supernet exists for skeleton cifar without an auxiliary head "
                              "only; search that way, then retrain the found cell at the final size with `nasx train`",
                              keys=("skeleton",))
        self.searched = False  # the ENAS trial has been told
        self.queue: list[tuple[int, object, float | None]] = []  # (rank, genotype, shared score) to train
        self.untold: set[int] = set()  # ranks of re-ranked children not told yet
        self.scores: dict[int, tuple[float, object]] = {}  # rank -> (proxy fitness, genotype) of told children
        self.final_asked = False  # the best child's retraining (retrain with derive_top_k)

    @property
    def finished(self) -> bool:
        if super().finished:
            return True
        if self.asked < 1 or not self.enas.derive_top_k:
            return self.asked >= 1
        return self.searched and not self.queue and (self.final_asked or not self._final_due())

    def _final_due(self) -> bool:
        """Whether the best child's retraining may still be asked: `retrain` is on, it was not asked
        yet, and a re-ranked child is still running or one has finished ok."""
        return self.enas.retrain and not self.final_asked and (bool(self.untold) or bool(self.scores))

    def _propose(self):
        if self.asked == 0:
            return self.space.sample(RandomChooser(self.rng)), {}, {"runner": RUNNER, "enas": self.enas.to_dict()}
        if self.queue:
            rank, genotype, score = self.queue.pop(0)
            return genotype, {"epochs": self.enas.derive_epochs}, {"derive_rank": rank, self.shared_key: score}
        if self.searched and not self.untold and self._final_due():
            # the best proxy fitness (higher = better); on a tie the child the shared weights ranked higher
            rank = max(self.scores, key=lambda r: (self.scores[r][0], -r))
            self.final_asked = True
            return self.scores[rank][1], {}, {"derive_final": rank}
        return None  # the ENAS trial or the re-ranked children are still running

    def _learn(self, proposal, result) -> None:
        if proposal.meta.get("runner") == RUNNER:
            self.searched = True
            derived = (result.metrics.get("derived") or []) if result.status == "ok" else []
            self.queue = [(r, genotype_from_obj(d["genotype"]), d.get(self.shared_key))
                          for r, d in enumerate(derived[:self.enas.derive_top_k], start=1)]
            self.untold = {q[0] for q in self.queue}
        elif proposal.meta.get("derive_rank") is not None:
            rank = proposal.meta["derive_rank"]
            self.queue = [q for q in self.queue if q[0] != rank]
            self.untold.discard(rank)
            fit = self.fitness(result)  # the first objective, its direction applied
            if fit is not None:
                self.scores[rank] = (fit, proposal.genotype)
        elif proposal.meta.get("derive_final") is not None:
            self.final_asked = True

    def discard(self, proposal) -> None:
        """A proposal the executor will not run (a stop came while it was asked): a re-ranked child
        goes back to the front of the queue, the final retraining is due again."""
        p = self.pending.get(proposal if isinstance(proposal, str) else proposal.id)
        super().discard(proposal)
        if p is None:
            return
        if p.meta.get("derive_final") is not None:
            self.final_asked = False
        elif p.meta.get("derive_rank") is not None:
            self.queue.insert(0, (p.meta["derive_rank"], p.genotype, p.meta.get(self.shared_key)))

    def summary(self) -> dict:
        return {**super().summary(), "searched": self.searched, "to_train": len(self.queue),
                "final_retrain": self.final_asked}
