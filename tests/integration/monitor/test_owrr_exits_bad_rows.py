"""OWRR cache and fallbacks, leader exits, and corrupt source rows — through the real tick."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from omegacopy.adapters.clickhouse_source import ClickHouseOwrrInputs
from omegacopy.adapters.pg_monitor_store import PgMonitorStore
from omegacopy.app.owrr_lookup import OwrrOrigin, lookup_owrr
from omegacopy.app.run_tick import run_tick
from omegacopy.devstack.seed import TradeSeed, insert_raw_trades, insert_trades
from omegacopy.wiring.monitor import build_monitor_deps
from tests.integration.monitor.conftest import LEADER, POLITICS, MonitorWorld
from tests.support.telemetry import RecordingTelemetry


def test_owrr_is_cached_across_containers_then_stale_then_neutral(world: MonitorWorld) -> None:
    store = PgMonitorStore(world.env["DATABASE_URL"])
    inputs = ClickHouseOwrrInputs(world.ch)
    markets = {POLITICS.condition_id: "politics"}
    telemetry = RecordingTelemetry()
    with store.session() as db:
        first = lookup_owrr(markets, db, inputs, world.now, ttl_s=300, telemetry=telemetry)
    # another container: a fresh connection, same PostgreSQL cache
    with PgMonitorStore(world.env["DATABASE_URL"]).session() as db:
        cached = lookup_owrr(markets, db, inputs, world.now + timedelta(seconds=60), ttl_s=300, telemetry=telemetry)
    assert telemetry.logged("warning") == []
    world.ch.command("RENAME TABLE trades_raw TO trades_offline")  # the source breaks
    with store.session() as db:
        later = world.now + timedelta(seconds=600)
        stale = lookup_owrr(markets, db, inputs, later, ttl_s=300, telemetry=telemetry)
        neutral = lookup_owrr({"0xnever-cached": "politics"}, db, inputs, world.now, ttl_s=300, telemetry=telemetry)
    # the fallback is logged (through the use case's telemetry), once per lookup that fell back
    assert [m for m, _ in telemetry.logged("warning")] == ["owrr inputs unavailable, using stale or neutral values"] * 2

    assert first.origins == {POLITICS.condition_id: OwrrOrigin.COMPUTED}
    assert cached.origins == {POLITICS.condition_id: OwrrOrigin.CACHE}
    assert stale.origins == {POLITICS.condition_id: OwrrOrigin.STALE}
    assert first.results == cached.results == stale.results
    assert first.results[POLITICS.condition_id].slider == 98
    assert neutral.origins == {"0xnever-cached": OwrrOrigin.NEUTRAL}
    assert neutral.results["0xnever-cached"].slider == 50


def test_a_leader_sale_reduces_the_copy_by_the_same_fraction(world: MonitorWorld) -> None:
    # The strategy holds 200 shares of YES; the leader held 400 and sells 100: a quarter.
    world.pg.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, avg_entry_price, cost_usd)"
        " VALUES ('s-politics', %s, %s, 200, 0.5, 100)",
        (POLITICS.yes_token_id, POLITICS.condition_id),
    )
    earlier = world.now - timedelta(hours=1)
    insert_trades(world.ch, [TradeSeed("t-leader-buy", LEADER, POLITICS, "YES", "BUY", 400, 0.5, block_time=earlier)])
    deps = build_monitor_deps(world.env)
    run_tick(deps, "tick-0")  # the old buy is outside the first window: nothing to decide
    insert_trades(
        world.ch,
        [TradeSeed("t-leader-sell", LEADER, POLITICS, "YES", "SELL", 100, 0.7, block_time=world.now)],
    )

    run_tick(deps, "tick-1")

    signal = next(
        s for s in world.signals() if s["source_trade_id"] == "t-leader-sell" and s["strategy_id"] == "s-politics"
    )
    assert (signal["decision"], signal["reason_code"]) == ("COPY", "copy_exit")
    (intent,) = [i for i in world.intents() if i["source_trade_id"] == "t-leader-sell"]
    assert intent["action"] == "SELL" and intent["shares"] == Decimal("50")
    assert intent["worst_price"] == Decimal("0.68")


def test_corrupt_rows_are_skipped_with_invalid_source_and_the_tick_goes_on(world: MonitorWorld, invoke: Any) -> None:
    at = world.now - timedelta(seconds=5)
    cid, yes = POLITICS.condition_id, POLITICS.yes_token_id
    insert_raw_trades(
        world.ch,
        [
            ["", LEADER, cid, yes, "YES", "BUY", 10.0, 0.5, 5.0, 0, at, at],  # missing trade id
            ["t-neg", LEADER, cid, yes, "YES", "BUY", -10.0, 0.5, 5.0, 0, at, at],  # negative size
            ["t-unknown", LEADER, "0xnot-a-market", yes, "YES", "BUY", 10.0, 0.5, 5.0, 0, at, at],
            ["t-float-token", LEADER, cid, "7.132104567925221e+76", "YES", "BUY", 10.0, 0.5, 5.0, 0, at, at],
            ["t-price-one", LEADER, cid, yes, "YES", "BUY", 10.0, 1.0, 10.0, 0, at, at],
        ],
    )
    insert_trades(world.ch, [TradeSeed("t-good", LEADER, POLITICS, "YES", "BUY", 500, 0.62, block_time=at)])

    result = invoke({"scheduled_time": "2026-11-21T15:00:00Z", "offset_s": 0})

    assert result["status"] == "ok"
    by_trade: dict[str, set[str]] = {}
    for s in world.signals():
        by_trade.setdefault(s["source_trade_id"], set()).add(s["reason_code"])
    invalid = {t for t, reasons in by_trade.items() if reasons == {"invalid_source"}}
    assert {"t-neg", "t-unknown", "t-float-token", "t-price-one"} <= invalid
    assert any(t.startswith("invalid:") for t in invalid)  # the id-less row got a stable derived id
    assert by_trade["t-good"] == {"copy", "category_not_tracked"}
