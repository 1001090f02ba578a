"""The training folder (`nasx train --out DIR`): its files, and every write and read of them.

DIR/settings.json    what the training was started with (space, genotype hash, network, Task, recipe)
DIR/genotype.json    the architecture
DIR/checkpoint.pt    after every epoch: the trainer's state (nasx.evaluate.trainer, nasx.lm.trainer) + "settings";
                     replaced atomically (nasx.atomic: temporary file, fsync, rename), removed at the end
DIR/weights.pt       the trained state_dict      } written when training finishes;
DIR/metrics.json     metrics, history, build     } metrics.json last: its presence means "finished"

Writers: `nasx.training.run` (create, save_checkpoint, finish, discard). Readers: `--resume`
(load_checkpoint), `nasx export DIR` (is_training_folder, finished_weights; nasx.export.sources
.from_training) and the export of a weights file with the record `nasx train` left beside it
(record_beside, recorded_input_size).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from .. import atomic
from ..errors import NasxError

CHECKPOINT = "checkpoint.pt"
SETTINGS = "settings.json"
GENOTYPE = "genotype.json"
WEIGHTS = "weights.pt"
METRICS = "metrics.json"
FORMAT = "nasx-train/1"
FILES = (WEIGHTS, METRICS, GENOTYPE, SETTINGS)  # a finished folder, as `nasx train` lists it

KEYS = ("resume", "force")  # the settings these errors name (flags --resume, --force in `nasx train`)


# ---- reading

def is_training_folder(path: str | Path) -> bool:
    """A `nasx train` output folder (settings.json + genotype.json, no run journal)."""
    p = Path(path)
    return (p / SETTINGS).is_file() and (p / GENOTYPE).is_file() and not (p / "journal.jsonl").exists()


def finished_weights(folder: str | Path) -> Path:
    """The trained weights of a finished training, or a one-line NasxError for an unfinished one."""
    weights = Path(folder) / WEIGHTS
    if not weights.is_file():
        raise NasxError(f"{folder} is an unfinished training (no {WEIGHTS} yet): "
                        f"finish it with `nasx train --resume {folder}`")
    return weights


def record_beside(weights: str | Path | None) -> dict:
    """The metrics.json `nasx train` wrote next to `weights` (metrics, build, input size); {} if none."""
    try:
        meta = json.loads((Path(weights).parent / METRICS).read_text())
        return meta if isinstance(meta, dict) else {}
    except (TypeError, OSError, ValueError):
        return {}


def recorded_input_size(weights: str | Path | None) -> tuple | None:
    """The input size recorded beside `weights` (CxHxW), if any."""
    size = record_beside(weights).get("input_size")
    try:
        return tuple(int(v) for v in size) if isinstance(size, list) and len(size) == 3 else None
    except (TypeError, ValueError):
        return None


def load_checkpoint(folder: str | Path) -> dict:
    """DIR's last checkpoint (weights_only=True), or a one-line NasxError saying what DIR is instead."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NasxError(f"resume {folder}: no such folder", keys=KEYS)
    if not (folder / SETTINGS).is_file():
        raise NasxError(f"resume {folder}: not a nasx training folder (no {SETTINGS})", keys=KEYS)
    if (folder / METRICS).is_file() and not (folder / CHECKPOINT).is_file():
        raise NasxError(f"resume {folder}: this training has finished ({METRICS}); nothing is left to train",
                        keys=KEYS)
    if not (folder / CHECKPOINT).is_file():
        raise NasxError(f"resume {folder}: no checkpoint yet (stopped before its first epoch ended); "
                        f"start it again with force", keys=KEYS)
    try:
        state = torch.load(folder / CHECKPOINT, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - pickle / zip errors of all kinds
        msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NasxError(f"resume {folder}: {CHECKPOINT} cannot be loaded with weights_only=True: {msg[:160]}",
                        keys=KEYS) from None
    if not isinstance(state, dict) or not isinstance(state.get("settings"), dict) \
            or state["settings"].get("format") != FORMAT or "epoch" not in state:
        raise NasxError(f"resume {folder}: {CHECKPOINT} is not a nasx training checkpoint", keys=KEYS)
    return state


# ---- writing

def create(out: Path, settings: dict, genotype, force: bool = False) -> list[Path]:
    """Make the folder (replacing it when `force`) with settings.json and genotype.json; returns the
    parent folders it created, for `discard`."""
    if out.is_dir() and force:
        shutil.rmtree(out)
    created = atomic.make_parents(out)
    out.mkdir(exist_ok=True)
    atomic.write_json(out / SETTINGS, settings)
    atomic.write_text(out / GENOTYPE, genotype.to_json(indent=1) + "\n")
    return created


def save_checkpoint(folder: Path, state: dict) -> None:
    atomic.save_torch(state, Path(folder) / CHECKPOINT)


def finish(folder: Path, weights: dict, record: dict) -> None:
    """weights.pt, then metrics.json (its presence means "finished"), then the checkpoint goes."""
    atomic.save_torch(weights, folder / WEIGHTS)
    atomic.write_json(folder / METRICS, record)
    (folder / CHECKPOINT).unlink(missing_ok=True)


def discard(folder: Path, created: list[Path]) -> None:
    """Remove a training that kept nothing worth keeping, and the parent folders `create` made."""
    shutil.rmtree(folder, ignore_errors=True)
    atomic.remove_empty(created)
