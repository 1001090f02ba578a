"""Atomic writes: a reader (or a process killed mid-write) sees the old file or the new one, never half.

A file is written to a temporary file beside it (`.NAME.tmp`, same folder so same file system),
fsync'd, renamed over the target with `os.replace`, and the folder is fsync'd so the rename
survives a power loss. A failure (an exception, Ctrl-C) removes the temporary file and leaves the
target as it was; a temporary file left by a SIGKILL is overwritten by the next write. Appends
(the run journal) and the lock file are not replaces and are written where they are.

    write_bytes(path, data)       write_text(path, text)        write_json(path, obj)
    save_torch(obj, path)         replace_with(path, write)     (write(tmp_path) writes the content)

A folder written all at once (an export, a training folder's first files): `prepare_target`
refuses a non-empty target unless forced, `staging_dir` is the hidden folder to fill beside it,
`replace_dir` renames the finished folder over the target, and `make_parents` / `remove_empty`
create and undo the missing parents.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import NasxError


def temp_path(path: str | Path) -> Path:
    """The temporary file `path` is written to before the rename: `.NAME.tmp` in the same folder."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp")


def fsync_dir(folder: str | Path) -> None:
    """Make a rename in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def replace_with(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp_path)`, fsync what it wrote, then rename it over `path`; returns `path`."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    return replace_with(path, lambda p: p.write_bytes(data))


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    return replace_with(path, lambda p: p.write_text(text, encoding=encoding))


def write_json(path: str | Path, obj, *, indent: int | None = 1, sort_keys: bool = False, default=str) -> Path:
    """`obj` as JSON with a final newline; `default` stringifies what JSON cannot hold (None: refuse it)."""
    return write_text(path, json.dumps(obj, indent=indent, sort_keys=sort_keys, default=default) + "\n")


def save_torch(obj, path: str | Path) -> Path:
    """`torch.save(obj, path)` (a state_dict, a checkpoint; torch.save's argument order), atomically."""
    import torch

    return replace_with(path, lambda p: torch.save(obj, p))


# ---- folders written all at once

def prepare_target(out: Path, force: bool) -> None:
    """Refuse `out` when it is a file, or a non-empty folder and `force` is not given."""
    if out.exists() and not out.is_dir():
        raise NasxError(f"out {out} exists and is not a folder", keys=("out",))
    if out.is_dir() and any(out.iterdir()) and not force:
        raise NasxError(f"out {out} already exists and is not empty (use force to replace it)", keys=("out", "force"))


def make_parents(out: Path) -> list[Path]:
    """mkdir -p out's parent; returns the folders it created (deepest first) for `remove_empty`."""
    created = []
    p = out.absolute().parent
    while not p.exists():
        created.append(p)
        p = p.parent
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    return created


def remove_empty(folders: list[Path]) -> None:
    for f in folders:
        try:
            f.rmdir()
        except OSError:
            break


def staging_dir(out: Path) -> Path:
    """A new hidden folder beside `out` to fill before `replace_dir(staged, out)`."""
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))


def replace_dir(staged: Path, out: Path) -> None:
    """Rename the finished folder `staged` to `out`, replacing an existing `out` (put back on failure)."""
    os.chmod(staged, 0o755)
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        try:
            os.replace(staged, out)
        except OSError:
            os.replace(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staged, out)
    fsync_dir(out.absolute().parent)
