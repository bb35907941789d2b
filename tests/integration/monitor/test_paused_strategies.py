"""A paused strategy copies no entries but still follows its leaders out of what it holds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from omegacopy.app.run_tick import run_tick
from omegacopy.devstack.seed import TradeSeed, insert_trades
from omegacopy.wiring.monitor import build_monitor_deps
from tests.integration.monitor.conftest import LEADER, POLITICS, MonitorWorld


def test_a_paused_strategy_follows_its_leaders_exits_and_copies_no_entries(world: MonitorWorld) -> None:
    world.pg.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, avg_entry_price, cost_usd)"
        " VALUES ('s-politics', %s, %s, 200, 0.5, 100)",
        (POLITICS.yes_token_id, POLITICS.condition_id),
    )
    world.pg.execute("UPDATE strategies SET paused_reason = 'drawdown 60% reached' WHERE strategy_id = 's-politics'")
    earlier = world.now - timedelta(hours=1)
    insert_trades(world.ch, [TradeSeed("t-leader-buy", LEADER, POLITICS, "YES", "BUY", 400, 0.5, block_time=earlier)])
    deps = build_monitor_deps(world.env)
    run_tick(deps, "tick-0")
    insert_trades(
        world.ch,
        [
            TradeSeed("t-leader-sell", LEADER, POLITICS, "YES", "SELL", 100, 0.7, block_time=world.now),
            TradeSeed("t-leader-entry", LEADER, POLITICS, "YES", "BUY", 100, 0.7, block_time=world.now),
        ],
    )

    run_tick(deps, "tick-1")

    mine = {s["source_trade_id"]: s for s in world.signals() if s["strategy_id"] == "s-politics"}
    assert (mine["t-leader-sell"]["decision"], mine["t-leader-sell"]["reason_code"]) == ("COPY", "copy_exit")
    assert (mine["t-leader-entry"]["decision"], mine["t-leader-entry"]["reason_code"]) == ("SKIP", "strategy_paused")
    assert "drawdown 60% reached" in mine["t-leader-entry"]["reason"]
    (exit_intent,) = [i for i in world.intents() if i["strategy_id"] == "s-politics"]
    assert (exit_intent["source_trade_id"], exit_intent["action"]) == ("t-leader-sell", "SELL")
    assert exit_intent["shares"] == Decimal("50")  # the same quarter the leader sold
