"""The `nasx` command line: a click group whose commands live one per module in this package.

`COMMANDS` is the command table (name -> "module:attribute"); commands are imported lazily so that
`nasx --help` stays fast and a command's heavy imports (ray, optuna) load only when it runs.
Every `NasxError` and click usage error becomes one line on stderr and exit status 2, the config keys
it names written as this command's flags (`nasx.cli.errors`); a search stopped by Ctrl-C / SIGTERM,
one line ("interrupted after N trials; continue with: nasx resume RUN") and 130.
"""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import click

from ..errors import Interrupted, NasxError
from ..plugins import load_plugins
from .errors import flag_message

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module in nasx.cli, one-line help)
    "spaces": ("spaces", "List the search spaces with their ops and sizes."),
    "sample": ("sample", "Sample a genotype from a space and print it with its params/MACs."),
    "describe": ("describe", "Params and MACs (optionally per layer) of architectures of a space."),
    "zoo": ("zoo", "List the classic CNNs of the model zoo with params, MACs and published errors."),
    "search": ("search", "Run an architecture search on Ray into runs/<run-id>/."),
    "resume": ("resume", "Continue a killed or interrupted search."),
    "finalize": ("finalize", "Retrain the top K found and the baselines under one protocol; print the verdict."),
    "show": ("show", "Leaderboard and status of a run directory."),
    "export": ("export", "Export a run's trial, a genotype or a zoo model as standalone PyTorch (+ pt2/ONNX)."),
    "train": ("train", "Retrain an architecture from scratch with full training; save weights.pt + metrics."),
    "baselines": ("baselines", "Train zoo models under the search protocol: accuracy, MACs, latency, cost."),
    "visualize": ("visualize", "Zeiler-Fergus deconvnet views of a trained model's feature maps (PNG grids)."),
    "compress": ("compress", "Deep Compression: prune, weight-share and Huffman-code a trained model."),
    "bench": ("bench", "Compare search strategies on NAS-Bench-201 over many seeds: table, JSON, plot."),
    "generate": ("generate", "Sample text from a trained language model (a run or an export folder)."),
}


class LazyGroup(click.Group):
    last_command: click.Command | None = None  # the command being run: its flags name the keys of errors

    def resolve_command(self, ctx, args):
        name, cmd, rest = super().resolve_command(ctx, args)
        self.last_command = cmd
        return name, cmd, rest

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        mod = importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")
        return mod.command

    def format_commands(self, ctx, formatter):
        rows = [(n, COMMANDS[n][1]) for n in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nasx")
def cli():
    """nasx: neural architecture search for CNNs on Ray, with plain-PyTorch export."""


def fail(message: str) -> NoReturn:
    """Print one line to stderr and exit 2 (for use inside commands)."""
    raise NasxError(message)


def main(argv: list[str] | None = None) -> int:
    try:
        load_plugins()  # a plug-in that failed at `import nasx` fails here, as one line
        rv = cli.main(args=argv, prog_name="nasx", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Abort:
        click.echo("nasx: aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        msg = exc.format_message().replace("\n", " ")
        ctx = getattr(exc, "ctx", None)
        where = f" ({ctx.command_path})" if ctx is not None else ""
        click.echo(f"nasx: error{where}: {msg}", err=True)
        return 2
    except NasxError as exc:
        click.echo(f"nasx: error: {flag_message(exc, getattr(cli, 'last_command', None))}", err=True)
        return 2
    except Interrupted as exc:  # a search stopped by Ctrl-C / SIGTERM, left resumable
        resume = f"; continue with: nasx {getattr(exc, 'command', 'resume')} {exc.run_dir}" if exc.run_dir else ""
        click.echo(f"{exc}{resume}", err=True)
        _exiting(argv)
        return 130
    except KeyboardInterrupt:
        click.echo("nasx: interrupted", err=True)
        _exiting(argv)
        return 130


def _exiting(argv) -> None:
    """The process is leaving after an interrupt (its one line printed): a further Ctrl-C during the
    interpreter's shutdown (atexit handlers: torch's, Ray's) would only print a traceback, so it is
    ignored. Only for the real command line (argv None), never for a caller of `main([...])`."""
    if argv is None:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
