"""`nasx resume RUN`: continue a killed or interrupted search; nothing lost or counted twice.

The lock, the saved config with these flags over it and every check are
`nasx.search.prepare_resume`, done once."""

from __future__ import annotations

import click

from .common import console
from .progress import RichProgress
from .show import print_final, print_leaderboard


@click.command(help="Continue a killed or interrupted search from its journal.")
@click.argument("run_dir", type=click.Path())
@click.option("--budget", default=None, help="Replace the run's budget (e.g. to extend it).")
@click.option("--address", default=None, help="Join an existing Ray cluster.")
@click.option("--no-dashboard", is_flag=True, default=False)
def command(run_dir, budget, address, no_dashboard):
    from ..search import prepare_resume

    overrides = {"budget": budget, "address": address, "dashboard": False if no_dashboard else None}
    with prepare_resume(run_dir, overrides) as prepared:  # the run's write lock, held to the end
        prepared.search(RichProgress(console))
    print_leaderboard(prepared.run, top=10)
    print_final(prepared.run)
