"""Which trainings the final phase owes: the top K distinct found architectures (by the search's
objective) and every baseline, each under one protocol (same epochs, data, batch, learning rate,
augmentation) and the same S seeds. Pure data from the journal, so a resumed or continued phase
plans exactly the same trainings and skips those already journaled."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config_sections import FinalSettings, final_epochs
from ..evaluate.runners import trains_one_candidate
from ..runs import RunDir

FINAL_EVENT = "final"


@dataclass(frozen=True)
class FinalEntry:
    id: str  # the journal id: final-e<epochs>-<name>-s<seed index>
    kind: str  # "found" | "baseline"
    name: str  # the search trial's id, or the zoo model's name
    seed_index: int
    seed: int
    epochs: int
    genotype: dict | None = None  # found architectures only
    search_rank: int | None = None  # the architecture's rank in the search (found only)
    search_metrics: dict = field(default_factory=dict)
    size_to: int | None = None  # baselines: the best found network's parameters (a kind that can resize one does)

    def meta(self) -> dict:
        m = {"final": {"kind": self.kind, "name": self.name, "seed_index": self.seed_index, "seed": self.seed,
                       "epochs": self.epochs, "search_rank": self.search_rank}}
        if self.kind == "baseline":
            m["zoo"] = self.name
            if self.size_to:
                m["size_to_params"] = int(self.size_to)
        return m


def search_ranking(run: RunDir, objective: str | None = None) -> list:
    """Finished search trials that trained one architecture each, best first (by `objective`, default
    the run's), one per genotype."""
    seen, out = set(), []
    for t in run.leaderboard(objective):
        if not trains_one_candidate(t.meta) or t.genotype.hash in seen:
            continue
        seen.add(t.genotype.hash)
        out.append(t)
    return out


def plan_final(run: RunDir, settings: FinalSettings, cfg: dict) -> list[FinalEntry]:
    """The trainings of a final phase on `run` (cfg: the run's resolved config as a dict)."""
    epochs = final_epochs(settings, cfg)
    base_seed = int(cfg.get("seed") or 0)
    out: list[FinalEntry] = []
    ranked = search_ranking(run)[: settings.top]
    quality = run.task_kind().quality_names()
    size_to = ranked[0].metrics.get("params") if ranked else None  # "a baseline of the same size", where resizable
    for i in range(settings.seeds):
        for r, t in enumerate(ranked, start=1):
            out.append(FinalEntry(f"final-e{epochs}-{t.trial_id}-s{i}", "found", t.trial_id, i, base_seed + i, epochs,
                                  t.genotype.to_dict(), r,
                                  {k: t.metrics.get(k) for k in (*quality, "params", "macs")}))
        for name in cfg.get("baselines") or []:
            out.append(FinalEntry(f"final-e{epochs}-{name}-s{i}", "baseline", name, i, base_seed + i, epochs,
                                  size_to=size_to))
    return out


def final_records(run) -> list[dict]:
    return [r for r in run.records() if r.get("event") == FINAL_EVENT]


def final_trial(run, trial_id: str):
    """A found architecture's final training as a TrialRecord (what export and nasx.load read)."""
    from ..runs import TrialRecord, as_trained
    from ..spaces import genotype_from_obj

    for r in final_records(run):
        if r["id"] == trial_id and r.get("kind") == "found":
            w = r.get("weights")
            build = r.get("build") or {}
            return TrialRecord(trial_id=r["id"], genotype=genotype_from_obj(as_trained(r["genotype"], build)),
                               status=r["status"], reason=r.get("reason"), metrics=r.get("metrics") or {},
                               device_seconds=float(r.get("device_seconds") or 0.0),
                               wall_seconds=float(r.get("wall_seconds") or 0.0), worker=r.get("worker"),
                               weights=(run.path / w) if w else None, meta=r.get("meta") or {}, build=build)
    return None


def final_winner(run):
    """The verdict's winner's best-seed final training (a TrialRecord), or None without a final phase."""
    from .verdict import final_rows, verdict

    rows = final_rows(run)
    wid = verdict(rows)["winner_id"] if rows else None
    return final_trial(run, wid) if wid else None
