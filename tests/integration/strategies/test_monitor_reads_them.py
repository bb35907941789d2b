"""The monitor's loader validates every stored strategy through the same model as the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from omegacopy.devstack.seed import TradeSeed, insert_trades
from tests.integration.monitor.conftest import LEADER, POLITICS, MonitorWorld
from tests.integration.strategies.conftest import Result
from tests.support.lambda_runtime import load_event

TICK = load_event("wallet_monitor_tick.json")


def test_a_hand_written_invalid_row_is_skipped_loudly_and_the_rest_trade(
    world: MonitorWorld,
    invoke: Any,
    omegacopy: Callable[..., Result],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    checksummed = LEADER.upper().replace("0X", "0x")
    made = omegacopy("strategy", "create", "s-all", "--wallet", "w-follower", "--leader", checksummed,
                     "balance_usd=5000", "max_position_size_usd=400", "max_positions=8", "risk_per_trade_percent=2",
                     "categories=all")  # fmt: skip
    assert made.code == 0, made.err
    # SQL the CLI would refuse: a NO threshold above the YES one
    world.pg.execute("UPDATE strategy_settings SET owrr_threshold_no = 70 WHERE strategy_id = 's-sports'")
    insert_trades(world.ch, [TradeSeed("t-politics-yes", LEADER, POLITICS, "YES", "BUY", 500, 0.62,
                                       block_time=world.now - timedelta(seconds=20))])  # fmt: skip
    capsys.readouterr()

    assert invoke(TICK)["status"] == "ok"

    output = capsys.readouterr().out
    decided = {(s["strategy_id"], s["decision"], s["reason_code"]) for s in world.signals()}
    # `categories: all` copies a politics trade; the invalid strategy is not traded at all
    assert decided == {("s-politics", "COPY", "copy"), ("s-all", "COPY", "copy")}
    (skipped,) = [r for r in caplog.records if r.getMessage() == "strategy skipped: its settings do not validate"]
    assert skipped.levelname == "ERROR" and skipped.strategy_id == "s-sports"  # type: ignore[attr-defined]
    assert skipped.error == "owrr_threshold_no (70) must not exceed owrr_threshold_yes (60)"  # type: ignore[attr-defined]
    metrics = [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]
    assert any(doc.get("StrategyInvalid") == [1.0] for doc in metrics)
    # the CLI shows the same verdict, with the way to fix it
    shown = omegacopy("strategy", "show", "s-sports").out
    assert "state      invalid: owrr_threshold_no (70) must not exceed owrr_threshold_yes (60)" in shown
    assert "fix with: omegacopy strategy set s-sports KEY=VALUE" in shown
    fixed = omegacopy("strategy", "set", "s-sports", "owrr_threshold_no=40")
    assert fixed.code == 0 and "settings: invalid" in fixed.out
    assert omegacopy("strategy", "show", "s-sports", "--json").out.count('"state": "active"') == 1
