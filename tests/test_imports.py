"""The package layering as a test: every module of nasx is parsed (ast, nothing imported) and its
imports, lazy ones inside functions included, are checked against the edges that must not exist."""

import ast
from pathlib import Path

import pytest

NASX = Path(__file__).resolve().parents[1] / "nasx"

# (importer prefix, imported prefix, why); a prefix matches the module itself and everything below it
FORBIDDEN = [
    ("nasx.strategies", "nasx.execute", "strategies are pure ask/tell: executors drive them, never the reverse"),
    ("nasx.enas", "nasx.execute", "the ENAS runner is named by its strategy as data; it needs evaluate, not execute"),
    ("nasx.export", "ray", "an exported model and its tools run without Ray"),
    ("nasx", "click", "the command line lives in nasx.cli only"),
    ("nasx", "rich", "terminal display lives in nasx.cli only (the engine takes a SearchObserver)"),
    ("nasx.spaces", "nasx.zoo", "spaces and the zoo both build from the public nasx.blocks, never from each other"),
    ("nasx.ops", "nasx.blocks", "blocks stand on ops (they register block ops); ops never import blocks"),
    ("nasx.genotype", "nasx.spaces", "a Genotype is plain data; reading and validating one is the spaces' job"),
]
EXEMPT = {"click": "nasx.cli", "rich": "nasx.cli"}  # imported prefix -> the one package allowed to use it


def _module_name(path: Path) -> str:
    rel = path.relative_to(NASX.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of everything `path` imports, at any depth of the module."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)  # `from . import enas` names a module
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _edges():
    for path in sorted(NASX.rglob("*.py")):
        mod = _module_name(path)
        for target in _imports(path):
            yield mod, target


EDGES = sorted(set(_edges()))


def test_the_walker_sees_known_edges():
    """The walker itself: relative, lazy and `from . import x` imports all resolve."""
    assert ("nasx.execute.driver", "nasx.strategies") in EDGES
    assert ("nasx.strategies", "nasx.strategies.enas") in EDGES
    assert ("nasx.execute.executors", "importlib") in EDGES
    assert ("nasx.cli.progress", "rich.live") in EDGES


@pytest.mark.parametrize("importer,imported,why", FORBIDDEN, ids=[f"{a}->{b}" for a, b, _ in FORBIDDEN])
def test_forbidden_import_edges_do_not_exist(importer, imported, why):
    allowed = EXEMPT.get(imported)
    bad = [f"{m} imports {t}" for m, t in EDGES
           if _within(m, importer) and _within(t, imported) and not (allowed and _within(m, allowed))]
    assert not bad, f"{why}: {'; '.join(bad)}"
