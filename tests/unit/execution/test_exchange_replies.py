"""What the exchange's replies and records mean: impossible fills are caught, post-only mode and
closed markets are told apart, and fees come out of the trade records."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from omegacopy.domain.clob_models import MakerFill, PostOutcome, PostReason, Trade
from omegacopy.domain.exchange_replies import (
    OrderReply,
    impossible_fill,
    outcome_of_failure,
    outcome_of_reply,
    trade_failed,
)
from omegacopy.domain.order_fills import fee_usd
from omegacopy.domain.order_request import order_terms, serialize_body, with_owner
from omegacopy.domain.positions import CumulativeFill

D = Decimal
HASH = "0x" + "ab" * 32


def body(side: str, maker: int, taker: int, order_type: str = "GTC", owner: str = "key-1") -> str:
    order = {"makerAmount": str(maker), "takerAmount": str(taker), "side": side, "salt": 1, "tokenId": "7"}
    return serialize_body({"order": order, "orderType": order_type, "owner": owner}).decode()


# a limit BUY of 100 shares at 0.55, a FAK BUY spending $55 at up to 0.55, a SELL of 100 at >= 0.45
LIMIT_BUY = order_terms(body("BUY", 55_000_000, 100_000_000))
FAK_BUY = order_terms(body("BUY", 55_000_000, 100_000_000, "FAK"))
SELL = order_terms(body("SELL", 100_000_000, 45_000_000, "FAK"))


def test_order_terms_read_back_from_the_signed_body() -> None:
    assert (LIMIT_BUY.side, LIMIT_BUY.shares, LIMIT_BUY.usd, LIMIT_BUY.limit_price) == ("BUY", D(100), D(55), D("0.55"))
    assert (SELL.shares, SELL.usd, SELL.limit_price, SELL.marketable) == (D(100), D(45), D("0.45"), True)


@pytest.mark.parametrize(
    ("terms", "shares", "usd", "status", "problem"),
    [
        (LIMIT_BUY, D("0"), D("0"), "matched", "matched with nothing matched"),  # an empty "matched"
        (LIMIT_BUY, D("10"), D("0"), "matched", "matched with nothing matched"),
        (LIMIT_BUY, D("10"), D("-5"), "matched", "negative"),  # a negative makingAmount
        (LIMIT_BUY, D("1000"), D("55"), "matched", "1000 shares filled of an order for 100"),  # 10x the order
        (LIMIT_BUY, D("100"), D("60"), "matched", "at a limit of 0.55"),  # paid above its limit
        (FAK_BUY, D("120"), D("60"), "matched", "$60 spent of a $55 budget"),
        (FAK_BUY, D("1000000"), D("55"), "matched", "below the finest tick"),
        (SELL, D("100"), D("40"), "matched", "at a limit of 0.45"),  # sold below its limit
        (SELL, D("150"), D("80"), "matched", "150 shares filled of an order for 100"),
        (SELL, D("10"), D("11"), "matched", "more than $1 a share"),
        (LIMIT_BUY, D("0"), D("3"), "live", "moved for no shares"),
    ],
)
def test_impossible_fills_are_named(terms: object, shares: Decimal, usd: Decimal, status: str, problem: str) -> None:
    found = impossible_fill(CumulativeFill(shares, usd), terms, status)  # type: ignore[arg-type]
    assert found is not None and problem in found


@pytest.mark.parametrize(
    ("terms", "shares", "usd", "status"),
    [
        (LIMIT_BUY, D("0"), D("0"), "live"),  # resting, nothing yet
        (LIMIT_BUY, D("100"), D("52"), "matched"),  # filled below its limit
        (LIMIT_BUY, D("40"), D("22"), "ORDER_STATUS_MATCHED"),
        (FAK_BUY, D("110"), D("55"), "matched"),  # a marketable BUY spends its budget on more shares
        (SELL, D("70"), D("32.9"), "matched"),  # sold above its limit
        (SELL, D("100"), D("45.00005"), "matched"),  # micro-unit rounding of each match
    ],
)
def test_possible_fills_pass(terms: object, shares: Decimal, usd: Decimal, status: str) -> None:
    assert impossible_fill(CumulativeFill(shares, usd), terms, status) is None  # type: ignore[arg-type]


@settings(deadline=None)  # pure CPU work
@given(
    shares=st.decimals(min_value=D("0.01"), max_value=D("100"), places=2),
    price=st.decimals(min_value=D("0.01"), max_value=D("0.55"), places=2),
)
def test_a_limit_buy_filled_at_or_below_its_limit_is_possible(shares: Decimal, price: Decimal) -> None:
    usd = (shares * price).quantize(D("0.000001"))
    assume(usd > 0)
    assert impossible_fill(CumulativeFill(shares, usd), LIMIT_BUY, "matched") is None


def test_post_only_mode_is_a_halt_with_the_time_it_ends() -> None:
    # the documented 503 (with its code), and a batch item the mode refused
    assert outcome_of_failure(503, "anything", "post_only_mode") == (PostOutcome.HALTED, PostReason.POST_ONLY_MODE)
    refused = OrderReply(success=False, error_msg="post-only mode: only post-only orders and cancels are allowed")
    result = outcome_of_reply(refused, expected_hash=HASH, http_status=200)
    assert (result.outcome, result.reason) == (PostOutcome.HALTED, PostReason.POST_ONLY_MODE)
    assert result.outcome.may_resend


@pytest.mark.parametrize(
    "message",
    [
        "market is closed: orders are not accepted on a resolved market",
        "No orderbook exists for the requested token id",
    ],
)
def test_a_closed_market_is_its_own_reason(message: str) -> None:
    assert outcome_of_failure(400, message) == (PostOutcome.REJECTED, PostReason.MARKET_CLOSED)


def test_fees_come_from_the_trade_records_and_failed_matches_cost_nothing() -> None:
    leg = MakerFill("0xmaker", "0xm", D("0.40"), D("50"), "SELL", D("0"))
    taken = Trade("t1", HASH, "0xc", "7", "BUY", D("0.40"), D("50"), "TRADE_STATUS_MATCHED", "TAKER", 1, "Yes", None,
                  (leg,), fee_rate_bps=D("100"))  # fmt: skip
    # 1 % x min(0.40, 0.60) x 50 shares
    assert fee_usd(HASH, taken) == D("0.2")
    assert fee_usd("0xmaker", taken) == D("0")  # makers pay nothing here
    failed = Trade("t2", HASH, "0xc", "7", "BUY", D("0.40"), D("50"), "FAILED", "TAKER", 1, "Yes", None, (),
                   fee_rate_bps=D("100"))  # fmt: skip
    assert trade_failed(failed.status) and fee_usd(HASH, failed) == 0


def test_an_order_body_changes_owner_without_changing_the_order() -> None:
    original = body("BUY", 55_000_000, 100_000_000, owner="old-key").encode()
    moved = with_owner(original, "new-key")
    assert json.loads(moved)["owner"] == "new-key"
    assert json.loads(moved)["order"] == json.loads(original)["order"]
    assert with_owner(moved, "new-key") is moved  # already right: the same bytes
