import os

import pytest

os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # tests only; the product keeps dashboard auth on
os.environ.setdefault("RAY_DISABLE_DOCKER_CPU_WARNING", "1")


@pytest.fixture
def run_cli(capsys):
    """Run `nasx ARGS...` in-process; returns (exit code, stdout, stderr)."""
    from nasx.cli import main

    def _run(*args):
        rc = main([str(a) for a in args])
        out = capsys.readouterr()
        return rc, out.out, out.err

    return _run


import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).parent))  # tests/searchutil.py
