"""Executors: in-process and Ray Tune, both driving a strategy through `SearchDriver`."""

from .driver import FINISHED, SearchDriver
from .executors import EXECUTORS, Executor, create_executor, executor_names
from .inprocess import run_inprocess
from .observer import SearchObserver
from .trial import run_trial

__all__ = ["EXECUTORS", "FINISHED", "Executor", "SearchDriver", "SearchObserver", "create_executor",
           "executor_names", "run_inprocess", "run_trial"]
