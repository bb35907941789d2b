"""Hostile rows through the real tick: one bad row never stops the monitor, moves money or leaks.

Each test is a finding of the hostile review, reproduced on real PostgreSQL, ClickHouse, SQS and SSM.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.clickhouse_source import ClickHouseOwrrInputs
from omegacopy.app.run_tick import run_tick
from omegacopy.devstack.postgres import free_port
from omegacopy.devstack.seed import (
    MarketSeed,
    TradeSeed,
    insert_markets,
    insert_metrics,
    insert_raw_trades,
    insert_trades,
    seed_consensus,
)
from omegacopy.domain.owrr import compute_owrr
from omegacopy.wiring.monitor import build_monitor_deps
from tests.integration.monitor.conftest import LEADER, OTHER_LEADER, POLITICS, SPORTS, MonitorWorld
from tests.support.lambda_runtime import load_event

TICK = load_event("wallet_monitor_tick.json")


def _reasons(world: MonitorWorld) -> dict[tuple[str, str], str]:
    return {(s["strategy_id"], s["source_trade_id"]): s["reason_code"] for s in world.signals()}


def _raw(trade_id: str, wallet: str, market: MarketSeed, token: str, side: str, action: str, shares: float,
         price: float, at: datetime, ingested: datetime | None = None) -> list[Any]:  # fmt: skip
    return [trade_id, wallet, market.condition_id, token, side, action, shares, price, shares * price, 0, at,
            ingested or at]  # fmt: skip


def _hold(world: MonitorWorld, shares: int = 200) -> None:
    world.pg.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, avg_entry_price, cost_usd)"
        " VALUES ('s-politics', %s, %s, %s, 0.5, %s)",
        (POLITICS.yes_token_id, POLITICS.condition_id, shares, shares / 2),
    )


# --- history behind a sale ----------------------------------------------------------------------
@pytest.mark.parametrize("corrupt", [float("nan"), float("inf"), -1e9], ids=["nan", "inf", "minus-1e9"])
def test_a_corrupt_history_row_neither_stops_the_tick_nor_sizes_the_exit(world: MonitorWorld, corrupt: float) -> None:
    _hold(world)
    earlier = world.now - timedelta(hours=1)
    yes = POLITICS.yes_token_id
    insert_raw_trades(
        world.ch,
        [
            _raw("h-buy", LEADER, POLITICS, yes, "YES", "BUY", 400, 0.5, earlier),
            _raw("h-corrupt", LEADER, POLITICS, yes, "YES", "BUY", corrupt, 0.5, earlier + timedelta(seconds=1)),
        ],
    )
    deps = build_monitor_deps(world.env)
    run_tick(deps, "tick-0")  # the old rows are outside the first window
    insert_trades(
        world.ch,
        [
            TradeSeed("t-sell", LEADER, POLITICS, "YES", "SELL", 100, 0.7, block_time=world.now),
            TradeSeed("t-other", OTHER_LEADER, POLITICS, "YES", "BUY", 100, 0.6, block_time=world.now),
            TradeSeed("t-buy", LEADER, POLITICS, "YES", "BUY", 500, 0.62, block_time=world.now),
        ],
    )

    summary = run_tick(deps, "tick-1")

    assert summary.status == "ok"
    reasons = _reasons(world)
    assert reasons[("s-politics", "t-sell")] == "copy_exit"
    assert reasons[("s-politics", "t-buy")] == "copy"  # the rest of the tick is decided too
    (exit_intent,) = [i for i in world.intents() if i["source_trade_id"] == "t-sell"]
    # the leader held 400 valid shares and sold 100: a quarter of our 200, not all and not none
    assert exit_intent["shares"] == Decimal("50")


def test_a_mixed_case_leader_address_is_the_same_leader(world: MonitorWorld) -> None:
    _hold(world)
    earlier = world.now - timedelta(hours=1)
    shouting = "0x" + LEADER[2:].upper()
    insert_raw_trades(
        world.ch, [_raw("h-buy", shouting, POLITICS, POLITICS.yes_token_id, "YES", "BUY", 400, 0.5, earlier)]
    )
    deps = build_monitor_deps(world.env)
    run_tick(deps, "tick-0")
    insert_raw_trades(
        world.ch, [_raw("t-sell", "0x" + LEADER[2:6].upper() + LEADER[6:], POLITICS, POLITICS.yes_token_id,
                        "YES", "SELL", 100, 0.7, world.now)],
    )  # fmt: skip

    run_tick(deps, "tick-1")

    (exit_intent,) = [i for i in world.intents() if i["source_trade_id"] == "t-sell"]
    assert exit_intent["shares"] == Decimal("50")  # not 200: the history was found


# --- new trade rows -----------------------------------------------------------------------------
def test_the_wrong_token_or_a_far_future_date_is_invalid_never_copied(world: MonitorWorld, invoke: Any) -> None:
    at = world.now - timedelta(seconds=5)
    cid = POLITICS
    insert_raw_trades(
        world.ch,
        [
            _raw("t-other-market-token", LEADER, cid, SPORTS.yes_token_id, "YES", "BUY", 500, 0.62, at),
            _raw("t-no-token-as-yes", LEADER, cid, POLITICS.no_token_id, "YES", "BUY", 500, 0.62, at),
            _raw("t-year-2100", LEADER, cid, POLITICS.yes_token_id, "YES", "BUY", 500, 0.62,
                 datetime(2100, 1, 1, tzinfo=UTC), ingested=at),
            _raw("t-lower-case-side", LEADER, cid, POLITICS.yes_token_id, "yes", "buy", 500, 0.62, at),
        ],
    )  # fmt: skip

    assert invoke(TICK)["status"] == "ok"

    reasons = _reasons(world)
    for bad in ("t-other-market-token", "t-no-token-as-yes", "t-year-2100"):
        assert reasons[("s-politics", bad)] == reasons[("s-sports", bad)] == "invalid_source", bad
    assert reasons[("s-politics", "t-lower-case-side")] == "copy"  # 'yes' is YES, not a crash
    assert [i["source_trade_id"] for i in world.intents()] == ["t-lower-case-side"]
    assert [i["token_id"] for i in world.intents()] == [POLITICS.yes_token_id]


# --- consensus rows -----------------------------------------------------------------------------
BALANCED = MarketSeed("0xbalanced01", "politics", "5001", "5002")


def _owrr(world: MonitorWorld, market: MarketSeed) -> Any:
    loaded = ClickHouseOwrrInputs(world.ch).load({market.condition_id: market.category})[market.condition_id]
    return compute_owrr(market.category, loaded.positions, loaded.metrics), loaded


def test_a_voter_row_priced_7_casts_no_vote(world: MonitorWorld) -> None:
    insert_markets(world.ch, [BALANCED])
    seed_consensus(world.ch, BALANCED, yes_voters=4, no_voters=4, at=world.now)
    before, _ = _owrr(world, BALANCED)
    whale = "0x" + "e7" * 20
    day_ago = world.now - timedelta(days=1)
    bad = _raw("bad-voter", whale, BALANCED, BALANCED.yes_token_id, "YES", "BUY", 1000, 7.0, day_ago)
    insert_raw_trades(world.ch, [bad])
    insert_metrics(world.ch, [(whale, "politics", "lifetime", 5.0, 100)])

    after, loaded = _owrr(world, BALANCED)

    assert (after.slider, after.confidence) == (before.slider, before.confidence)
    assert whale not in {p.wallet_address for p in loaded.positions}
    assert [r.reason for r in loaded.rejected] == ["entry_price: not finite or out of range (1 rows)"]


def test_a_lower_case_side_votes_and_one_bad_market_does_not_neutralise_another(
    world: MonitorWorld, invoke: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    insert_markets(world.ch, [BALANCED])
    seed_consensus(world.ch, BALANCED, yes_voters=20, no_voters=3, at=world.now)
    world.ch.command(f"ALTER TABLE trades_raw UPDATE side = lower(side) WHERE market_id = '{BALANCED.condition_id}'"
                     " SETTINGS mutations_sync = 1")  # fmt: skip
    insert_raw_trades(  # a corrupt voter row in POLITICS: it must cost one vote, not the tick's consensus
        world.ch,
        [_raw("weird", "0x" + "e8" * 20, POLITICS, POLITICS.yes_token_id, "maybe", "BUY", 10, 0.5,
              world.now - timedelta(days=1))],
    )  # fmt: skip
    at = world.now - timedelta(seconds=5)
    insert_trades(
        world.ch,
        [
            TradeSeed("t-politics", LEADER, POLITICS, "YES", "BUY", 500, 0.62, block_time=at),
            TradeSeed("t-balanced", LEADER, BALANCED, "YES", "BUY", 500, 0.62, block_time=at),
        ],
    )
    capsys.readouterr()

    invoke(TICK)

    sliders = {(s["strategy_id"], s["source_trade_id"]): s["slider"] for s in world.signals()}
    assert sliders[("s-politics", "t-politics")] == 98  # as without the bad row
    assert sliders[("s-politics", "t-balanced")] == 98  # 'yes' rows voted YES
    assert '"InvalidConsensusRows":[1.0]' in capsys.readouterr().out


def _voters(world: MonitorWorld, market: MarketSeed, *, shout_trades: bool, shout_metrics: bool) -> None:
    """seed_consensus's 20 YES against 3 NO voters, with their addresses spelled as asked."""

    def spell(address: str, shout: bool) -> str:
        return "0x" + address[2:].upper() if shout else address

    at = world.now - timedelta(days=2)
    rows, metrics = [], []
    for side, count, shares, price, omega in (("YES", 20, 1000, 0.6, 2.0), ("NO", 3, 100, 0.4, 1.0)):
        token = market.yes_token_id if side == "YES" else market.no_token_id
        for i in range(count):
            wallet = f"0x{'c' if side == 'YES' else 'd'}{i:039x}"
            rows.append(
                _raw(f"v-{side}{i}", spell(wallet, shout_trades), market, token, side, "BUY", shares, price, at)
            )
            metrics.append((spell(wallet, shout_metrics), market.category, "lifetime", omega, 50))
    insert_raw_trades(world.ch, rows)
    insert_metrics(world.ch, metrics)


