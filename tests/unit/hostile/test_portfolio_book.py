"""PortfolioBook: the tick's O(1) portfolio agrees with the plain definition after any COPY sequence."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.domain.decisions import Decision, apply_decision
from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.models import (
    DecisionAction,
    OrderStyle,
    PortfolioState,
    PositionHolding,
    TradeAction,
)
from omegacopy.domain.portfolio_book import PortfolioBook

D = Decimal
tokens = st.sampled_from(["1", "2", "3", "4", "5"])
amounts = st.integers(min_value=0, max_value=5_000).map(lambda c: D(c) / 100)


def _copy(action: TradeAction, token: str, amount: Decimal) -> Decision:
    intent = IntentDraft(
        action=action,
        token_id=token,
        condition_id=f"c{token}",
        leader_price=D("0.5"),
        worst_price=D("0.52"),
        usd_amount=amount if action is TradeAction.BUY else None,
        shares=amount if action is TradeAction.SELL else None,
        order_style=OrderStyle.FAK,
        is_exit=action is TradeAction.SELL,
    )
    return Decision(DecisionAction.COPY, "copy", "test", intent=intent)


decisions = st.lists(
    st.builds(_copy, st.sampled_from([TradeAction.BUY, TradeAction.SELL]), tokens, amounts), max_size=40
)
holdings = st.lists(
    st.builds(lambda t, s, c: PositionHolding(t, f"c{t}", s, c), tokens, amounts, amounts),
    max_size=5,
    unique_by=lambda h: h.token_id,
)


def _reference(p: PortfolioState, d: Decision) -> PortfolioState:
    """The definition, spelled out naively over the holdings tuple."""
    i = d.intent
    assert i is not None
    held = next((h for h in p.holdings if h.token_id == i.token_id), None)
    rest = [h for h in p.holdings if h.token_id != i.token_id]
    if i.action is TradeAction.BUY:
        amount = i.usd_amount or D(0)
        new = (
            PositionHolding(i.token_id, i.condition_id, D(0), amount)
            if held is None
            else PositionHolding(held.token_id, held.condition_id, held.shares, held.cost_usd + amount)
        )
        kept = [new if h.token_id == i.token_id else h for h in p.holdings] if held else [*p.holdings, new]
        return PortfolioState(p.balance_usd, p.reserved_usd + amount, tuple(kept))
    if held is None or held.shares <= 0:
        return p
    remaining = held.shares - (i.shares or D(0))
    if remaining < D("0.01"):
        return PortfolioState(p.balance_usd, p.reserved_usd, tuple(rest))
    cost = (held.cost_usd * remaining / held.shares).quantize(D("0.01"), rounding=ROUND_CEILING)
    reduced = PositionHolding(held.token_id, held.condition_id, remaining, cost)
    return PortfolioState(
        p.balance_usd, p.reserved_usd, tuple(reduced if h.token_id == i.token_id else h for h in p.holdings)
    )


@settings(max_examples=300, deadline=None)
@given(start=holdings, steps=decisions)
def test_the_book_matches_the_definition(start: list[PositionHolding], steps: list[Decision]) -> None:
    expected = PortfolioState(D("10000"), D("0"), tuple(start))
    book = PortfolioBook(expected)
    for d in steps:
        expected = _reference(expected, d)
        assert d.intent is not None
        book.apply(d.intent)
        assert book.snapshot() == expected
        assert book.open_positions == expected.open_positions
        assert book.total_exposure_usd == expected.total_exposure_usd
        assert book.available_usd == expected.available_usd
        for token in ("1", "2", "3", "4", "5"):
            assert book.holding(token) == expected.holding(token)
    assert apply_decision(PortfolioState(D("1")), _copy(TradeAction.SELL, "9", D("1"))) == PortfolioState(D("1"))
