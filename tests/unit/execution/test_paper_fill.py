"""The paper fill: the executor's plan against the exchange's book, by the backtest's fill model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from omegacopy.domain.clob_models import BookLevel, OrderBook
from omegacopy.domain.intent import IllegalTransitionError, IntentDraft, IntentState, can_move, next_state
from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.order_plan import OrderPlan, plan_order
from omegacopy.domain.paper_fill import paper_fill

AT = datetime(2026, 12, 1, tzinfo=UTC)
D = Decimal


def _book(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> OrderBook:
    # served worst -> best, as the exchange does
    return OrderBook(
        token_id="1",
        condition_id="0x" + "a" * 64,
        bids=tuple(BookLevel(D(p), D(s)) for p, s in sorted(bids)),
        asks=tuple(BookLevel(D(p), D(s)) for p, s in sorted(asks, reverse=True)),
        tick_size=D("0.01"),
        min_order_size=D("5"),
        neg_risk=False,
        book_hash="h",
        timestamp_ms=None,
    )


def _plan(
    action: str, *, usd: str | None = None, shares: str | None = None, worst: str, style: str = "FAK"
) -> OrderPlan:
    draft = IntentDraft(
        TradeAction(action), "1", "0x" + "a" * 64, D(worst), D(worst),
        D(usd) if usd else None, D(shares) if shares else None, OrderStyle(style),
    )  # fmt: skip
    return plan_order(draft, tick_size=D("0.01"), min_size=D("5"), now_s=0)


def test_a_buy_walks_the_asks_best_first_within_its_limit() -> None:
    book = _book([("0.50", "100")], [("0.62", "100"), ("0.60", "10"), ("0.65", "1000")])
    plan = _plan("BUY", usd="60", worst="0.62")

    got = paper_fill(plan, book, fee_bps=D("100"), at=AT)

    # 10 at 0.60 first, the rest at 0.62; nothing at 0.65 (beyond the limit)
    assert got.fill.shares == plan.size and got.complete
    assert got.fill.notional == D("10") * D("0.60") + (plan.size - 10) * D("0.62")
    assert got.fill.fee == got.fill.notional / 100


def test_a_sell_walks_the_bids_and_keeps_a_partial_fill() -> None:
    book = _book([("0.58", "4"), ("0.55", "100"), ("0.40", "100")], [("0.60", "10")])
    got = paper_fill(_plan("SELL", shares="50", worst="0.50"), book, fee_bps=D(0), at=AT)
    assert (got.fill.shares, got.fill.notional) == (D("50"), D("4") * D("0.58") + D("46") * D("0.55"))

    thin = _book([("0.58", "20")], [])
    partial = paper_fill(_plan("SELL", shares="50", worst="0.50"), thin, fee_bps=D(0), at=AT)
    assert partial.filled and not partial.complete and partial.fill.status == "partial"


def test_a_fok_the_book_cannot_fill_whole_fills_nothing() -> None:
    book = _book([], [("0.60", "10")])
    got = paper_fill(_plan("BUY", usd="60", worst="0.62", style="FOK"), book, fee_bps=D(0), at=AT)
    assert not got.filled and got.fill.reason == "fok_not_filled"


def test_a_paper_intent_moves_from_new_to_its_fill_and_a_live_one_cannot() -> None:
    for target in (IntentState.FILLED, IntentState.PARTIALLY_FILLED, IntentState.CANCELLED, IntentState.REJECTED):
        assert next_state(IntentState.NEW, target, paper=True) is target
    assert not can_move(IntentState.NEW, IntentState.SUBMITTING, paper=True)  # never signed
    assert not can_move(IntentState.NEW, IntentState.FILLED)  # a live intent fills only once sent
    with pytest.raises(IllegalTransitionError):
        next_state(IntentState.FILLED, IntentState.CANCELLED, paper=True)
