"""The files of a training folder (`nasx train --out DIR`): atomic writes and safe reads.

DIR/settings.json    what the training was started with (space, genotype, network, Task, recipe)
DIR/genotype.json    the architecture
DIR/checkpoint.pt    after every epoch: the trainer's state (see nasx.evaluate.trainer) + "settings";
                     replaced atomically (write a temporary file, fsync, rename), removed at the end
DIR/weights.pt       the trained state_dict      } written when training finishes;
DIR/metrics.json     metrics, history, build     } metrics.json last: its presence means "finished"
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..errors import NasxError

CHECKPOINT = "checkpoint.pt"
SETTINGS = "settings.json"
FORMAT = "nasx-train/1"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomically(path: Path, write) -> None:
    """Call write(tmp_path), fsync it, then rename it over `path` (readers see old or new, never half)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def save_checkpoint(folder: Path, state: dict) -> None:
    replace_atomically(folder / CHECKPOINT, lambda p: torch.save(state, p))


def write_json(path: Path, obj) -> None:
    replace_atomically(path, lambda p: p.write_text(json.dumps(obj, indent=1, default=str) + "\n"))


KEYS = ("resume", "force")  # the settings these errors name (flags --resume, --force in `nasx train`)


def load_checkpoint(folder: Path) -> dict:
    """DIR's last checkpoint (weights_only=True), or a one-line NasxError saying what DIR is instead."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NasxError(f"resume {folder}: no such folder", keys=KEYS)
    if not (folder / SETTINGS).is_file():
        raise NasxError(f"resume {folder}: not a nasx training folder (no {SETTINGS})", keys=KEYS)
    if (folder / "metrics.json").is_file() and not (folder / CHECKPOINT).is_file():
        raise NasxError(f"resume {folder}: this training has finished (metrics.json); nothing is left to train",
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
