"""Copy engine definitions (classes, functions, tables) into generated source, with what they need.

Exported code must import only torch and the standard library, yet the zoo families and the op
classes are ordinary nasx modules. `vendor` starts from a few top-level names and follows the names
their source reads: definitions of the same module, `from .x import y` of other nasx modules and
plain imports (torch / stdlib only). Registration decorators and module-level statements (the
`register_model(...)` loops) are left behind, so only the definitions the export uses are copied,
each verbatim, in an order where every module-level expression runs after what it calls.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from dataclasses import dataclass, field

from ..errors import NasxError

ALLOWED_IMPORTS = {"torch", "json", "math", "typing", "collections", "functools", "itertools", "dataclasses",
                   "numbers", "operator", "__future__"}
_STRIPPED_DECORATOR_PREFIX = "register"


def _root(module: str) -> str:
    return module.split(".")[0]


@dataclass
class _Module:
    """A parsed nasx module: its top-level definitions and its import aliases."""

    name: str
    lines: list[str]
    defs: dict[str, ast.stmt] = field(default_factory=dict)
    local_imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (module, name)
    external: dict[str, str] = field(default_factory=dict)  # alias -> import statement

    @classmethod
    def parse(cls, name: str) -> _Module:
        mod = sys.modules.get(name) or importlib.import_module(name)
        source = inspect.getsource(mod)
        tree = ast.parse(source)
        self = cls(name, source.splitlines())
        package = name if hasattr(mod, "__path__") else name.rpartition(".")[0]
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[node.name] = node
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            self.defs[n.id] = node
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                self.defs[node.target.id] = node
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node, package)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    alias = a.asname or a.name.split(".")[0]
                    stmt = f"import {a.name}" + (f" as {a.asname}" if a.asname else "")
                    self.external[alias] = stmt
        return self

    def _import_from(self, node: ast.ImportFrom, package: str) -> None:
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for a in node.names:
            alias = a.asname or a.name
            if _root(target) == _root(self.name):
                self.local_imports[alias] = (target, a.name)
            elif target != "__future__":
                stmt = f"from {target} import {a.name}" + (f" as {a.asname}" if a.asname else "")
                self.external[alias] = stmt


def _read_names(node: ast.stmt) -> set[str]:
    """Every plain name `node` reads, decorators excluded (they are dropped or kept separately)."""
    names: set[str] = set()
    parts: list[ast.AST] = [node]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        parts = [n for n in ast.iter_child_nodes(node) if n not in node.decorator_list]
    for part in parts:
        for n in ast.walk(part):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                names.add(n.id)
    return names


def _kept_decorators(node: ast.stmt) -> list[ast.expr]:
    decos = getattr(node, "decorator_list", [])
    out = []
    for d in decos:
        fn = d.func if isinstance(d, ast.Call) else d
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
        if not name.startswith(_STRIPPED_DECORATOR_PREFIX):
            out.append(d)
    return out


@dataclass
class Vendored:
    """The result: import statements and definition sources, in a valid order."""

    imports: list[str]
    sources: list[str]
    names: list[str]

    def source(self) -> str:
        return "\n\n\n".join(self.sources)


class Vendor:
    """Collects definitions by (module, name) and renders them with their dependencies."""

    def __init__(self):
        self._modules: dict[str, _Module] = {}
        self._wanted: dict[tuple[str, str], ast.stmt] = {}
        self._by_name: dict[str, str] = {}  # vendored name -> module, to catch clashes
        self._imports: dict[str, str] = {}  # alias -> statement
        self._module_deps: dict[str, set[str]] = {}

    def module(self, name: str) -> _Module:
        if name not in self._modules:
            self._modules[name] = _Module.parse(name)
        return self._modules[name]

    def add(self, module: str, name: str) -> None:
        """Vendor `module.name` and, transitively, everything it reads."""
        work = [(self._defining_module(module, name), name)]
        while work:
            mod_name, n = work.pop()
            mod = self.module(mod_name)
            if n not in mod.defs:
                raise NasxError(f"cannot export: {mod_name}.{n} is not a top-level definition")
            node = mod.defs[n]
            if (mod_name, n) in self._wanted:
                continue
            owner = self._by_name.setdefault(n, mod_name)
            if owner != mod_name:
                raise NasxError(f"cannot export: {n!r} is defined in both {owner} and {mod_name}")
            self._wanted[(mod_name, n)] = node
            if isinstance(node, ast.Assign):  # a tuple assignment defines several names at once
                for t in node.targets:
                    for m in ast.walk(t):
                        if isinstance(m, ast.Name) and m.id != n:
                            self._wanted.setdefault((mod_name, m.id), node)
            reads = _read_names(node) | {x for d in _kept_decorators(node) for x in _read_names(ast.Expr(d))}
            for ref in sorted(reads):
                if ref in mod.defs:
                    work.append((mod_name, ref))
                elif ref in mod.local_imports:
                    target, orig = mod.local_imports[ref]
                    if orig != ref:
                        raise NasxError(f"cannot export: {mod_name} imports {orig} as {ref}")
                    target = self._defining_module(target, orig)
                    self._module_deps.setdefault(mod_name, set()).add(target)
                    work.append((target, orig))
                elif ref in mod.external:
                    self._add_import(ref, mod.external[ref])

    def _defining_module(self, module: str, name: str) -> str:
        """Where `name` is defined, following package re-exports (`nasx.blocks` -> `nasx.blocks.inception`)."""
        seen = set()
        while name not in self.module(module).defs and name in self.module(module).local_imports:
            if module in seen:
                break
            seen.add(module)
            module, name = self.module(module).local_imports[name]
        return module

    def _add_import(self, alias: str, stmt: str) -> None:
        top = stmt.split()[1].split(".")[0]
        if top not in ALLOWED_IMPORTS:
            raise NasxError(f"cannot export: generated code would need `{stmt}` (only torch and the "
                            "standard library are allowed)")
        if self._imports.setdefault(alias, stmt) != stmt:
            raise NasxError(f"cannot export: {alias!r} means both `{self._imports[alias]}` and `{stmt}`")

    def _module_order(self) -> list[str]:
        """Modules with the ones they import from first (depth-first, stable by first use)."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(m: str) -> None:
            if m in seen:
                return
            seen.add(m)
            for dep in sorted(self._module_deps.get(m, ())):
                visit(dep)
            order.append(m)

        for m, _ in self._wanted:
            visit(m)
        return order

    def render(self) -> Vendored:
        sources, names = [], []
        for mod_name in self._module_order():
            mod = self._modules[mod_name]
            nodes = {id(node): node for (m, _), node in self._wanted.items() if m == mod_name}
            for node in sorted(nodes.values(), key=lambda nd: nd.lineno):
                sources.append(self._node_source(mod, node))
                names.extend(sorted(n for (m, n), nd in self._wanted.items() if nd is node and m == mod_name))
        imports = sorted(set(self._imports.values()), key=_import_key)
        return Vendored(imports, sources, names)

    @staticmethod
    def _node_source(mod: _Module, node: ast.stmt) -> str:
        lines = [line for d in _kept_decorators(node) for line in mod.lines[d.lineno - 1: d.end_lineno]]
        lines += mod.lines[node.lineno - 1: node.end_lineno]
        # keep the comment lines directly above the definition (and its decorators): they explain it
        i = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno]) - 2
        comments: list[str] = []
        while i >= 0 and mod.lines[i].startswith("#") and not mod.lines[i].startswith("# ----"):
            comments.insert(0, mod.lines[i])
            i -= 1
        return "\n".join(comments + lines)


def _import_key(stmt: str) -> tuple:
    top = stmt.split()[1].split(".")[0]
    return (top == "torch", not stmt.startswith("import"), stmt)
