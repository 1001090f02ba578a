"""ENAS for language models: the recurrent supernet (`rnn_supernet.py`), the recurrent search
(`lm_search.py`) on the run's corpus, and the derived child retrained by the kind's own trial runner
(`train_lm`), so its metrics (val_bpc, test_bpc, params, ...) are those of any other trial."""

from __future__ import annotations

from dataclasses import replace

from ..evaluate.runners import get_runner
from ..tasks import get_task_kind
from ..tasks.language import build_record
from .kinds import register_enas_kind
from .lm_search import RecurrentEnasSearch
from .rnn_supernet import RNN_SUPERNETS

KIND = "language-modelling"


class LanguageEnas:
    supernets = RNN_SUPERNETS
    search = RecurrentEnasSearch

    @staticmethod
    def load(task):
        return get_task_kind(KIND).load_data(task)

    @staticmethod
    def build_record(spec, corpus, task) -> dict:
        return build_record(spec.network, corpus, task)

    @staticmethod
    def retrain(spec, space, genotype, corpus, task):
        """The derived child as an ordinary trial of the kind's runner: (status, reason, metrics, weights)."""
        runner = get_task_kind(KIND).runner
        out = get_runner(runner).fn(replace(spec, genotype=genotype.to_dict(), runner=runner, meta={}))
        return out.status.value, out.reason, out.metrics, out.weights


register_enas_kind(KIND, LanguageEnas())
