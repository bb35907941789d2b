"""The backtest's fill model, ledger and marking to market (pure), and the as-of bound's SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omegacopy.adapters.clickhouse_source import (
    _CLOSED_UNTIL,
    ClickHouseOwrrInputs,
    ClickHouseTradeSource,
)
from omegacopy.domain.backtest import (
    BacktestLedger,
    BookSnapshot,
    FillParams,
    PricePoint,
    ResolvedMarket,
    SimFill,
    SimOrder,
    mark_to_market,
    max_drawdown,
    order_for_intent,
    order_for_shares,
    simulate_fill,
)
from omegacopy.domain.clob_models import BookLevel
from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.order_amounts import OrderSide

D = Decimal
T = datetime(2025, 3, 3, 12, tzinfo=UTC)
PARAMS = FillParams()


def _buy(usd: str, worst: str, style: str = "FAK", params: FillParams = PARAMS) -> SimOrder | SimFill:
    draft = IntentDraft(
        action=TradeAction.BUY, token_id="1", condition_id="m1", leader_price=D(worst) - D("0.02"),
        worst_price=D(worst), usd_amount=D(usd), shares=None, order_style=OrderStyle(style),
    )  # fmt: skip
    return order_for_intent(draft, params)


def _book(asks: Sequence[tuple[str, str]] = (), bids: Sequence[tuple[str, str]] = ()) -> BookSnapshot:
    return BookSnapshot(
        "1", T, tuple(BookLevel(D(p), D(s)) for p, s in bids), tuple(BookLevel(D(p), D(s)) for p, s in asks)
    )


def test_an_intent_becomes_the_executors_order() -> None:
    order = _buy("100", "0.5")
    assert order == SimOrder(OrderSide.BUY, D("0.50"), D("200.00"))
    # worst 0.5049 is floored to the 0.01 tick: a buy never pays above its worst price
    assert isinstance(o := _buy("100", "0.5049"), SimOrder) and o.limit_price == D("0.50")


def test_below_the_market_minimum_is_rejected() -> None:
    assert _buy("2", "0.50") == SimFill("rejected", reason="below_min_size")  # 4 shares < 5
    assert isinstance(_buy("2", "0.50", params=FillParams(min_size=D("1"))), SimOrder)


def test_without_a_book_it_fills_at_the_leader_price_plus_slippage_on_the_tick() -> None:
    order = SimOrder(OrderSide.BUY, D("0.50"), D("200"))
    fill = simulate_fill(order, D("0.481"), None, FillParams(slippage=D("0.01"), fee_bps=D("25")))
    # 0.481 + 0.01 = 0.491 → up to the tick: 0.50 (≤ the limit) → $100, fee 0.25%
    assert (fill.status, fill.shares, fill.notional, fill.fee) == ("filled", D("200"), D("100.00"), D("0.25"))
    sell = simulate_fill(SimOrder(OrderSide.SELL, D("0.58"), D("10")), D("0.60"), None, PARAMS)
    assert (sell.shares, sell.notional) == (D("10"), D("5.90"))  # 0.60 − 0.01


def test_float_noise_in_the_leader_price_does_not_cost_a_tick() -> None:
    fill = simulate_fill(SimOrder(OrderSide.BUY, D("0.45"), D("10")), D("0.43000000000000005"), None, PARAMS)
    assert fill.notional == D("4.40")  # 0.44, not 0.45


def test_a_price_past_the_worst_price_does_not_fill() -> None:
    fill = simulate_fill(SimOrder(OrderSide.BUY, D("0.50"), D("200")), D("0.495"), None, PARAMS)
    assert fill == SimFill("rejected", reason="crosses_worst_price")
    fill = simulate_fill(SimOrder(OrderSide.SELL, D("0.58"), D("10")), D("0.585"), None, PARAMS)
    assert fill.status == "rejected"


def test_a_book_is_walked_best_first_up_to_the_limit() -> None:
    book = _book(asks=[("0.48", "50"), ("0.49", "30.555"), ("0.51", "999")], bids=[("0.47", "100")])
    fill = simulate_fill(SimOrder(OrderSide.BUY, D("0.50"), D("100")), D("0.40"), book, PARAMS)
    # 50 @ 0.48 + 30.55 @ 0.49 (sizes in share-cents), 0.51 is past the limit
    assert (fill.status, fill.shares, fill.notional, fill.from_book) == ("partial", D("80.55"), D("38.9695"), True)
    fok = simulate_fill(SimOrder(OrderSide.BUY, D("0.50"), D("100"), all_or_nothing=True), D("0.4"), book, PARAMS)
    assert fok.status == "rejected" and fok.reason == "fok_not_filled"
    sell = simulate_fill(SimOrder(OrderSide.SELL, D("0.45"), D("60")), D("0.5"), book, PARAMS)
    assert (sell.status, sell.shares, sell.notional) == ("filled", D("60"), D("28.20"))
    none = simulate_fill(SimOrder(OrderSide.SELL, D("0.48"), D("60")), D("0.5"), book, PARAMS)
    assert none.reason == "no_liquidity_within_worst_price"


def test_share_orders_use_the_copy_worst_price() -> None:
    order = order_for_shares(TradeAction.SELL, D("12.345"), D("0.60"), D("0.02"), PARAMS)
    assert order == SimOrder(OrderSide.SELL, D("0.58"), D("12.34"))


def test_ledger_books_fills_resolutions_and_equity() -> None:
    ledger = BacktestLedger.with_cash(D("1000"))
    ledger.buy("a", "1", "m1", SimFill("filled", D("100"), D("40"), D("0.4")), T)
    ledger.sell("a", SimFill("filled", D("50"), D("30"), D("0.3")), T + timedelta(seconds=60))
    ledger.buy("b", "2", "m2", SimFill("filled", D("10"), D("5"), D("0")), T + timedelta(seconds=90))
    # sold half of a 40.40 cost for 30 − 0.30 → realized 29.70 − 20.20 = 9.50
    assert ledger.realized == D("9.50")
    assert ledger.resolve(ResolvedMarket("m1", "1", T + timedelta(seconds=120))) == D("29.80")  # 50 × $1 − 20.20
    assert ledger.resolve(ResolvedMarket("m2", "3", T + timedelta(seconds=130))) == D("-5")  # the other token won
    assert ledger.cash == D("1000") - D("40.4") + D("29.7") - D("5") + D("50")
    prices = [PricePoint("1", T + timedelta(seconds=30), D("0.30")), PricePoint("9", T, D("0.9"))]
    curve = mark_to_market(ledger.events, prices, ledger.start_cash, T)
    values = [v for _, v in curve.points]
    # 1000 → 959.60 cash + 100 shares at their fill price 0.40 (no trade yet) → at 30 s a trade at 0.30 →
    # 60 s: sold 50 (cash 989.30) + 50 × 0.30 → 90 s: bought b at its own price (no change) → 120 s: m1 pays
    # 50 × $1 → 130 s: b pays $0
    assert values == [D(v) for v in ("1000", "999.60", "989.60", "1004.30", "1039.30", "1034.30")]
    assert curve.final_equity == ledger.cash
    assert max_drawdown([D(v) for v in ("10", "12", "9", "11", "8", "13")]) == (D("4"), D("4") / D("12") * 100)


def test_the_as_of_bound_only_adds_to_the_live_queries() -> None:
    until = datetime(2025, 1, 1, tzinfo=UTC)
    live = ClickHouseTradeSource(None)._new_trades
    bounded = ClickHouseTradeSource(None, until=until)._new_trades
    # both read up to `until` (now + skew live, the tick in a replay); only the replay's market state
    # is as of the tick too
    assert "updated_at" not in live
    stripped = bounded.replace(_CLOSED_UNTIL, "m.closed").replace(", updated_at FROM", " FROM")
    assert stripped == live
    owrr_live = ClickHouseOwrrInputs(None)._positions
    owrr_bounded = ClickHouseOwrrInputs(None, as_of=until)._positions
    assert owrr_bounded.replace("\n  AND t.block_time <= {as_of:DateTime64(3, 'UTC')}", "") == owrr_live
