"""TradeRow: one definition of a valid leader-trade row, for new trades and history alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from omegacopy.adapters.source_rows import parse_trade_row
from omegacopy.domain.models import InvalidTrade, LeaderTrade, Outcome, TradeAction

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
LEADER = "0x" + "a1" * 20
YES, NO = "1001", "1002"


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "trade_id": "t1",
        "wallet_address": LEADER,
        "market_id": "0xm1",
        "token_id": YES,
        "side": "YES",
        "action": "BUY",
        "shares": 100.0,
        "entry_price": 0.5,
        "usd_value": 50.0,
        "block_time": NOW - timedelta(seconds=5),
        "market_known": True,
        "yes_token_id": YES,
        "no_token_id": NO,
        "category": "politics",
    }
    return {**base, **overrides}


def parse(**overrides: Any) -> LeaderTrade | InvalidTrade:
    return parse_trade_row(row(**overrides), not_after=NOW + timedelta(seconds=30))


def test_a_good_row() -> None:
    trade = parse()
    assert isinstance(trade, LeaderTrade)
    assert (trade.outcome, trade.action, trade.token_id) == (Outcome.YES, TradeAction.BUY, YES)


@pytest.mark.parametrize(
    ("overrides", "outcome", "action"),
    [
        ({"side": "yes"}, Outcome.YES, TradeAction.BUY),
        ({"side": "No", "token_id": NO}, Outcome.NO, TradeAction.BUY),
        ({"action": "sell"}, Outcome.YES, TradeAction.SELL),
    ],
)
def test_enums_compare_case_insensitively(overrides: dict[str, Any], outcome: Outcome, action: TradeAction) -> None:
    trade = parse(**overrides)
    assert isinstance(trade, LeaderTrade)
    assert (trade.outcome, trade.action) == (outcome, action)


def test_the_address_is_stored_lower_case() -> None:
    trade = parse(wallet_address="0x" + "A1" * 20)
    assert isinstance(trade, LeaderTrade) and trade.wallet == LEADER


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"shares": float("nan")}, "shares"),
        ({"shares": float("inf")}, "shares"),
        ({"shares": -1e9}, "shares"),
        ({"shares": "NaN"}, "shares"),
        ({"entry_price": 7.0}, "entry_price"),
        ({"entry_price": 1.0}, "entry_price"),
        ({"entry_price": 0.0}, "entry_price"),
        ({"usd_value": -5.0}, "usd_value"),
        ({"usd_value": float("inf")}, "usd_value"),
        ({"side": "MAYBE"}, "side"),
        ({"side": "yeſ"}, "side"),  # 'ſ'.upper() is 'S' in Python: not an ASCII side
        ({"action": "HOLD"}, "action"),
        ({"token_id": NO}, "the market's NO token traded as YES"),
        ({"side": "NO", "token_id": YES}, "the market's YES token traded as NO"),
        ({"token_id": "2001"}, "not a token of market 0xm1"),
        ({"token_id": 1001}, "decimal string"),
        ({"token_id": "7.1e+76"}, "token_id"),
        ({"block_time": datetime(2100, 1, 1, tzinfo=UTC)}, "in the future"),
        ({"block_time": NOW + timedelta(minutes=10)}, "in the future"),
        ({"wallet_address": "0x1234"}, "wallet_address"),
        ({"market_known": False}, "unknown market"),
    ],
)
def test_bad_rows_become_invalid_with_their_reason(overrides: dict[str, Any], reason: str) -> None:
    bad = parse(**overrides)
    assert isinstance(bad, InvalidTrade), overrides
    assert reason in bad.detail


def test_a_naive_time_is_utc_and_a_little_skew_is_tolerated() -> None:
    trade = parse(block_time=(NOW + timedelta(seconds=20)).replace(tzinfo=None))
    assert isinstance(trade, LeaderTrade) and trade.traded_at == NOW + timedelta(seconds=20)


def test_the_reason_never_quotes_the_value() -> None:
    secretish = "0x" + "5e" * 32
    bad = parse(wallet_address=secretish)
    assert isinstance(bad, InvalidTrade) and secretish not in bad.detail
