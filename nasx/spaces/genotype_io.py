"""The one genotype reader: a published cell's name, a JSON file, JSON text or a parsed object.

Strict everywhere (CLI, export, training, journals), because a genotype decides what code is
generated and what network is built: at most MAX_GENOTYPE_BYTES of UTF-8 JSON, an object that is a
bare genotype (`{"space": ..., ...}`) or what `nasx sample --json` prints (`{"genotype": {...}}`
with only SAMPLE_KEYS around it), a space name that is a name (or a user space's YAML path), and
a description its space validates into canonical form. Errors are one line and say where.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

from ..errors import GenotypeError
from ..genotype import Genotype

MAX_GENOTYPE_BYTES = 1_000_000
# Keys `nasx sample --json` prints around a genotype; anything else in such a file is refused.
SAMPLE_KEYS = {"genotype", "arch", "hash", "params", "macs", "input_size"}
# a bundled space's name, or (user spaces) the absolute path of its YAML file
SPACE_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}|/[A-Za-z0-9_./ -]{1,400}\.ya?ml)$")
_PUBLISHED_NAME = re.compile(r"[a-z][a-z0-9_]*")


def genotype_from_obj(obj: Any, space=None, where: str = "genotype") -> Genotype:
    """Validate a parsed JSON object into a Genotype of its (or the given) space."""
    from .registry import get_space

    if not isinstance(obj, dict):
        raise GenotypeError(f"{where}: a genotype must be a JSON object")
    if isinstance(obj.get("genotype"), dict):
        extra = sorted(set(obj) - SAMPLE_KEYS)
        if extra:
            raise GenotypeError(f"{where}: unknown key(s) {', '.join(map(repr, extra))} around the genotype")
        obj = obj["genotype"]
    wanted = getattr(space, "name", space)
    name = obj.get("space", wanted)
    if name is not None and (not isinstance(name, str) or not SPACE_NAME.match(name)):
        raise GenotypeError(f"{where}: space {_short(name)} is not a space name")
    if wanted is not None and name != wanted:
        raise GenotypeError(f"{where}: genotype is of space {name!r}, not {wanted!r}")
    if name is None:
        raise GenotypeError(f"{where}: genotype has no 'space' key (or pass the space explicitly)")
    sp = space if space is not None and not isinstance(space, str) else get_space(name)
    try:
        return sp.genotype({k: v for k, v in obj.items() if k != "space"})
    except GenotypeError as exc:
        raise GenotypeError(f"{where}: {exc}" if where != "genotype" else str(exc)) from None


def read_genotype(source: str | Path | dict, space=None) -> Genotype:
    """A genotype from a published cell name (darts_v2, ...), a JSON file, JSON text or a dict."""
    if isinstance(source, dict):
        return genotype_from_obj(source, space)
    text = str(source)
    if text.lstrip()[:1] in ("{", "["):
        return genotype_from_obj(_parse(text.encode("utf-8"), "genotype JSON"), space, "genotype JSON")
    p = Path(text)
    if not p.exists() and _PUBLISHED_NAME.fullmatch(text):
        from .published import PUBLISHED, published_genotype

        if text in PUBLISHED:
            return published_genotype(text, space)
        close = difflib.get_close_matches(text, PUBLISHED, n=3, cutoff=0.5)
        raise GenotypeError(f"{text} is neither a genotype file nor a published cell"
                            + (f" (did you mean {', '.join(close)}?)" if close else "")
                            + f"; published cells: {', '.join(sorted(PUBLISHED))}")
    if not p.is_file():
        raise GenotypeError(f"genotype file {p} does not exist" if not p.exists()
                            else f"genotype path {p} is a folder, not a JSON file" if p.is_dir() else f"{p} is not a file")
    if p.stat().st_size > MAX_GENOTYPE_BYTES:
        raise GenotypeError(f"genotype file {p} is larger than {MAX_GENOTYPE_BYTES} bytes")
    return genotype_from_obj(_parse(p.read_bytes(), str(p)), space, str(p))


def _parse(raw: bytes, where: str):
    if len(raw) > MAX_GENOTYPE_BYTES:
        raise GenotypeError(f"{where} is larger than {MAX_GENOTYPE_BYTES} bytes")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise GenotypeError(f"{where}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise GenotypeError(f"{where}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
