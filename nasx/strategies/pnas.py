"""Progressive NAS (Liu et al. 2018): grow cells one block at a time, steered by a learned surrogate.

Stage 1 trains every distinct 1-block cell (or a random `first_stage` of them). Each later stage
fits the surrogate on every (cell, accuracy) seen, expands the `beam` best cells of the last stage
into all their (b+1)-block children, and trains the `beam` children the surrogate ranks highest
plus round(explore * beam) random ones. The search ends after the `max_blocks` stage.

On spaces without a block structure (no `expand`, e.g. nb201) the same surrogate drives a
predictor-guided search in rounds: the first round is random, each later round scores the
one-decision neighbours of the `beam` best cells seen plus `pool` random samples and trains the
predicted best plus the exploration share.

A stage is a barrier: ask() hands out its proposals (they may run in parallel), then returns None
until all of them are told (failures count as told). Everything random is seeded by (seed, stage)
and the surrogate is fit on the observations sorted by hash, so the strategy's state is a
deterministic function of the seed and the observations: replaying the journal through observe()
rebuilds it exactly. `stage_log` (also in summary()) has per stage the surrogate's Spearman rank
correlation between what it predicted for the stage's cells before they were trained and what they
scored: an honest held-out measure, since none of them were in its training data.
"""

from __future__ import annotations

import logging
import random

import numpy as np

from ..errors import ConfigError
from ..spaces import RandomChooser
from .base import Strategy
from .registry import register_strategy
from .surrogates import create_surrogate, spearman, surrogate_names

log = logging.getLogger(__name__)


def _int_option(name, value, low=1, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"strategy pnas: {name} must be an integer >= {low}, got {value!r}")
    return value


def neighbours(space, genotype) -> list:
    """Every genotype one decision away (exhaustive one-step mutation), de-duplicated."""
    base = space.choices(genotype)
    out, seen = [], {genotype.hash}
    for key, opts in space.decisions():
        if key not in base:
            continue
        for o in opts:
            if o != base[key]:
                g = space.from_choices({**base, key: o})
                if g.hash not in seen:
                    seen.add(g.hash)
                    out.append(g)
    return out


