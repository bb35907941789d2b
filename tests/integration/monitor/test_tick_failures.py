"""The tick under failure: overlap, ClickHouse down, SQS down, operator tunables from SSM."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from omegacopy.adapters.pg_monitor_store import PgMonitorStore
from omegacopy.adapters.schema import clickhouse_init
from omegacopy.app.run_tick import run_tick
from omegacopy.devstack.clickhouse import start_clickhouse
from omegacopy.devstack.postgres import free_port
from omegacopy.devstack.seed import TradeSeed, insert_markets, insert_trades, seed_consensus
from omegacopy.wiring.monitor import build_monitor_deps
from tests.conftest import INFRA
from tests.integration.monitor.conftest import LEADER, POLITICS, SPORTS, MonitorWorld
from tests.support.lambda_runtime import load_event

TICK = load_event("wallet_monitor_tick.json")


def _one_trade(world: MonitorWorld, trade_id: str = "t-1") -> None:
    insert_trades(
        world.ch,
        [
            TradeSeed(
                trade_id,
                LEADER,
                POLITICS,
                "YES",
                "BUY",
                500,
                0.62,
                block_time=world.now - timedelta(seconds=5),
            )
        ],
    )


def _count(world: MonitorWorld, table: str) -> int:
    row = world.pg.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_overlapping_ticks_one_does_the_work(world: MonitorWorld, invoke: Any) -> None:
    _one_trade(world)
    # A tick in progress elsewhere holds the lock.
    other = PgMonitorStore(world.env["DATABASE_URL"])
    with other.session() as busy:
        assert busy.try_lock()
        blocked = invoke(TICK)
        assert blocked["status"] == "overlap"
        assert _count(world, "wallet_monitor_signals") == 0
    other.close()

    done = invoke(TICK)

    assert done["status"] == "ok"
    assert _count(world, "wallet_monitor_signals") == 2
    assert len(world.drain()) == 1


def test_clickhouse_down_fails_closed_and_the_next_tick_catches_up(
    world: MonitorWorld, invoke: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="ch-down-"))
    server = start_clickhouse(data_dir, port=port)
    try:
        clickhouse_init(server.client(), INFRA / "clickhouse")
        ch = server.client()
        insert_markets(ch, [POLITICS, SPORTS])
        seed_consensus(ch, POLITICS, yes_voters=20, no_voters=3, at=world.now)
        monkeypatch.setenv("CLICKHOUSE_URL", f"http://default:@127.0.0.1:{port}/default")
        monkeypatch.setenv("SOURCE_TIMEOUT_S", "2")
        assert invoke(TICK)["status"] == "ok"  # a warm container with a live connection
        insert_trades(ch, [TradeSeed("t-1", LEADER, POLITICS, "YES", "BUY", 500, 0.62, block_time=world.now)])
        capsys.readouterr()
        server.stop()

        with pytest.raises(Exception, match="clickhouse"):
            invoke(TICK)

        assert _count(world, "wallet_monitor_signals") == 0
        assert _count(world, "order_intents") == 0
        assert '"TickFailed":[1.0]' in capsys.readouterr().out
        server = start_clickhouse(data_dir, port=port)

        recovered = invoke(TICK)

        assert recovered["status"] == "ok" and recovered["intents_queued"] == 1
        assert _count(world, "wallet_monitor_signals") == 2
    finally:
        server.stop()


def test_sqs_failure_leaves_intents_new_and_the_next_tick_sends_them_once(world: MonitorWorld) -> None:
    _one_trade(world)
    broken = build_monitor_deps({**world.env, "EXECUTION_QUEUE_URL": world.queue_url + "-missing"})

    first = run_tick(broken, "tick-1")

    assert first.intents_created == 1 and first.intents_queued == 0 and first.send_failures == 1
    assert [i["send_count"] for i in world.intents()] == [0]
    assert world.drain() == []

    healthy = build_monitor_deps(world.env)
    second = run_tick(healthy, "tick-2")
    third = run_tick(healthy, "tick-3")

    assert second.intents_queued == 1 and third.intents_queued == 0
    assert [i["send_count"] for i in world.intents()] == [1]
    assert len(world.drain()) == 1


def test_a_tunable_changed_in_ssm_applies_on_the_next_tick(world: MonitorWorld) -> None:
    deps = build_monitor_deps({**world.env, "TUNABLES_MAX_AGE_S": "0"})  # one warm container
    world.set_tunable("kill_switch", "true")
    _one_trade(world, "t-killed")
    run_tick(deps, "tick-1")

    world.set_tunable("kill_switch", "false")
    _one_trade(world, "t-live")
    run_tick(deps, "tick-2")

    decisions = {(s["strategy_id"], s["source_trade_id"]): s["reason_code"] for s in world.signals()}
    assert decisions[("s-politics", "t-killed")] == "kill_switch"
    assert decisions[("s-politics", "t-live")] == "copy"


def test_an_invalid_tunable_keeps_the_last_good_value_and_alarms(
    world: MonitorWorld, invoke: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TUNABLES_MAX_AGE_S", "0")
    world.set_tunable("kill_switch", "true")
    invoke(TICK)
    world.set_tunable("kill_switch", "maybe")  # an operator typo must not release the kill switch
    _one_trade(world, "t-after-typo")
    capsys.readouterr()

    invoke(TICK)

    assert '"TunableInvalid":[1.0]' in capsys.readouterr().out
    decisions = {(s["strategy_id"], s["source_trade_id"]): s["reason_code"] for s in world.signals()}
    assert decisions[("s-politics", "t-after-typo")] == "kill_switch"


def test_postgresql_down_fails_closed_with_an_error_metric(
    world: MonitorWorld, invoke: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _one_trade(world)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://omegacopy@127.0.0.1:{free_port()}/omegacopy")
    capsys.readouterr()

    with pytest.raises(Exception, match="connect"):
        invoke(TICK)

    assert '"TickFailed":[1.0]' in capsys.readouterr().out
    assert world.drain() == []
