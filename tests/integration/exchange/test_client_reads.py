"""Reads, caches, clock skew, heartbeats, expiry and the client-side rate limit."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from omegacopy.adapters.clob.errors import ClockSkewError
from omegacopy.adapters.clob.resilience import SignerRateLimiter
from omegacopy.devstack.paper import EXCHANGE_V2
from omegacopy.domain.clob_auth import l2_headers
from omegacopy.domain.clob_models import PostOutcome, PostReason
from omegacopy.domain.order_request import serialize_body

from .conftest import CONDITION, NO, NR_YES, YES, Env, FakeMonotonic, sdk_order


@pytest.fixture
def order(env: Env) -> Any:
    return sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.40", size="10")


def test_books_are_served_worst_to_best_and_parsed_to_best_bid_ask(env: Env) -> None:
    raw = httpx.get(f"{env.exchange.url}/book", params={"token_id": YES}).json()
    assert [level["price"] for level in raw["bids"]] == ["0.45", "0.47", "0.48"]  # best bid last
    assert [level["price"] for level in raw["asks"]] == ["0.55", "0.53", "0.52"]  # best ask last

    book = env.client.order_book(YES)
    assert (book.token_id, book.condition_id, book.tick_size) == (YES, CONDITION, Decimal("0.01"))
    assert book.best_bid is not None and book.best_ask is not None
    assert (book.best_bid.price, book.best_bid.size) == (Decimal("0.48"), Decimal("20"))
    assert (book.best_ask.price, book.best_ask.size) == (Decimal("0.52"), Decimal("20"))
    assert book.midpoint == Decimal("0.5")


def test_the_exchange_serves_midpoint_price_tick_and_neg_risk(env: Env) -> None:
    def get(path: str, **params: str) -> Any:
        return httpx.get(f"{env.exchange.url}{path}", params=params).json()

    assert get("/midpoint", token_id=YES) == {"mid": "0.5"}
    assert get("/price", token_id=YES, side="BUY") == {"price": "0.48"}  # documented: BUY -> best bid
    assert get("/price", token_id=YES, side="SELL") == {"price": "0.52"}
    assert get("/tick-size", token_id=YES) == {"minimum_tick_size": 0.01}
    assert get("/neg-risk", token_id=NR_YES) == {"neg_risk": True}
    assert get("/neg-risk", token_id=YES) == {"neg_risk": False}


def test_market_info_cache_ttl_and_one_refresh_on_a_tick_change(env: Env) -> None:
    mono = FakeMonotonic()
    client = env.make_client(env.trader, monotonic=mono, market_ttl_s=60)
    path = f"/clob-markets/{CONDITION}"

    info = client.market_info(CONDITION)
    assert (info.tick_size, info.neg_risk, info.min_order_size) == (Decimal("0.01"), False, Decimal("5"))
    assert info.token_ids == (YES, NO) and [t.outcome for t in info.tokens] == ["Yes", "No"]
    client.market_info(CONDITION)
    assert env.exchange.requests[path] == 1  # cached
    mono.now += 61
    client.market_info(CONDITION)
    assert env.exchange.requests[path] == 2  # TTL over


def test_a_tick_size_rejection_invalidates_the_cached_market(env: Env) -> None:
    client = env.client
    assert client.market_info(CONDITION).tick_size == Decimal("0.01")
    off_grid = sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.41", size="10")
    env.exchange.set_tick_size(CONDITION, "0.1")  # the tick moves under the cached 0.01

    result = client.post_order(off_grid.body, order_hash=off_grid.order_hash)

    assert (result.outcome, result.reason) == (PostOutcome.REJECTED, PostReason.TICK_SIZE)
    assert client.market_info(CONDITION).tick_size == Decimal("0.1")  # refetched, not the cached 0.01
    assert env.exchange.requests[f"/clob-markets/{CONDITION}"] == 2


def test_clock_skew_beyond_the_limit_refuses_to_trade(env: Env, order: Any) -> None:
    # Both clocks frozen: the measured skew is exactly the shift, however long a request takes.
    frozen = float(int(time.time()))
    env.exchange.clock.set(frozen)
    client = env.make_client(env.trader, clock=lambda: frozen)
    assert client.server_time() == frozen
    env.exchange.clock.shift(30)
    with pytest.raises(ClockSkewError, match="refusing to trade"):
        client.post_order(order.body, order_hash=order.order_hash)
    assert env.exchange.requests["/order"] == 0  # nothing was sent

    env.exchange.clock.shift(-27)  # +3 s: inside the 5 s limit
    assert client.check_clock_skew() == 3
    assert client.post_order(order.body).outcome is PostOutcome.ACCEPTED

    slow_host = env.make_client(env.trader, clock=lambda: frozen - 100, max_clock_skew_s=5)
    with pytest.raises(ClockSkewError):
        slow_host.check_clock_skew()


def test_get_order_trades_and_balances(env: Env) -> None:
    exchange, client, trader = env.exchange, env.client, env.trader
    exchange.trades_page_size = 2
    sweep = sdk_order(trader, env.market, token_id=YES, side="BUY", price="0.55", size="80")
    placed = client.post_order(sweep.body, order_hash=sweep.order_hash)
    assert placed.outcome is PostOutcome.ACCEPTED and len(placed.trade_ids) == 3

    record = client.get_order(sweep.order_hash)
    assert record is not None
    assert (record.status, record.side, record.token_id, record.size_matched) == ("matched", "BUY", YES, Decimal(80))
    assert set(record.associate_trades) == set(placed.trade_ids)
    assert client.get_order("0x" + "00" * 32) is None

    trades = client.trades()
    assert exchange.requests["/data/trades"] == 2  # paged
    assert sorted(t.trade_id for t in trades) == sorted(placed.trade_ids)
    assert {(t.price, t.size) for t in trades} == {
        (Decimal("0.52"), Decimal("20")),
        (Decimal("0.53"), Decimal("50")),
        (Decimal("0.55"), Decimal("10")),
    }
    assert client.trades(token_id=NO) == []

    collateral = client.balance_allowance()
    spent = Decimal("20") * Decimal("0.52") + Decimal("50") * Decimal("0.53") + Decimal("10") * Decimal("0.55")
    assert collateral.balance == int((Decimal("1000") - spent) * 1_000_000)
    assert collateral.allowances[EXCHANGE_V2] > 0
    assert client.balance_allowance("CONDITIONAL", YES).balance == 180_000_000


def test_heartbeats_chain_and_their_absence_cancels_open_orders(env: Env, order: Any) -> None:
    def beat(heartbeat_id: str) -> httpx.Response:
        body = serialize_body({"heartbeat_id": heartbeat_id})
        headers = l2_headers(env.trader.eoa, env.trader.creds, int(time.time()), "POST", "/v1/heartbeats", body)
        return httpx.post(f"{env.exchange.url}/v1/heartbeats", content=body, headers=headers)

    first = beat("").json()["heartbeat_id"]
    second = beat(first).json()["heartbeat_id"]
    assert first != second
    stale = beat("stale")
    assert stale.status_code == 400 and stale.json()["heartbeat_id"] == second

    assert env.client.post_order(order.body).status == "live"
    env.exchange.clock.shift(11)  # heartbeats stopped for longer than the 10 s timeout
    record = env.client.get_order(order.order_hash)
    assert record is not None and record.status == "canceled"


def test_gtd_orders_expire_a_minute_before_their_expiration(env: Env) -> None:
    expiration = int(time.time()) + 300
    gtd = sdk_order(
        env.trader,
        env.market,
        token_id=YES,
        side="BUY",
        price="0.40",
        size="10",
        order_type="GTD",
        expiration=expiration,
    )
    assert env.client.post_order(gtd.body).status == "live"
    env.exchange.clock.shift(241)  # now >= expiration - 60
    record = env.client.get_order(gtd.order_hash)
    assert record is not None and (record.status, record.expiration) == ("canceled_expired_order", expiration)
    assert env.client.order_book(YES).best_bid is not None
    assert env.client.order_book(YES).best_bid.price == Decimal("0.48")  # type: ignore[union-attr]


def test_cancel_removes_a_resting_order(env: Env, order: Any) -> None:
    env.client.post_order(order.body)
    assert Decimal("0.40") in {level.price for level in env.client.order_book(YES).bids}
    result = env.client.cancel_order(order.order_hash)
    assert result.canceled == (order.order_hash,) and dict(result.not_canceled) == {}
    assert Decimal("0.40") not in {level.price for level in env.client.order_book(YES).bids}
    again = env.client.cancel_order(order.order_hash)
    assert again.canceled == () and order.order_hash in again.not_canceled


def test_client_side_token_bucket_per_signer(env: Env) -> None:
    mono = FakeMonotonic()
    limiter = SignerRateLimiter(rate_per_s=2, burst=2, monotonic=mono)
    client = env.make_client(env.trader, rate_limiter=limiter, monotonic=mono)
    orders = [sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.30", size="5") for _ in range(3)]
    for o in orders:
        assert client.post_order(o.body).outcome is PostOutcome.ACCEPTED
    assert env.sleeps.calls == [0.5]  # the third waited for a token; the burst of two did not

    impatient = env.make_client(env.trader, rate_limiter=limiter, monotonic=mono, max_rate_wait_s=0.1)
    extra = sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.30", size="5")
    refused = impatient.post_order(extra.body, order_hash=extra.order_hash)
    assert (refused.outcome, refused.reason, refused.attempts) == (
        PostOutcome.THROTTLED,
        PostReason.CLIENT_RATE_LIMIT,
        0,
    )
    assert env.exchange.requests["/order"] == 3

    other = env.make_trader(0)  # another signer has its own bucket
    mine = env.make_client(other, rate_limiter=limiter, monotonic=mono, max_rate_wait_s=0.1)
    theirs = sdk_order(other, env.market, token_id=YES, side="BUY", price="0.30", size="5")
    assert mine.post_order(theirs.body).outcome is PostOutcome.ACCEPTED


def test_repr_never_shows_credentials(env: Env) -> None:
    text = repr(env.client) + repr(env.trader.creds)
    assert env.trader.creds.secret not in text and env.trader.creds.passphrase not in text
