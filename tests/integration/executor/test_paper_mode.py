"""Paper mode against the real services: a paper strategy's intents are filled against the paper
exchange's live book by the fill model, booked as paper, and never signed or posted; a live
strategy executing in the same batch is unaffected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.fill_event_message import FillEventMessage
from omegacopy.app.execute_intent import execute_intent
from omegacopy.app.settle_resolved import settle_resolved
from omegacopy.devstack.seed import StrategySeed, insert_strategies
from tests.integration.executor.conftest import CONDITION, NO, STRATEGY_ID, WALLET_ID, YES, ExecutorWorld, direct_event
from tests.integration.executor.test_settlement import _deps, _resolved
from tests.support.lambda_runtime import Invoke, fresh_container

PAPER_ID = "s-paper"


@pytest.fixture
def paper_world(world: ExecutorWorld) -> ExecutorWorld:
    insert_strategies(world.pg, [StrategySeed(PAPER_ID, WALLET_ID, [], balance_usd=Decimal("1000"), mode="paper")])
    return world


@pytest.fixture
def executor(
    paper_world: ExecutorWorld, fill_topic: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invoke]:
    with fresh_container("executor", {**paper_world.env, "FILL_TOPIC_ARN": fill_topic[0]}, monkeypatch) as run:
        yield run


def _posts(world: ExecutorWorld) -> list[str]:
    return [r.path for r in world.exchange.request_log if r.method == "POST"]


def _trades(world: ExecutorWorld, strategy_id: str) -> list[tuple[Any, ...]]:
    return world.pg.execute(
        "SELECT paper, price, shares, usd_value, fee_usd, order_hash FROM strategy_trades WHERE strategy_id = %s",
        (strategy_id,),
    ).fetchall()


def _position(world: ExecutorWorld, strategy_id: str) -> tuple[Any, ...] | None:
    return world.pg.execute(
        "SELECT paper, shares, cost_usd FROM strategy_positions WHERE strategy_id = %s AND token_id = %s",
        (strategy_id, YES),
    ).fetchone()


def _cash(world: ExecutorWorld, strategy_id: str) -> Decimal:
    row = world.pg.execute(
        "SELECT balance_usd FROM strategy_settings WHERE strategy_id = %s", (strategy_id,)
    ).fetchone()
    assert row is not None
    return Decimal(row[0])


def test_paper_fills_against_the_live_book_with_zero_posts_beside_a_live_strategy(
    paper_world: ExecutorWorld, executor: Invoke, fill_topic: tuple[str, str], moto_server: Any
) -> None:
    world = paper_world
    paper = world.intent(strategy_id=PAPER_ID, paper=True, usd=Decimal("60"), worst=Decimal("0.62"))
    live = world.intent(usd=Decimal("60"), worst=Decimal("0.62"))
    world.exchange.request_log.clear()

    batch = direct_event([(world.message(paper), WALLET_ID), (world.message(live), WALLET_ID)])
    for _ in range(2):  # a redelivery books nothing twice
        assert executor(batch) == {"batchItemFailures": []}

    # the exchange saw exactly one order, the live strategy's: the paper intent sent nothing
    assert _posts(world) == ["/order"]
    assert [o.order_hash for o in world.exchange.ledger()] == [world.row(live)["order_hash"]]
    paper_row = world.row(paper)
    assert (paper_row["state"], paper_row["reason_code"], paper_row["paper"]) == ("FILLED", "paper_fill", True)
    assert paper_row["order_hash"] is None and paper_row["signed_order"] is None

    # booked as paper, at the book's best ask under the limit, as the live order filled; the fill
    # model buys the plan's shares (the $60 at the 0.62 limit), the exchange spends the dollars
    ((is_paper, price, shares, usd, fee, order_hash),) = _trades(world, PAPER_ID)
    ((live_paper, live_price, live_shares, live_usd, _, _),) = _trades(world, STRATEGY_ID)
    assert is_paper is True and live_paper is False
    assert price == live_price == Decimal("0.6") and usd == shares * price
    assert Decimal("60") / Decimal("0.62") - 1 < shares <= live_shares
    assert fee == 0 and order_hash == f"paper:{paper}"
    assert _position(world, PAPER_ID) == (True, shares, usd)
    assert _position(world, STRATEGY_ID) == (False, live_shares, live_usd)
    assert _cash(world, PAPER_ID) == Decimal("1000") - usd

    # the announcement says paper; the live one says live
    sqs = moto_server.client("sqs")
    bodies = [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=fill_topic[1], MaxNumberOfMessages=10)["Messages"]
    ]
    by_strategy = {FillEventMessage.parse(b["Message"]).strategy_id: b for b in bodies}
    assert FillEventMessage.parse(by_strategy[PAPER_ID]["Message"]).paper is True
    assert FillEventMessage.parse(by_strategy[STRATEGY_ID]["Message"]).paper is False
    assert by_strategy[PAPER_ID]["Subject"].startswith(f"[PAPER] {PAPER_ID} bought ")


def test_paper_orders_meet_the_live_checks_and_a_thin_book_without_a_request(paper_world: ExecutorWorld) -> None:
    world = paper_world
    deps = world.deps()
    # the best ask is 0.60: a buy limited to 0.55 is refused by pre-trade risk, as a live one is
    moved = world.intent(strategy_id=PAPER_ID, paper=True, leader=Decimal("0.55"), worst=Decimal("0.55"))
    # a FOK for ~96 shares against 10 on offer: the fill model fills none of it
    world.exchange.set_book(YES, bids=[(Decimal("0.58"), Decimal("1000"))], asks=[(Decimal("0.60"), Decimal("10"))])
    thin = world.intent(strategy_id=PAPER_ID, paper=True, style="FOK")
    world.exchange.request_log.clear()

    assert execute_intent(deps, moved, lambda: 20_000).state == "REJECTED"
    assert execute_intent(deps, thin, lambda: 20_000).state == "CANCELLED"

    assert world.row(moved)["reason_code"] == "price_moved"
    assert world.row(thin)["reason_code"] == "paper_fok_not_filled"
    assert _posts(world) == [] and _trades(world, PAPER_ID) == [] and _cash(world, PAPER_ID) == Decimal("1000")


def test_a_paper_fill_pays_the_fill_models_fee(paper_world: ExecutorWorld) -> None:
    world = paper_world
    intent = world.intent(strategy_id=PAPER_ID, paper=True, usd=Decimal("60"), worst=Decimal("0.62"))

    execute_intent(world.deps(PAPER_FEE_BPS="100"), intent, lambda: 20_000)

    ((_, _, _, usd, fee, _),) = _trades(world, PAPER_ID)
    realized = world.pg.execute("SELECT realized_pnl_usd FROM strategy_trades WHERE strategy_id = %s", (PAPER_ID,))
    assert fee == (usd / 100).quantize(Decimal("0.000001")) and realized.fetchone() == (-fee,)
    assert _cash(world, PAPER_ID) == Decimal("1000") - usd - fee


def test_paper_and_real_shares_never_mix_in_one_position(paper_world: ExecutorWorld) -> None:
    world = paper_world
    deps = world.deps()
    bought = world.intent(strategy_id=PAPER_ID, paper=True)
    assert execute_intent(deps, bought, lambda: 20_000).state == "FILLED"
    world.exchange.request_log.clear()
    # a real order for a strategy whose position holds paper shares (decided just as it went live)
    real = world.intent(strategy_id=PAPER_ID, paper=False, action="SELL", usd=None, shares=Decimal("10"),
                        worst=Decimal("0.50"))  # fmt: skip

    result = execute_intent(deps, real, lambda: 20_000)

    assert (result.state, world.row(real)["reason_code"]) == ("REJECTED", "mixed_books")
    assert _posts(world) == []


def test_a_resolved_paper_position_settles_in_the_books_and_is_never_redeemed(
    paper_world: ExecutorWorld, ch: Any
) -> None:
    world = paper_world
    bought = world.intent(strategy_id=PAPER_ID, paper=True)
    assert execute_intent(world.deps(), bought, lambda: 20_000).state == "FILLED"
    cash = _cash(world, PAPER_ID)
    _resolved(ch, CONDITION, [YES, NO], [1.0, 0.0])

    summary = settle_resolved(_deps(world, ch))

    assert summary.settled_positions == 1
    paid = world.pg.execute("SELECT paper, shares, proceeds_usd FROM position_settlements").fetchone()
    assert paid is not None and paid[0] is True and paid[1] == paid[2]
    assert _cash(world, PAPER_ID) == cash + paid[2]
    assert world.pg.execute("SELECT count(*) FROM redemptions").fetchone() == (0,)


def test_the_kill_switch_stops_the_live_intent_and_the_paper_one_still_fills(paper_world: ExecutorWorld) -> None:
    world = paper_world
    world.set_tunable("kill_switch", "true")
    paper = world.intent(strategy_id=PAPER_ID, paper=True)
    live = world.intent()
    world.exchange.request_log.clear()

    deps = world.deps()
    assert execute_intent(deps, live, lambda: 20_000).state == "CANCELLED"
    assert execute_intent(deps, paper, lambda: 20_000).state == "FILLED"

    assert world.row(live)["reason_code"] == "kill_switch" and _posts(world) == []
    assert _position(world, PAPER_ID) is not None and _position(world, STRATEGY_ID) is None
