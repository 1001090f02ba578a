"""ENAS per task kind: which supernets exist for the kind (by space kind) and what an ENAS trial of
that kind loads, searches with and retrains with. Keyed by the task kind's name (`nasx.tasks`), so
the runner, the strategy and `build_supernet` look the parts up and never branch on a kind.

A kind's `EnasKind` answers (`image_kind.py`: image classification; `lm_kind.py`: language models):

- `supernets`: a Registry, space kind -> supernet class, built as `cls(space, num_classes, in_channels)`
- `load(task)` -> the data; `build_record(spec, data, task)` -> the journal's build entry
- `search(space, data, task, opts)` -> the search object the runner drives (`trainer.EnasSearch` is
  the image one): `epoch`, `history`, `train_epoch()`, `state_dict()` / `load_state_dict()`,
  `epoch_metrics(row)` (what an epoch reports), `reserve_seconds()` (derive + retrain time to keep),
  `rank()` (derived children, best first, each with `score_key`), `shared_metrics(row)` (a child's
  shared-weight score as the kind's metrics), `rank_extras()`, `batch_size`, `steps_per_epoch`,
  `plot_labels`
- `retrain(spec, space, genotype, data, task)` -> (status, reason, metrics, weights) of the derived
  child trained from scratch
"""

from __future__ import annotations

from ..errors import ConfigError
from ..registry import Registry

ENAS_KINDS: Registry = Registry("ENAS task kind")  # task kind name -> its EnasKind


def register_enas_kind(task_kind: str, parts) -> object:
    """Register what ENAS needs for `task_kind` (a taken kind is a DuplicateName)."""
    return ENAS_KINDS.add(task_kind, parts)


def enas_kind(space):
    """The ENAS parts of `space`'s task kind; a one-line ConfigError when ENAS has none for its kind."""
    parts = ENAS_KINDS.get(space.task_kind)
    if parts is None or space.kind not in parts.supernets:
        raise ConfigError(f"strategy enas: no supernet for space kind {space.kind!r} "
                          f"({', '.join(supernet_kinds())})")
    return parts


def supernet_kinds() -> list[str]:
    """Every space kind some task kind has an ENAS supernet for."""
    return [k for parts in ENAS_KINDS.values() for k in parts.supernets]


def shared_key(space) -> str:
    """The name of a derived child's shared-weight score: `shared_` + the task kind's objective
    (`shared_val_acc` for images, `shared_val_bpc` for language models)."""
    from ..tasks import get_task_kind

    return "shared_" + get_task_kind(space.task_kind).objective
