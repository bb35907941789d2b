"""One tick end to end on real PostgreSQL, ClickHouse (chDB over HTTP), SQS and SSM (moto)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from omegacopy.app.run_tick import run_tick
from omegacopy.devstack.seed import TradeSeed, insert_raw_trades, insert_trades
from omegacopy.domain.intent import intent_id_for
from omegacopy.wiring.monitor import build_monitor_deps
from tests.integration.monitor.conftest import CLOSED, LEADER, POLITICS, SPORTS, MonitorWorld
from tests.support.lambda_runtime import load_event
from tests.support.telemetry import RecordingTelemetry

TICK = load_event("wallet_monitor_tick.json")
TICK_30 = load_event("wallet_monitor_tick_offset.json")


def _leader_trades(world: MonitorWorld) -> None:
    at = world.now - timedelta(seconds=20)
    insert_trades(
        world.ch,
        [
            TradeSeed("t-politics-yes", LEADER, POLITICS, "YES", "BUY", 500, 0.62, block_time=at),
            TradeSeed("t-sports-yes", LEADER, SPORTS, "YES", "BUY", 200, 0.40, block_time=at),
            TradeSeed("t-closed", LEADER, CLOSED, "YES", "BUY", 100, 0.50, block_time=at),
        ],
    )
    # A corrupt row: NaN price. It must become an invalid_source SKIP, not stop the tick.
    insert_raw_trades(
        world.ch,
        [["t-nan", LEADER, POLITICS.condition_id, "1001", "YES", "BUY", 10.0, float("nan"), 5.0, 0, at, at]],
    )


def test_tick_turns_leader_trades_into_signals_intents_and_messages(world: MonitorWorld, invoke: Any) -> None:
    _leader_trades(world)

    result = invoke(TICK)

    assert result["status"] == "ok"
    signals = {(s["strategy_id"], s["source_trade_id"]): s for s in world.signals()}
    assert {k: (v["decision"], v["reason_code"]) for k, v in signals.items()} == {
        ("s-politics", "t-politics-yes"): ("COPY", "copy"),
        ("s-politics", "t-sports-yes"): ("SKIP", "category_not_tracked"),
        ("s-politics", "t-closed"): ("SKIP", "market_closed"),
        ("s-politics", "t-nan"): ("SKIP", "invalid_source"),
        ("s-sports", "t-politics-yes"): ("SKIP", "category_not_tracked"),
        ("s-sports", "t-sports-yes"): ("SKIP", "owrr_below_threshold"),  # no voters in that market
        ("s-sports", "t-closed"): ("SKIP", "market_closed"),
        ("s-sports", "t-nan"): ("SKIP", "invalid_source"),
    }
    assert all(s["reason"] for s in signals.values())
    copy = signals[("s-politics", "t-politics-yes")]
    # 20 YES votes of 2·√600 against 3 NO votes of 1·√(100·0.6): owrr 0.97683 (the leader has no
    # metrics, so no vote); 23 votes → high
    assert copy["slider"] == 98
    assert copy["reason"] == "OWRR 98, confidence high"

    intents = world.intents()
    assert len(intents) == 1
    intent = intents[0]
    assert intent["intent_id"] == intent_id_for("s-politics", "t-politics-yes") == copy["intent_id"]
    assert intent["action"] == "BUY" and intent["token_id"] == "1001"
    # balance 10,000 × 5% × (0.5 + 0.5 × strength 0.95366) = 488.42 → $488, under the $1,000 cap
    assert intent["usd_amount"] == Decimal("488")
    assert intent["worst_price"] == Decimal("0.64")
    assert intent["send_count"] == 1

    messages = world.drain()
    assert len(messages) == 1
    msg = messages[0]
    assert msg["body"] == {
        "intent_id": intent["intent_id"],
        "correlation_id": intent["correlation_id"],
        "schema_version": 1,
    }
    assert msg["MessageGroupId"] == "w-follower"
    assert msg["MessageDeduplicationId"] == intent["intent_id"]


def test_replaying_the_same_window_adds_nothing(world: MonitorWorld, invoke: Any) -> None:
    _leader_trades(world)
    invoke(TICK)
    first_signals, first_intents = world.signals(), world.intents()
    assert len(world.drain()) == 1

    invoke(TICK_30)

    assert world.signals() == first_signals
    assert world.intents() == first_intents
    assert world.drain() == []


def test_a_late_row_inside_the_overlap_is_picked_up_once(world: MonitorWorld, invoke: Any) -> None:
    _leader_trades(world)
    invoke(TICK)
    (cursor,) = world.pg.execute("SELECT watermark FROM monitor_cursor").fetchone()  # type: ignore[misc]
    # Became visible after the tick, but stamped 30 s before the cursor (another ingester's clock).
    late = cursor - timedelta(seconds=30)
    insert_trades(
        world.ch,
        [TradeSeed("t-late", LEADER, POLITICS, "YES", "BUY", 50, 0.61, block_time=late, ingested_at=late)],
    )

    invoke(TICK_30)
    invoke({"scheduled_time": "2026-11-21T15:01:00Z", "offset_s": 0})

    late_signals = [s for s in world.signals() if s["source_trade_id"] == "t-late"]
    assert [(s["strategy_id"], s["decision"]) for s in late_signals] == [
        ("s-politics", "COPY"),
        ("s-sports", "SKIP"),
    ]
    assert [i["source_trade_id"] for i in world.intents()].count("t-late") == 1
    ids = [m["body"]["intent_id"] for m in world.drain()]
    assert ids.count(intent_id_for("s-politics", "t-late")) == 1


def test_an_entry_above_the_slice_size_becomes_iceberg_slices(world: MonitorWorld, invoke: Any) -> None:
    world.set_tunable("iceberg_slice_usd", "200")
    _leader_trades(world)

    invoke(TICK)

    intents = world.intents()
    # the $488 copy: three slices of whole dollars, the first carrying the signal's intent id
    assert sorted(i["usd_amount"] for i in intents) == [Decimal("162"), Decimal("162"), Decimal("164")]
    parent = intent_id_for("s-politics", "t-politics-yes")
    assert parent in {i["intent_id"] for i in intents}
    rows = world.pg.execute(
        "SELECT count(*) FILTER (WHERE parent_intent_id = %s), count(*) FILTER (WHERE parent_intent_id IS NULL)"
        " FROM order_intents",
        (parent,),
    ).fetchone()
    assert rows == (2, 1)
    assert sorted(m["body"]["intent_id"] for m in world.drain()) == sorted(i["intent_id"] for i in intents)


def test_the_tick_reports_through_the_telemetry_it_is_given(world: MonitorWorld) -> None:
    _leader_trades(world)
    deps = build_monitor_deps(world.env)
    deps.telemetry = telemetry = RecordingTelemetry()

    summary = run_tick(deps, "tick-telemetry")

    assert telemetry.counts["TradesSeen"] == summary.trades_seen == 3
    assert telemetry.counts["SignalsCopy"] == 1 and telemetry.counts["IntentsQueued"] == 1
    assert telemetry.counts["InvalidSourceRows"] == 1
    assert telemetry.counts["Skip_market_closed"] == 2
    assert telemetry.measures["TickDurationMs"] == summary.duration_ms >= 0
    ((message, fields),) = telemetry.logged("info")
    assert message == "tick summary" and fields["tick"] == {
        k: getattr(summary, k) for k in summary.__dataclass_fields__
    }
