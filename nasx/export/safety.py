"""What may reach generated code, and an audit of the code once generated.

Generated source is built only from validated data: op names from the op registry (and a strict
identifier regex on top), integers inside documented bounds, identifiers matching `IDENT`, and
free text (paths, notes) reduced to a safe character set before it enters a docstring. After
generation `audit` parses the file and refuses anything but torch/stdlib imports, definitions and
constants, so a bug upstream cannot smuggle code into model.py either.
"""

from __future__ import annotations

import ast
import re

from ..errors import GenotypeError, NasxError
from .vendor import ALLOWED_IMPORTS

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
OP_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")

# Documented bounds on every number that sizes an exported network.
MAX_NUM_CLASSES = 100_000
MAX_CHANNELS = 4096
MAX_INPUT_SIDE = 4096
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "open", "globals", "locals", "vars",
                   "breakpoint", "input", "__builtins__"}
LITERAL_TYPES = (str, int, float, bool, type(None))
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


def literal(value) -> str:
    """repr() of a value (a builder keyword, a genotype's JSON text), accepted only when it is a
    plain literal (strings, numbers, booleans, None, tuples / lists of them) that reads back equal."""
    def plain(v) -> bool:
        if isinstance(v, (tuple, list)):
            return all(plain(x) for x in v)
        return isinstance(v, LITERAL_TYPES)

    text = repr(value)
    if not plain(value) or ast.literal_eval(text) != value:
        raise NasxError(f"cannot export: value {value!r} is not a plain literal")
    return text


def check_num_classes(n) -> int:
    return bounded_int(n, "num_classes", 1, MAX_NUM_CLASSES)


def check_input_size(size) -> tuple[int, int, int]:
    c, h, w = (bounded_int(v, "input size", 1, MAX_INPUT_SIDE) for v in size)
    bounded_int(c, "input channels", 1, MAX_CHANNELS)
    return c, h, w


def check_input_spec(size):
    """A validated nasx.inputs.InputSpec: an image shape through check_input_size, token ids as they are
    (InputSpec validates its own length and vocabulary)."""
    from ..inputs import InputSpec

    spec = InputSpec.of(size)
    return spec if spec.tokens else InputSpec(check_input_size(spec.shape))


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
