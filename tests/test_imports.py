"""The package layering as a test: every module of nasx is parsed (ast, nothing imported) and its
imports, lazy ones inside functions included, are checked against `nasx/layers.py` (the layers, the
forbidden edges), for import cycles between nasx's top-level parts, and docs/architecture.md's
generated section against what `nasx.layers` renders."""

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NASX = ROOT / "nasx"


def _load_layers():
    """nasx/layers.py by path: the test must not depend on importing all of nasx."""
    spec = importlib.util.spec_from_file_location("nasx_layers_under_test", NASX / "layers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


layers = _load_layers()


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


def _edges():
    for path in sorted(NASX.rglob("*.py")):
        mod = _module_name(path)
        for target in _imports(path):
            yield mod, target


EDGES = sorted(set(_edges()))
PARTS = sorted({layers.part_of(_module_name(p)) for p in NASX.rglob("*.py")} - {None})


def _part_edges() -> dict[tuple[str, str], list[str]]:
    """(importer part, imported part) -> the module edges behind it, between distinct parts of nasx.
    `from .. import zoo` also yields the bare name "nasx", which is no edge (its `nasx.zoo` is)."""
    out: dict[tuple[str, str], list[str]] = {}
    for m, t in EDGES:
        a, b = layers.part_of(m), layers.part_of(t)
        if a and b and a != b:
            out.setdefault((a, b), []).append(f"{m} imports {t}")
    return out


PART_EDGES = _part_edges()


def _cycles(edges) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _a_circle(comp: list[str]) -> list[str]:
    """One shortest circle through comp[0] inside the component (breadth-first)."""
    start, paths = comp[0], [[comp[0]]]
    while paths:
        nxt = []
        for path in paths:
            for (a, b) in sorted(PART_EDGES):
                if a == path[-1] and b in comp:
                    if b == start:
                        return path + [start]
                    if b not in path:
                        nxt.append(path + [b])
        paths = nxt
    return comp


def test_the_walker_sees_known_edges():
    """The walker itself: relative, lazy and `from . import x` imports all resolve."""
    assert ("nasx.execute.driver", "nasx.strategies") in EDGES
    assert ("nasx.export.codegen", "nasx.export.generated") in EDGES
    assert ("nasx.cli.bench", "nasx.bench") in EDGES  # `from .. import bench`, inside a function
    assert ("nasx.cli.progress", "rich.live") in EDGES


def test_the_cycle_finder_finds_a_circle():
    assert _cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]
    assert _cycles([("a", "b"), ("b", "c")]) == []


@pytest.mark.parametrize("importer,imported,why", [(f.importer, f.imported, f.why) for f in layers.FORBIDDEN],
                         ids=[f"{f.importer}->{f.imported}" for f in layers.FORBIDDEN])
def test_forbidden_import_edges_do_not_exist(importer, imported, why):
    allowed = layers.EXEMPT.get(imported)
    bad = [f"{m} imports {t}" for m, t in EDGES if layers.within(m, importer) and layers.within(t, imported)
           and not (allowed and layers.within(m, allowed))]
    assert not bad, f"{why}: {'; '.join(bad)}"


def test_every_part_of_nasx_is_in_one_layer():
    listed = [p for layer in layers.LAYERS for p in layer.parts]
    assert len(listed) == len(set(listed)), "a part is in two layers of nasx/layers.py"
    missing = [p for p in PARTS if layers.layer_index(p) is None]
    assert not missing, f"add {missing} to a layer in nasx/layers.py (LAYERS), then update the docs"
    gone = sorted(set(listed) - set(PARTS))
    assert not gone, f"nasx/layers.py lists parts that no longer exist: {gone}"


def test_no_part_imports_a_higher_layer():
    bad = []
    for (a, b), why in sorted(PART_EDGES.items()):
        la, lb = layers.layer_index(a), layers.layer_index(b)
        if la is not None and lb is not None and lb > la:
            bad.append(f"{a} ({layers.LAYERS[la].name}) -> {b} ({layers.LAYERS[lb].name}): {why[0]}")
    assert not bad, "imports up the layers of nasx/layers.py:\n" + "\n".join(bad)


def test_no_import_cycles_between_top_level_parts():
    """Each sub-package (and each top-level module) of nasx is one node; the nasx facade is none."""
    cycles = _cycles(PART_EDGES)
    lines = []
    for comp in cycles:
        lines.append(f"{', '.join(comp)}; e.g. {' -> '.join(_a_circle(comp))}; the edges among them:")
        lines += [f"    {why[0]}" for (a, b), why in sorted(PART_EDGES.items()) if a in comp and b in comp]
    assert not cycles, "import cycles between nasx's parts:\n" + "\n".join(lines)


def test_no_part_imports_the_nasx_facade():
    """`from nasx import load` inside nasx would make every part depend on what nasx/__init__ loads;
    `from .. import zoo` (a module) is fine."""
    bad = [f"{m} imports {t}" for m, t in EDGES
           if m != "nasx" and (m, "nasx") in EDGES and t.rpartition(".")[0] == "nasx" and t not in PARTS]
    assert not bad, "; ".join(bad)


def test_the_docs_show_the_layers_as_nasx_layers_renders_them():
    section = layers.generated_section((ROOT / "docs" / "architecture.md").read_text())
    assert section is not None, "docs/architecture.md has no generated layers section"
    assert section == layers.render_markdown(), \
        "docs/architecture.md is out of date: run `python -m nasx.layers --update docs/architecture.md`"
