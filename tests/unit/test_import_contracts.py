"""The import contracts cover what they say: every shipped module is a source of the contract that
keeps the dev stack and the CLI out of the layer, and the cycle contract spans the whole package."""

from __future__ import annotations

import tomllib
from typing import Any

from tests.conftest import REPO

PACKAGE = REPO / "shared" / "omegacopy"
NOT_SHIPPED = {"devstack", "cli"}


def _contract(name_starts: str) -> dict[str, Any]:
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"].startswith(name_starts)]
    found: dict[str, Any] = contract
    return found


def test_every_shipped_module_is_kept_from_the_dev_stack_and_the_cli() -> None:
    contract = _contract("Shipped code")
    shipped = {p.stem for p in PACKAGE.glob("*.py")} | {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    shipped -= NOT_SHIPPED | {"__init__"}
    assert set(contract["source_modules"]) == {f"omegacopy.{name}" for name in shipped}
    assert {"omegacopy.devstack", "omegacopy.cli"} <= set(contract["forbidden_modules"])


def test_no_cycle_anywhere_in_the_package() -> None:
    contract = _contract("No import cycles")
    assert contract["type"] == "acyclic_siblings"
    assert contract["ancestors"] == ["omegacopy"]
    assert contract.get("depth", 10) >= max(len(p.relative_to(PACKAGE).parts) for p in PACKAGE.rglob("*.py"))
