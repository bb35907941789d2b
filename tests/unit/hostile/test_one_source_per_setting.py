"""One source for each setting: the CLI builds from the functions' environment models, and the
domain's tunables are the only definition of the tunables."""

from __future__ import annotations

import ast
from pathlib import Path

from omegacopy.cli import wallet
from omegacopy.config import ExecutorEnv, WalletCliEnv
from omegacopy.domain.models import Tunables

SHARED = Path(__file__).resolve().parents[3] / "shared" / "omegacopy"


def test_the_wallet_cli_takes_the_executors_names_and_defaults() -> None:
    for name in ("clob_url", "chain_id", "clob_credentials_prefix", "database_url"):
        assert WalletCliEnv.model_fields[name].default == ExecutorEnv.model_fields[name].default, name
    assert ExecutorEnv.model_fields["clob_url"].default == wallet.DEFAULT_CLOB_URL
    assert ExecutorEnv.model_fields["clob_credentials_prefix"].default == wallet.DEFAULT_CREDENTIALS_PREFIX


def test_no_second_definition_of_the_tunables() -> None:
    """No class but `Tunables` declares the tunables (a copy of their defaults would drift)."""
    names = set(Tunables.model_fields)
    copies = []
    for path in SHARED.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef) or node.name == "Tunables":
                continue
            fields = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
            if len(fields & names) >= 5:
                copies.append(f"{path.relative_to(SHARED)}: {node.name}")
    assert copies == []
