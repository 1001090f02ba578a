"""One writer per run directory: `runs/<id>/lock`, held with `fcntl.flock` for the writer's lifetime.

`nasx search` and `nasx resume` take the lock before they write anything; a second writer gets
`RunLocked` (one line naming the holder, exit 2). The kernel drops a flock when its process dies
(SIGKILL, OOM killer, a crash), so a lock left behind by a dead writer is simply taken over: the
file stays, with the dead holder's pid, host and start time in it, but nothing holds it. Readers
(`nasx show`, `nasx export`) never take the lock.

The lock is re-entrant within one process (code holding it may call code that takes it again).
File descriptors are opened close-on-exec, so Ray's helper processes never inherit it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from .errors import NasxError

LOCK = "lock"

_HELD: dict[str, list] = {}  # resolved run path -> [fd, depth]


class RunLocked(NasxError):
    """Another live process is writing this run."""


def _describe(info: dict) -> str:
    since = info.get("started")
    when = datetime.fromtimestamp(since).strftime("%Y-%m-%d %H:%M:%S") if isinstance(since, (int, float)) else "?"
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')} since {when}"


def holder(run_path: str | Path) -> dict | None:
    """What the lock file says (pid, host, started), or None when there is none; no locking."""
    try:
        return json.loads((Path(run_path) / LOCK).read_text() or "null")
    except (OSError, json.JSONDecodeError):
        return None


def acquire(run_path: str | Path) -> None:
    """Take the run's write lock (re-entrant in this process); RunLocked if a live process holds it."""
    key = str(Path(run_path).resolve())
    if key in _HELD:
        _HELD[key][1] += 1
        return
    path = Path(key) / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise NasxError(f"cannot lock run {run_path}: {exc.strerror}") from None
        info = None
        for _ in range(20):  # the holder may be between taking the lock and writing its name
            info = holder(key)
            if info:
                break
            time.sleep(0.05)
        raise RunLocked(f"run {run_path} is being written by {_describe(info or {})}; "
                        "wait for it to end or stop it (Ctrl-C) first") from None
    stale = holder(key)
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    if stale and stale.get("pid") != os.getpid():
        info["took_over"] = stale  # a writer that died without releasing (SIGKILL, power loss)
    data = json.dumps(info).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)
    _HELD[key] = [fd, 1]


def release(run_path: str | Path) -> None:
    key = str(Path(run_path).resolve())
    held = _HELD.get(key)
    if held is None:
        return
    held[1] -= 1
    if held[1] > 0:
        return
    del _HELD[key]
    fd = held[0]
    try:
        os.ftruncate(fd, 0)  # a clean exit leaves an empty (free) lock file
    except OSError:
        pass
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextmanager
def run_lock(run_path: str | Path):
    acquire(run_path)
    try:
        yield
    finally:
        release(run_path)