@pytest.mark.parametrize(("shout_trades", "shout_metrics"), [(False, True), (True, False), (True, True)])
def test_voters_in_another_case_still_vote(world: MonitorWorld, shout_trades: bool, shout_metrics: bool) -> None:
    plain = MarketSeed("0xplain01", "politics", "6001", "6002")
    insert_markets(world.ch, [plain, BALANCED])
    _voters(world, plain, shout_trades=False, shout_metrics=False)
    expected, _ = _owrr(world, plain)
    _voters(world, BALANCED, shout_trades=shout_trades, shout_metrics=shout_metrics)

    result, _ = _owrr(world, BALANCED)

    assert not result.is_neutral
    assert (result.slider, result.yes_qualified, result.no_qualified) == (
        expected.slider,
        expected.yes_qualified,
        expected.no_qualified,
    )


# --- configuration ------------------------------------------------------------------------------
def test_no_tunables_at_cold_start_means_no_orders_and_an_alarm(
    world: MonitorWorld, invoke: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SSM_PREFIX", "/omegacopy/nothing-here")
    insert_trades(
        world.ch,
        [TradeSeed("t-1", LEADER, POLITICS, "YES", "BUY", 500, 0.62, block_time=world.now - timedelta(seconds=5))],
    )
    capsys.readouterr()

    result = invoke(TICK)

    assert result["status"] == "config_unavailable" and result["intents_queued"] == 0
    assert set(_reasons(world).values()) == {"config_unavailable"}
    assert world.intents() == [] and world.drain() == []
    out = capsys.readouterr().out
    assert '"TunablesUnavailable":[1.0]' in out and '"KillSwitchEngaged":[1.0]' in out


def test_a_kill_switch_typo_on_a_fresh_container_keeps_it_on(world: MonitorWorld, invoke: Any) -> None:
    world.set_tunable("kill_switch", "ture")
    insert_trades(
        world.ch,
        [TradeSeed("t-1", LEADER, POLITICS, "YES", "BUY", 500, 0.62, block_time=world.now - timedelta(seconds=5))],
    )

    invoke(TICK)

    assert _reasons(world)[("s-politics", "t-1")] == "kill_switch"
    assert world.intents() == []


def test_a_tiny_slice_is_refused_and_slices_are_capped(world: MonitorWorld) -> None:
    world.set_tunable("iceberg_slice_usd", "0.01")  # refused: the last good value (the default) stays
    deps = build_monitor_deps({**world.env, "TUNABLES_MAX_AGE_S": "0"})
    insert_trades(
        world.ch,
        [TradeSeed("t-1", LEADER, POLITICS, "YES", "BUY", 500, 0.62, block_time=world.now - timedelta(seconds=5))],
    )
    run_tick(deps, "tick-1")
    assert [i["usd_amount"] for i in world.intents()] == [Decimal("488")]  # under the $500 default slice

    world.set_tunable("iceberg_slice_usd", "10")
    world.set_tunable("iceberg_max_slices", "4")
    insert_trades(
        world.ch,
        [TradeSeed("t-2", LEADER, SPORTS, "YES", "BUY", 500, 0.62, block_time=world.now - timedelta(seconds=4)),
         TradeSeed("t-3", LEADER, POLITICS, "NO", "BUY", 1, 0.5, block_time=world.now - timedelta(seconds=4)),
         TradeSeed("t-4", LEADER, POLITICS, "YES", "BUY", 900, 0.62, block_time=world.now - timedelta(seconds=3))],
    )  # fmt: skip
    run_tick(deps, "tick-2")

    slices = [i["usd_amount"] for i in world.intents() if i["source_trade_id"] == "t-4"]
    assert len(slices) == 4 and min(slices) >= 10 and sum(slices) <= Decimal("1000")


# --- secrets ------------------------------------------------------------------------------------
def test_a_database_password_never_leaves_in_an_error_or_a_log(
    world: MonitorWorld, invoke: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "s3cr%zz-Tz9"  # a '%' that is no percent-escape: libpq quotes it back
    monkeypatch.setenv("DATABASE_URL", f"postgresql://omegacopy:{password}@127.0.0.1:5/omegacopy")
    capsys.readouterr()

    with pytest.raises(Exception) as failed:
        invoke(TICK)

    text = f"{failed.value!r} {failed.value}"
    assert "PostgreSQL connection failed" in text
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    out = capsys.readouterr()
    for leaked in (password, "zz-Tz9", "Tz9"):
        assert leaked not in text and leaked not in out.out and leaked not in out.err


def test_a_clickhouse_password_never_leaves_in_an_error_or_a_log(
    world: MonitorWorld, invoke: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "ch%Pw-Qr8"
    monkeypatch.setenv("CLICKHOUSE_URL", f"http://default:{password}@127.0.0.1:{free_port()}/omegacopy")
    capsys.readouterr()

    with pytest.raises(Exception) as failed:
        invoke(TICK)

    text = f"{failed.value!r} {failed.value}"
    assert "ClickHouse connection failed" in text
    out = capsys.readouterr()
    for leaked in (password, "Pw-Qr8"):
        assert leaked not in text and leaked not in out.out and leaked not in out.err
