"""Executors: in-process and Ray Tune, both driving a strategy through `SearchDriver`."""

from .driver import FINISHED, SearchDriver
from .inprocess import run_inprocess
from .trial import run_trial

EXECUTORS = {"inprocess": "nasx.execute.inprocess:run_inprocess", "ray": "nasx.execute.ray_tune:run_on_ray"}

__all__ = ["EXECUTORS", "FINISHED", "SearchDriver", "run_inprocess", "run_trial"]
