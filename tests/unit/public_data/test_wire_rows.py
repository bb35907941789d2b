"""Row validation of the wire shapes, and how a Gamma market becomes a MarketRecord."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.polymarket.gamma import category_of, resolution_of, to_record
from omegacopy.adapters.polymarket.wire import (
    Envelope,
    WireContext,
    WireHolder,
    WireMarket,
    WirePosition,
    WireTrade,
    parse_row,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CTX = WireContext(NOW, 300)
CID = "0x" + "cd" * 32


def _trade(**over: Any) -> dict[str, Any]:
    row = {
        "proxy_wallet": "0x" + "Ab" * 20,
        "side": "BUY",
        "token_id": "71321045679252212594626385532706912750332728571942532289631379312455583992563",
        "condition_id": CID.upper().replace("0X", "0x"),
        "size": Decimal("250.0"),
        "price": Decimal("0.43"),
        "timestamp": int(NOW.timestamp()) - 5,
        "outcome": "Yes",
        "outcome_index": 0,
        "transaction_hash": "0x" + "EF" * 32,
    }
    return row | over


def _market(**over: Any) -> dict[str, Any]:
    row = {
        "conditionId": CID,
        "question": "Who wins?",
        "outcomes": '["Lakers", "Celtics"]',
        "outcomePrices": '["0.6", "0.4"]',
        "clobTokenIds": '["111", "222"]',
        "negRisk": False,
        "closed": False,
        "umaResolutionStatus": "",
        "orderPriceMinTickSize": Decimal("0.01"),
        "category": None,
        "tags": [{"slug": "nba", "label": "NBA"}, {"slug": "sports", "label": "Sports"}],
    }
    return row | over


def test_a_good_trade_is_normalised() -> None:
    t = parse_row(WireTrade, _trade(side="sell"), CTX)
    assert isinstance(t, WireTrade)
    assert (t.proxy_wallet, t.condition_id, t.transaction_hash) == ("0x" + "ab" * 20, CID, "0x" + "ef" * 32)
    assert (t.side, t.size, t.price) == ("SELL", Decimal("250.0"), Decimal("0.43"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"token_id": 7.132104567925221e76}, "token_id"),
        ({"token_id": 12345}, "token_id"),  # a JSON number at all: refused
        ({"token_id": "12a"}, "token_id"),
        ({"price": Decimal("1.01")}, "price"),
        ({"price": float("nan")}, "price"),
        ({"size": Decimal("-0.1")}, "size"),
        ({"size": float("inf")}, "size"),
        ({"size": True}, "size"),
        ({"side": "HOLD"}, "side"),
        ({"outcome_index": 999}, "outcome_index"),
        ({"outcome_index": -1}, "outcome_index"),
        ({"proxy_wallet": "0x1234"}, "proxy_wallet"),
        ({"transaction_hash": None}, "transaction_hash"),
        ({"timestamp": int(NOW.timestamp()) + 301}, "timestamp"),
    ],
)
def test_each_rule_refuses_its_row(change: dict[str, Any], field: str) -> None:
    why = parse_row(WireTrade, _trade(**change), CTX)
    assert isinstance(why, str) and why.startswith(field)


def test_the_skew_is_configurable_and_a_refusal_never_shows_values() -> None:
    ahead = _trade(timestamp=int(NOW.timestamp()) + 200)
    assert isinstance(parse_row(WireTrade, ahead, CTX), WireTrade)
    why = parse_row(WireTrade, ahead, WireContext(NOW, 60))
    assert isinstance(why, str) and "60 s in the future" in why and str(ahead["timestamp"]) not in why


def test_positions_and_holders() -> None:
    position = {
        "proxy_wallet": "0x" + "11" * 20,
        "token_id": "111",
        "condition_id": CID,
        "current_size": 0,
        "total_size": 100,
        "avg_price": Decimal("0.41"),
        "realized_pnl": Decimal("-12.5"),
        "unrealized_pnl": 0,
        "entry_fees_usdc": Decimal("0.2"),
        "status": "closed",
        "outcome_index": 0,
        "last_event_at": 0,
    }
    p = parse_row(WirePosition, position, CTX)
    assert isinstance(p, WirePosition) and p.status == "CLOSED" and p.last_event_at is None
    assert isinstance(parse_row(WirePosition, position | {"status": "MERGED"}, CTX), str)
    assert isinstance(parse_row(WirePosition, position | {"realized_pnl": None}, CTX), str)  # null: unavailable
    holder = {"proxy_wallet": "0x" + "22" * 20, "token_id": "111", "amount": 5, "outcome_index": 1, "avg_price": None}
    h = parse_row(WireHolder, holder, CTX)
    assert isinstance(h, WireHolder) and h.avg_price is None


def test_the_v2_envelope_must_be_consistent() -> None:
    Envelope.model_validate({"data": [], "pagination": {"has_more": False, "next_cursor": None}})
    with pytest.raises(ValueError, match="disagree"):
        Envelope.model_validate({"data": [], "pagination": {"has_more": True, "next_cursor": None}})
    with pytest.raises(ValueError):
        Envelope.model_validate([])


def test_a_gamma_market_keeps_outcome_names_by_index() -> None:
    m = parse_row(WireMarket, _market(), CTX)
    assert isinstance(m, WireMarket)
    record = to_record(m)
    assert [(o.index, o.name, o.token_id) for o in record.outcomes] == [(0, "Lakers", "111"), (1, "Celtics", "222")]
    assert (record.category, record.tick_size, record.resolution) == ("sports", Decimal("0.01"), None)
    legacy = parse_row(WireMarket, _market(minimumTickSize="0.001", orderPriceMinTickSize=None), CTX)
    assert isinstance(legacy, WireMarket)
    assert to_record(legacy).tick_size == Decimal("0.001")


@pytest.mark.parametrize(
    "change",
    [
        {"clobTokenIds": '["111"]'},
        {"clobTokenIds": "[111, 222]"},  # numbers inside the JSON text: digits may be lost
        {"outcomes": '["Yes"]'},
        {"outcomes": "not json"},
        {"outcomePrices": '["0.5", "1.5"]'},
        {"umaResolutionStatus": "finalised"},
        {"conditionId": "0x12"},
    ],
)
def test_a_broken_gamma_market_is_refused(change: dict[str, Any]) -> None:
    assert isinstance(parse_row(WireMarket, _market(**change), CTX), str)


@pytest.mark.parametrize(
    ("closed", "uma", "prices", "winner"),
    [
        (True, "resolved", ["1", "0"], 0),
        (True, "settled", ["0", "1"], 1),
        (True, "RESOLVED", ["0.5", "0.5"], None),  # a split pays both halves
        (True, "resolved", ["0.9995", "0.0005"], "none"),  # last-trade prices, not payouts
        (True, "disputed", ["1", "0"], "none"),
        (False, "resolved", ["1", "0"], "none"),
    ],
)
def test_resolution_needs_closed_a_final_uma_status_and_clean_payouts(
    closed: bool, uma: str, prices: list[str], winner: int | str | None
) -> None:
    m = parse_row(
        WireMarket,
        _market(
            closed=closed,
            umaResolutionStatus=uma,
            outcomePrices=json.dumps(prices),
            closedTime="2026-05-02 12:00:00+00",
        ),
        CTX,
    )
    assert isinstance(m, WireMarket)
    resolution = resolution_of(m)
    if winner == "none":
        assert resolution is None
    else:
        assert resolution is not None and resolution.winning_index == winner
        assert resolution.resolved_at == datetime(2026, 5, 2, 12, tzinfo=UTC)


def test_the_category_falls_back_to_the_tags() -> None:
    assert category_of("Politics", [], []) == "politics"
    assert category_of(None, ["nba", "sports"], ["NBA", "Sports"]) == "sports"
    assert category_of("", ["trump"], ["Trump"]) == "trump"
    assert category_of(None, [], []) is None
