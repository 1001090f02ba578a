"""The final phase: the search's top K and every baseline retrained under one protocol, a verdict."""

from .plan import FINAL_EVENT, FinalEntry, final_records, plan_final, search_ranking
from .settings import FinalSettings, Limits

__all__ = ["FINAL_EVENT", "FinalEntry", "FinalSettings", "Limits", "final_records", "plan_final", "search_ranking"]
