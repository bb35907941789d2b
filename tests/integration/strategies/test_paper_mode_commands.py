"""Paper or live, from the CLI and strategies.yaml: new strategies are paper, going live asks for a
confirmation, and a strategy with open positions or orders keeps its mode."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from omegacopy.adapters.pg_monitor_store import PgMonitorSession
from tests.integration.strategies.conftest import Result, rows

SETTINGS = ("balance_usd=5000", "max_position_size_usd=400", "max_positions=8", "risk_per_trade_percent=2",
            "categories=politics")  # fmt: skip
Run = Callable[..., Result]


def _mode(pg: Any, sid: str = "s1") -> str:
    return str(rows(pg, "SELECT mode FROM strategy_settings WHERE strategy_id = %s", (sid,))[0][0])


def _paper(pg: Any) -> dict[str, bool]:
    return {s.config.strategy_id: s.config.paper for s in PgMonitorSession(pg).load_strategies()}


def test_a_new_strategy_is_paper_and_going_live_needs_a_yes(
    omegacopy: Run, wallet: str, pg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert omegacopy("strategy", "create", "s1", "--wallet", "w1", *SETTINGS).code == 0
    assert _mode(pg) == "paper" and _paper(pg) == {"s1": True}
    assert "mode       paper — filled on paper, nothing is sent" in omegacopy("strategy", "show", "s1").out

    # no terminal to ask on: refused, with the fix
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    refused = omegacopy("strategy", "set", "s1", "mode=live")
    assert refused.code == 2 and "going live needs a confirmation" in refused.err and "--yes" in refused.err
    assert _mode(pg) == "paper"

    # asked, and answered no
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert omegacopy("strategy", "set", "s1", "mode=live").code == 2 and _mode(pg) == "paper"

    # paper cash is not money: going live starts again from the capital
    pg.execute("UPDATE strategy_settings SET balance_usd = 4321, peak_equity_usd = 5100 WHERE strategy_id = 's1'")
    done = omegacopy("strategy", "set", "s1", "mode=live", "--yes")
    assert done.code == 0, done.err
    assert "mode: paper → live  (LIVE: real orders" in done.out
    assert _mode(pg) == "live" and _paper(pg) == {"s1": False}
    assert rows(pg, "SELECT balance_usd, peak_equity_usd FROM strategy_settings") == [(Decimal("5000"), None)]

    # back to paper needs no confirmation, and keeps the cash
    assert omegacopy("strategy", "set", "s1", "mode=paper").code == 0 and _mode(pg) == "paper"


def test_a_strategy_with_open_positions_or_orders_keeps_its_mode(omegacopy: Run, wallet: str, pg: Any) -> None:
    assert omegacopy("strategy", "create", "s1", "--wallet", "w1", *SETTINGS).code == 0
    pg.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, cost_usd, paper)"
        " VALUES ('s1', '123', '0x" + "a" * 64 + "', 10, 6, true)"
    )

    refused = omegacopy("strategy", "set", "s1", "mode=live", "--yes")

    assert refused.code == 2 and "cannot change mode now (paper → live" in refused.err
    assert "it has 1 open position(s)" in refused.err and "say `mode: paper` to keep it" in refused.err
    assert _mode(pg) == "paper"
    pg.execute("UPDATE strategy_positions SET shares = 0, cost_usd = 0")
    assert omegacopy("strategy", "set", "s1", "mode=live", "--yes").code == 0 and _mode(pg) == "live"


def test_apply_shows_going_live_and_writes_it_only_with_yes(
    omegacopy: Run, wallet: str, pg: Any, tmp_path: Path
) -> None:
    spec = tmp_path / "strategies.yaml"
    body = ("strategies:\n  - {id: s1, wallet: w1, balance_usd: 100, max_position_size_usd: 10, max_positions: 1,"
            " risk_per_trade_percent: 1, categories: [politics], mode: MODE}\n")  # fmt: skip
    spec.write_text(body.replace("MODE", "paper"))
    assert omegacopy("apply", "-f", str(spec)).code == 0 and _mode(pg) == "paper"
    spec.write_text(body.replace("MODE", "live"))

    dry = omegacopy("apply", "-f", str(spec), "--dry-run")
    refused = omegacopy("apply", "-f", str(spec))
    assert _mode(pg) == "paper"
    applied = omegacopy("apply", "-f", str(spec), "--yes")

    assert dry.code == 0 and "    mode: paper → live  (LIVE: real orders" in dry.out
    assert refused.code == 2 and "s1 would trade real money (mode live)" in refused.err
    assert applied.code == 0 and _mode(pg) == "live"
    assert (
        omegacopy("apply", "-f", str(spec)).out.splitlines()[-1] == "no changes: the database already matches the file"
    )
