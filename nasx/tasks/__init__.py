"""Task kinds behind one registry (`register_task`): image classification first; language models and
image generators register the same way (see base.py for what a kind declares)."""

from . import image as _image  # noqa: F401  (registers image-classification and its runner)
from . import language as _language  # noqa: F401  (registers language-modelling and its runner)
from .base import DEFAULT_KIND, TASK_KINDS, TaskKind, get_task_kind, register_task, unregister_task

__all__ = ["DEFAULT_KIND", "TASK_KINDS", "TaskKind", "get_task_kind", "register_task", "unregister_task"]
