"""The explicit package list in pyproject.toml must name every nasx sub-package."""

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nasx").rglob("__init__.py")}
    assert found - listed == set(), f"add to pyproject.toml packages: {sorted(found - listed)}"


def test_bundled_data_folders_exist():
    for folder in ("search_spaces", "configs", "nb201"):
        assert (ROOT / folder).is_dir()
