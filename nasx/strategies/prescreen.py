"""`--prescreen PROXY:N`: each proposal is the best of N candidates by a zero-cost proxy.

The wrapper asks the wrapped strategy N times (its own sampler or mutator: random samples for
random search, tournament + mutation for evolution, N TPE draws, the next N of a PNAS stage),
scores the candidates with the proxy on their real untrained networks, proposes the best and
`discard`s the rest (a discarded proposal is never run, told or charged as a trial). Seeded
proposals (`--seed-arch`) and one-shot runs that name their own runner (ENAS) pass through
unscored. Strategies with a learned model (PNAS, BANANAS) also read the proxy as one more input
of their predictor (`Strategy.attach_proxy`); `PROXY:1` gives that alone, with no screening. The
proxy's computing time (the candidates' and the predictor's) rides on the next chosen proposal as
`meta["proxy_seconds"]`; the driver charges it to the budget like trial time. The wrapper is a
strategy to the executors, so it works in-process and on Ray unchanged.
"""

from __future__ import annotations

import math

# proposal meta keys that mark a proposal the strategy has already chosen: seeds (`--seed-arch`), a
# one-shot run naming its runner (ENAS), ENAS's re-ranked children and the retraining of their best
UNSCREENED = ("seed", "runner", "derive_rank", "derive_final")


class Prescreened:
    """Wraps a Strategy; every attribute not defined here is the wrapped strategy's."""

    def __init__(self, inner, scorer, n: int):
        self.inner, self.scorer, self.n = inner, scorer, int(n)
        self.proxy_seconds = 0.0
        self.screened = 0
        self._charged = scorer.seconds  # proxy time up to here is on earlier proposals' bills
        self.as_feature = bool(inner.attach_proxy(scorer.score_many))  # model-based strategies learn from it

    def __getattr__(self, name):  # name, space, history, pending, max_trials, asked, seed, ...
        return getattr(self.inner, name)

    @property
    def finished(self) -> bool:
        return self.inner.finished

    def ask(self):
        first = self.inner.ask()
        if first is None or any(first.meta.get(k) is not None for k in UNSCREENED):
            return first  # seeds, one-shot runs (ENAS: a placeholder genotype) and the cells they chose
        cands = [first]
        limit, self.inner.max_trials = self.inner.max_trials, None  # the last trials get N candidates too
        try:
            while len(cands) < self.n and not self.inner.finished:
                p = self.inner.ask()
                if p is None:  # e.g. a PNAS stage has no more members to hand out
                    break
                cands.append(p)  # (seeds are all asked before any proposal, so none comes here)
        finally:
            self.inner.max_trials = limit
        scores = self.scorer.score_many([p.genotype for p in cands])
        # everything scored since the last bill: the candidates, and the surrogate's own features
        # (PNAS refits in tell, BANANAS in ask)
        spent, self._charged = self.scorer.seconds - self._charged, self.scorer.seconds
        best = max(range(len(cands)), key=lambda i: (scores[i], -i))  # the first on ties
        for i, p in enumerate(cands):
            if i != best:
                self.inner.discard(p)
        chosen = cands[best]
        s = scores[best]
        chosen.meta.update(proxy=self.scorer.proxy.name, proxy_score=s if math.isfinite(s) else None,
                           proxy_candidates=len(cands), proxy_seconds=spent)
        self.proxy_seconds += spent
        self.screened += len(cands)
        return chosen

    def tell(self, proposal, result) -> None:
        self.inner.tell(proposal, result)

    def observe(self, genotype, result, fidelity=None, meta=None, trial_id=None) -> None:
        self.inner.observe(genotype, result, fidelity, meta, trial_id=trial_id)

    def refund(self, proposal) -> None:
        self.inner.refund(proposal)

    def discard(self, proposal) -> None:
        self.inner.discard(proposal)

    def resumed(self, n_replayed: int) -> None:
        self.inner.resumed(n_replayed)

    def close(self) -> None:
        self.inner.close()

    def summary(self) -> dict:
        return {**self.inner.summary(), "prescreen": f"{self.scorer.proxy.name}:{self.n}",
                "proxy_seconds": round(self.proxy_seconds, 3), "screened": self.screened,
                "proxy_feature": self.as_feature}


def with_prescreen(strategy, prescreen: str | None, *, network: dict | None = None, data: str | None = None,
                   seed: int = 0, cache=None, num_classes: int | None = None, input_shape=None):
    """`strategy` wrapped for `prescreen` ('PROXY:N'), or unchanged when it is None/''."""
    from ..proxies import ProxyScorer, parse_prescreen

    parsed = parse_prescreen(prescreen)
    if parsed is None:
        return strategy
    name, n = parsed
    scorer = ProxyScorer(strategy.space, name, network=network, data=data, seed=seed, cache=cache,
                         num_classes=num_classes, input_shape=input_shape)
    return Prescreened(strategy, scorer, n)
