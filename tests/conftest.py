import os

import pytest

os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # tests only; the product keeps dashboard auth on
os.environ.setdefault("RAY_DISABLE_DOCKER_CPU_WARNING", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Several test workers share the cores: one intra-op thread each (and in the nasx processes they
    # start, which inherit this), or OpenMP threads spinning on a core another worker holds slow
    # everything down many times over.
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, "1")
    import torch as _torch

    _torch.set_num_threads(1)


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

