"""`nasx resume RUN`: continue a killed or interrupted search; nothing lost or counted twice."""

from __future__ import annotations

import click

from ..config import load_config
from ..errors import NasxError
from ..runlock import run_lock
from ..runs import RunDir
from .common import console
from .progress import RichProgress
from .show import print_final, print_leaderboard


@click.command(help="Continue a killed or interrupted search from its journal.")
@click.argument("run_dir", type=click.Path())
@click.option("--budget", default=None, help="Replace the run's budget (e.g. to extend it).")
@click.option("--address", default=None, help="Join an existing Ray cluster.")
@click.option("--no-dashboard", is_flag=True, default=False)
def command(run_dir, budget, address, no_dashboard):
    run = RunDir.open(run_dir)
    with run_lock(run.path):  # one writer per run: taken before anything is read for writing
        _resume(run, run_dir, budget, address, no_dashboard)


def _resume(run, run_dir, budget, address, no_dashboard):
    if run.meta().get("status") == "finished" and budget is None:
        raise NasxError(f"run {run_dir} already finished; pass --budget to extend it")
    saved = run.config()
    overrides = {"budget": budget, "address": address, "dashboard": False if no_dashboard else None}
    import tempfile

    import yaml

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(saved, f)
    cfg = load_config(f.name, overrides)
    if budget:
        import yaml as _y

        (run.path / "config.yaml").write_text(_y.safe_dump(cfg.to_dict(), sort_keys=False))
    from ..search import run_search

    run_search(cfg, run, RichProgress(console), resumed=True)
    print_leaderboard(run, top=10)
    print_final(run)
