"""Settlement against the real services: the markets dimension in ClickHouse, PostgreSQL, and the
paper exchange (our resting orders in a resolved market are cancelled before anything settles)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from omegacopy.adapters.clickhouse_resolutions import ClickHouseResolutions
from omegacopy.adapters.pg_settlements import PgSettlementStore
from omegacopy.app.execute_intent import execute_intent
from omegacopy.app.reconcile import ReconcileSettings, reconcile
from omegacopy.app.settle_resolved import SettlementDeps, settle_resolved
from tests.integration.executor.conftest import CONDITION, NO, STRATEGY_ID, YES, ExecutorWorld
from tests.support.telemetry import RecordingTelemetry


def _resolved(ch: Any, condition: str, tokens: list[str], payouts: list[float]) -> None:
    ch.insert(
        "markets",
        [[condition, "sports", tokens[0], tokens[1] if len(tokens) > 1 else "", 1, tokens, 1, payouts]],
        column_names=["condition_id", "category", "yes_token_id", "no_token_id", "closed", "token_ids", "resolved",
                      "payouts"],
    )  # fmt: skip


def _deps(world: ExecutorWorld, ch: Any) -> SettlementDeps:
    return SettlementDeps(
        store=PgSettlementStore(world.env["DATABASE_URL"]),
        markets=ClickHouseResolutions(ch),
        exchanges=world.deps().exchanges,
        telemetry=RecordingTelemetry(),
    )


def test_resting_orders_are_cancelled_and_the_position_settles_once_they_end(world: ExecutorWorld, ch: Any) -> None:
    bought = world.intent(usd=Decimal("60"))  # fills at the 0.60 ask: 100 shares for $60
    deps = world.deps()
    assert execute_intent(deps, bought, lambda: 20_000).state == "FILLED"
    resting = world.intent(style="GTC", leader=Decimal("0.58"), worst=Decimal("0.58"))
    assert execute_intent(deps, resting, lambda: 20_000).state == "ACCEPTED"
    balance = world.balance()
    _resolved(ch, CONDITION, [YES, NO], [1.0, 0.0])
    settlement = _deps(world, ch)

    first = settle_resolved(settlement)

    assert first.orders_cancelled == 1 and first.deferred_positions == 1 and first.settled_positions == 0
    assert world.orders_for(resting)[0].status in ("canceled", "cancelled")
    assert world.balance() == balance  # nothing paid while an order of ours could still fill

    reconcile(deps, ReconcileSettings(grace_s=0))  # records the cancellation
    assert world.row(resting)["state"] == "CANCELLED"
    second = settle_resolved(settlement)
    third = settle_resolved(settlement)

    assert (second.settled_positions, third.settled_positions) == (1, 0)
    position = world.position()
    assert position is not None and position["shares"] == 0
    paid = world.pg.execute("SELECT shares, proceeds_usd FROM position_settlements").fetchone()
    assert paid is not None and world.balance() == balance + paid[1] and paid[0] == paid[1]
    open_count = world.pg.execute(
        "SELECT count(*) FROM strategy_positions WHERE strategy_id = %s AND shares > 0", (STRATEGY_ID,)
    ).fetchone()
    assert open_count == (0,)  # the slot no longer counts against max_positions
    redemption = world.pg.execute("SELECT state, expected_usd, token_ids FROM redemptions").fetchone()
    assert redemption == ("NEW", paid[1], [YES, NO])


def test_a_resolution_row_that_cannot_be_right_settles_nothing_and_is_reported(world: ExecutorWorld, ch: Any) -> None:
    world.pg.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, cost_usd)"
        " VALUES (%s, %s, %s, 10, 5)",
        (STRATEGY_ID, YES, CONDITION),
    )
    _resolved(ch, CONDITION, [YES, NO], [0.7, 0.7])  # does not sum to 1
    settlement = _deps(world, ch)
    balance = world.balance()

    summary = settle_resolved(settlement)

    assert (summary.invalid, summary.settled_positions) == (1, 0)
    assert world.balance() == balance
    telemetry = settlement.telemetry
    assert isinstance(telemetry, RecordingTelemetry)
    assert telemetry.counts["ResolutionsRefused"] == 1
    ((message, fields),) = telemetry.logged("warning")
    assert message == "resolution refused" and "sum" in str(fields["reason"])


def test_an_unresolved_market_is_left_alone(world: ExecutorWorld, ch: Any) -> None:
    world.pg.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, cost_usd)"
        " VALUES (%s, %s, %s, 10, 5)",
        (STRATEGY_ID, YES, CONDITION),
    )
    ch.insert("markets", [[CONDITION, "sports", YES, NO, 0, [YES, NO], 0, []]],
              column_names=["condition_id", "category", "yes_token_id", "no_token_id", "closed", "token_ids",
                            "resolved", "payouts"])  # fmt: skip
    summary = settle_resolved(_deps(world, ch))
    assert (summary.resolved_markets, summary.settled_positions) == (0, 0)
    assert world.position() is not None and world.position()["shares"] == 10  # type: ignore[index]
