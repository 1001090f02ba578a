"""The package layering of nasx, as data: the one source that tests/test_imports.py checks the code
against and docs/architecture.md's picture and tables are rendered from.

- `LAYERS`, bottom to top: a module imports only from its own layer and the layers below it.
- No two top-level parts of nasx (each sub-package one node, each top-level module one node) import
  each other, directly or round a circle; lazy imports inside functions count.
- `FORBIDDEN`: edges that must not exist besides that (within a layer, or to third-party packages),
  each with its reason; `EXEMPT` names the one package allowed an otherwise forbidden import.

    python -m nasx.layers --markdown                      # the generated section of docs/architecture.md
    python -m nasx.layers --update docs/architecture.md   # rewrite that section in place

Nothing here imports the rest of nasx: the test reads the code with `ast`, never by importing it.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layer:
    name: str
    parts: tuple[str, ...]  # top-level modules and packages of nasx, "nasx.x"
    holds: str


@dataclass(frozen=True)
class Forbidden:
    importer: str  # a prefix: the module itself and everything below it
    imported: str
    why: str


LAYERS: tuple[Layer, ...] = (  # bottom to top
    Layer("foundation", ("nasx.errors", "nasx.registry", "nasx.atomic", "nasx._data", "nasx.plugins", "nasx.budget",
                         "nasx.runlock", "nasx.metrics", "nasx.reports", "nasx.config_sections", "nasx.layers",
                         "nasx.inputs"),
          "errors, registries, atomic writes, bundled data, budgets, locks, metric names, validated config "
          "sections, what one network input is: plain helpers every layer may use"),
    Layer("networks", ("nasx.ops", "nasx.blocks", "nasx.genotype", "nasx.spaces", "nasx.zoo", "nasx.measure",
                       "nasx.weights", "nasx.lm_baselines"),
          "what a network is made of (ops, blocks), which networks there are (spaces, genotypes, the zoo), "
          "how big one is, its weight files"),
    Layer("data and measurement", ("nasx.data", "nasx.text", "nasx.latency", "nasx.premeasure", "nasx.proxies"),
          "data sets, text corpora, deployment latency, the checks before training, zero-cost proxies"),
    Layer("training and runs", ("nasx.evaluate", "nasx.tasks", "nasx.learned", "nasx.training", "nasx.runs",
                                "nasx.trial_build", "nasx.run_task", "nasx.plots", "nasx.lm"),
          "training one candidate under a protocol (Task, recipes, trial runners), task kinds, the "
          "training folder, the run directory and what it records, its pictures"),
    Layer("search engine", ("nasx.strategies", "nasx.enas", "nasx.config", "nasx.execute"),
          "strategies (ask/tell), ENAS, the validated SearchConfig, the driver and its executors"),
    Layer("phases", ("nasx.search", "nasx.final", "nasx.bench"),
          "a whole search, its final phase, the tabular strategy benchmark: each drives the engine"),
    Layer("tools on results", ("nasx.export", "nasx.compress", "nasx.visualize"),
          "what leaves the tool: standalone PyTorch export, Deep Compression, feature-map pictures"),
    Layer("command line", ("nasx.cli",), "one module per `nasx` command; the only user of click and rich"),
)

FORBIDDEN: tuple[Forbidden, ...] = (
    Forbidden("nasx.strategies", "nasx.execute",
              "strategies are pure ask/tell: executors drive them, never the reverse"),
    Forbidden("nasx.enas", "nasx.execute",
              "the ENAS runner is named by its strategy as data; it needs evaluate, not execute"),
    Forbidden("nasx.config", "nasx.execute", "the config is below the driver that reads it"),
    *(Forbidden(part, "nasx.enas", "ENAS is a plug-in (`nasx.plugins.BUILTIN`): it registers its strategy, runner "
                "and run reports; the engine and the command line never name it")
      for part in ("nasx.execute", "nasx.search", "nasx.final", "nasx.cli", "nasx.strategies")),
    *(Forbidden(part, "nasx.tasks.image", "the engine reads the run's task kind from the registry "
                "(`nasx.tasks.get_task_kind`), never one kind's module")
      for part in ("nasx.execute", "nasx.search", "nasx.final", "nasx.runs", "nasx.cli", "nasx.strategies",
                   "nasx.plots", "nasx.export")),
    Forbidden("nasx.execute", "nasx.search",
              "`run_search` drives the executors; the driver never calls back into it"),
    Forbidden("nasx.execute", "nasx.final",
              "the final phase drives the executors (`FinalDriver`); the search driver reads the phase's "
              "settings from `nasx.config_sections`"),
    Forbidden("nasx.zoo", "nasx.evaluate",
              "the zoo keeps paper recipes as data; turning one into a Task is "
              "`nasx.evaluate.baseline_recipes`"),
    Forbidden("nasx.spaces", "nasx.zoo",
              "spaces and the zoo both build from the public nasx.blocks, never from each other"),
    Forbidden("nasx.ops", "nasx.blocks", "blocks stand on ops (they register block ops); ops never import blocks"),
    Forbidden("nasx.genotype", "nasx.spaces",
              "a Genotype is plain data; reading and validating one is the spaces' job"),
    Forbidden("nasx.export.codegen", "nasx.export.zoo",
              "the genotype and zoo emitters share `export.generated` and `export.safety`, never each other"),
    Forbidden("nasx.export.zoo", "nasx.export.codegen",
              "the genotype and zoo emitters share `export.generated` and `export.safety`, never each other"),
    Forbidden("nasx.export", "ray", "an exported model and its tools run without Ray"),
    Forbidden("nasx", "click", "the command line lives in nasx.cli only"),
    Forbidden("nasx", "rich", "terminal display lives in nasx.cli only (the engine takes a SearchObserver)"),
)
EXEMPT: dict[str, str] = {"click": "nasx.cli", "rich": "nasx.cli"}  # imported prefix -> the one package allowed

BEGIN = "<!-- layers: generated by `python -m nasx.layers --update docs/architecture.md` from nasx/layers.py -->"
END = "<!-- layers: end -->"


def within(name: str, prefix: str) -> bool:
    """Whether dotted `name` is `prefix` or below it."""
    return name == prefix or name.startswith(prefix + ".")


def part_of(module: str) -> str | None:
    """The top-level part ("nasx.x") a module of nasx belongs to; None for nasx itself and others."""
    bits = module.split(".")
    return f"nasx.{bits[1]}" if bits[0] == "nasx" and len(bits) > 1 else None


def layer_index(part: str) -> int | None:
    """Position of `part` in LAYERS (0: the bottom), None when no layer lists it."""
    for i, layer in enumerate(LAYERS):
        if part in layer.parts:
            return i
    return None


def _short(part: str) -> str:
    return part.removeprefix("nasx.")


def render_picture(width: int = 54) -> str:
    """The layers as a stack of boxes, top layer first; each box lists its parts (`width` columns)."""
    rows = [(f"{len(LAYERS) - i} {layer.name}", textwrap.wrap("  ".join(_short(p) for p in layer.parts), width))
            for i, layer in enumerate(reversed(LAYERS))]
    left = max(len(name) for name, _ in rows)
    rule = f"+{'-' * (left + 2)}+{'-' * (width + 2)}+"
    out = [rule]
    for name, wrapped in rows:
        for j, text in enumerate(wrapped):
            out.append(f"| {(name if j == 0 else '').ljust(left)} | {text.ljust(width)} |")
        out.append(rule)
    return "\n".join(out)


def render_markdown() -> str:
    """The generated section of docs/architecture.md, between its BEGIN and END lines."""
    lines = [BEGIN, "", "Layers, top to bottom. A module imports only from its own layer and the layers below it; no",
             "two top-level parts (each sub-package one node) import each other, directly or round a circle",
             "(lazy imports inside functions count); and the edges in the second table must not exist.",
             "`tests/test_imports.py` reads every module with `ast` and checks all three.", "",
             "```", render_picture(), "```", "",
             "| layer | parts | what it holds |", "| --- | --- | --- |"]
    for i, layer in reversed(list(enumerate(LAYERS, start=1))):
        lines.append(f"| {i} {layer.name} | {', '.join(f'`{p}`' for p in layer.parts)} | {layer.holds} |")
    lines += ["", "| importer | must not import | why |", "| --- | --- | --- |"]
    for f in FORBIDDEN:
        exempt = f" (except `{EXEMPT[f.imported]}`)" if f.imported in EXEMPT else ""
        lines.append(f"| `{f.importer}`{exempt} | `{f.imported}` | {f.why} |")
    lines += ["", END]
    return "\n".join(lines)


def generated_section(text: str) -> str | None:
    """The generated section as it stands in a document's text (BEGIN to END), None if absent."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start:end + len(END)]


def update(path: Path) -> bool:
    """Rewrite the generated section of `path` in place; whether anything changed."""
    text = path.read_text()
    old = generated_section(text)
    if old is None:
        raise SystemExit(f"{path}: no section between {BEGIN!r} and {END!r}")
    new = render_markdown()
    if old == new:
        return False
    path.write_text(text.replace(old, new))
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nasx.layers", description=__doc__.split("\n\n")[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--markdown", action="store_true", help="print the generated section")
    group.add_argument("--update", metavar="FILE", type=Path, help="rewrite the generated section of FILE")
    args = ap.parse_args(argv)
    if args.markdown:
        print(render_markdown())
    else:
        print(f"{args.update}: {'updated' if update(args.update) else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