@register_strategy("pnas")
class PNAS(Strategy):
    def __init__(self, space, beam: int = 16, max_blocks: int | None = None, epochs=None,
                 explore: float = 0.1, surrogate: str = "lstm", first_stage: int | None = None,
                 pool: int = 200, kappa: float = 0.0, **kw):
        super().__init__(space, **kw)
        self.progressive = hasattr(space, "expand")
        self.beam = _int_option("beam", beam)
        self.first_stage = _int_option("first_stage", first_stage, allow_none=True)
        self.pool = _int_option("pool", pool, low=0)
        if max_blocks is not None and not self.progressive:
            raise ConfigError(f"strategy pnas: max_blocks needs a space with blocks; {space.name} has none")
        limit = space.settings.blocks if self.progressive else None
        self.max_blocks = limit if max_blocks is None else _int_option("max_blocks", max_blocks)
        if self.progressive and self.max_blocks > limit:
            raise ConfigError(f"strategy pnas: max_blocks {max_blocks} exceeds the space's {limit} blocks")
        if isinstance(epochs, (list, tuple)):
            self.epochs = [_int_option("epochs", e) for e in epochs] or None
        else:
            self.epochs = None if epochs is None else [_int_option("epochs", epochs)]
        if isinstance(explore, bool) or not isinstance(explore, (int, float)) or not 0 <= explore <= 1:
            raise ConfigError(f"strategy pnas: explore must be a share in [0, 1], got {explore!r}")
        self.explore = float(explore)
        if surrogate not in surrogate_names():
            raise ConfigError(f"strategy pnas: surrogate must be one of {', '.join(surrogate_names())}, "
                              f"got {surrogate!r}")
        if isinstance(kappa, bool) or not isinstance(kappa, (int, float)):
            raise ConfigError(f"strategy pnas: kappa must be a number, got {kappa!r}")
        self.surrogate_name, self.kappa = surrogate, float(kappa)
        self.stage = 0
        self.stage_log: list[dict] = []
        self.data: dict[str, tuple] = {}      # hash -> (genotype, accuracy) of every successful trial
        self.seen: set[str] = set()           # hashes planned or told: never proposed twice
        self.plan: list[tuple] = []           # (genotype, predicted) of this stage, not yet asked
        self.members: dict[str, float | None] = {}  # this stage: hash -> prediction made before training
        self.told: dict[str, float | None] = {}     # this stage: hash -> accuracy (None = failed)
        self._done = False
        self._features: dict = {}  # surrogate inputs by genotype hash, reused by every stage's fit
        self._proxy = None  # zero-cost proxy scores as one more surrogate input (attach_proxy)
        self._start(1, self._first_cells(), {})

    # ---- protocol
    @property
    def finished(self) -> bool:
        return self._done or super().finished

    def _propose(self):
        if not self.plan:
            return None  # barrier: the stage's trials are out; wait for them
        g, pred = self.plan.pop(0)
        meta = {"stage": self.stage, "predicted": pred}
        return g, self._fidelity(), meta

    def _learn(self, proposal, result):
        g = proposal.genotype
        acc = self.fitness(result)  # higher = better, whatever the metric's direction
        if acc is not None:
            self.data[g.hash] = (g, acc)
        self.seen.add(g.hash)
        self.plan = [(p, v) for p, v in self.plan if p.hash != g.hash]  # replayed before it was asked
        if g.hash in self.members:
            self.told[g.hash] = acc
            if len(self.told) == len(self.members):
                self._finish_stage()

    def discard(self, proposal) -> None:
        """A member that will not run leaves its stage (a pre-screen chose another), so the stage's
        barrier waits only for the members that do run."""
        pid = proposal if isinstance(proposal, str) else proposal.id
        p = self.pending.get(pid)
        super().discard(proposal)
        if p is not None and p.genotype.hash in self.members and p.genotype.hash not in self.told:
            del self.members[p.genotype.hash]
            self.seen.discard(p.genotype.hash)
            if self.members and len(self.told) == len(self.members) and not self.plan:
                self._finish_stage()

    def attach_proxy(self, score_many) -> bool:
        """The surrogate reads each cell's proxy score beside its encoding (from the next fit on)."""
        self._proxy = score_many
        return True

    def summary(self) -> dict:
        return {**super().summary(), "stage": self.stage, "stages": list(self.stage_log)}

    # ---- stages
    def _rng(self, stage: int, use: str = "") -> random.Random:
        return random.Random(f"pnas:{self.seed}:{stage}:{use}")

    def _fidelity(self) -> dict:
        if not self.epochs:
            return {}
        return {"epochs": self.epochs[min(self.stage, len(self.epochs)) - 1]}

    def _first_cells(self) -> list:
        rng = self._rng(1)
        if self.progressive:
            cells = self.space.initial_cells()
            if self.first_stage is not None and self.first_stage < len(cells):
                return rng.sample(cells, self.first_stage)
            rng.shuffle(cells)
            return cells
        n = self.first_stage or self.beam
        cells, hashes = [], set()
        for _ in range(50 * n):
            g = self.space.sample(RandomChooser(rng))
            if g.hash not in hashes:
                hashes.add(g.hash)
                cells.append(g)
                if len(cells) == n:
                    break
        return cells

    def _start(self, stage: int, cells: list, predicted: dict) -> None:
        self.stage = stage
        self.members = {g.hash: predicted.get(g.hash) for g in cells}
        self.told = {}
        self.plan = [(g, predicted.get(g.hash)) for g in cells]
        self.seen.update(self.members)

    def _finish_stage(self) -> None:
        accs = {h: a for h, a in self.told.items() if a is not None}
        pairs = [(self.members[h], a) for h, a in accs.items() if self.members[h] is not None]
        rho = spearman([p for p, _ in pairs], [a for _, a in pairs]) if pairs else None
        entry = {"stage": self.stage, "trained": len(self.told), "failed": len(self.told) - len(accs),
                 "spearman": rho, "best": max(accs.values(), default=None),
                 "best_overall": max((a for _, a in self.data.values()), default=None)}
        if self.progressive:
            entry["blocks"] = self.stage
        self.stage_log.append(entry)
        log.info("pnas stage %d: trained %d (%d failed), surrogate spearman %s, best %s",
                 self.stage, entry["trained"], entry["failed"],
                 "-" if rho is None else f"{rho:.3f}", entry["best"])
        if self.progressive and self.stage >= self.max_blocks:
            self._done = True
            return
        candidates = self._candidates(accs)
        if not candidates:
            self._done = True
            return
        picked, predicted = self._select(candidates)
        self._start(self.stage + 1, picked, predicted)

    def _top(self, hashes, k: int) -> list:
        ranked = sorted(hashes, key=lambda h: (-self.data[h][1], h))
        return [self.data[h][0] for h in ranked[:k]]

    def _candidates(self, stage_accs: dict) -> list:
        """Unseen children of the beam (progressive) or neighbours + samples of the best seen."""
        out, hashes = [], set(self.seen)

        def add(g):
            if g.hash not in hashes:
                hashes.add(g.hash)
                out.append(g)

        if self.progressive:
            for parent in self._top(stage_accs, self.beam):
                for child in self.space.expand(parent):
                    add(child)
            return out
        for parent in self._top(self.data, self.beam):
            for g in neighbours(self.space, parent):
                add(g)
        rng = self._rng(self.stage + 1, "pool")
        for _ in range(self.pool):
            add(self.space.sample(RandomChooser(rng)))
        return out

    def _select(self, candidates: list) -> tuple[list, dict]:
        """The `beam` best by the surrogate plus round(explore * beam) random others."""
        rng = self._rng(self.stage + 1, "explore")
        if not self.data:  # everything failed so far: nothing to learn from
            return rng.sample(candidates, min(len(candidates), self.beam)), {}
        ranked = sorted(self.data.items())  # by hash: the fit depends on the set, not the tell order
        model = create_surrogate(self.surrogate_name, self.space, seed=self.seed * 1009 + self.stage,
                                 cache=self._features, proxy=self._proxy)
        model.fit([g for _, (g, _) in ranked], np.array([a for _, (_, a) in ranked]))
        mean, std = model.predict(candidates)
        score = mean + self.kappa * std
        order = np.argsort(-score, kind="stable")
        top = [int(i) for i in order[:self.beam]]
        rest = [int(i) for i in order[self.beam:]]
        n_explore = min(len(rest), round(self.explore * self.beam))
        picks = top + sorted(rng.sample(rest, n_explore))
        return [candidates[i] for i in picks], {candidates[i].hash: float(mean[i]) for i in picks}
