"""The final phase: the search's top K and every baseline retrained under one protocol, a verdict."""

from ..config_sections import FinalSettings, Limits
from .plan import FINAL_EVENT, FinalEntry, final_records, plan_final, search_ranking

__all__ = ["FINAL_EVENT", "FinalEntry", "FinalSettings", "Limits", "final_records", "plan_final", "search_ranking"]
