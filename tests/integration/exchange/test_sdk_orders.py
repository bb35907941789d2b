"""Orders signed by the official SDK (offline, its own internals) are accepted and matched."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.devstack.paper import PaperExchange, PaperMarket
from omegacopy.domain.clob_auth import l2_headers
from omegacopy.domain.clob_models import PostOutcome, PostReason
from omegacopy.domain.order_request import serialize_body

from .conftest import (
    CONDITION_NR,
    CONDITION_V3,
    NR_YES,
    V3_YES,
    YES,
    Env,
    Sleeps,
    Trader,
    sdk_order,
)


@pytest.mark.parametrize("signature_type", [0, 1, 2, 3], ids=["eoa", "proxy", "safe", "deposit-wallet"])
def test_sdk_limit_buy_is_accepted_and_walks_the_asks(
    exchange: PaperExchange,
    market: PaperMarket,
    make_trader: Callable[..., Trader],
    make_client: Callable[..., ClobClient],
    signature_type: int,
) -> None:
    trader = make_trader(signature_type, pusd="100")
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.53", size="30")

    result = make_client(trader).post_order(order.body, order_hash=order.order_hash)

    assert result.outcome is PostOutcome.ACCEPTED, result
    assert result.status == "matched"
    assert result.order_hash == order.order_hash and not result.hash_mismatch
    # best ask first: 20 @ 0.52, then 10 @ 0.53
    spent = Decimal("20") * Decimal("0.52") + Decimal("10") * Decimal("0.53")
    assert (result.taking_amount, result.making_amount) == (Decimal("30"), spent)
    assert len(result.trade_ids) == 2
    [entry] = exchange.ledger()
    assert (entry.order_hash, entry.status, entry.signature_type) == (
        order.order_hash,
        "matched",
        signature_type,
    )
    assert entry.maker == trader.funder
    assert exchange.balance(trader.eoa) == Decimal("100") - spent
    assert exchange.position(trader.eoa, YES) == Decimal("30")


def test_resting_gtc_is_served_in_the_book_and_fills_a_later_taker(
    exchange: PaperExchange,
    market: PaperMarket,
    make_trader: Callable[..., Trader],
    make_client: Callable[..., ClobClient],
) -> None:
    maker = make_trader(0, pusd="0", positions={YES: "40"})
    taker = make_trader(2, pusd="100")
    ask = sdk_order(maker, market, token_id=YES, side="SELL", price="0.50", size="40")
    placed = make_client(maker).post_order(ask.body, order_hash=ask.order_hash)
    assert (placed.outcome, placed.status) == (PostOutcome.ACCEPTED, "live")

    book = make_client().order_book(YES)
    assert book.best_ask is not None and book.best_ask.price == Decimal("0.50")
    assert book.asks[-1] == book.best_ask  # served worst -> best

    bid = sdk_order(taker, market, token_id=YES, side="BUY", price="0.50", size="25")
    taken = make_client(taker).post_order(bid.body, order_hash=bid.order_hash)
    assert (taken.outcome, taken.status) == (PostOutcome.ACCEPTED, "matched")
    assert exchange.position(taker.eoa, YES) == Decimal("25")
    assert exchange.balance(maker.eoa) == Decimal("12.5")
    resting = make_client(maker).get_order(ask.order_hash)
    assert resting is not None
    assert (resting.status, resting.size_matched, resting.original_size) == ("live", Decimal(25), Decimal(40))
    assert [t.trader_side for t in make_client(maker).trades()] == ["MAKER"]
    assert [t.trader_side for t in make_client(taker).trades()] == ["TAKER"]


@pytest.mark.parametrize(
    ("condition", "token"), [(CONDITION_NR, NR_YES), (CONDITION_V3, V3_YES)], ids=["neg-risk", "exchange-v3"]
)
def test_neg_risk_and_v3_orders_verify_against_their_exchange(
    exchange: PaperExchange,
    make_trader: Callable[..., Trader],
    make_client: Callable[..., ClobClient],
    condition: str,
    token: str,
) -> None:
    trader = make_trader(3)
    order = sdk_order(trader, exchange.market(condition), token_id=token, side="BUY", price="0.52", size="10")
    result = make_client(trader).post_order(order.body, order_hash=order.order_hash)
    assert result.outcome is PostOutcome.ACCEPTED, result


def test_sdk_market_orders_fok_and_fak(
    exchange: PaperExchange,
    market: PaperMarket,
    make_trader: Callable[..., Trader],
    make_client: Callable[..., ClobClient],
) -> None:
    trader = make_trader(0, pusd="1000", positions={YES: "500"})
    client = make_client(trader)
    # FOK BUY $20, worst 0.53: 20 @ 0.52 = 10.40, then 9.60 / 0.53 shares
    fok = sdk_order(trader, market, token_id=YES, side="BUY", price="0.53", amount="20", order_type="FOK")
    bought = client.post_order(fok.body, order_hash=fok.order_hash)
    assert (bought.outcome, bought.status) == (PostOutcome.ACCEPTED, "matched"), bought
    assert abs(bought.making_amount - Decimal("20")) < Decimal("0.000001")

    # FOK SELL 200 at >= 0.45: the bids hold 170 -> killed (HTTP 400, as documented), nothing moves
    too_big = sdk_order(trader, market, token_id=YES, side="SELL", price="0.45", size="200", order_type="FOK")
    killed = client.post_order(too_big.body, order_hash=too_big.order_hash)
    assert (killed.outcome, killed.reason, killed.http_status) == (
        PostOutcome.REJECTED,
        PostReason.FOK_NOT_FILLED,
        400,
    )
    assert exchange.position(trader.eoa, YES) == Decimal("500") + bought.taking_amount

    # FAK SELL 100 at >= 0.47 fills 20 @ 0.48 + 50 @ 0.47 and kills the rest
    fak = sdk_order(trader, market, token_id=YES, side="SELL", price="0.47", size="100", order_type="FAK")
    partial = client.post_order(fak.body, order_hash=fak.order_hash)
    assert (partial.outcome, partial.making_amount) == (PostOutcome.ACCEPTED, Decimal("70"))
    assert partial.taking_amount == Decimal("20") * Decimal("0.48") + Decimal("50") * Decimal("0.47")

    nothing = sdk_order(trader, market, token_id=YES, side="SELL", price="0.60", size="10", order_type="FAK")
    none = client.post_order(nothing.body, order_hash=nothing.order_hash)
    assert (none.outcome, none.reason, none.http_status) == (PostOutcome.REJECTED, PostReason.FAK_NOT_FILLED, 400)
    assert {e.order_hash for e in exchange.ledger()} == {fok.order_hash, fak.order_hash}


def test_business_rejections_are_classified_and_never_retried(
    exchange: PaperExchange,
    market: PaperMarket,
    make_trader: Callable[..., Trader],
    make_client: Callable[..., ClobClient],
    sleeps: Sleeps,
) -> None:
    poor = make_trader(0, pusd="1")
    client = make_client(poor)

    crossing = sdk_order(poor, market, token_id=YES, side="BUY", price="0.52", size="5", post_only=True)
    assert client.post_order(crossing.body).reason is PostReason.POST_ONLY_CROSSES

    broke = sdk_order(poor, market, token_id=YES, side="BUY", price="0.40", size="10")
    result = client.post_order(broke.body)
    assert (result.outcome, result.reason, result.http_status) == (
        PostOutcome.REJECTED,
        PostReason.BALANCE,
        400,
    )

    small = sdk_order(poor, market, token_id=YES, side="BUY", price="0.10", size="4")
    assert client.post_order(small.body).reason is PostReason.MIN_SIZE

    gtd_too_soon = sdk_order(
        poor,
        market,
        token_id=YES,
        side="BUY",
        price="0.10",
        size="5",
        order_type="GTD",
        expiration=int(time.time()) + 60,
    )
    assert client.post_order(gtd_too_soon.body).reason is PostReason.EXPIRATION

    assert exchange.ledger() == []
    assert exchange.requests["/order"] == 4  # one request each: no retries
    assert sleeps.calls == []


@pytest.mark.parametrize(
    ("side", "order_type", "amounts", "reason"),
    [
        ("BUY", "GTC", (4_000_400, 10_001_000), PostReason.PRECISION),  # limit BUY: 10.001 shares
        ("BUY", "FOK", (10_005_000, 25_012_500), PostReason.PRECISION),  # market BUY: $10.005
        ("BUY", "FAK", (10_000_000, 25_000_001), PostReason.PRECISION),  # market BUY: 6-decimal shares
        ("BUY", "GTC", (4_050_000, 10_000_000), PostReason.TICK_SIZE),  # 0.405 on a 0.01 grid
        ("BUY", "GTC", (9_950_000, 10_000_000), PostReason.TICK_SIZE),  # 0.995 > 1 - tick
        ("SELL", "GTC", (10_000_000, 4_000_000), PostReason.BALANCE),  # shares it does not hold
    ],
    ids=["limit-buy-shares", "market-buy-usd", "market-buy-shares", "off-grid", "outside-range", "no-shares"],
)
def test_exchange_enforces_precision_grid_and_share_balance(
    env: Env, side: str, order_type: str, amounts: tuple[int, int], reason: PostReason
) -> None:
    seller = env.make_trader(0, pusd="1000")  # holds no shares at all
    order = sdk_order(
        seller, env.market, token_id=YES, side=side, price="0.40", size="10", order_type=order_type, amounts=amounts
    )
    result = env.make_client(seller).post_order(order.body, order_hash=order.order_hash)
    assert (result.outcome, result.reason) == (PostOutcome.REJECTED, reason), result.message
    assert env.exchange.ledger() == []


def test_batch_gets_one_result_per_order(
    exchange: PaperExchange, market: PaperMarket, trader: Trader, client: ClobClient
) -> None:
    good = [sdk_order(trader, market, token_id=YES, side="BUY", price=p, size="10") for p in ("0.30", "0.31")]
    bad = sdk_order(trader, market, token_id=YES, side="BUY", price="0.32", size="10")
    bodies = [good[0].body, bad.tampered(makerAmount="3300000"), good[1].body]

    results = client.post_orders(bodies, order_hashes=[good[0].order_hash, bad.order_hash, good[1].order_hash])

    assert [r.outcome for r in results] == [PostOutcome.ACCEPTED, PostOutcome.REJECTED, PostOutcome.ACCEPTED]
    assert (results[1].reason, results[1].http_status) == (
        PostReason.SIGNATURE,
        200,
    )  # batch: 200 + success:false
    assert [r.status for r in results] == ["live", None, "live"]
    assert len(exchange.ledger()) == 2
    with pytest.raises(ValueError, match=r"1\.\.15"):
        client.post_orders([good[0].body] * 16)


def test_exchange_refuses_a_batch_over_fifteen(exchange: PaperExchange, market: PaperMarket, trader: Trader) -> None:
    one = sdk_order(trader, market, token_id=YES, side="BUY", price="0.30", size="5").body
    body = serialize_body([one] * 16)
    headers = l2_headers(trader.eoa, trader.creds, int(time.time()), "POST", "/orders", body)
    reply = httpx.post(exchange.url + "/orders", content=body, headers=headers)
    assert reply.status_code == 400 and "15" in reply.json()["error"]
