"""The executor end to end: SQS batch → handler → one order on the paper exchange → fills recorded."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from omegacopy.app.execute_intent import execute_intent
from tests.integration.executor.conftest import YES, ExecutorWorld, direct_event, old
from tests.support.lambda_runtime import Invoke, fresh_container


@pytest.fixture
def invoke(world: ExecutorWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    with fresh_container("executor", world.env, monkeypatch) as run:
        yield run


def test_happy_path_one_order_filled_position_and_balance(world: ExecutorWorld, invoke: Invoke) -> None:
    intent_id = world.intent(usd=Decimal("60"), worst=Decimal("0.62"))

    reply = invoke(direct_event([(world.message(intent_id), "w-follower")]))

    assert reply == {"batchItemFailures": []}
    row = world.row(intent_id)
    assert row["state"] == "FILLED"
    orders = world.orders_for(intent_id)
    assert len(orders) == 1
    # $60 at worst 0.62: 96.77 shares would cost $59.9974; a marketable BUY's cost must be whole
    # cents, so the size steps down to 96.50 (cost $59.83)
    assert row["order_size"] == Decimal("96.50")
    # Our books equal the venue's: the shares it credited and the pUSD it debited.
    venue_shares = world.exchange.position(world.address, YES)
    venue_spent = Decimal("1000") - world.exchange.balance(world.address)
    assert venue_shares > 0 and venue_spent == Decimal("59.83")
    assert row["filled_shares"] == venue_shares and row["filled_usd"] == venue_spent
    position = world.position()
    assert position is not None
    assert position["shares"] == venue_shares and position["cost_usd"] == venue_spent
    assert world.balance() == Decimal("1000") - venue_spent
    # Our reason and the exchange's word are kept apart.
    assert (row["reason_code"], row["exchange_status"]) == ("exchange_reply", "matched")
    # The fill is booked once, under the exchange's own trade ids.
    venue_trade_ids = sorted(f.trade_id for f in orders[0].fills)
    assert venue_trade_ids and row["filled_trade_ids"] == venue_trade_ids
    trades = world.pg.execute(
        "SELECT exchange_trade_id, side, shares, usd_value FROM strategy_trades WHERE intent_id = %s", (intent_id,)
    ).fetchall()
    assert trades == [(",".join(venue_trade_ids), "BUY", venue_shares, venue_spent)]


def test_redelivered_three_times_still_one_order(world: ExecutorWorld, invoke: Invoke) -> None:
    intent_id = world.intent()
    event = direct_event([(world.message(intent_id), "w-follower")])

    for _ in range(3):
        assert invoke(event) == {"batchItemFailures": []}

    assert len(world.orders_for(intent_id)) == 1
    assert world.row(intent_id)["state"] == "FILLED"


def test_kill_switch_on_means_no_post(world: ExecutorWorld, invoke: Invoke) -> None:
    world.set_tunable("kill_switch", "true")
    intent_id = world.intent()

    invoke(direct_event([(world.message(intent_id), "w-follower")]))

    assert world.row(intent_id)["state"] == "CANCELLED"
    assert world.exchange.requests["/order"] == 0
    assert world.exchange.ledger() == []


def test_an_old_intent_expires_and_is_never_executed_late(world: ExecutorWorld) -> None:
    intent_id = world.intent(created_at=old(600))

    result = execute_intent(world.deps(), intent_id, lambda: 20_000)

    assert result.state == "EXPIRED"
    assert world.exchange.ledger() == []


def test_a_business_rejection_is_final_and_not_retried(world: ExecutorWorld) -> None:
    # The strategy believes it has more than the venue account holds ($1,000 pUSD).
    world.pg.execute("UPDATE strategy_settings SET balance_usd = 100000 WHERE strategy_id = 's-exec'")
    world.set_tunable("max_order_usd", "100000")
    world.set_tunable("max_market_exposure_usd", "100000")
    world.set_tunable("price_collar", "0.5")
    world.exchange.set_book(YES, asks=[(Decimal("0.60"), Decimal("100000"))], bids=[(Decimal("0.58"), Decimal("10"))])
    intent_id = world.intent(usd=Decimal("5000"))
    deps = world.deps()

    first = execute_intent(deps, intent_id, lambda: 20_000)
    again = execute_intent(deps, intent_id, lambda: 20_000)

    assert first.state == "REJECTED" and again.state == "REJECTED"
    assert "balance" in world.row(intent_id)["last_error"]
    assert world.exchange.requests["/order"] == 1
    assert world.exchange.ledger() == []


def test_a_stale_or_unclear_reply_never_reopens_a_settled_intent(world: ExecutorWorld) -> None:
    from omegacopy.app.execute_intent import apply_post_result
    from omegacopy.domain.clob_models import PostOutcome, PostReason, PostResult

    intent_id = world.intent()
    deps = world.deps()
    assert execute_intent(deps, intent_id, lambda: 20_000).state == "FILLED"
    settled = world.row(intent_id)
    books = (world.position(), world.balance())

    live = PostResult(PostOutcome.ACCEPTED, PostReason.OK, settled["order_hash"], status="live")
    unclear = PostResult(PostOutcome.UNKNOWN, PostReason.TIMEOUT, settled["order_hash"])
    assert apply_post_result(deps, intent_id, live).state == "FILLED"
    assert apply_post_result(deps, intent_id, unclear).state == "FILLED"

    row = world.row(intent_id)
    assert (row["state"], row["reason_code"], row["filled_shares"]) == (
        "FILLED",
        "exchange_reply",
        settled["filled_shares"],
    )
    assert (world.position(), world.balance()) == books
    trades = world.pg.execute("SELECT count(*) FROM strategy_trades WHERE intent_id = %s", (intent_id,)).fetchone()
    assert trades == (1,)
