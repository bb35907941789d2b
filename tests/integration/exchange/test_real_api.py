"""The paper exchange speaks the real API: routes before auth, the endpoints the official SDK's
order flow calls (driven here by the SDK's own high-level calls), the documented statuses, unfilled
FOK/FAK as HTTP 400, resolutions, fees, post-only mode and rotated credentials."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from polymarket import SecureClient
from polymarket._internal.environment import PRODUCTION_CONFIG, create_environment
from polymarket.errors import RequestRejectedError
from polymarket.models.clob import PriceRequest

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.devstack.paper import FaultMode, PaperExchange, PaperMarket
from omegacopy.domain.clob_auth import ApiCredentials, l2_headers
from omegacopy.domain.clob_models import PostOutcome, PostReason
from omegacopy.domain.order_fills import fee_usd
from omegacopy.domain.order_request import serialize_body
from omegacopy.ports import NoOrderBookError

from .conftest import CONDITION, NO, YES, Env, Trader, sdk_order


@pytest.fixture
def sdk(exchange: PaperExchange, trader: Trader) -> Iterator[SecureClient]:
    """The official SDK, pointed at the paper exchange, for an EOA trader (credentials derived by it)."""
    environment = create_environment(name="paper", config=dataclasses.replace(PRODUCTION_CONFIG, clob_url=exchange.url))
    client = SecureClient.create(private_key=trader.key.hex(), wallet=trader.eoa, environment=environment)
    yield client
    client.close()


def test_routes_are_looked_up_before_authentication(exchange: PaperExchange) -> None:
    url = exchange.url
    assert httpx.get(f"{url}/no-such-endpoint").status_code == 404  # not a 401: nothing asked who we are
    assert httpx.get(f"{url}/order").status_code == 404  # POST and DELETE only
    assert httpx.get(f"{url}/book", params={"token_id": YES}).status_code == 200  # public
    assert httpx.get(f"{url}/markets-by-token/{YES}").json()["condition_id"] == CONDITION
    unauthenticated = httpx.get(f"{url}/data/trades")
    assert (unauthenticated.status_code, unauthenticated.json()) == (401, {"error": "Unauthorized/Invalid api key"})


def test_the_official_sdk_trades_end_to_end(exchange: PaperExchange, trader: Trader, sdk: SecureClient) -> None:
    assert sdk.credentials.key == trader.creds.api_key  # derived: the same key the exchange issued
    assert sdk.fetch_api_keys() == (trader.creds.api_key,)
    assert sdk.get_closed_only_mode() is False

    resting = sdk.place_limit_order(token_id=YES, price="0.40", size="10", side="BUY")
    assert resting.ok and resting.status == "live"
    assert sdk.get_order(order_id=resting.order_id).status == "ORDER_STATUS_LIVE"

    # a market BUY with a price cap: walks the asks up to 0.53 at most (20 @ 0.52, then 0.53)
    bought = sdk.place_market_order(token_id=YES, side="BUY", amount="15", max_price="0.53", order_type="FAK")
    assert bought.ok and bought.status == "matched" and bought.making_amount == Decimal("15")
    sold = sdk.place_market_order(token_id=YES, side="SELL", shares="5", min_price="0.47")
    assert sold.ok and sold.taking_amount == Decimal("5") * Decimal("0.48")
    # an unfilled FOK is an HTTP 400 {"error": ...}, as documented
    with pytest.raises(RequestRejectedError) as killed:
        sdk.place_market_order(token_id=YES, side="BUY", amount="500", max_price="0.53", order_type="FOK")
    assert killed.value.status == 400 and "fully filled or killed" in str(killed.value)

    trades = [t for page in sdk.list_account_trades() for t in page.items]
    assert {t.status for t in trades} == {"MATCHED"} and len(trades) == 3
    assert [o.id for page in sdk.list_open_orders() for o in page.items] == [resting.order_id]
    book = sdk.get_order_book(token_id=YES)
    assert book.bids[-1].price == Decimal("0.48") and book.asks[-1].price == Decimal("0.53")
    assert [b.asset_id for b in sdk.get_order_books(token_ids=[YES, NO])] == [YES, NO]
    last = sdk.get_last_trade_price(token_id=YES)
    assert last is not None and last.price == Decimal("0.48")  # the SELL
    assert sdk.get_midpoint(token_id=YES) == Decimal("0.505")
    assert sdk.get_prices(requests=[PriceRequest(YES, "BUY")]) == {YES: {"BUY": Decimal("0.48")}}
    assert sdk.send_order_heartbeat().heartbeat_id

    cancelled = sdk.cancel_market_orders(market=CONDITION)
    assert cancelled.canceled == (resting.order_id,)
    assert sdk.get_order(order_id=resting.order_id).status == "ORDER_STATUS_CANCELED"
    assert [o.status for o in exchange.ledger()] == ["canceled", "matched", "matched"]
    pusd = sdk.get_balance_allowance(asset_type="COLLATERAL").balance
    assert Decimal(pusd) / 1_000_000 == exchange.balance(trader.eoa)


def test_a_resolved_market_cancels_resting_orders_and_refuses_new_ones(env: Env) -> None:
    exchange, client, trader = env.exchange, env.client, env.trader
    resting = sdk_order(trader, env.market, token_id=YES, side="BUY", price="0.40", size="10")
    assert client.post_order(resting.body).status == "live"
    taker = sdk_order(trader, env.market, token_id=YES, side="BUY", price="0.52", size="20")
    assert client.post_order(taker.body).status == "matched"  # 20 YES bought at 0.52

    assert exchange.resolve_market(CONDITION, YES) == [resting.order_hash]

    record = client.get_order(resting.order_hash)
    assert record is not None and record.status == "canceled_market_resolved"
    with pytest.raises(NoOrderBookError):
        client.order_book(YES)
    assert httpx.get(f"{exchange.url}/midpoint", params={"token_id": NO}).status_code == 404
    late = sdk_order(trader, env.market, token_id=NO, side="BUY", price="0.30", size="10")
    refused = client.post_order(late.body, order_hash=late.order_hash)
    assert (refused.outcome, refused.reason) == (PostOutcome.REJECTED, PostReason.MARKET_CLOSED)
    assert client.last_trade_price(YES) == Decimal("0.52")  # still there: mark-to-market's fallback

    # shares stay until paid out, like tokens on chain until redeemed
    held = exchange.position(trader.eoa, YES)
    before = exchange.balance(trader.eoa)
    assert exchange.settle_market(CONDITION) == {trader.eoa: held}
    assert exchange.balance(trader.eoa) == before + held
    assert exchange.position(trader.eoa, YES) == 0


def test_fees_are_charged_to_the_taker_and_reported_on_the_trade_record(env: Env) -> None:
    exchange = env.exchange
    condition = "0x" + "fe" * 32
    yes, no = "9" * 70, "8" * 70
    fee_market: PaperMarket = exchange.add_market(condition, tokens=[yes, no], fee_rate_bps=200)
    exchange.set_book(yes, asks=[("0.40", "100")])
    trader = env.make_trader(0, pusd="100")
    order = sdk_order(trader, fee_market, token_id=yes, side="BUY", price="0.40", size="50")
    placed = env.make_client(trader).post_order(order.body, order_hash=order.order_hash)
    assert placed.outcome is PostOutcome.ACCEPTED

    (trade,) = env.make_client(trader).trades()
    assert trade.fee_rate_bps == Decimal("200")
    fee = fee_usd(order.order_hash, trade)
    assert fee == Decimal("50") * Decimal("0.40") * Decimal("0.02")  # 2 % x min(0.40, 0.60) x 50
    assert exchange.balance(trader.eoa) == Decimal("100") - Decimal("20") - fee
    assert httpx.get(f"{exchange.url}/fee-rate", params={"token_id": yes}).json() == {"base_fee": 200}


def test_post_only_mode_refuses_other_orders_with_the_time_it_ends(env: Env) -> None:
    env.exchange.enter_post_only_mode(90)
    taker = sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.52", size="10")
    halted = env.client.post_order(taker.body, order_hash=taker.order_hash)
    assert (halted.outcome, halted.reason, halted.http_status) == (PostOutcome.HALTED, PostReason.POST_ONLY_MODE, 503)
    assert halted.retry_after_s is not None and 85 <= halted.retry_after_s <= 91
    assert env.exchange.ledger() == [] and env.sleeps.calls == []  # not processed, not retried

    maker = sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.30", size="10", post_only=True)
    other = sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.31", size="10")
    results = env.client.post_orders([maker.body, other.body], order_hashes=[maker.order_hash, other.order_hash])
    assert [(r.outcome, r.reason) for r in results] == [
        (PostOutcome.ACCEPTED, PostReason.OK),
        (PostOutcome.HALTED, PostReason.POST_ONLY_MODE),  # a per-item error of the batch
    ]


def test_rotated_credentials_are_refreshed_once_after_a_401(env: Env) -> None:
    fresh: list[ApiCredentials] = []

    def reload() -> ApiCredentials:
        fresh.append(ApiCredentials(*env.exchange.rotate_credentials(env.trader.eoa)))
        return fresh[-1]

    client = env.make_client(env.trader, refresh_credentials=reload)
    env.exchange.rotate_credentials(env.trader.eoa)  # the old key answers 401 from now on
    order = sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.40", size="10")

    placed = client.post_order(order.body, order_hash=order.order_hash)

    assert (placed.outcome, placed.status) == (PostOutcome.ACCEPTED, "live"), placed
    assert len(fresh) == 1 and client.api_key == fresh[0].api_key
    (booked,) = env.exchange.ledger()
    # the very same signed order, now owned by the new key
    assert (booked.order_hash, booked.owner) == (order.order_hash, fresh[0].api_key)
    assert [r.status for r in env.exchange.request_log if r.path == "/order"] == [401, 200]


def test_a_401_without_fresh_credentials_is_a_rejection(env: Env) -> None:
    env.exchange.rotate_credentials(env.trader.eoa)
    order = sdk_order(env.trader, env.market, token_id=YES, side="BUY", price="0.40", size="10")
    refused = env.client.post_order(order.body, order_hash=order.order_hash)
    assert (refused.outcome, refused.reason, refused.http_status) == (PostOutcome.REJECTED, PostReason.AUTH, 401)


def test_a_vanished_book_is_no_order_book(env: Env) -> None:
    env.exchange.faults.set(FaultMode.NOT_FOUND, count=1, paths=["/book"])
    with pytest.raises(NoOrderBookError):
        env.client.order_book(YES)
    assert env.client.order_book(YES).best_ask is not None


def test_null_fee_fields_read_as_no_fee(make_client: Callable[..., ClobClient], trader: Trader) -> None:
    class NullFees(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            body = b'{"t": [{"t": "1", "o": "Yes"}], "mts": 0.01, "fd": {"r": null, "e": null, "to": true}}'
            return httpx.Response(200, content=body, request=request)

    info = make_client(trader, transport=NullFees()).market_info(CONDITION)
    assert (info.fee_rate, info.fee_exponent, info.tick_size) == (Decimal(0), Decimal(0), Decimal("0.01"))


def test_batch_reads_serve_many_tokens(exchange: PaperExchange) -> None:
    def post(path: str, body: list[dict[str, str]]) -> Any:
        return httpx.post(f"{exchange.url}{path}", content=serialize_body(body)).json()

    tokens = [{"token_id": YES}, {"token_id": NO}]
    assert post("/midpoints", tokens) == {YES: "0.5"}  # NO has no two-sided book
    assert post("/spreads", tokens) == {YES: "0.04"}
    assert post("/last-trades-prices", tokens) == [
        {"token_id": YES, "price": "0.5", "side": ""},  # documented default: never traded
        {"token_id": NO, "price": "0.5", "side": ""},
    ]
    assert httpx.get(f"{exchange.url}/spread", params={"token_id": YES}).json() == {"spread": "0.04"}


def test_an_expired_gtd_reads_as_cancelled_expired(env: Env) -> None:
    gtd = sdk_order(
        env.trader,
        env.market,
        token_id=YES,
        side="BUY",
        price="0.40",
        size="10",
        order_type="GTD",
        expiration=int(time.time()) + 300,
    )
    env.client.post_order(gtd.body)
    env.exchange.clock.shift(241)
    path = f"/data/order/{gtd.order_hash}"
    headers = l2_headers(env.trader.eoa, env.trader.creds, int(time.time()), "GET", path, None)
    assert httpx.get(f"{env.exchange.url}{path}", headers=headers).json()["status"] == (
        "ORDER_STATUS_CANCELED_EXPIRED_ORDER"
    )
