"""What may reach generated code, and an audit of the code once generated.

Generated source is built only from validated data: op names from the op registry (and a strict
identifier regex on top), integers inside documented bounds, identifiers matching `IDENT`, and
free text (paths, notes) reduced to a safe character set before it enters a docstring. After
generation `audit` parses the file and refuses anything but torch/stdlib imports, definitions and
constants, so a bug upstream cannot smuggle code into model.py either.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from ..errors import GenotypeError, NasxError
from ..genotype import Genotype, parse_genotype_obj
from .vendor import ALLOWED_IMPORTS

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
OP_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
# a bundled space's name, or (user spaces) the absolute path of its YAML file
SPACE_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}|/[A-Za-z0-9_./ -]{1,400}\.ya?ml)$")

# Documented bounds on every number that sizes an exported network.
MAX_NUM_CLASSES = 100_000
MAX_CHANNELS = 4096
MAX_INPUT_SIDE = 4096
MAX_GENOTYPE_BYTES = 1_000_000
# Keys `nasx sample --json` prints around a genotype; anything else in such a file is refused.
SAMPLE_KEYS = {"genotype", "arch", "hash", "params", "macs", "input_size"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "open", "globals", "locals", "vars",
                   "breakpoint", "input", "__builtins__"}
FORBIDDEN_ATTRS = {"__import__", "__builtins__", "__globals__", "__code__", "__subclasses__", "__bases__",
                   "__mro__", "__getattribute__", "__reduce__", "__reduce_ex__", "__loader__", "__spec__"}


def bounded_int(value, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
        raise NasxError(f"{what} must be an integer in [{low}, {high}], got {value!r}")
    return value


def identifier(name: str, what: str = "identifier") -> str:
    if not isinstance(name, str) or not IDENT.match(name):
        raise NasxError(f"{what} {name!r} is not a plain identifier")
    return name


def op_name(name: str) -> str:
    if not isinstance(name, str) or not OP_NAME.match(name):
        raise GenotypeError(f"op name {name!r} is not a registered op name")
    return name


def safe_text(text: str, limit: int = 400) -> str:
    """Free text for a docstring: printable ASCII, no backslashes, never two double quotes in a row."""
    s = re.sub(r"[^A-Za-z0-9 _.,:;/()\[\]{}<>=+*~|@#%&!?'^$\"-]", "?", str(text))[:limit]
    while '""' in s:
        s = s.replace('""', '"?')
    return s


def check_num_classes(n) -> int:
    return bounded_int(n, "num_classes", 1, MAX_NUM_CLASSES)


def check_input_size(size) -> tuple[int, int, int]:
    c, h, w = (bounded_int(v, "input size", 1, MAX_INPUT_SIDE) for v in size)
    bounded_int(c, "input channels", 1, MAX_CHANNELS)
    return c, h, w


def read_genotype_file(path: str | Path, space: str | None = None) -> Genotype:
    """A genotype from a JSON file, refusing anything but a bare genotype or `nasx sample --json`."""
    p = Path(path)
    if not p.exists() and isinstance(path, str) and re.fullmatch(r"[a-z][a-z0-9_]*", path):
        import difflib

        from ..spaces.published import PUBLISHED, published_genotype

        if path in PUBLISHED:  # a published cell by name (darts_v2, nasnet_a, ...)
            return published_genotype(path, space)
        close = difflib.get_close_matches(path, PUBLISHED, n=3, cutoff=0.5)
        raise GenotypeError(f"{path} is neither a genotype file nor a published cell"
                            + (f" (did you mean {', '.join(close)}?)" if close else "")
                            + f"; published cells: {', '.join(sorted(PUBLISHED))}")
    if not p.is_file():
        raise GenotypeError(f"genotype file {p} does not exist" if not p.exists() else f"{p} is not a file")
    if p.stat().st_size > MAX_GENOTYPE_BYTES:
        raise GenotypeError(f"genotype file {p} is larger than {MAX_GENOTYPE_BYTES} bytes")
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise GenotypeError(f"{p}: malformed JSON{where}") from None
    return genotype_from_obj(obj, space, str(p))


def genotype_from_obj(obj, space: str | None, where: str) -> Genotype:
    if not isinstance(obj, dict):
        raise GenotypeError(f"{where}: a genotype must be a JSON object")
    if isinstance(obj.get("genotype"), dict):
        extra = sorted(set(obj) - SAMPLE_KEYS)
        if extra:
            raise GenotypeError(f"{where}: unknown key(s) {', '.join(map(repr, extra))} around the genotype")
        obj = obj["genotype"]
    name = obj.get("space")
    if name is not None and (not isinstance(name, str) or not SPACE_NAME.match(name)):
        raise GenotypeError(f"{where}: space {safe_text(repr(name), 60)} is not a space name")
    try:
        return parse_genotype_obj(obj, space)
    except GenotypeError as exc:
        raise GenotypeError(f"{where}: {exc}") from None


def audit(source: str, docstring: str) -> None:
    """Refuse generated source that does more than define a network (defence in depth)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NasxError(f"internal error: generated source does not parse ({exc.msg}, line {exc.lineno})") from None
    if ast.get_docstring(tree, clean=False) != docstring:
        raise NasxError("internal error: generated module docstring was altered")
    for node in tree.body[1:]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                if m.split(".")[0] not in ALLOWED_IMPORTS or getattr(node, "level", 0):
                    raise NasxError(f"internal error: generated source imports {m!r}")
        elif not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)):
            raise NasxError(f"internal error: generated source has a top-level {type(node).__name__}")
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node not in tree.body:
            raise NasxError("internal error: generated source imports inside a function")
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_CALLS:
            raise NasxError(f"internal error: generated source uses {node.id}")
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRS:
            raise NasxError(f"internal error: generated source touches {node.attr}")
