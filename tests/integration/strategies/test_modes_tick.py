"""Strategy modes through a real tick: strategies made by the CLI, leader trades and track records in
ClickHouse (chDB), the wallet-monitor handler, PostgreSQL signals and intents, SQS (moto)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.devstack.seed import MarketSeed, TradeSeed, insert_markets, insert_trades
from tests.integration.monitor.conftest import LEADER, OTHER_LEADER, POLITICS, SPORTS, MonitorWorld
from tests.integration.strategies.conftest import Result
from tests.support.lambda_runtime import load_event

TICK = load_event("wallet_monitor_tick.json")
CRYPTO = MarketSeed("0xcrypto01", "Crypto", "4001", "4002")  # a market's category may be any case
_RECORD_COLUMNS = ["wallet_address", "category", "window", "metric_2_omega_net", "metric_22_resolved_bets", "wins",
                   "losing_bets", "gains_usd", "losses_usd"]  # fmt: skip


def track_records(ch: Any, rows: list[tuple[str, str, int, int, int, float, float]]) -> None:
    """Lifetime rows of `wallet_metrics_by_category`: (wallet, category, bets, wins, losing, gains, losses)."""
    ch.insert(
        "wallet_metrics_by_category",
        [[w, c, "lifetime", 1.5, bets, wins, losing, g, lo] for w, c, bets, wins, losing, g, lo in rows],
        column_names=_RECORD_COLUMNS,
    )


def create(omegacopy: Callable[..., Result], strategy_id: str, *settings: str, leader: str = LEADER) -> None:
    made = omegacopy("strategy", "create", strategy_id, "--wallet", "w-follower", "--leader", leader,
                     "balance_usd=10000", "max_position_size_usd=1000", "max_positions=10", *settings)  # fmt: skip
    assert made.code == 0, made.err


def leader_buys(world: MonitorWorld, *trades: tuple[str, str, MarketSeed]) -> None:
    at = world.now - timedelta(seconds=20)
    insert_trades(world.ch, [TradeSeed(tid, wallet, market, "YES", "BUY", 200, 0.40, block_time=at)
                             for tid, wallet, market in trades])  # fmt: skip


def decisions(world: MonitorWorld, strategy_id: str) -> dict[str, tuple[str, str, str]]:
    return {
        s["source_trade_id"]: (s["decision"], s["reason_code"], s["reason"])
        for s in world.signals()
        if s["strategy_id"] == strategy_id
    }


def intent_usd(world: MonitorWorld, strategy_id: str) -> dict[str, Decimal]:
    return {i["source_trade_id"]: i["usd_amount"] for i in world.intents() if i["strategy_id"] == strategy_id}


def test_consensus_off_copies_what_the_gate_skips_and_keeps_the_other_rules(
    world: MonitorWorld, invoke: Any, omegacopy: Callable[..., Result]
) -> None:
    # the seeded `s-sports` keeps the gate; the sports market has no voters, so it skips there
    create(omegacopy, "s-plain", "categories=sports", "consensus=off", "sizing_mode=fixed", "fixed_size_usd=50")
    leader_buys(world, ("t-sports", LEADER, SPORTS), ("t-politics", LEADER, POLITICS))

    assert invoke(TICK)["status"] == "ok"

    plain = decisions(world, "s-plain")
    assert plain["t-sports"] == ("COPY", "copy", "Consensus off: copying the leader")
    assert plain["t-politics"][1] == "category_not_tracked"  # the category rule still applies
    assert decisions(world, "s-sports")["t-sports"][1] == "owrr_below_threshold"
    assert intent_usd(world, "s-plain") == {"t-sports": Decimal("50")}
    queued = {m["body"]["intent_id"] for m in world.drain()}
    assert queued == {i["intent_id"] for i in world.intents()}  # s-politics' copy and the plain one
    # the CLI made s-plain in paper mode: its intent is paper; the seeded live strategy's is not
    modes = dict(world.pg.execute("SELECT strategy_id, paper FROM order_intents").fetchall())
    assert modes == {"s-plain": True, "s-politics": False}


def test_only_consensus_off_strategies_compute_no_owrr(
    world: MonitorWorld, invoke: Any, omegacopy: Callable[..., Result]
) -> None:
    world.pg.execute("DELETE FROM strategies")  # only the plain copier follows the leader
    create(omegacopy, "s-plain", "categories=all", "consensus=off", "sizing_mode=fixed", "fixed_size_usd=50")
    leader_buys(world, ("t-politics", LEADER, POLITICS))

    result = invoke(TICK)

    assert result["status"] == "ok" and result["intents_queued"] == 1
    assert decisions(world, "s-plain")["t-politics"][:2] == ("COPY", "copy")
    assert world.pg.execute("SELECT count(*) FROM owrr_snapshots").fetchone() == (0,)


def test_kelly_sizes_from_the_leaders_record_and_skips_with_the_reason(
    world: MonitorWorld,
    invoke: Any,
    omegacopy: Callable[..., Result],
    capsys: pytest.CaptureFixture[str],
) -> None:
    world.set_tunable("kelly_min_resolved_bets", "30")
    insert_markets(world.ch, [CRYPTO])
    short = "0x" + "5e" * 20
    track_records(
        world.ch,
        [
            # p = 24/40 = 0.6, b = (2400/24)/(1600/16) = 1 → f* = 0.2; quarter Kelly of $10,000 = $500
            (LEADER, "politics", 40, 24, 16, 2400.0, 1600.0),
            # p = 0.4 at b = 1: no edge
            (LEADER, "crypto", 40, 16, 24, 1600.0, 2400.0),
            # 29 bets, under the tunable's 30
            (short, "politics", 29, 20, 9, 2000.0, 900.0),
            # a row that contradicts itself (more wins than bets): refused, so no record
            (OTHER_LEADER, "politics", 10, 12, 0, 1200.0, 0.0),
        ],
    )
    create(omegacopy, "s-kelly", "categories=politics,sports,crypto", "consensus=off", "sizing_mode=kelly",
           "kelly_fraction=0.25")  # fmt: skip
    for wallet in (short, OTHER_LEADER):
        assert omegacopy("leader", "follow", "s-kelly", wallet).code == 0
    leader_buys(
        world,
        ("t-politics", LEADER, POLITICS),
        ("t-sports", LEADER, SPORTS),  # no record in sports
        ("t-crypto", LEADER, CRYPTO),
        ("t-short", short, POLITICS),
        ("t-invalid", OTHER_LEADER, POLITICS),
    )
    capsys.readouterr()

    assert invoke(TICK)["status"] == "ok"

    kelly = decisions(world, "s-kelly")
    assert kelly["t-politics"] == (
        "COPY",
        "copy",
        "Consensus off: copying the leader; Kelly 0.2 × 0.25 of the cash (win rate 60% over 40 bets, payoff 1)",
    )
    assert intent_usd(world, "s-kelly") == {"t-politics": Decimal("500")}
    assert kelly["t-sports"][1] == "no_track_record" and "'sports'" in kelly["t-sports"][2]
    assert kelly["t-crypto"][1] == "no_edge"
    assert "win rate 40% over 40 bets, payoff 1" in kelly["t-crypto"][2]
    assert kelly["t-short"][1] == "few_resolved_bets" and "29 resolved bets" in kelly["t-short"][2]
    assert kelly["t-invalid"][1] == "no_track_record"
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert any(doc.get("InvalidTrackRecordRows") == [1.0] for doc in emitted)


def test_kelly_fails_closed_when_the_records_cannot_be_read(
    world: MonitorWorld, invoke: Any, omegacopy: Callable[..., Result], capsys: pytest.CaptureFixture[str]
) -> None:
    create(omegacopy, "s-kelly", "categories=politics", "consensus=off", "sizing_mode=kelly", "kelly_fraction=0.5")
    create(omegacopy, "s-fixed", "categories=politics", "consensus=off", "sizing_mode=fixed", "fixed_size_usd=40")
    track_records(world.ch, [(LEADER, "politics", 40, 24, 16, 2400.0, 1600.0)])
    world.ch.command("DROP TABLE wallet_metrics_by_category")
    leader_buys(world, ("t-politics", LEADER, POLITICS))
    capsys.readouterr()

    assert invoke(TICK)["status"] == "ok"  # the tick goes on: the other strategies still trade

    assert decisions(world, "s-kelly")["t-politics"][1] == "no_track_record"
    assert intent_usd(world, "s-kelly") == {}
    assert intent_usd(world, "s-fixed") == {"t-politics": Decimal("40")}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert any(doc.get("TrackRecordsUnavailable") == [1.0] for doc in emitted)


def test_a_row_that_says_owrr_trades_as_owrr_scaled(world: MonitorWorld, invoke: Any) -> None:
    # the seeded strategies were written the old way, 'owrr'
    assert world.pg.execute("SELECT DISTINCT sizing_mode FROM strategy_settings").fetchall() == [("owrr",)]
    leader_buys(world, ("t-politics", LEADER, POLITICS))

    assert invoke(TICK)["status"] == "ok"

    assert decisions(world, "s-politics")["t-politics"][:2] == ("COPY", "copy")
    assert intent_usd(world, "s-politics")["t-politics"] > 0
