"""apply_decision: later trades of the same tick see what earlier COPYs reserved, opened or sold."""

from __future__ import annotations

from decimal import Decimal

from omegacopy.domain.decisions import ReasonCode, apply_decision, decide, invalid_source
from omegacopy.domain.models import DecisionAction, PositionHolding, SizingMode, Tunables

from .factories import NOW, TOKEN, TUNABLES, D, holding, owrr, portfolio, sell, strategy, trade


def test_second_copy_in_a_tick_sees_the_reserved_capital() -> None:
    s = strategy(sizing_mode=SizingMode.FIXED, fixed_size_usd=D("400"), max_position_size_usd=D("500"))
    p = portfolio("600")
    first = decide(trade(token_id="A"), s, owrr(), p, TUNABLES, NOW)
    assert first.intent is not None and first.intent.usd_amount == D("400")

    p = apply_decision(p, first)
    assert (p.reserved_usd, p.available_usd, p.open_positions) == (D("400"), D("200"), 1)

    second = decide(trade(token_id="B"), s, owrr(), p, TUNABLES, NOW)
    assert second.intent is not None and second.intent.usd_amount == D("200")  # capped by what is left
    assert second.details["binding_cap"] == "available capital"

    p = apply_decision(p, second)
    third = decide(trade(token_id="C"), s, owrr(), p, TUNABLES, NOW)
    assert third.reason_code == ReasonCode.INSUFFICIENT_CAPITAL


def test_opened_position_counts_against_max_positions_and_the_per_position_cap() -> None:
    s = strategy(max_positions=1)
    p = apply_decision(portfolio(), decide(trade(token_id="A"), s, owrr(), portfolio(), TUNABLES, NOW))
    assert decide(trade(token_id="B"), s, owrr(), p, TUNABLES, NOW).reason_code == ReasonCode.MAX_POSITIONS
    # adding to A is allowed, but only up to the $1,000 per-position limit: 360 held → 360 more, then 280
    again = decide(trade(token_id="A"), s, owrr(), p, TUNABLES, NOW)
    assert again.intent is not None and again.intent.usd_amount == D("360")
    p = apply_decision(p, again)
    last = decide(trade(token_id="A"), s, owrr(), p, TUNABLES, NOW)
    assert last.intent is not None and last.intent.usd_amount == D("280")


def test_pending_entry_commits_cost_but_no_shares() -> None:
    d = decide(trade(), strategy(), owrr(), portfolio(), TUNABLES, NOW)
    p = apply_decision(portfolio(), d)
    # the $360 counts against limits at once, but nothing is sellable until it fills
    assert p.holding(TOKEN) == PositionHolding(TOKEN, d.intent.condition_id if d.intent else "", D("0"), D("360"))
    assert p.open_positions == 1 and p.reserved_usd == D("360")
    out = decide(sell(shares=D("100")), strategy(), owrr(), p, TUNABLES, NOW, D("100"))
    assert out.intent is None and out.reason_code == ReasonCode.NO_POSITION


def test_partial_exit_reduces_shares_and_cost_basis() -> None:
    p = portfolio("10000", "0", holding(shares="100", cost="55"), holding(token="2222"))
    d = decide(sell(shares=D("40")), strategy(), owrr(), p, TUNABLES, NOW, D("100"))
    after = apply_decision(p, d)
    kept = after.holding(TOKEN)
    assert kept is not None
    assert (kept.shares, kept.cost_usd) == (D("60"), D("33"))
    assert [h.token_id for h in after.holdings] == [TOKEN, "2222"]  # order kept
    assert after.reserved_usd == p.reserved_usd  # proceeds only count once filled


def test_full_exit_closes_the_position() -> None:
    p = portfolio("10000", "0", holding(shares="12.345"), holding(token="2222"))
    d = decide(sell(shares=D("100")), strategy(), owrr(), p, TUNABLES, NOW, D("100"))
    after = apply_decision(p, d)  # 12.34 sold; 0.005 dust is not a position
    assert after.holding(TOKEN) is None
    assert after.open_positions == 1
    # a second exit in the same tick now finds nothing
    again = decide(sell(shares=D("100")), strategy(), owrr(), after, TUNABLES, NOW, D("100"))
    assert again.reason_code == ReasonCode.NO_POSITION


def test_skips_change_nothing() -> None:
    p = portfolio("10000", "250", holding())
    skip = decide(trade(), strategy(), owrr(), p, Tunables(kill_switch=True), NOW)
    assert skip.action is DecisionAction.SKIP
    assert apply_decision(p, skip) is p
    assert apply_decision(p, invalid_source("bad row")) is p


def test_exit_without_a_holding_is_a_no_op() -> None:
    d = decide(sell(), strategy(), owrr(), portfolio("0", "0", holding()), TUNABLES, NOW, Decimal("100"))
    empty = portfolio()
    assert apply_decision(empty, d) == empty
