"""The reconciler Lambda: settles in-flight orders, marks positions to market, pauses on limits."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from omegacopy.app.execute_intent import execute_intent
from omegacopy.devstack.paper import FaultMode
from tests.integration.executor.conftest import YES, ExecutorWorld
from tests.support.lambda_runtime import Invoke, fresh_container


@pytest.fixture
def reconciler(world: ExecutorWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    with fresh_container("reconciler", world.env, monkeypatch) as run:
        yield run


def test_reconciler_settles_a_lost_reply_and_marks_to_market(
    world: ExecutorWorld, reconciler: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    intent_id = world.intent()
    world.exchange.faults.set(FaultMode.DROP_AFTER_ACCEPT, count=1, paths=["/order"])
    assert execute_intent(world.deps(), intent_id, lambda: 20_000).state == "UNKNOWN"
    world.pg.execute("UPDATE order_intents SET updated_at = now() - interval '1 minute'")
    world.exchange.set_book(YES, bids=[(Decimal("0.50"), Decimal("100"))], asks=[(Decimal("0.54"), Decimal("100"))])
    capsys.readouterr()

    reply = reconciler({"scheduled_time": "2026-11-21T15:00:00Z"})

    assert reply["outcomes"] == {"FILLED": 1} and reply["paused"] == []
    row = world.row(intent_id)
    # booked from the exchange's record of the order (found by hash), under its trade ids
    assert (row["reason_code"], row["exchange_status"]) == ("exchange_record", "matched")
    (order,) = world.orders_for(intent_id)
    assert row["filled_trade_ids"] == sorted(f.trade_id for f in order.fills) != []
    position = world.position()
    assert position is not None and position["mark_price"] == Decimal("0.52")
    out = capsys.readouterr().out
    # bought at 0.60, marked at 0.52: the position is down 13.33 %
    assert '"PositionDrawdownPct":[13.33' in out


def test_a_strategy_breaching_its_drawdown_limit_is_paused(world: ExecutorWorld, reconciler: Invoke) -> None:
    intent_id = world.intent(usd=Decimal("300"))
    world.set_tunable("price_collar", "0.5")
    assert execute_intent(world.deps(), intent_id, lambda: 20_000).state == "FILLED"
    world.exchange.set_book(YES, bids=[(Decimal("0.01"), Decimal("100"))], asks=[(Decimal("0.03"), Decimal("100"))])
    world.set_tunable("drawdown_limit_pct", "20")

    reply = reconciler({})

    assert reply["paused"] == ["s-exec"]
    row = world.pg.execute("SELECT paused_reason FROM strategies WHERE strategy_id = 's-exec'").fetchone()
    assert row is not None and "drawdown" in row[0]


def test_a_stop_loss_breach_queues_one_exit_that_closes_the_position(world: ExecutorWorld, reconciler: Invoke) -> None:
    world.pg.execute("UPDATE strategy_settings SET stop_loss_pct = 20 WHERE strategy_id = 's-exec'")
    entry = world.intent()
    assert execute_intent(world.deps(), entry, lambda: 20_000).state == "FILLED"
    held = world.exchange.position(world.address, YES)
    # bought at 0.60; the book falls to a 0.45 mid: 25 % down, past the 20 % stop
    world.exchange.set_book(YES, bids=[(Decimal("0.44"), Decimal("5000"))], asks=[(Decimal("0.46"), Decimal("5000"))])

    first = reconciler({})
    second = reconciler({})

    exits = world.pg.execute(
        "SELECT intent_id::text, action, is_exit, shares, worst_price, state FROM order_intents WHERE is_exit"
    ).fetchall()
    assert len(exits) == 1, (first, second)  # the pending exit is not queued twice
    exit_id, action, is_exit, shares, worst, state = exits[0]
    assert (action, is_exit, state) == ("SELL", True, "NEW")
    assert shares == held.quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert worst == Decimal("0.43")  # mark 0.45 − the strategy's 0.02 slippage ceiling

    assert execute_intent(world.deps(), exit_id, lambda: 20_000).state == "FILLED"
    position = world.position()
    assert position is not None and position["shares"] < Decimal("0.01")
    assert position["realized_pnl_usd"] < 0


def test_a_resting_order_past_its_life_is_cancelled(world: ExecutorWorld) -> None:
    from omegacopy.app.reconcile import ReconcileSettings, reconcile

    # a passive GTC at the leader's 0.58 rests below the 0.60 ask
    intent_id = world.intent(style="GTC", leader=Decimal("0.58"), worst=Decimal("0.60"))
    deps = world.deps()
    assert execute_intent(deps, intent_id, lambda: 20_000).state == "ACCEPTED"
    (order,) = world.orders_for(intent_id)
    assert order.status == "live"

    young = reconcile(deps, ReconcileSettings(grace_s=0, resting_lifetime_s=3600))
    assert world.row(intent_id)["state"] == "ACCEPTED" and young.outcomes["ACCEPTED"] == 1
    old = reconcile(deps, ReconcileSettings(grace_s=0, resting_lifetime_s=0))

    assert old.outcomes["CANCELLED"] == 1
    assert world.row(intent_id)["state"] == "CANCELLED"
    assert world.orders_for(intent_id)[0].status in ("canceled", "cancelled")
